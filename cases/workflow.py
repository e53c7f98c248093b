"""One public function per transition of cases.transitions, all through `_apply`: permission and
scope, row lock, state check, the change, and the append-only event row, in one transaction.

This is the only module that writes Case.state.
"""
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models.query import get_related_populators
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ConflictError, NotFoundError
from core.queries import row_by_key
from grids.geometry import metres_between
from grids.models import Department, MinorClass, Role, User
from grids.selectors import ownership_resolve

from . import steps
from .calendar import WorkCalendar, local_midnight
from .models import (
    Case,
    CaseAssist,
    CaseEvent,
    CaseRequest,
    CaseStep,
    RequestKind,
    RequestStatus,
    ReturnReason,
    StepKind,
    Task,
    TaskKind,
    Urgency,
)
from .outbox import outbox_enqueue
from .permissions import case_in_scope, case_not_found, check_can_apply, check_state_allows
from .transitions import ARGUMENT_MISSING, TRANSITIONS, Action

# A mutation changes the locked case in memory and returns the event payload.
Mutation = Callable[[Case, datetime], dict[str, Any]]


@dataclass(frozen=True)
class Position:
    """Where a field answer was given (the phone's GPS), with its accuracy in metres."""

    lon: float
    lat: float
    accuracy_m: float | None = None


def position_payload(case: Case, position: Position | None) -> dict[str, Any]:
    """The answer's position for the event: the distance from the case, and `far` beyond
    FIELD_ANSWER_RADIUS_M (flagged to the operator, never refused)."""
    if position is None:
        return {}
    distance = round(metres_between(case.lon, case.lat, position.lon, position.lat), 1)
    return {"lon": position.lon, "lat": position.lat, "accuracy_m": position.accuracy_m, "distance_m": distance,
            "far": distance > settings.FIELD_ANSWER_RADIUS_M}


# The client's key of the move being made (its Idempotency-Key, set by services.case_move): a retry
# of a move this person already made with that key answers with the case as it is, where a second
# attempt would be refused by the new state (a phone that lost the first reply sends it again).
_move_key: ContextVar[str | None] = ContextVar("move_key", default=None)


@contextmanager
def move_keyed(key: str | None) -> Iterator[None]:
    token = _move_key.set(key or None)
    try:
        yield
    finally:
        _move_key.reset(token)


def _apply(*, actor: User | None, case_id: int, action: str, note: str = "", mutate: Mutation | None = None) -> Case:
    """`actor` None is the system itself (the clock), allowed only the moves marked `by_system`;
    its event has no actor."""
    transition = TRANSITIONS[action]
    if actor is None and not transition.by_system:
        raise ApplicationError(_("“%(action)s”须由人执行。") % {"action": transition.label}, status_code=403)
    key = _move_key.get()
    with transaction.atomic():
        # NO KEY UPDATE: we never change the case's key, so rows referencing it (events, steps)
        # can still be inserted concurrently; concurrent moves on the same case queue here and
        # the loser sees the winner's state below.
        case = _case_locked(case_id)
        if case is None:
            raise case_not_found()
        # Under the lock, so that two retries of one move cannot both pass.
        if key and CaseEvent.objects.filter(case=case, action=action, actor=actor,
                                            payload__idempotency_key=key).exists():
            case.replayed = True
            return case
        if actor is None:
            check_state_allows(case, action)
        else:
            check_can_apply(actor, case, action)
        # After the permission check: who may not make the move is told so, not asked for a reason.
        if transition.needs_reason and not (note or "").strip():
            raise ApplicationError(_("“%(action)s”必须填写理由。") % {"action": transition.label},
                                   extra={"field": "note"})
        now = timezone.now()
        from_state = case.state
        before = _columns(case)
        payload = mutate(case, now) if mutate else {}
        if transition.target is not None:
            case.state = transition.target
        # Only the columns the move changed (and updated_at), not all fifty of the case's: less to
        # compile and to send, and no column a move did not touch is ever rewritten.
        case.save(update_fields=[name for name, value in _columns(case).items() if before[name] != value]
                  + ["updated_at"])
        payload = payload or {}
        if key:
            payload["idempotency_key"] = key
        CaseEvent.objects.create(
            case=case, action=action, from_state=from_state, to_state=case.state, actor=actor,
            created_at=now, note=note, payload=payload,
        )
        _move_listeners_enqueue(case, action)
    return case


def _case_locked_query():
    # OF self: the class and district joined in are read, not locked (locking them made every
    # move of a district, or of a class, queue behind the others, and wrote a row lock into both).
    return (Case.objects.select_for_update(no_key=True, of=("self",)).select_related("minor", "district")
            .order_by())


# Every move locks its case by the same statement: compiled once per process and database (its
# SQL, columns, converters and related populators, as Django's ModelIterable would each time),
# then only executed. Measured 2026-12-07 (PostgreSQL, one process): 0.96 -> 0.22 CPU-ms a move.
_LOCK_PLANS: dict[str, tuple] = {}


