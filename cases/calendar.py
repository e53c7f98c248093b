"""The work calendar and the clock: which days are working days (and where each answer comes from),
the work windows inside them, deadlines in working hours or working days, working time between two
instants, the traffic light.
"""

from __future__ import annotations

import logging
import threading
import time as monotonic_time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from .models import CalendarDay, CalendarYear, WorkSchedule

logger = logging.getLogger(__name__)

# Overrides and schedules are tiny tables read on every case transition; a process keeps them
# for this long. Admin saves call calendar_cache_clear(), but only in their own process, so the
# TTL bounds how stale another worker can be.
CACHE_TTL_SECONDS = 60.0

# A calendar with no working day in ten years is misconfigured; stop instead of looping forever.
_MAX_SCAN_DAYS = 3660
# Per-calendar memo of day -> window instants; dropped wholesale when it grows past this.
_MAX_MEMO_DAYS = 4096
_DAY = timedelta(days=1)

Window = tuple[int, int]  # seconds after local midnight: [start, end), end may be 86400 (24:00)


def parse_windows(text: str) -> tuple[Window, ...]:
    """Parse "08:30-12:00,14:00-18:00" into sorted (start, end) seconds after midnight.

    "24:00" is allowed as an end ("00:00-24:00" is the whole day). Raises ValueError on an
    empty, malformed, reversed or overlapping list, so admin forms can validate with it.
    """
    windows = []
    for part in text.replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            start_text, end_text = (piece.strip() for piece in part.replace("–", "-").split("-"))
            start, end = _parse_clock(start_text), _parse_clock(end_text)
        except ValueError:
            raise ValueError(gettext("工作时段格式错误：%(part)r（应为 HH:MM-HH:MM）") % {"part": part}) from None
        if start >= end:
            raise ValueError(gettext("工作时段的结束应晚于开始：%(part)r") % {"part": part})
        windows.append((start, end))
    if not windows:
        raise ValueError(gettext("至少需要一个工作时段"))
    windows.sort()
    for (_, previous_end), (next_start, _) in zip(windows, windows[1:], strict=False):
        if next_start < previous_end:
            raise ValueError(gettext("工作时段重叠：%(text)r") % {"text": text})
    return tuple(windows)


def _parse_clock(text: str) -> int:
    hours, minutes = (int(piece) for piece in text.split(":"))
    if not (0 <= minutes < 60 and (0 <= hours < 24 or (hours == 24 and minutes == 0))):
        raise ValueError(text)
    return hours * 3600 + minutes * 60


class DaySource(StrEnum):
    """Where the answer "working day or not" for a date comes from."""

    CHINESE_CALENDAR = "chinese_calendar"  # the package's statutory holidays and adjusted days
    CITY = "city"  # a day or a year the city entered (CalendarDay, CalendarYear), or a 24-hour department
    FALLBACK = "fallback"  # nobody knows this year: Monday–Friday, a guess the administrator is warned of


DAY_SOURCE_LABELS = {
    DaySource.CHINESE_CALENDAR: gettext_lazy("法定节假日（chinese-calendar）"),
    DaySource.CITY: gettext_lazy("本市录入"),
    DaySource.FALLBACK: gettext_lazy("未录入，按周一至周五推算"),
}


@lru_cache(maxsize=8192)
def _statutory_answer(day: date) -> bool | None:
    """chinese-calendar's answer (holidays and adjusted working weekends), None for a year it does
    not know (it raises NotImplementedError there)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def local_midnight(day: date) -> datetime:
    """The start of `day` in the city (settings.TIME_ZONE), aware."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(settings.TIME_ZONE))


def statutory_known(day: date) -> bool:
    """Whether chinese-calendar knows the day's year."""
    return _statutory_answer(day) is not None


