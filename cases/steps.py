"""The clock of a case: opening and completing its steps, with deadlines on the work calendar, and
the traffic light of the running step (traffic_light_of, a read for the pages and the API).

The writes are called only from cases.workflow and cases.services inside their transactions; they
change the case object in memory (the caller saves it) and write CaseStep rows.
"""
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from django.conf import settings

from .calendar import WorkCalendar, traffic_light
from .models import Case, CaseEvent, CaseStep, State, StepKind, Urgency
from .transitions import Action


def handling_limit(case: Case) -> tuple[int, str]:
    """The handling limit from the case's class and urgency: (amount, unit)."""
    return minor_handling_limit(case.minor, case.urgency)


def minor_handling_limit(minor, urgency: str) -> tuple[int, str]:
    """The handling limit of a class (a MinorClass, or any object with its limit fields) at an
    urgency: (amount, unit)."""
    amount = {
        Urgency.URGENT: minor.limit_urgent,
        Urgency.ENGINEERING: minor.limit_engineering,
    }.get(urgency, minor.limit_normal)
    return amount, minor.limit_unit


def step_deadline(case: Case | None, kind: str, start: datetime, *, department_id: int | None = None) -> datetime:
    """When a step of `kind` started at `start` is due (the case matters only for handling, whose
    limit depends on its class and urgency)."""
    return deadline_on(kind, start, limit=handling_limit(case) if kind == StepKind.HANDLE else None,
                       department_id=department_id, calendar_for=WorkCalendar.for_department)


def deadline_on(kind: str, start: datetime, *, limit: tuple[int, str] | None, department_id: int | None,
                calendar_for: Callable[[int | None], WorkCalendar]) -> datetime:
    """A step's deadline on the calendars `calendar_for` gives (cases.deadlines recomputes with the
    calendars before and after a change): handling on its department's calendar with the class's
    `limit`, every other step on the city's with STEP_LIMITS_HOURS."""
    if kind == StepKind.HANDLE:
        amount, unit = limit
        return calendar_for(department_id).deadline(start, amount=amount, unit=unit)
    return calendar_for(None).add_work_time(start, hours=settings.STEP_LIMITS_HOURS[kind])


def step_open(case: Case, kind: str, now: datetime, *, department_id: int | None = None,
              deadline: datetime | None = None) -> CaseStep:
    """Start a clocked step and make it the case's current step."""
    step = CaseStep.objects.create(
        case=case, kind=kind, department_id=department_id, started_at=now,
        deadline=deadline or step_deadline(case, kind, now, department_id=department_id),
    )
    case.current_step = kind
    case.current_deadline = step.deadline
    case.current_step_started_at = now
    return step


def step_current(case: Case, kind: str | None = None) -> CaseStep | None:
    steps = CaseStep.objects.filter(case=case, completed_at__isnull=True)
    if kind:
        steps = steps.filter(kind=kind)
    return steps.order_by("-started_at", "-pk").first()


class CompletedStep(NamedTuple):
    kind: str
    deadline: datetime
    on_time: bool | None


def step_complete(case: Case, now: datetime, *, actor=None, kind: str | tuple[str, ...],
                  count_on_time: bool = True, ended_by: str = "") -> CompletedStep | None:
    """Complete the case's running step if it is of `kind` (one kind or a tuple): record when, by
    whom and whether within its deadline (a step ended by a return, redispatch or withdrawal gets no
    verdict but `ended_by`, the move; nor one the case holds no deadline for).

    The running step is the case's own `current_step` and `current_deadline`, which step_open and
    every deadline change write together with the step under the case's row lock, so the verdict
    needs no read of the step: one UPDATE of the open step, where a SELECT and an UPDATE were."""
    kinds = (kind,) if isinstance(kind, str) else kind
    if case.current_step not in kinds:
        return None
    on_time = (now <= case.current_deadline) if count_on_time and case.current_deadline else None
    completed = CaseStep.objects.filter(case=case, kind=case.current_step, completed_at__isnull=True).update(
        completed_at=now, completed_by=actor, on_time=on_time, work_minutes=step_work_minutes(case, now),
        **({"ended_by": ended_by} if ended_by else {}))
    if not completed:
        return None
    return CompletedStep(case.current_step, case.current_deadline, on_time)


def step_work_minutes(case: Case, now: datetime) -> int | None:
    """The working minutes the case's running step has taken at `now` (whole minutes, rounded
    down): its working time on the calendar its deadline runs on (the department's for handling,
    the city's for the command center's steps, as in deadline_on), less the working time it spent
    suspended (each resume's `paused_work_seconds`). None when the case holds no start for it."""
    started = case.current_step_started_at
    if not case.current_step or started is None:
        return None
    handling = case.current_step == StepKind.HANDLE
    calendar = WorkCalendar.for_department(case.department_id if handling else None)
    seconds = calendar.work_seconds_between(started, now)
    if handling and case.suspension_count:
        for payload in CaseEvent.objects.filter(case=case, action=Action.RESUME, created_at__gte=started,
                                                created_at__lte=now).values_list("payload", flat=True):
            seconds -= (payload or {}).get("paused_work_seconds", 0)
    return max(int(seconds // 60), 0)


def steps_close_all(case: Case, now: datetime) -> None:
    """End every open step without a verdict (void, merge) and clear the case's clock; the running
    step gets its working minutes (step_work_minutes), any other open one none."""
    if case.current_step:
        CaseStep.objects.filter(case=case, kind=case.current_step, completed_at__isnull=True).update(
            completed_at=now, work_minutes=step_work_minutes(case, now))
    CaseStep.objects.filter(case=case, completed_at__isnull=True).update(completed_at=now)
    case.current_step = ""
    case.current_deadline = None
    case.current_step_started_at = None


def traffic_light_of(case: Case, *, now: datetime) -> str | None:
    """green / yellow / red for the current step, or None when no step is running or the clock is
    paused (a suspended case)."""
    if case.state == State.SUSPENDED:
        return None
    if not case.current_deadline or not case.current_step_started_at:
        return None
    return traffic_light(started_at=case.current_step_started_at, deadline=case.current_deadline, now=now)