def _case_locked(case_id: int) -> Case | None:
    """The case, its class and district joined, its row locked FOR NO KEY UPDATE (or None): what
    `row_by_key(_case_locked_query().filter(pk=case_id))` returns, without compiling it again."""
    alias = router.db_for_write(Case)
    plan = _LOCK_PLANS.get(alias)
    if plan is None:
        compiler = _case_locked_query().filter(pk=0).query.get_compiler(alias)
        sql, params = compiler.as_sql()
        assert list(params) == [0], params  # the case's id is the statement's one parameter
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        plan = _LOCK_PLANS[alias] = (
            sql, compiler, compiler.get_converters([column[0] for column in select[:compiler.col_count]]),
            fields[0], fields[-1] + 1, [column[0].target.attname for column in select[fields[0]:fields[-1] + 1]],
            get_related_populators(klass_info, select, alias),
        )
    sql, compiler, converters, start, end, names, populators = plan
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [case_id])
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:
        row = next(iter(compiler.apply_converters([row], converters)))
    case = Case.from_db(alias, names, row[start:end])
    for populator in populators:
        populator.populate(row, case)
    return case


def _move_listeners_enqueue(case: Case, action: str) -> None:
    """Apps above cases hear of a move through the outbox, sent after this commit: each entry of
    CASE_MOVE_LISTENERS names a Celery task, the moves and the case sources it wants (rewards hears
    public reports filed or voided). Cases names no app above it; a move nobody listens to costs
    nothing."""
    for listener in settings.CASE_MOVE_LISTENERS:
        if action in listener["actions"] and case.source in listener["sources"]:
            outbox_enqueue(task=listener["task"], kwargs={"case_id": case.pk, "action": action})


def _columns(case: Case) -> dict[str, Any]:
    """The case's column values by attribute name (the key and updated_at aside)."""
    return {field.attname: getattr(case, field.attname) for field in _CASE_COLUMNS}


_CASE_COLUMNS = [field for field in Case._meta.concrete_fields if not field.primary_key and field.name != "updated_at"]


def _task_open(case: Case, kind: str, actor: User, now: datetime) -> Task:
    step = steps.step_open(case, StepKind.VERIFY if kind == TaskKind.VERIFY else StepKind.CHECK, now)
    return Task.objects.create(
        case=case, kind=kind, responsibility_grid_id=case.responsibility_grid_id,
        created_by=actor, created_at=now, deadline=step.deadline,
    )


def _task_complete(case: Case, kind: str, actor: User, now: datetime, *, result: bool, note: str,
                   position: Position | None = None, required: bool = True) -> Task | None:
    task = row_by_key(Task.objects.filter(case=case, kind=kind, completed_at__isnull=True))
    if task is None:
        if not required:
            return None
        raise ApplicationError(_("该案件没有待完成的%(kind)s任务。") % {"kind": TaskKind(kind).label})
    task.completed_at, task.completed_by, task.result, task.note = now, actor, result, note
    fields = ["completed_at", "completed_by", "result", "note"]
    if position is not None:
        task.answered_lon, task.answered_lat, task.answered_accuracy_m = position.lon, position.lat, position.accuracy_m
        task.distance_m = position_payload(case, position)["distance_m"]
        fields += ["answered_lon", "answered_lat", "answered_accuracy_m", "distance_m"]
    task.save(update_fields=fields)
    return task


def _handling_open(case: Case, now: datetime) -> None:
    step = steps.step_open(case, StepKind.HANDLE, now, department_id=case.department_id)
    case.handle_deadline = step.deadline
    case.handled_at = None
    case.handled_on_time = None


# --- accept, verify, file -------------------------------------------------------------------

def case_send_verify(*, actor: User, case_id: int, note: str = "") -> Case:
    def mutate(case, now):
        steps.step_complete(case, now, actor=actor, kind=StepKind.ACCEPT)
        task = _task_open(case, TaskKind.VERIFY, actor, now)
        return {"task_id": task.pk, "deadline": task.deadline.isoformat()}

    return _apply(actor=actor, case_id=case_id, action=Action.SEND_VERIFY, note=note, mutate=mutate)


def case_verify(*, actor: User, case_id: int, is_true: bool, note: str = "", position: Position | None = None) -> Case:
    def mutate(case, now):
        task = _task_complete(case, TaskKind.VERIFY, actor, now, result=is_true, note=note, position=position)
        steps.step_complete(case, now, actor=actor, kind=StepKind.VERIFY)
        case.verified = is_true
        steps.step_open(case, StepKind.FILE, now)
        return {"task_id": task.pk, "is_true": is_true, **position_payload(case, position)}

    return _apply(actor=actor, case_id=case_id, action=Action.VERIFY, note=note, mutate=mutate)


def case_propose_file(*, actor: User, case_id: int, note: str = "") -> Case:
    def mutate(case, now):
        if steps.step_complete(case, now, actor=actor, kind=StepKind.ACCEPT):
            steps.step_open(case, StepKind.FILE, now)
        return {}

    return _apply(actor=actor, case_id=case_id, action=Action.PROPOSE_FILE, note=note, mutate=mutate)


