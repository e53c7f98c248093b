"""Where the work calendar rests on a guess: the years that neither chinese-calendar nor the city
knows, reached by a running deadline or by the coming HORIZON_DAYS. Read by the system check
(cases.checks), the banners of the admin and the shift leader's page, the daily log line and the
overview's health line."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext

from .calendar import CACHE_DEPENDENTS, WorkCalendar, local_midnight
from .models import CaseStep

HORIZON_DAYS = 60
# The report costs two queries; pages showing it on every request share it for this long.
HEALTH_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class CalendarHealth:
    today: date
    horizon_days: int
    # Years answered by the weekday fallback that a running deadline or the horizon reaches.
    fallback_years: tuple[int, ...]
    # Running steps whose span from start to deadline crosses such a year.
    running_steps: int
    horizon_on_fallback: bool

    @property
    def ok(self) -> bool:
        return not self.fallback_years

    def message(self, *, for_administrator: bool = True) -> str:
        """What is known, and what to do about it: how to enter the year for whoever can (the
        admin, the system check, the log), whom to ask for everyone else (calendar_entry_allowed)."""
        if self.ok:
            return gettext("工作日历完整：在办时限和未来 %(days)d 天均按已知的节假日安排计算。") % {
                "days": self.horizon_days}
        values = {
            "years": "、".join(str(year) for year in self.fallback_years),
            "steps": self.running_steps,
            "horizon": gettext("和未来 %(days)d 天") % {"days": self.horizon_days} if self.horizon_on_fallback else "",
        }
        if not for_administrator:
            return gettext(
                "%(years)s 年的法定节假日和调休尚未录入：%(steps)d 个在办环节的时限%(horizon)s按周一至周五推算，"
                "节假日会被当作工作日。请联系系统管理员按国务院办公厅公布的放假安排录入工作日历。"
            ) % values
        return gettext(
            "%(years)s 年的法定节假日和调休尚未录入：%(steps)d 个在办环节的时限%(horizon)s按周一至周五推算，"
            "节假日会被当作工作日。请按国务院办公厅公布的放假安排，在管理后台“工作日历调整 › 录入年度安排”中录入"
            "（或运行 manage.py calendar_import）。"
        ) % values


def calendar_entry_allowed(user) -> bool:
    """Whether the person can enter a year themselves (admin › 工作日历调整 › 录入年度安排 asks
    the same permission); everyone else is told to ask an administrator."""
    return bool(user and user.is_active and user.is_staff and user.has_perm("cases.add_calendarday"))


def calendar_health(*, now: datetime | None = None, use_cache: bool = True) -> CalendarHealth:
    """The report for the city's calendar (a 24-hour department never rests on the fallback, but
    every case has steps on the city calendar). Cached per process for HEALTH_TTL_SECONDS unless
    `now` is given; calendar_cache_clear() forgets it."""
    global _cached
    if now is None and use_cache:
        cached = _cached
        if cached is not None and time.monotonic() - cached[0] < HEALTH_TTL_SECONDS:
            return cached[1]
    report = _compute(now or timezone.now())
    if use_cache:
        with _lock:
            _cached = (time.monotonic(), report)
    return report


def calendar_health_clear() -> None:
    global _cached
    with _lock:
        _cached = None


_cached: tuple[float, CalendarHealth] | None = None
_lock = threading.Lock()
CACHE_DEPENDENTS.append(calendar_health_clear)


def _compute(now: datetime) -> CalendarHealth:
    calendar = WorkCalendar.for_department(None)
    today = timezone.localtime(now).date()
    horizon_years = calendar.fallback_years(today, today + timedelta(days=HORIZON_DAYS))
    running = CaseStep.objects.filter(completed_at__isnull=True)
    # The latest deadline that is still ahead: read backwards on the partial index of open steps
    # not yet marked overdue (a marked step's deadline is past).
    latest = running.filter(overdue_marked_at__isnull=True).aggregate(latest=Max("deadline"))["latest"]
    years = set(horizon_years)
    steps = 0
    if latest is not None:
        # A step started up to a year ago may still run; a year before that is known anyway.
        last_day = max(timezone.localtime(latest).date(), today)
        candidates = calendar.fallback_years(today - timedelta(days=366), last_day)
        if candidates:
            crosses = Q()
            for year in candidates:
                crosses |= Q(deadline__gte=local_midnight(date(year, 1, 1)),
                             started_at__lt=local_midnight(date(year + 1, 1, 1)))
            counts = running.filter(crosses).aggregate(total=Count("pk"), **{
                f"y{year}": Count("pk", filter=Q(deadline__gte=local_midnight(date(year, 1, 1)),
                                                 started_at__lt=local_midnight(date(year + 1, 1, 1))))
                for year in candidates})
            steps = counts.pop("total")
            years.update(int(name[1:]) for name, n in counts.items() if n)
    return CalendarHealth(today=today, horizon_days=HORIZON_DAYS, fallback_years=tuple(sorted(years)),
                          running_steps=steps, horizon_on_fallback=bool(horizon_years))

