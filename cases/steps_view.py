"""Presentation of a case's clock: the traffic light of its current step."""
from datetime import datetime

from .calendar import traffic_light
from .models import Case, State


def traffic_light_of(case: Case, *, now: datetime) -> str | None:
    """green / yellow / red for the current step, or None when no step is running or the clock is
    paused (a suspended case)."""
    if case.state == State.SUSPENDED:
        return None
    if not case.current_deadline or not case.current_step_started_at:
        return None
    return traffic_light(started_at=case.current_step_started_at, deadline=case.current_deadline, now=now)
