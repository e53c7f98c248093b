"""The lifecycle table: every move a case can make, from which states, to which state, by whom.

Data only, one row per move holding everything about it. cases.workflow has one function per row;
cases.permissions reads the roles; cases.services.case_move takes the arguments and photos; the
pages and the API offer exactly the moves this table allows, with the row's key, style and form.
`target=None` leaves the state as is.
"""
from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from grids.models import Role

from .models import OPEN_STATES, AttachmentKind, RequestKind, State


class Action(StrEnum):
    """Every move of the loop, by the name the API's URL and the event log use."""

    SEND_VERIFY = "send_verify"
    VERIFY = "verify"
    PROPOSE_FILE = "propose_file"
    FILE = "file"
    VOID = "void"
    MERGE = "merge"
    DISPATCH = "dispatch"
    JOINT_DISPATCH = "joint_dispatch"
    REDISPATCH = "redispatch"
    WITHDRAW = "withdraw"
    RETURN = "return"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    DENY_EXTENSION = "deny_extension"
    REQUEST_SUSPENSION = "request_suspension"
    APPROVE_SUSPENSION = "approve_suspension"
    DENY_SUSPENSION = "deny_suspension"
    RESUME = "resume"
    REPORT_HANDLED = "report_handled"
    ASSIST_DONE = "assist_done"
    SEND_CHECK = "send_check"
    CHECK_PASS = "check_pass"
    CHECK_FAIL = "check_fail"
    CLOSE = "close"
    REOPEN = "reopen"
    URGE = "urge"
    REVIEW_ASSIGN = "review_assign"
    REVIEW_VOID = "review_void"


class Style(StrEnum):
    """How a move's button looks: the role's forward moves first and primary, refusals and returns
    as such, the rest plain."""

    PRIMARY = "primary"
    DANGER = "danger"
    PLAIN = "plain"


# The arguments a move may take besides its note (the API's field names), with what the person is
# told when a required one is missing.
ARGUMENT_MISSING = {
    "is_true": _("请填写核实结果（is_true）。"),
    "department_id": _("请选择处置部门。"),
    "assisting_department_ids": _("请选择至少一个协办部门。"),
    "reason_code": _("请选择回退原因。"),
    "into_case_id": _("请指定合并到的案件。"),
    "requested_deadline": _("请填写申请的延期时限。"),
    "until": _("请填写挂账至哪一天（until）。"),
    "deadline": _("请填写会审确定的办结日期（deadline）。"),
}

# How long a move with an undo waits, after its confirmation, before it is sent (seconds).
UNDO_SECONDS = 5


@dataclass(frozen=True)
class Transition:
    """Everything about one move: the workflow's rule (sources, target, roles, reason), what it
    takes (required and optional arguments, photos and what they show), and how the pages offer it
    (the page form, the shortcut key, unique within each role, the style, and `quick`: one key
    from the queues, as it needs nothing but an optional note). `asks` and `decides` name the kind
    of department request (extension, suspension) the move files or answers: a decision is offered
    only while such a request is pending, a request only while none is. A department's move is the
    lead department's (主办), or with `assisting` an assisting department's on its own task (协办).

    `confirm` is the sentence the pages show in a confirmation dialog before a move that nothing
    in this table undoes (empty: no dialog); `undo_seconds` holds such a move that long in the
    page, with a button to cancel it, before it is sent; `by_system` lets the clock make the move
    itself, without a person (cases.suspensions resumes a suspension whose date has come).
    `through` names the page that alone makes the move (the joint review of supervision.reviews,
    which records the decision with it): the case page and the queues do not offer it."""

    label: Promise
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    needs_reason: bool = False
    key: str = ""
    style: Style = Style.PLAIN
    quick: bool = False
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    photos: str | None = None
    form: str = "ActionForm"
    asks: str | None = None
    decides: str | None = None
    assisting: bool = False
    confirm: Promise | str = ""
    undo_seconds: int = 0
    by_system: bool = False
    through: Promise | str = ""


def _t(label, sources, target, roles, **details) -> Transition:
    return Transition(label, frozenset(sources), target, frozenset(roles), **details)


R = Role
S = State
A = Action
PRIMARY, DANGER = Style.PRIMARY, Style.DANGER
# The moves a collector or handler answers in the field carry the position they were made at.
FIELD = ("lon", "lat", "accuracy")