def case_file(*, actor: User, case_id: int, minor_id: int | None = None, urgency: str | None = None,
              filing_condition: str = "", note: str = "") -> Case:
    def mutate(case, now):
        changes: dict[str, Any] = {}
        if minor_id and minor_id != case.minor_id:
            minor = row_by_key(MinorClass.objects.filter(pk=minor_id, is_active=True))
            if minor is None:
                raise ApplicationError(_("分类不存在或已停用。"), extra={"field": "minor_id"})
            changes["minor"] = [case.minor.code, minor.code]
            case.minor, case.kind = minor, minor.kind
            answer = ownership_resolve(minor=minor, unit_grid=case.unit_grid, component=case.component)
            case.suggested_department, case.ownership_unknown = answer.department, answer.unknown
        if urgency:
            if urgency not in Urgency.values:
                raise ApplicationError(_("紧急程度无效。"), extra={"field": "urgency"})
            changes["urgency"] = [case.urgency, urgency]
            case.urgency = urgency
        # Filing ends whichever command-center step was running (accept, or file after verify).
        steps.step_complete(case, now, actor=actor, kind=(StepKind.ACCEPT, StepKind.FILE))
        case.filed_at = now
        steps.step_open(case, StepKind.DISPATCH, now)
        return {"changes": changes, "filing_condition": filing_condition}

    return _apply(actor=actor, case_id=case_id, action=Action.FILE, note=note, mutate=mutate)


def case_void(*, actor: User, case_id: int, note: str) -> Case:
    def mutate(case, now):
        Task.objects.filter(case=case, completed_at__isnull=True).update(completed_at=now, completed_by=actor)
        steps.steps_close_all(case, now)
        case.voided_at = now
        return {}

    return _apply(actor=actor, case_id=case_id, action=Action.VOID, note=note, mutate=mutate)


def case_merge(*, actor: User, case_id: int, into_case_id: int, note: str = "") -> Case:
    """Merge a duplicate report into the case that stays: the duplicate ends as `merged` and is
    counted once, through the case it joined."""
    if into_case_id == case_id:
        raise ApplicationError(_("不能把案件合并到它自己。"), extra={"field": "into_case_id"})

    def mutate(case, now):
        # Locked too (above, in id order), so the case that stays cannot be closed or merged away
        # while we join it.
        target = row_by_key(Case.objects.filter(pk=into_case_id))
        if target is None or not case_in_scope(actor, target):
            raise NotFoundError(_("合并目标案件不存在或不在您的管辖范围内。"), extra={"field": "into_case_id"})
        if not target.is_open:
            raise ApplicationError(_("合并目标案件已办结。"), extra={"field": "into_case_id"})
        if target.minor_id != case.minor_id:
            raise ApplicationError(_("只能合并同一小类的案件。"), extra={"field": "into_case_id"})
        Task.objects.filter(case=case, completed_at__isnull=True).update(completed_at=now, completed_by=actor)
        steps.steps_close_all(case, now)
        case.merged_into = target
        return {"into": target.number}

    with transaction.atomic():
        # Both cases locked in id order before _apply locks the merged one (again, a no-op): two
        # opposite merges at once (A into B, B into A) would otherwise each hold one lock and wait
        # for the other's, a deadlock.
        list(Case.objects.select_for_update(no_key=True).filter(pk__in=[case_id, into_case_id])
             .order_by("pk").values_list("pk", flat=True))
        return _apply(actor=actor, case_id=case_id, action=Action.MERGE, note=note, mutate=mutate)


# --- dispatch and handling ------------------------------------------------------------------

def _department_active(department_id: int, field: str = "department_id") -> Department:
    department = row_by_key(Department.objects.filter(pk=department_id, is_active=True))
    if department is None:
        raise ApplicationError(_("处置部门不存在或已停用。"), extra={"field": field})
    return department


def _dispatch_to(case: Case, department: Department, actor: User, now: datetime) -> dict[str, Any]:
    """Send a filed case to its (lead) department: the dispatch step ends, the handling starts.
    A dispatch after a withdrawal (撤回) is the same dispatch made again: its step gets no verdict,
    so the assessment counts the case's dispatch once (the first)."""
    again = case.dispatched_at is not None and _last_handling_ended_by(case) == Action.WITHDRAW
    steps.step_complete(case, now, actor=actor, kind=StepKind.DISPATCH, count_on_time=not again)
    case.department = department
    case.dispatched_at = now
    _handling_open(case, now)
    return {
        "department": department.name,
        "suggested": case.suggested_department_id,
        "follows_suggestion": case.suggested_department_id == department.pk,
        "deadline": case.handle_deadline.isoformat(),
    }


def _last_handling_ended_by(case: Case) -> str:
    return (CaseStep.objects.filter(case=case, kind=StepKind.HANDLE).order_by("-started_at", "-pk")
            .values_list("ended_by", flat=True).first()) or ""


