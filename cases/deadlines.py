"""Deadlines that follow the work calendar: when working days or work windows change, every running
step whose deadline the change touches is recomputed from its start, batch by batch, each changed
case logged (`deadline_recompute` event: old deadline, new deadline, why). Completed steps are never
touched, so a verdict once given (and a frozen month's assessment) stays as it was.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from grids.models import MinorClass

from .calendar import CalendarSnapshot, calendar_cache_clear, calendar_snapshot_load, local_midnight
from .models import Case, CaseEvent, CaseStep, StepKind, Task, TaskKind, WorkSchedule
from .outbox import outbox_enqueue
from .services import steps_mark_overdue
from .steps import deadline_on, minor_handling_limit

logger = logging.getLogger(__name__)

ACTION = "deadline_recompute"
BATCH = 2000
TASK = "cases.deadlines_recompute"
# The open task whose deadline is the running step's (cases.workflow opens them together).
_TASK_OF_STEP = {StepKind.VERIFY: TaskKind.VERIFY, StepKind.CHECK: TaskKind.CHECK}


@dataclass
class RecomputeResult:
    examined: int = 0  # running steps the change could touch
    changed: int = 0  # steps (and so cases) whose deadline moved
    kept: int = 0  # steps whose deadline a decision set (extension, resume): left as granted
    moved_past: int = 0  # changed deadlines now behind `now`, not yet marked overdue
    seconds: float = 0.0


# --- what a change sends -------------------------------------------------------------------------

def deadlines_recompute_enqueue(*, reason: str, old_days: dict[date, bool] | None = None,
                                old_schedule: tuple[int | None, tuple[str, bool] | None] | None = None,
                                actor_id: int | None = None) -> None:
    """Ask for the recompute after the caller's transaction commits (call it inside the transaction
    that changes the calendar). `old_days`: each changed day's answer *before* the change;
    `old_schedule`: (department id or None for the city default, its (windows, works_on_holidays)
    row before the change, or None if it had none). Sent through the outbox, so never lost."""
    transaction.on_commit(calendar_cache_clear)
    outbox_enqueue(task=TASK, kwargs={
        "reason": reason,
        "old_days": {day.isoformat(): answer for day, answer in (old_days or {}).items()},
        "old_schedule": None if old_schedule is None else [old_schedule[0], old_schedule[1] and list(old_schedule[1])],
        "actor_id": actor_id,
    })


# --- the recompute -------------------------------------------------------------------------------

def deadlines_recompute(*, reason: str, old_days: dict[date, bool] | None = None,
                        old_schedule: tuple[int | None, tuple[str, bool] | None] | None = None,
                        actor_id: int | None = None, now: datetime | None = None,
                        batch: int = BATCH) -> RecomputeResult:
    """Recompute, from its start, the deadline of every running step the change touches; the
    calendar after the change is the database's, the one before it is that one with `old_days`
    and `old_schedule` put back.

    A step is recomputed only if its deadline is the one the old calendar gives: a deadline set by
    a decision (an extension granted to a date, a resume that added the time spent suspended) is
    kept as granted and counted in `kept`. Safe to run twice: a second run finds the deadlines
    already the new calendar's. Each batch is one transaction with its cases locked (the workflow
    locks the same rows, so a move waits or is waited for, and never completes a step whose deadline
    is being rewritten under it)."""
    started = time.perf_counter()
    now = now or timezone.now()
    calendar_cache_clear()
    new = calendar_snapshot_load()
    old = new.patched(days=old_days, schedule=old_schedule)
    candidates = _candidates(old_days, old_schedule)
    minors = {row["pk"]: _Limits(**{k: v for k, v in row.items() if k != "pk"}) for row in MinorClass.objects.values(
        "pk", "limit_normal", "limit_urgent", "limit_engineering", "limit_unit")}
    result = RecomputeResult()
    if candidates is None:
        return result
    # The candidates' keys once (one scan), then batch by batch by key range: each batch re-reads
    # its rows under its cases' locks, so a step completed meanwhile is left alone.
    keys = list(candidates.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(keys), batch):
        chunk = keys[start:start + batch]
        _batch(candidates.filter(pk__gte=chunk[0], pk__lte=chunk[-1]), old=old, new=new, minors=minors,
               reason=reason, actor_id=actor_id, now=now, result=result)
    # Deadlines moved into the past are marked overdue (and logged) now, not at the next beat
    # (a year entered ahead of time moves none there: no scan for it then).
    if result.moved_past:
        steps_mark_overdue(now=now)
    result.seconds = time.perf_counter() - started
    logger.info("deadlines recomputed (%s): %d running steps examined, %d changed, %d kept as decided, %.1f s",
                reason, result.examined, result.changed, result.kept, result.seconds)
    return result


@dataclass(frozen=True)
class _Limits:
    limit_normal: int
    limit_urgent: int
    limit_engineering: int
    limit_unit: str


def _candidates(old_days, old_schedule):
    """The running steps a change can touch, or None when it touches none. A changed day X moves a
    deadline only if X lies between the day the step started and the day of its deadline (a later
    day is never counted, an earlier one was never reached)."""
    running = CaseStep.objects.filter(completed_at__isnull=True)
    where = Q()
    if old_days:
        first, last = min(old_days), max(old_days)
        where |= Q(started_at__lt=local_midnight(last + timedelta(days=1)), deadline__gte=local_midnight(first))
    if old_schedule is not None:
        department_id = old_schedule[0]
        # A department's windows count for its handling steps; the city default's for every other
        # step and for the handling of departments without their own row (found by comparison).
        where |= Q(kind=StepKind.HANDLE, department_id=department_id) if department_id is not None else Q(pk__gt=0)
    if not where:
        return None
    return running.filter(where)


_STEP_COLUMNS = ["pk", "case_id", "kind", "department_id", "started_at", "deadline", "overdue_marked_at",
                 "case__state", "case__current_step", "case__current_deadline", "case__urgency", "case__minor_id"]


def _batch(candidates, *, old: CalendarSnapshot, new: CalendarSnapshot, minors, reason, actor_id, now,
           result: RecomputeResult) -> None:
    with transaction.atomic():
        # The batch's cases are locked first (FOR NO KEY UPDATE, the workflow's lock, in pk order
        # like every place that locks several cases): a move waits for the batch, or the batch
        # waits for the move and then reads its result (a step it completed is no longer running).
        list(Case.objects.select_for_update(no_key=True).filter(pk__in=candidates.values("case_id"))
             .order_by("pk").values_list("pk", flat=True))
        rows = candidates.filter(completed_at__isnull=True).values_list(*_STEP_COLUMNS)
        steps, cases, tasks, events = [], [], [], []
        for (pk, case_id, kind, department_id, started_at, deadline, marked, state, current_step, current_deadline,
             urgency, minor_id) in rows:
            result.examined += 1
            limit = minor_handling_limit(minors[minor_id], urgency) if kind == StepKind.HANDLE else None
            before = deadline_on(kind, started_at, limit=limit, department_id=department_id,
                                 calendar_for=old.calendar_for)
            if before != deadline:
                result.kept += 1
                continue
            after = deadline_on(kind, started_at, limit=limit, department_id=department_id,
                                calendar_for=new.calendar_for)
            if after == deadline:
                continue
            result.changed += 1
            # A deadline moved past now is watched afresh (as after an extension); one still past
            # keeps its mark, one newly past is marked by steps_mark_overdue after the batches.
            steps.append((pk, after, None if after > now else marked))
            result.moved_past += after <= now and marked is None
            if current_step == kind and current_deadline == deadline:
                cases.append((case_id, after, kind == StepKind.HANDLE))
            if kind in _TASK_OF_STEP:
                tasks.append((case_id, str(_TASK_OF_STEP[kind]), deadline, after))
            events.append((case_id, state, {"step": kind, "old": deadline.isoformat(), "new": after.isoformat(),
                                            "reason": reason}))
        if not steps:
            return
        if connection.vendor == "postgresql":
            _write_postgresql(steps, cases, tasks, events, reason=reason, actor_id=actor_id, now=now)
        else:
            _write_orm(steps, cases, tasks, events, reason=reason, actor_id=actor_id, now=now)


def _write_postgresql(steps, cases, tasks, events, *, reason, actor_id, now) -> None:
    """The batch's writes as one statement per table over unnest()ed arrays: a handful of
    parameters instead of thousands (Django's bulk_update compiles a CASE of every row per column,
    bulk_create a placeholder per value; both cost more Python than the database's work here)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_casestep AS t SET deadline = v.deadline, overdue_marked_at = v.marked "
            "FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) AS v(id, deadline, marked) "
            "WHERE t.id = v.id", _columns(steps))
        if cases:
            cursor.execute(
                "UPDATE cases_case AS t SET current_deadline = v.deadline, updated_at = %s, handle_deadline = "
                "CASE WHEN v.handle THEN v.deadline ELSE t.handle_deadline END "
                "FROM unnest(%s::bigint[], %s::timestamptz[], %s::boolean[]) AS v(id, deadline, handle) "
                "WHERE t.id = v.id", [now, *_columns(cases)])
        if tasks:
            cursor.execute(
                "UPDATE cases_task AS t SET deadline = v.new "
                "FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::timestamptz[]) AS v(case_id, kind, old, new) "
                "WHERE t.case_id = v.case_id AND t.kind = v.kind AND t.completed_at IS NULL AND t.deadline = v.old",
                _columns(tasks))
        case_ids, states, payloads = _columns(events)
        cursor.execute(
            "INSERT INTO cases_caseevent (case_id, action, from_state, to_state, actor_id, created_at, note, payload) "
            "SELECT v.case_id, %s, v.state, v.state, %s, %s, %s, v.payload::jsonb "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(case_id, state, payload)",
            [ACTION, actor_id, now, reason, case_ids, states, [json.dumps(payload) for payload in payloads]])