TRANSITIONS: dict[Action, Transition] = {
    A.SEND_VERIFY: _t(_("下发核实"), {S.REPORTED}, S.VERIFYING, {R.OPERATOR}, key="v", style=PRIMARY, quick=True,
                      confirm=_("向责任网格的监督员下发核实任务；下发后不能收回。"), undo_seconds=UNDO_SECONDS),
    A.VERIFY: _t(_("核实反馈"), {S.VERIFYING}, S.REPORTED, {R.COLLECTOR}, key="v", style=PRIMARY,
                 required=("is_true",), optional=FIELD, photos=AttachmentKind.BEFORE, form="VerifyForm",
                 confirm=_("提交核实结果；提交后不能更改。")),
    A.PROPOSE_FILE: _t(_("提请立案"), {S.REPORTED}, None, {R.OPERATOR}, key="f", style=PRIMARY, quick=True),
    A.FILE: _t(_("立案"), {S.REPORTED}, S.FILED, {R.SHIFT_LEADER}, key="f", style=PRIMARY,
               optional=("minor_id", "urgency", "filing_condition"), form="FileForm",
               confirm=_("立案并开始派遣计时；立案后不能撤销。")),
    A.VOID: _t(_("不予立案/作废"), {S.REPORTED, S.VERIFYING}, S.VOIDED, {R.SHIFT_LEADER}, needs_reason=True,
               key="x", style=DANGER, confirm=_("作废本案件，结束它的全部环节；作废后不能恢复。")),
    A.MERGE: _t(_("合并重复案件"), {S.REPORTED, S.VERIFYING}, S.MERGED, {R.OPERATOR, R.SHIFT_LEADER}, key="m",
                required=("into_case_id",), form="MergeForm",
                 confirm=_("把本案件并入指定案件，结束本案件的全部环节；合并后不能拆分。")),
    A.DISPATCH: _t(_("派遣"), {S.FILED}, S.DISPATCHED, {R.DISPATCHER}, key="d", style=PRIMARY,
                   required=("department_id",), form="DispatchForm"),
    A.JOINT_DISPATCH: _t(_("联合派遣"), {S.FILED}, S.DISPATCHED, {R.DISPATCHER}, key="j",
                         required=("department_id", "assisting_department_ids"), form="JointDispatchForm"),
    A.REDISPATCH: _t(_("改派"), {S.DISPATCHED}, None, {R.DISPATCHER}, needs_reason=True, key="r",
                     required=("department_id",), form="RedispatchForm"),
    A.WITHDRAW: _t(_("撤回"), {S.DISPATCHED}, S.FILED, {R.DISPATCHER}, needs_reason=True, key="w", style=DANGER),
    A.RETURN: _t(_("回退"), {S.DISPATCHED}, S.FILED, {R.HANDLER}, needs_reason=True, key="r", style=DANGER,
                 required=("reason_code",), form="ReturnForm", confirm=_("把案件退回指挥中心重新派遣；回退后本部门不能再处置它。")),
    A.REQUEST_EXTENSION: _t(_("申请延期"), {S.DISPATCHED}, None, {R.HANDLER}, needs_reason=True, key="e",
                            required=("requested_deadline",), form="ExtensionForm", asks=RequestKind.EXTENSION),
    A.APPROVE_EXTENSION: _t(_("批准延期"), {S.DISPATCHED}, None, {R.DISPATCHER}, key="a", style=PRIMARY,
                            quick=True, decides=RequestKind.EXTENSION,
                            confirm=_("按部门申请的时限延长处置时限；批准后不能撤回。")),
    A.DENY_EXTENSION: _t(_("驳回延期"), {S.DISPATCHED}, None, {R.DISPATCHER}, needs_reason=True, key="n",
                         style=DANGER, decides=RequestKind.EXTENSION,
                         confirm=_("驳回延期申请，处置时限不变；驳回后不能撤回。")),
    A.REQUEST_SUSPENSION: _t(_("申请挂账"), {S.DISPATCHED}, None, {R.HANDLER}, needs_reason=True, key="s",
                             required=("until",), form="SuspensionForm", asks=RequestKind.SUSPENSION),
    A.APPROVE_SUSPENSION: _t(_("批准挂账"), {S.DISPATCHED}, S.SUSPENDED, {R.SHIFT_LEADER}, key="a", style=PRIMARY,
                             quick=True, optional=("until",), form="SuspensionApprovalForm", decides=RequestKind.SUSPENSION,
                             confirm=_("案件挂账：处置计时暂停，到申请的日期自动恢复处置；批准后不能撤回。")),
    A.DENY_SUSPENSION: _t(_("驳回挂账"), {S.DISPATCHED}, None, {R.SHIFT_LEADER}, needs_reason=True, key="n",
                          style=DANGER, decides=RequestKind.SUSPENSION,
                          confirm=_("驳回挂账申请，部门继续处置；驳回后不能撤回。")),
    A.RESUME: _t(_("恢复处置"), {S.SUSPENDED}, S.DISPATCHED, {R.SHIFT_LEADER, R.DISPATCHER}, key="u",
                 style=PRIMARY, quick=True, by_system=True,
                 confirm=_("提前结束挂账，处置计时继续；再次挂账须部门重新申请。")),
    A.REPORT_HANDLED: _t(_("处置反馈"), {S.DISPATCHED}, S.HANDLED, {R.HANDLER}, key="h", style=PRIMARY,
                         optional=FIELD, photos=AttachmentKind.AFTER, form="HandledForm",
                         confirm=_("提交处置结果，案件转入核查；提交后不能撤回。")),
    A.ASSIST_DONE: _t(_("协办完成"), {S.DISPATCHED}, None, {R.HANDLER}, key="k", style=PRIMARY, assisting=True,
                      confirm=_("报告本部门的协办任务已完成；报告后不能撤回。")),
    A.SEND_CHECK: _t(_("下发核查"), {S.HANDLED}, S.CHECKING, {R.OPERATOR}, key="c", style=PRIMARY, quick=True,
                     confirm=_("向监督员下发核查任务；下发后不能收回。"), undo_seconds=UNDO_SECONDS),
    A.CHECK_PASS: _t(_("核查通过"), {S.CHECKING}, S.CHECKED, {R.COLLECTOR}, key="p", style=PRIMARY, quick=True,
                     optional=FIELD, photos=AttachmentKind.AFTER, confirm=_("核查通过，案件转入待结案；提交后不能更改。")),
    A.CHECK_FAIL: _t(_("核查未通过（返工）"), {S.CHECKING}, S.DISPATCHED, {R.COLLECTOR, R.OPERATOR},
                     needs_reason=True, key="w", style=DANGER, optional=FIELD, photos=AttachmentKind.AFTER,
                     confirm=_("核查未通过，案件退回部门返工并重新计时；提交后不能撤回。")),
    A.CLOSE: _t(_("结案"), {S.CHECKED}, S.CLOSED, {R.SHIFT_LEADER}, key="c", style=PRIMARY, quick=True,
                confirm=_("结案：案件办结并计入考核；结案后只能经回访不满意重新处置。")),
    A.REOPEN: _t(_("回访不满意重新处置"), {S.CLOSED}, S.DISPATCHED, {R.SHIFT_LEADER, R.HOTLINE_AGENT},
                 needs_reason=True, key="o", style=DANGER, confirm=_("派回原部门重新处置，计一次返工；提交后不能撤回。")),
    A.URGE: _t(_("督办"), set(OPEN_STATES), None, {R.DISPATCHER, R.MANAGER}, needs_reason=True, key="g",
               confirm=_("督办：记入案件的督办次数并提醒处置部门；督办后不能撤回。")),
    # A joint review (疑难案卷联合会审, supervision.reviews) decides a case whose ownership is
    # disputed: it goes to the department the review names, due by the date it set, or is voided.
    A.REVIEW_ASSIGN: _t(_("会审定责"), {S.FILED, S.DISPATCHED}, S.DISPATCHED, {R.SHIFT_LEADER, R.MANAGER},
                        required=("department_id", "deadline"), style=PRIMARY, through=_("联合会审")),
    A.REVIEW_VOID: _t(_("会审作废"), {S.FILED, S.DISPATCHED}, S.VOIDED, {R.SHIFT_LEADER, R.MANAGER},
                      needs_reason=True, style=DANGER, through=_("联合会审")),
}


def allowed_actions(state: str) -> list[str]:
    """Every action the table allows from `state`, whoever the actor."""
    return [name for name, transition in TRANSITIONS.items() if state in transition.sources]