def case_dispatch(*, actor: User, case_id: int, department_id: int, note: str = "") -> Case:
    def mutate(case, now):
        return _dispatch_to(case, _department_active(department_id), actor, now)

    return _apply(actor=actor, case_id=case_id, action=Action.DISPATCH, note=note, mutate=mutate)


def case_joint_dispatch(*, actor: User, case_id: int, department_id: int, assisting_department_ids: list[int],
                        note: str = "") -> Case:
    """联合派遣: one lead department (主办) holds the handling step; each assisting department (协办)
    gets its own task, due when a handling of this case on its own calendar would be. The case can
    be reported handled only when every assisting task is done (case_report_handled)."""
    assisting_ids = list(dict.fromkeys(pk for pk in assisting_department_ids if pk != department_id))
    if not assisting_ids:
        raise ApplicationError(_("请选择至少一个协办部门（主办部门以外）。"),
                               extra={"field": "assisting_department_ids"})

    def mutate(case, now):
        lead = _department_active(department_id)
        assisting = list(Department.objects.filter(pk__in=assisting_ids, is_active=True).order_by("pk"))
        if len(assisting) != len(assisting_ids):
            raise ApplicationError(_("协办部门不存在或已停用。"), extra={"field": "assisting_department_ids"})
        payload = _dispatch_to(case, lead, actor, now)
        CaseAssist.objects.bulk_create([
            CaseAssist(case=case, department=department, created_by=actor, created_at=now,
                       deadline=steps.step_deadline(case, StepKind.HANDLE, now, department_id=department.pk))
            for department in assisting
        ])
        return {**payload, "assisting": [department.name for department in assisting]}

    return _apply(actor=actor, case_id=case_id, action=Action.JOINT_DISPATCH, note=note, mutate=mutate)


# The moves by which a department acts on a case it was sent (there is no separate 签收): until one
# of them, the dispatcher may still redispatch or withdraw the case.
DEPARTMENT_MOVES = [name for name, transition in TRANSITIONS.items() if Role.HANDLER in transition.roles]


# 改派 and 撤回: the dispatcher's corrections, open until the department acts on the case.
CORRECTIONS = (Action.REDISPATCH, Action.WITHDRAW)


def department_has_acted(case: Case, events=None) -> bool:
    """Any department move since the dispatch (a return, a request, a report, an assisting task
    done; a rework counts, its report came after the dispatch): the corrections are over. `events`,
    the case's events already loaded (the case page, the API's detail), spares the query."""
    since = case.dispatched_at
    if events is not None:
        return any(event.action in DEPARTMENT_MOVES and (since is None or event.created_at >= since)
                   for event in events)
    moves = CaseEvent.objects.filter(case=case, action__in=DEPARTMENT_MOVES)
    if since is not None:
        moves = moves.filter(created_at__gte=since)
    return moves.exists()


def _refuse_once_department_acted(case: Case, action: str) -> None:
    """改派 and 撤回 are refused once the department has taken the case up."""
    if department_has_acted(case):
        raise ConflictError(
            _("处置部门已开始办理案件 %(number)s，不能再%(action)s；如派遣有误，请联系部门回退。")
            % {"number": case.number, "action": TRANSITIONS[action].label},
            extra={"state": case.state},
        )


def _assists_end(case: Case, now: datetime, action: str) -> None:
    """The case left its departments (withdrawn, returned): the open assisting tasks end undone."""
    CaseAssist.objects.filter(case=case, completed_at__isnull=True).update(completed_at=now, ended_by=action)


def case_redispatch(*, actor: User, case_id: int, department_id: int, note: str) -> Case:
    """改派: a dispatched case goes to another lead department before the first has acted on it.
    The first department's handling step ends without a verdict (marked as redispatched, not a
    return); the new department's clock starts afresh, its whole limit from now. Assisting tasks
    of a joint dispatch stay."""

    def mutate(case, now):
        _refuse_once_department_acted(case, Action.REDISPATCH)
        department = _department_active(department_id)
        if department.pk == case.department_id:
            raise ApplicationError(_("改派的部门与当前处置部门相同。"), extra={"field": "department_id"})
        if CaseAssist.objects.filter(case=case, department=department, completed_at__isnull=True).exists():
            raise ApplicationError(_("该部门已是本案的协办部门。"), extra={"field": "department_id"})
        previous = case.department.name if case.department else ""
        steps.step_complete(case, now, actor=actor, kind=StepKind.HANDLE, count_on_time=False,
                            ended_by=Action.REDISPATCH)
        case.department = department
        _handling_open(case, now)
        return {"department": department.name, "from_department": previous,
                "deadline": case.handle_deadline.isoformat()}

    return _apply(actor=actor, case_id=case_id, action=Action.REDISPATCH, note=note, mutate=mutate)