def _columns(rows: list[tuple]) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)]


def _write_orm(steps, cases, tasks, events, *, reason, actor_id, now) -> None:
    CaseStep.objects.bulk_update(
        [CaseStep(pk=pk, deadline=deadline, overdue_marked_at=marked) for pk, deadline, marked in steps],
        ["deadline", "overdue_marked_at"])
    for pk, deadline, is_handle in cases:
        fields = {"current_deadline": deadline, "updated_at": now}
        if is_handle:
            fields["handle_deadline"] = deadline
        Case.objects.filter(pk=pk).update(**fields)
    for case_id, kind, old, new in tasks:
        Task.objects.filter(case_id=case_id, kind=kind, completed_at__isnull=True, deadline=old).update(deadline=new)
    CaseEvent.objects.bulk_create([
        CaseEvent(case_id=case_id, action=ACTION, from_state=state, to_state=state, actor_id=actor_id,
                  created_at=now, note=reason, payload=payload)
        for case_id, state, payload in events
    ])


# --- department work windows ---------------------------------------------------------------------

def work_schedule_save(*, schedule: WorkSchedule, actor=None) -> WorkSchedule:
    """Save a work-windows row (admin) and have the running deadlines it touches recomputed: those
    of its department's handling, or for the city default every step on the default calendar.
    A row moved to another department changes both departments' calendars."""
    with transaction.atomic():
        before = {}
        if schedule.pk:
            previous = WorkSchedule.objects.select_for_update().filter(pk=schedule.pk).first()
            if previous is not None:
                before[previous.department_id] = (previous.windows, previous.works_on_holidays)
        if schedule.department_id not in before:
            existing = WorkSchedule.objects.filter(department_id=schedule.department_id).exclude(pk=schedule.pk)
            row = existing.values_list("windows", "works_on_holidays").first()
            before[schedule.department_id] = tuple(row) if row else None
        schedule.save()
        for department_id, row in before.items():
            if department_id == schedule.department_id and row == (schedule.windows, schedule.works_on_holidays):
                continue
            deadlines_recompute_enqueue(reason=_schedule_reason(department_id), old_schedule=(department_id, row),
                                        actor_id=getattr(actor, "pk", None))
        transaction.on_commit(calendar_cache_clear)
    return schedule


def work_schedule_delete(*, schedule: WorkSchedule, actor=None) -> None:
    """Delete a work-windows row (the department then works the city default's) and recompute."""
    with transaction.atomic():
        row = (schedule.windows, schedule.works_on_holidays)
        department_id = schedule.department_id
        schedule.delete()
        deadlines_recompute_enqueue(reason=_schedule_reason(department_id), old_schedule=(department_id, row),
                                    actor_id=getattr(actor, "pk", None))
        transaction.on_commit(calendar_cache_clear)


def _schedule_reason(department_id: int | None) -> str:
    from grids.models import Department

    if department_id is None:
        return gettext("全市默认工作时段调整")
    name = Department.objects.filter(pk=department_id).values_list("name", flat=True).first() or department_id
    return gettext("%(department)s 工作时段调整") % {"department": name}
