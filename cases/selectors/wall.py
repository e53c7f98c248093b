"""Reads of the overview's wall mode (大屏模式): today's figures, today's intake by hour, the newest
cases and the most overdue ones, all within the person's scope and in a fixed number of queries."""
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from grids.models import User

from ..models import CLOCK_RUNNING_STATES, OPEN_STATES, Case, State
from ..months import reported_since_q
from .scoped import case_list, cases_overdue, cases_visible

NEWEST_MAX = 12
OVERDUE_MAX = 8


def _midnight(now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def wall_figures(user: User, *, now: datetime) -> dict[str, int]:
    """Today's intake, open, overdue (clock running, deadline passed) and closed today (one query)."""
    midnight = _midnight(now)
    return cases_visible(user).aggregate(
        intake=Count("pk", filter=Q(reported_at__gte=midnight)),
        open=Count("pk", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("pk", filter=Q(state__in=CLOCK_RUNNING_STATES, current_deadline__lt=now)),
        closed=Count("pk", filter=Q(state=State.CLOSED, closed_at__gte=midnight)),
    )


def wall_intake_by_hour(user: User, *, now: datetime) -> dict[str, list[int]]:
    """Reports by hour of the city's day, today (up to now) and yesterday (one query)."""
    midnight = _midnight(now)
    yesterday = midnight - timedelta(days=1)
    rows = (
        cases_visible(user).filter(reported_since_q(yesterday), reported_at__gte=yesterday).order_by()
        .annotate(hour=TruncHour("reported_at", tzinfo=timezone.get_current_timezone()))
        .values("hour").annotate(n=Count("pk")).values_list("hour", "n")
    )
    today, before = [0] * 24, [0] * 24
    for hour, n in rows:
        local = timezone.localtime(hour)
        (today if local >= midnight else before)[local.hour] += n
    current = timezone.localtime(now).hour
    return {"today": today[: current + 1], "yesterday": before}


def wall_newest(user: User, *, limit: int = NEWEST_MAX) -> QuerySet[Case]:
    """The newest reports in scope, newest first (one query, related rows joined)."""
    return case_list(user).order_by("-reported_at", "-pk")[:limit]


def wall_overdue(user: User, *, limit: int = OVERDUE_MAX) -> QuerySet[Case]:
    """The cases overdue the longest, with their department (one query)."""
    return cases_overdue(user)[:limit]