def case_withdraw(*, actor: User, case_id: int, note: str) -> Case:
    """撤回: the dispatcher takes a dispatched case back to 待派遣 before the department has acted;
    its handling step ends marked as withdrawn (not a return), assisting tasks end, and the dispatch
    step runs again (its next completion is not counted as a second dispatch, see _dispatch_to)."""

    def mutate(case, now):
        _refuse_once_department_acted(case, Action.WITHDRAW)
        steps.step_complete(case, now, actor=actor, kind=StepKind.HANDLE, count_on_time=False,
                            ended_by=Action.WITHDRAW)
        _assists_end(case, now, Action.WITHDRAW)
        payload = {"department": case.department.name if case.department else ""}
        case.department = None
        case.handle_deadline = None
        steps.step_open(case, StepKind.DISPATCH, now)
        return payload

    return _apply(actor=actor, case_id=case_id, action=Action.WITHDRAW, note=note, mutate=mutate)


def case_return(*, actor: User, case_id: int, reason_code: str, note: str) -> Case:
    """回退: the department sends the case back to 待派遣 with a reason from the city's list
    (ReturnReason) and its explanation."""

    def mutate(case, now):
        reason = row_by_key(ReturnReason.objects.filter(code=reason_code, is_active=True))
        if reason is None:
            raise ApplicationError(_("回退原因“%(code)s”不存在或已停用。") % {"code": reason_code},
                                   extra={"field": "reason_code"})
        steps.step_complete(case, now, actor=actor, kind=StepKind.HANDLE, count_on_time=False,
                            ended_by=Action.RETURN)
        _assists_end(case, now, Action.RETURN)
        CaseRequest.objects.filter(case=case, status=RequestStatus.PENDING).update(
            status=RequestStatus.DENIED, decided_at=now, decision_note=_("案件已回退")
        )
        payload = {"department": case.department.name if case.department else "", "reason_code": reason.code,
                   "reason": reason.label}
        case.department = None
        case.handle_deadline = None
        case.return_count += 1
        steps.step_open(case, StepKind.DISPATCH, now)
        return payload

    return _apply(actor=actor, case_id=case_id, action=Action.RETURN, note=note, mutate=mutate)


def _request_open(case: Case, kind: str, actor: User, now: datetime, note: str,
                  requested_deadline: datetime | None = None) -> CaseRequest:
    if CaseRequest.objects.filter(case=case, kind=kind, status=RequestStatus.PENDING).exists():
        raise ApplicationError(_("已有一份待审批的%(kind)s。") % {"kind": RequestKind(kind).label})
    return CaseRequest.objects.create(
        case=case, kind=kind, reason=note, requested_deadline=requested_deadline,
        requested_by=actor, requested_at=now,
    )


def _request_pending(case: Case, kind: str) -> CaseRequest:
    request = row_by_key(CaseRequest.objects.filter(case=case, kind=kind, status=RequestStatus.PENDING))
    if request is None:
        raise ApplicationError(_("没有待审批的%(kind)s。") % {"kind": RequestKind(kind).label})
    return request


def _request_decide(request: CaseRequest, actor: User, now: datetime, *, approved: bool, note: str) -> None:
    request.status = RequestStatus.APPROVED if approved else RequestStatus.DENIED
    request.decided_by, request.decided_at, request.decision_note = actor, now, note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])


def case_request_extension(*, actor: User, case_id: int, requested_deadline: datetime, note: str) -> Case:
    def mutate(case, now):
        if requested_deadline <= now:
            raise ApplicationError(_("申请的延期时限必须晚于当前时间。"), extra={"field": "requested_deadline"})
        if case.handle_deadline and requested_deadline <= case.handle_deadline:
            raise ApplicationError(_("申请的延期时限必须晚于现有处置时限。"), extra={"field": "requested_deadline"})
        request = _request_open(case, RequestKind.EXTENSION, actor, now, note, requested_deadline)
        return {"request_id": request.pk, "requested_deadline": requested_deadline.isoformat()}

    return _apply(actor=actor, case_id=case_id, action=Action.REQUEST_EXTENSION, note=note, mutate=mutate)


def case_approve_extension(*, actor: User, case_id: int, note: str = "") -> Case:
    def mutate(case, now):
        request = _request_pending(case, RequestKind.EXTENSION)
        # Approving a deadline that has already passed would grant nothing but an overdue step.
        if request.requested_deadline <= now:
            raise ApplicationError(_("申请的延期时限已过，不能批准；请驳回后由部门重新申请。"),
                                   extra={"field": "requested_deadline"})
        _request_decide(request, actor, now, approved=True, note=note)
        step = steps.step_current(case, StepKind.HANDLE)
        old = step.deadline
        step.deadline = request.requested_deadline
        # The moved deadline is watched afresh: past it, the step is marked overdue again.
        step.overdue_marked_at = None
        step.save(update_fields=["deadline", "overdue_marked_at"])
        case.handle_deadline = case.current_deadline = step.deadline
        case.extension_count += 1
        return {"request_id": request.pk, "old_deadline": old.isoformat(), "deadline": step.deadline.isoformat()}

    return _apply(actor=actor, case_id=case_id, action=Action.APPROVE_EXTENSION, note=note, mutate=mutate)


