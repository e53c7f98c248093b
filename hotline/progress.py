"""A case's progress in plain words for citizens (public lookup, Open311 status_notes): the state
and the timeline's milestones, with dates only: never names, notes, phones or addresses."""
from django.utils.translation import gettext_lazy as _

from cases.models import State
from cases.transitions import Action

CLOSED_STATES = frozenset({State.CLOSED, State.VOIDED, State.MERGED})

STATE_WORDS = {
    State.REPORTED: _("已收到反映，正在受理"),
    State.VERIFYING: _("已派人到现场核实"),
    State.FILED: _("已立案，正在交办处置部门"),
    State.DISPATCHED: _("处置部门正在办理"),
    State.SUSPENDED: _("问题需要较长时间解决，已列入计划办理"),
    State.HANDLED: _("处置部门已处理，等待现场核查"),
    State.CHECKING: _("正在现场核查处理结果"),
    State.CHECKED: _("核查通过，即将办结"),
    State.CLOSED: _("已办结"),
    State.VOIDED: _("经核实不予立案"),
    State.MERGED: _("与其他市民反映的同一问题合并办理"),
}

# Timeline actions a citizen is told about; everything else (internal requests, proposals,
# overdue marks) stays inside the command center.
EVENT_WORDS = {
    "report": _("已收到反映"),
    "self_handle": _("巡查发现并当场处理完毕"),
    Action.SEND_VERIFY: _("已派人到现场核实"),
    Action.VERIFY: _("现场核实完毕"),
    Action.FILE: _("已立案"),
    Action.VOID: _("经核实不予立案"),
    Action.MERGE: _("与同一问题合并办理"),
    Action.DISPATCH: _("已交处置部门办理"),
    Action.JOINT_DISPATCH: _("已交处置部门办理"),
    Action.REDISPATCH: _("已交处置部门办理"),  # to another department: the citizen is told the same
    Action.WITHDRAW: _("正在重新确定处置部门"),
    Action.RETURN: _("正在重新确定处置部门"),
    Action.APPROVE_EXTENSION: _("处置期限已延长"),
    Action.APPROVE_SUSPENSION: _("已列入计划办理"),
    Action.RESUME: _("恢复办理"),
    Action.REPORT_HANDLED: _("处置部门已处理"),
    Action.SEND_CHECK: _("正在现场核查处理结果"),
    Action.CHECK_PASS: _("现场核查通过"),
    Action.CHECK_FAIL: _("核查未通过，已要求重新处理"),
    Action.CLOSE: _("已办结"),
    Action.REOPEN: _("根据回访意见重新处理"),
    Action.URGE: _("已督促加快办理"),
}


def public_status(state: str) -> str:
    """"open" or "closed", the only two statuses Open311 knows."""
    return "closed" if state in CLOSED_STATES else "open"


def state_words(state: str) -> str:
    return str(STATE_WORDS.get(state, ""))


def timeline_words(events) -> list[dict]:
    """[{"at": datetime, "text": str}] for the events a citizen may see, oldest first."""
    return [{"at": event.created_at, "text": str(EVENT_WORDS[event.action])}
            for event in events if event.action in EVENT_WORDS]


def public_case(case) -> dict:
    """Everything the public may know of a case (lookup page, public API): its class, dates and
    progress in plain words. Deliberately no description, address, names, phones or notes."""
    return {
        "number": case.number,
        "service_name": case.minor.name,
        "status": public_status(case.state),
        "status_text": state_words(case.state),
        "reported_at": case.reported_at,
        "expected_at": case.handle_deadline if case.state not in CLOSED_STATES else None,
        "closed_at": case.closed_at,
        "merged_into": case.merged_into.number if case.state == State.MERGED and case.merged_into_id else None,
        "progress": timeline_words(case.events.all()),
    }