@dataclass(eq=False)
class WorkCalendar:
    """Working time for one department (or the city default).

    Window logic runs on the city's local wall clock (settings.TIME_ZONE); instants are compared
    and returned as aware datetimes, in the tzinfo of the start argument.
    """

    windows: tuple[Window, ...]
    works_on_holidays: bool = False
    overrides: dict[date, bool] = field(default_factory=dict)
    # Years whose schedule the city entered (CalendarYear): their days not in `overrides` are
    # Monday–Friday by the city's word, whatever chinese-calendar says or does not know.
    entered_years: frozenset[int] = frozenset()
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.TIME_ZONE))
    _memo: dict[date, tuple[tuple[datetime, datetime], ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def for_department(cls, department_id: int | None) -> WorkCalendar:
        """The department's schedule, else the city default row, else settings.WORK_WINDOWS;
        with the CalendarDay overrides. Cached per process for CACHE_TTL_SECONDS."""
        return _cached_snapshot().calendar_for(department_id)

    @classmethod
    def from_text(
        cls, windows: str, *, works_on_holidays: bool = False, overrides: dict[date, bool] | None = None
    ) -> WorkCalendar:
        return cls(parse_windows(windows), works_on_holidays, dict(overrides or {}))

    # -- days -------------------------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        """CalendarDay override first, then a year the city entered (Mon–Fri), then chinese-calendar,
        then Mon–Fri as a fallback (see day_source). A works_on_holidays department works every day."""
        return self.day_answer(day)[0]

    def day_source(self, day: date) -> DaySource:
        """Where is_workday's answer for `day` comes from."""
        return self.day_answer(day)[1]

    def day_answer(self, day: date) -> tuple[bool, DaySource]:
        if isinstance(day, datetime):
            day = self._local(day).date()
        if self.works_on_holidays:
            return True, DaySource.CITY
        override = self.overrides.get(day)
        if override is not None:
            return override, DaySource.CITY
        if day.year in self.entered_years:
            return day.weekday() < 5, DaySource.CITY
        statutory = _statutory_answer(day)
        if statutory is not None:
            return statutory, DaySource.CHINESE_CALENDAR
        return day.weekday() < 5, DaySource.FALLBACK

    def fallback_years(self, first: date, last: date) -> list[int]:
        """The years of [first, last] (dates) in which some day is answered by the fallback."""
        if self.works_on_holidays:
            return []
        return [year for year in range(first.year, last.year + 1)
                if year not in self.entered_years and not statutory_known(date(year, 1, 1))]

    @property
    def seconds_per_workday(self) -> int:
        return sum(end - start for start, end in self.windows)

    # -- instants ---------------------------------------------------------------------------

    def add_work_time(self, start: datetime, *, hours: float = 0, days: int = 0) -> datetime:
        """The instant after `days` working days and then `hours` working hours from `start`.

        A start outside the windows begins at the next window opening. Hours are counted inside
        the windows of working days; work that ends exactly at a window's close ends there (11:00
        + 1 h is 12:00, not 14:00). N working days: the same clock time on the Nth following
        working day (counted from the day of the normalised start), clamped into the windows;
        with uniform windows this is exactly N x the working day's length. Zero amounts return
        the next working instant at or after `start`.
        """
        if hours < 0 or days < 0:
            raise ValueError("工作时长不能为负数")
        cursor = self.next_working_instant(start)
        if days:
            cursor = self._add_days(cursor, int(days))
        if hours:
            cursor = self._add_hours(cursor, timedelta(hours=hours))
        return cursor.astimezone(start.tzinfo)

    def work_seconds_between(self, start: datetime, end: datetime) -> float:
        """Working seconds in [start, end); 0 if end <= start."""
        start, end = self._utc(start), self._utc(end)
        if end <= start:
            return 0.0
        total = timedelta(0)
        day, last_day = self._local(start).date(), self._local(end).date()
        while day <= last_day:
            for opens, closes in self._windows_on(day):
                overlap = min(closes, end) - max(opens, start)
                if overlap > timedelta(0):
                    total += overlap
            day += _DAY
        return total.total_seconds()

    def deadline(self, start: datetime, *, amount: int, unit: str) -> datetime:
        """The deadline for a limit of `amount` `unit` (grids.models.LimitUnit values)."""
        if unit == "work_hours":
            return self.add_work_time(start, hours=amount)
        if unit == "work_days":
            return self.add_work_time(start, days=amount)
        raise ValueError(f"未知的时限单位：{unit!r}")

    def next_working_instant(self, moment: datetime) -> datetime:
        """`moment` if it lies inside a window of a working day, else the next window opening
        (in UTC)."""
        moment = self._utc(moment)
        day = self._local(moment).date()
        for _ in range(_MAX_SCAN_DAYS):
            for opens, closes in self._windows_on(day):
                if closes > moment:
                    return max(opens, moment)
            day += _DAY
        raise RuntimeError("工作日历在十年内没有工作日，请检查配置")

    # -- internals --------------------------------------------------------------------------

    def _add_hours(self, cursor: datetime, remaining: timedelta) -> datetime:
        # Day by day over window arithmetic; a timedelta keeps the sum exact to the microsecond.
        day = self._local(cursor).date()
        for _ in range(_MAX_SCAN_DAYS * 10):
            for opens, closes in self._windows_on(day):
                if closes <= cursor:
                    continue
                begin = max(opens, cursor)
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += _DAY
        raise RuntimeError("工作时长超出可计算范围")

    def _add_days(self, cursor: datetime, days: int) -> datetime:
        local = self._local(cursor)
        clock = local - datetime.combine(local.date(), time(), tzinfo=self.tz)
        day, counted, scanned = local.date(), 0, 0
        while counted < days:
            day += _DAY
            scanned += 1
            if self.is_workday(day):
                counted, scanned = counted + 1, 0
            elif scanned > _MAX_SCAN_DAYS:
                raise RuntimeError("工作日历在十年内没有工作日，请检查配置")
        target = datetime.combine(day, time(), tzinfo=self.tz) + clock
        return self.next_working_instant(target)

    def _windows_on(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The day's windows as UTC instants (empty on a day off), memoised per calendar."""
        cached = self._memo.get(day)
        if cached is None:
            if self.is_workday(day):
                midnight = datetime.combine(day, time(), tzinfo=self.tz)
                cached = tuple(
                    (
                        (midnight + timedelta(seconds=start)).astimezone(UTC),
                        (midnight + timedelta(seconds=end)).astimezone(UTC),
                    )
                    for start, end in self.windows
                )
            else:
                cached = ()
            if len(self._memo) >= _MAX_MEMO_DAYS:
                self._memo.clear()
            self._memo[day] = cached
        return cached

    def _local(self, moment: datetime) -> datetime:
        return self._utc(moment).astimezone(self.tz)

    @staticmethod
    def _utc(moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("工作日历只接受带时区的时间（aware datetime）")
        return moment.astimezone(UTC)


def traffic_light(
    *, started_at: datetime, deadline: datetime, now: datetime, calendar: WorkCalendar | None = None
) -> str:
    """ "green" under 80 % of the limit, "yellow" from 80 % up to the deadline itself, "red" once
    `now` is past the deadline. Elapsed time and the limit are working time on `calendar` (the
    city default when None); wall time when the limit holds no working time at all."""
    if now > deadline:
        return "red"
    if calendar is None:
        calendar = WorkCalendar.for_department(None)
    limit = calendar.work_seconds_between(started_at, deadline)
    if limit > 0:
        elapsed = calendar.work_seconds_between(started_at, now)
    else:
        limit = max((deadline - started_at).total_seconds(), 0.0)
        elapsed = max((now - started_at).total_seconds(), 0.0)
    # Integer-friendly comparison: elapsed / limit >= 0.8 without float rounding at the boundary.
    return "yellow" if elapsed * 5 >= limit * 4 else "green"


# -- per-process cache ------------------------------------------------------------------------


@dataclass
class CalendarSnapshot:
    """The calendar tables at one moment; calendar_for builds (and keeps) each department's calendar."""

    loaded_at: float
    overrides: dict[date, bool]
    schedules: dict[int | None, tuple[str, bool]]
    entered_years: frozenset[int] = frozenset()
    calendars: dict[int | None, WorkCalendar] = field(default_factory=dict)

    def calendar_for(self, department_id: int | None) -> WorkCalendar:
        calendar = self.calendars.get(department_id)
        if calendar is None:
            key = department_id if department_id in self.schedules else None
            calendar = self.calendars.get(key) or self._build(key)
            self.calendars[key] = self.calendars[department_id] = calendar
        return calendar

    def patched(self, *, days: dict[date, bool] | None = None,
                schedule: tuple[int | None, tuple[str, bool] | None] | None = None) -> CalendarSnapshot:
        """This snapshot with some days answered otherwise and/or one department's schedule row
        replaced (None: no row of its own): the calendar as it was before a change."""
        overrides = {**self.overrides, **(days or {})}
        schedules = dict(self.schedules)
        if schedule is not None:
            department_id, row = schedule
            if row is None:
                schedules.pop(department_id, None)
            else:
                schedules[department_id] = row
        return CalendarSnapshot(self.loaded_at, overrides, schedules, self.entered_years)

    def _build(self, key: int | None) -> WorkCalendar:
        windows_text, works_on_holidays = self.schedules.get(key, (settings.WORK_WINDOWS, False))
        try:
            windows = parse_windows(windows_text)
        except ValueError:
            # A bad admin entry must not stop every transition of the department: log it and
            # count on the settings windows until it is fixed.
            logger.error(
                "Invalid work windows %r for department %s; using settings.WORK_WINDOWS", windows_text, key
            )
            windows = parse_windows(settings.WORK_WINDOWS)
        return WorkCalendar(windows, works_on_holidays, self.overrides, self.entered_years)


_snapshot: CalendarSnapshot | None = None
_snapshot_lock = threading.Lock()


def _cached_snapshot() -> CalendarSnapshot:
    global _snapshot
    snapshot = _snapshot
    now = monotonic_time.monotonic()
    if snapshot is not None and now - snapshot.loaded_at < CACHE_TTL_SECONDS:
        return snapshot
    with _snapshot_lock:
        if _snapshot is None or now - _snapshot.loaded_at >= CACHE_TTL_SECONDS:
            _snapshot = calendar_snapshot_load(loaded_at=now)
        return _snapshot


def calendar_snapshot_load(*, loaded_at: float = 0.0) -> CalendarSnapshot:
    """The calendar as the database holds it now (no cache): overrides, schedules, entered years."""
    return CalendarSnapshot(
        loaded_at=loaded_at,
        overrides=dict(CalendarDay.objects.values_list("date", "is_workday")),
        schedules={
            department_id: (windows, works_on_holidays)
            for department_id, windows, works_on_holidays in WorkSchedule.objects.values_list(
                "department_id", "windows", "works_on_holidays"
            )
        },
        entered_years=frozenset(CalendarYear.objects.values_list("year", flat=True)),
    )


# What else a process keeps that is built on the calendar (the fallback report of calendar_health
# adds its own clear here when it is imported): cleared with it.
CACHE_DEPENDENTS: list[Callable[[], None]] = []


def calendar_cache_clear() -> None:
    """Forget cached overrides, schedules and calendars (tests, and admin saves in this process),
    and what is built on them (CACHE_DEPENDENTS)."""
    global _snapshot
    with _snapshot_lock:
        _snapshot = None
    for clear in CACHE_DEPENDENTS:
        clear()