def case_deny_extension(*, actor: User, case_id: int, note: str) -> Case:
    def mutate(case, now):
        request = _request_pending(case, RequestKind.EXTENSION)
        _request_decide(request, actor, now, approved=False, note=note)
        return {"request_id": request.pk}

    return _apply(actor=actor, case_id=case_id, action=Action.DENY_EXTENSION, note=note, mutate=mutate)


def suspension_until_moment(until: date, now: datetime) -> datetime:
    """The instant a suspension asked or granted until `until` ends: the start of that day, city
    time (the case resumes on that day). Refused unless after today and at most
    SUSPENSION_MAX_DAYS ahead."""
    if isinstance(until, datetime):
        until = timezone.localtime(until).date()
    today = timezone.localtime(now).date()
    if until <= today:
        raise ApplicationError(_("挂账至的日期必须晚于今天。"), extra={"field": "until"})
    latest = today + timedelta(days=settings.SUSPENSION_MAX_DAYS)
    if until > latest:
        raise ApplicationError(_("挂账最长 %(days)s 天，请选择 %(latest)s 或更早的日期。") % {
            "days": settings.SUSPENSION_MAX_DAYS, "latest": latest.isoformat()}, extra={"field": "until"})
    return local_midnight(until)


def case_request_suspension(*, actor: User, case_id: int, until: date, note: str) -> Case:
    """A department asks to suspend (挂账) the case until a date, when it resumes by itself."""

    def mutate(case, now):
        moment = suspension_until_moment(until, now)
        request = _request_open(case, RequestKind.SUSPENSION, actor, now, note, requested_deadline=moment)
        return {"request_id": request.pk, "until": moment.isoformat()}

    return _apply(actor=actor, case_id=case_id, action=Action.REQUEST_SUSPENSION, note=note, mutate=mutate)


def case_approve_suspension(*, actor: User, case_id: int, until: date | None = None, note: str = "") -> Case:
    """Suspend (挂账) the case until the date the department asked for, or another the approver
    gives: its handling clock stops, and cases.suspensions resumes it on that day."""

    def mutate(case, now):
        request = _request_pending(case, RequestKind.SUSPENSION)
        if until is not None:
            moment = suspension_until_moment(until, now)
        elif request.requested_deadline is not None:
            moment = request.requested_deadline
            if moment <= now:
                raise ApplicationError(_("申请的挂账日期已过，请另填挂账至的日期。"), extra={"field": "until"})
        else:  # a request filed before suspensions had a date
            raise ApplicationError(str(ARGUMENT_MISSING["until"]), extra={"field": "until"})
        _request_decide(request, actor, now, approved=True, note=note)
        case.suspension_count += 1
        case.suspended_until, case.suspension_reminded_at = moment, None
        return {"request_id": request.pk, "until": moment.isoformat()}

    return _apply(actor=actor, case_id=case_id, action=Action.APPROVE_SUSPENSION, note=note, mutate=mutate)


def case_deny_suspension(*, actor: User, case_id: int, note: str) -> Case:
    def mutate(case, now):
        request = _request_pending(case, RequestKind.SUSPENSION)
        _request_decide(request, actor, now, approved=False, note=note)
        return {"request_id": request.pk}

    return _apply(actor=actor, case_id=case_id, action=Action.DENY_SUSPENSION, note=note, mutate=mutate)


def case_resume(*, actor: User | None, case_id: int, note: str = "") -> Case:
    """End a suspension: the handling clock was paused, so its deadline moves on by the working
    time the case spent suspended. By a person at any time, by the system (actor None) only once
    the suspension's date has come."""

    def mutate(case, now):
        if actor is None and (case.suspended_until is None or case.suspended_until > now):
            raise ApplicationError(_("挂账尚未到期。"))
        until = case.suspended_until
        case.suspended_until = case.suspension_reminded_at = None
        request = (
            CaseRequest.objects.filter(case=case, kind=RequestKind.SUSPENSION, status=RequestStatus.APPROVED)
            .order_by("-decided_at")
            .first()
        )
        step = steps.step_current(case, StepKind.HANDLE)
        calendar = WorkCalendar.for_department(case.department_id)
        paused = calendar.work_seconds_between(request.decided_at, now) if request else 0.0
        old = step.deadline
        step.deadline = calendar.add_work_time(step.deadline, hours=paused / 3600) if paused else step.deadline
        step.overdue_marked_at = None
        step.save(update_fields=["deadline", "overdue_marked_at"])
        case.handle_deadline = case.current_deadline = step.deadline
        return {"paused_work_seconds": round(paused), "old_deadline": old.isoformat(),
                "deadline": step.deadline.isoformat(), "until": until.isoformat() if until else None,
                "automatic": actor is None}

    return _apply(actor=actor, case_id=case_id, action=Action.RESUME, note=note, mutate=mutate)


