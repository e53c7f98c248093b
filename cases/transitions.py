"""The lifecycle table: every move a case can make, from which states, to which state, by whom.

Data only. cases.workflow has one function per entry; cases.permissions reads the roles; the
pages and the API offer exactly the moves this table allows. `target=None` leaves the state as is.
"""
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from grids.models import Role

from .models import OPEN_STATES, State


@dataclass(frozen=True)
class Transition:
    label: Promise
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    needs_reason: bool = False


def _t(label, sources, target, roles, *, needs_reason=False) -> Transition:
    return Transition(label, frozenset(sources), target, frozenset(roles), needs_reason)


R = Role
S = State

TRANSITIONS: dict[str, Transition] = {
    "send_verify": _t(_("下发核实"), {S.REPORTED}, S.VERIFYING, {R.OPERATOR}),
    "verify": _t(_("核实反馈"), {S.VERIFYING}, S.REPORTED, {R.COLLECTOR}),
    "propose_file": _t(_("提请立案"), {S.REPORTED}, None, {R.OPERATOR}),
    "file": _t(_("立案"), {S.REPORTED}, S.FILED, {R.SHIFT_LEADER}),
    "void": _t(_("不予立案/作废"), {S.REPORTED, S.VERIFYING}, S.VOIDED, {R.SHIFT_LEADER}, needs_reason=True),
    "merge": _t(_("合并重复案件"), {S.REPORTED, S.VERIFYING}, S.MERGED, {R.OPERATOR, R.SHIFT_LEADER}),
    "dispatch": _t(_("派遣"), {S.FILED}, S.DISPATCHED, {R.DISPATCHER}),
    "return": _t(_("回退"), {S.DISPATCHED}, S.FILED, {R.HANDLER}, needs_reason=True),
    "request_extension": _t(_("申请延期"), {S.DISPATCHED}, None, {R.HANDLER}, needs_reason=True),
    "approve_extension": _t(_("批准延期"), {S.DISPATCHED}, None, {R.DISPATCHER}),
    "deny_extension": _t(_("驳回延期"), {S.DISPATCHED}, None, {R.DISPATCHER}, needs_reason=True),
    "request_suspension": _t(_("申请挂账"), {S.DISPATCHED}, None, {R.HANDLER}, needs_reason=True),
    "approve_suspension": _t(_("批准挂账"), {S.DISPATCHED}, S.SUSPENDED, {R.SHIFT_LEADER}),
    "deny_suspension": _t(_("驳回挂账"), {S.DISPATCHED}, None, {R.SHIFT_LEADER}, needs_reason=True),
    "resume": _t(_("恢复处置"), {S.SUSPENDED}, S.DISPATCHED, {R.SHIFT_LEADER, R.DISPATCHER}),
    "report_handled": _t(_("处置反馈"), {S.DISPATCHED}, S.HANDLED, {R.HANDLER}),
    "send_check": _t(_("下发核查"), {S.HANDLED}, S.CHECKING, {R.OPERATOR}),
    "check_pass": _t(_("核查通过"), {S.CHECKING}, S.CHECKED, {R.COLLECTOR}),
    "check_fail": _t(_("核查未通过（返工）"), {S.CHECKING}, S.DISPATCHED, {R.COLLECTOR, R.OPERATOR},
                     needs_reason=True),
    "close": _t(_("结案"), {S.CHECKED}, S.CLOSED, {R.SHIFT_LEADER}),
    "reopen": _t(_("回访不满意重新处置"), {S.CLOSED}, S.DISPATCHED, {R.SHIFT_LEADER, R.HOTLINE_AGENT},
                 needs_reason=True),
    "urge": _t(_("督办"), set(OPEN_STATES), None, {R.DISPATCHER, R.MANAGER}, needs_reason=True),
}


def allowed_actions(state: str) -> list[str]:
    """Every action the table allows from `state`, whoever the actor."""
    return [name for name, transition in TRANSITIONS.items() if state in transition.sources]