def case_report_handled(*, actor: User, case_id: int, note: str = "", position: Position | None = None) -> Case:
    """The department reports the case handled (photos are attached by cases.services in the same
    transaction)."""

    def mutate(case, now):
        # A joint dispatch is handled when the lead reports and every assisting part is done: the
        # lead reporting first is refused, naming who is still working, and reports again later.
        waiting = list(CaseAssist.objects.filter(case=case, completed_at__isnull=True).order_by("pk")
                       .values_list("department__name", flat=True))
        if waiting:
            raise ConflictError(_("协办部门（%(names)s）尚未报告协办完成，主办部门暂不能反馈处置。")
                                % {"names": "、".join(waiting)}, extra={"state": case.state, "waiting": waiting})
        step = steps.step_complete(case, now, actor=actor, kind=StepKind.HANDLE)
        CaseRequest.objects.filter(case=case, status=RequestStatus.PENDING).update(
            status=RequestStatus.DENIED, decided_at=now, decision_note=_("案件已处置")
        )
        case.handled_at = now
        case.handled_on_time = step.on_time if step else None
        steps.step_open(case, StepKind.CHECK, now)
        return {"on_time": case.handled_on_time, **position_payload(case, position)}

    return _apply(actor=actor, case_id=case_id, action=Action.REPORT_HANDLED, note=note, mutate=mutate)


def case_assist_done(*, actor: User, case_id: int, note: str = "") -> Case:
    """An assisting department (协办) reports its part of a joint dispatch done."""

    def mutate(case, now):
        assist = row_by_key(CaseAssist.objects.filter(case=case, department_id=actor.department_id,
                                                      completed_at__isnull=True).select_related("department"))
        if assist is None:
            raise ApplicationError(_("本部门没有该案件待完成的协办任务。"))
        assist.completed_at, assist.completed_by, assist.note = now, actor, note
        assist.save(update_fields=["completed_at", "completed_by", "note"])
        return {"department": assist.department.name, "on_time": now <= assist.deadline}

    return _apply(actor=actor, case_id=case_id, action=Action.ASSIST_DONE, note=note, mutate=mutate)


# --- check and close ------------------------------------------------------------------------

def case_send_check(*, actor: User, case_id: int, note: str = "") -> Case:
    def mutate(case, now):
        # The task is due when the running check step is (the step opened when the case was handled).
        deadline = case.current_deadline if case.current_step == StepKind.CHECK else steps.step_deadline(
            case, StepKind.CHECK, now)
        task = Task.objects.create(
            case=case, kind=TaskKind.CHECK, responsibility_grid_id=case.responsibility_grid_id,
            created_by=actor, created_at=now, deadline=deadline,
        )
        return {"task_id": task.pk, "deadline": task.deadline.isoformat()}

    return _apply(actor=actor, case_id=case_id, action=Action.SEND_CHECK, note=note, mutate=mutate)


def case_check_pass(*, actor: User, case_id: int, note: str = "", position: Position | None = None) -> Case:
    def mutate(case, now):
        task = _task_complete(case, TaskKind.CHECK, actor, now, result=True, note=note, position=position)
        steps.step_complete(case, now, actor=actor, kind=StepKind.CHECK)
        steps.step_open(case, StepKind.CLOSE, now)
        return {"task_id": task.pk, **position_payload(case, position)}

    return _apply(actor=actor, case_id=case_id, action=Action.CHECK_PASS, note=note, mutate=mutate)


def case_check_fail(*, actor: User, case_id: int, note: str, position: Position | None = None) -> Case:
    """Rework (返工): back to the same department with a new handling deadline."""

    def mutate(case, now):
        task = _task_complete(case, TaskKind.CHECK, actor, now, result=False, note=note, position=position,
                              required=False)
        steps.step_complete(case, now, actor=actor, kind=StepKind.CHECK)
        case.rework_count += 1
        _handling_open(case, now)
        return {"task_id": task.pk if task else None, "deadline": case.handle_deadline.isoformat(),
                **position_payload(case, position)}

    return _apply(actor=actor, case_id=case_id, action=Action.CHECK_FAIL, note=note, mutate=mutate)


def case_close(*, actor: User, case_id: int, note: str = "") -> Case:
    """Close (结案). A case is closed on time when its handling was on time and the closure
    itself came within the close step's limit."""

    def mutate(case, now):
        step = steps.step_complete(case, now, actor=actor, kind=StepKind.CLOSE)
        case.closed_at = now
        case.closed_on_time = bool(case.handled_on_time) and (step.on_time if step else True)
        case.current_step, case.current_deadline, case.current_step_started_at = "", None, None
        return {"on_time": case.closed_on_time}

    return _apply(actor=actor, case_id=case_id, action=Action.CLOSE, note=note, mutate=mutate)


def case_reopen(*, actor: User, case_id: int, note: str) -> Case:
    """A dissatisfied callback sends a closed case back to its department as rework."""

    def mutate(case, now):
        if case.department_id is None:
            raise ApplicationError(_("该案件没有处置部门，无法重新处置。"))
        case.closed_at = None
        case.closed_on_time = None
        case.rework_count += 1
        _handling_open(case, now)
        return {"deadline": case.handle_deadline.isoformat()}

    return _apply(actor=actor, case_id=case_id, action=Action.REOPEN, note=note, mutate=mutate)


def case_urge(*, actor: User, case_id: int, note: str) -> Case:
    def mutate(case, now):
        case.urge_count += 1
        return {"step": case.current_step, "deadline": case.current_deadline.isoformat()
                if case.current_deadline else None}

    return _apply(actor=actor, case_id=case_id, action=Action.URGE, note=note, mutate=mutate)


# --- joint review (疑难案卷联合会审) --------------------------------------------------------------

def review_deadline_moment(deadline: date, now: datetime) -> datetime:
    """The end (city time) of the day a joint review set for the case to be done; after today."""
    if isinstance(deadline, datetime):
        deadline = timezone.localtime(deadline).date()
    if deadline <= timezone.localtime(now).date():
        raise ApplicationError(_("会审确定的办结日期必须晚于今天。"), extra={"field": "deadline"})
    return local_midnight(deadline + timedelta(days=1))


def _leave_department(case: Case, now: datetime, actor: User, action: str) -> str:
    """A dispatched case leaves its department by a review's decision: the handling step ends
    without a verdict (marked with the move, so the assessment counts no return), assisting tasks
    end, pending requests are refused. Returns the department's name."""
    previous = case.department.name if case.department else ""
    if case.current_step == StepKind.HANDLE:
        steps.step_complete(case, now, actor=actor, kind=StepKind.HANDLE, count_on_time=False, ended_by=action)
        _assists_end(case, now, action)
        CaseRequest.objects.filter(case=case, status=RequestStatus.PENDING).update(
            status=RequestStatus.DENIED, decided_at=now, decision_note=_("案件已提交联合会审"))
    return previous


def case_review_assign(*, actor: User, case_id: int, department_id: int, deadline: date, note: str = "") -> Case:
    """会审定责: a joint review names the owner department of a disputed case and the day by which
    it must be done. A filed case is dispatched (its dispatch step completes, with its verdict); a
    dispatched one leaves its department for the named one. The handling step is due at the end of
    that day, whatever the class's limit; the rest of the loop (handled, checked, closed) is as usual."""

    def mutate(case, now):
        department = _department_active(department_id)
        moment = review_deadline_moment(deadline, now)
        previous = _leave_department(case, now, actor, Action.REVIEW_ASSIGN)
        if case.current_step == StepKind.DISPATCH:
            steps.step_complete(case, now, actor=actor, kind=StepKind.DISPATCH)
            case.dispatched_at = now
        case.department = department
        step = steps.step_open(case, StepKind.HANDLE, now, department_id=department.pk, deadline=moment)
        case.handle_deadline = step.deadline
        case.handled_at = None
        case.handled_on_time = None
        return {"department": department.name, "from_department": previous, "deadline": moment.isoformat()}

    return _apply(actor=actor, case_id=case_id, action=Action.REVIEW_ASSIGN, note=note, mutate=mutate)


def case_review_void(*, actor: User, case_id: int, note: str) -> Case:
    """会审作废: a joint review finds the case is nobody's to handle (not a problem of the city's,
    already gone, …) and voids it with its reason."""

    def mutate(case, now):
        previous = _leave_department(case, now, actor, Action.REVIEW_VOID)
        Task.objects.filter(case=case, completed_at__isnull=True).update(completed_at=now, completed_by=actor)
        steps.steps_close_all(case, now)
        case.voided_at = now
        return {"department": previous}

    return _apply(actor=actor, case_id=case_id, action=Action.REVIEW_VOID, note=note, mutate=mutate)


# The API and the pages find the function for an action here.
ACTIONS: dict[Action, Callable[..., Case]] = {
    Action.SEND_VERIFY: case_send_verify,
    Action.VERIFY: case_verify,
    Action.PROPOSE_FILE: case_propose_file,
    Action.FILE: case_file,
    Action.VOID: case_void,
    Action.MERGE: case_merge,
    Action.DISPATCH: case_dispatch,
    Action.JOINT_DISPATCH: case_joint_dispatch,
    Action.REDISPATCH: case_redispatch,
    Action.WITHDRAW: case_withdraw,
    Action.RETURN: case_return,
    Action.REQUEST_EXTENSION: case_request_extension,
    Action.APPROVE_EXTENSION: case_approve_extension,
    Action.DENY_EXTENSION: case_deny_extension,
    Action.REQUEST_SUSPENSION: case_request_suspension,
    Action.APPROVE_SUSPENSION: case_approve_suspension,
    Action.DENY_SUSPENSION: case_deny_suspension,
    Action.RESUME: case_resume,
    Action.REPORT_HANDLED: case_report_handled,
    Action.ASSIST_DONE: case_assist_done,
    Action.SEND_CHECK: case_send_check,
    Action.CHECK_PASS: case_check_pass,
    Action.CHECK_FAIL: case_check_fail,
    Action.CLOSE: case_close,
    Action.REOPEN: case_reopen,
    Action.URGE: case_urge,
    Action.REVIEW_ASSIGN: case_review_assign,
    Action.REVIEW_VOID: case_review_void,
}
assert set(ACTIONS) == set(TRANSITIONS), "every transition needs exactly one workflow function"
