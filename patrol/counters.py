"""Patrol figures of collectors over a span of city days: time on duty against the scheduled patrol
times, check-ins made and missed at their posts, unit grids of their area walked (coverage) and
metres walked. Read by the day and month tables and by the assessment (在岗率, 巡查覆盖率)."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, F
from django.utils import timezone

from cases.calendar import parse_windows
from grids.models import ResponsibilityGrid, UnitGrid

from .days import checkin_slots, city_zone, day_bounds, patrol_calendar, shift_seconds_within
from .models import CheckIn, DutyShift, GridVisit, Post


@dataclass
class PatrolFigures:
    """One collector's figures over the span."""

    scheduled_seconds: int = 0
    on_duty_seconds: int = 0  # all time on duty
    on_duty_scheduled_seconds: int = 0  # time on duty within the scheduled patrol times
    checkins_due: int = 0
    checkins_made: int = 0  # due check-ins met (a check-in within CHECKIN_WINDOW of the time)
    grid_days_due: int = 0  # unit grids of the area × scheduled days
    grid_days_walked: int = 0  # of those, the grids the track touched on the day
    distance_m: float = 0.0
    days: list[date] = field(default_factory=list)

    @property
    def checkins_missed(self) -> int:
        return self.checkins_due - self.checkins_made

    @property
    def on_duty_rate(self) -> float | None:
        return self.on_duty_scheduled_seconds / self.scheduled_seconds if self.scheduled_seconds else None

    @property
    def coverage_rate(self) -> float | None:
        return self.grid_days_walked / self.grid_days_due if self.grid_days_due else None


def patrol_figures(collector_ids: list[int], first: date, last: date,
                   *, now: datetime | None = None) -> dict[int, PatrolFigures]:
    """The figures of each collector for the city days first..last (inclusive). A constant number
    of queries: shifts, assignments, posts, check-ins and grid visits of the span, each one query."""
    now = now or timezone.now()
    calendar = patrol_calendar()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    scheduled_days = [day for day in days if calendar.is_workday(day)]
    span_start, span_end = day_bounds(first)[0], day_bounds(last)[1]
    figures = {pk: PatrolFigures(days=scheduled_days) for pk in collector_ids}
    if not collector_ids:
        return figures

    # The area: the responsibility grids of each collector, their patrol times and unit grids.
    through = ResponsibilityGrid.collectors.through
    areas: dict[int, list[int]] = {}
    for user_id, grid_id in through.objects.filter(user_id__in=collector_ids).values_list(
            "user_id", "responsibilitygrid_id"):
        areas.setdefault(user_id, []).append(grid_id)
    all_grids = {grid for grids in areas.values() for grid in grids}
    times = dict(ResponsibilityGrid.objects.filter(pk__in=all_grids).values_list("pk", "patrol_times"))
    unit_counts = dict(UnitGrid.objects.filter(responsibility_grid_id__in=all_grids)
                       .values("responsibility_grid_id").annotate(n=Count("pk"))
                       .values_list("responsibility_grid_id", "n"))

    shifts: dict[int, list[tuple[datetime, datetime | None, float]]] = {}
    for row in (DutyShift.objects.filter(collector_id__in=collector_ids, started_at__lt=span_end)
                .exclude(ended_at__lt=span_start)
                .values_list("collector_id", "started_at", "ended_at", "distance_m")):
        shifts.setdefault(row[0], []).append(row[1:])

    for pk, figure in figures.items():
        windows = _windows_of([times.get(grid, "") for grid in areas.get(pk, [])])
        own = shifts.get(pk, [])
        intervals = [(started, ended) for started, ended, _distance in own]
        figure.on_duty_seconds = round(shift_seconds_within(intervals, span_start, span_end, now))
        figure.distance_m = round(sum(distance for started, _ended, distance in own if started >= span_start), 1)
        grids_in_area = sum(unit_counts.get(grid, 0) for grid in areas.get(pk, []))
        for day in scheduled_days:
            midnight = day_bounds(day)[0]
            for start, end in windows:
                lower, upper = midnight + timedelta(seconds=start), midnight + timedelta(seconds=end)
                figure.scheduled_seconds += end - start
                figure.on_duty_scheduled_seconds += round(shift_seconds_within(intervals, lower, upper, now))
            figure.grid_days_due += grids_in_area

    # Grid-days walked: visits to unit grids of the collector's own area, on scheduled days.
    visits = (GridVisit.objects.filter(collector_id__in=collector_ids, day__in=scheduled_days,
                                       unit_grid__responsibility_grid__collectors=F("collector_id"))
              .values("collector_id").annotate(n=Count("pk")))
    for row in visits:
        figures[row["collector_id"]].grid_days_walked = row["n"]

    _checkins_count(figures, collector_ids, scheduled_days, span_start, span_end)
    return figures


def _windows_of(texts: list[str]) -> list[tuple[int, int]]:
    """The union of the patrol times of the collector's responsibility grids."""
    windows: list[tuple[int, int]] = []
    for text in texts:
        try:
            windows.extend(parse_windows(text))
        except ValueError:
            continue
    merged: list[tuple[int, int]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _checkins_count(figures: dict[int, PatrolFigures], collector_ids: list[int], scheduled_days: list[date],
                    span_start: datetime, span_end: datetime) -> None:
    """Due: every time of every post of the collector on every scheduled day. Made: those with a
    check-in at that post within CHECKIN_WINDOW minutes of the time (each check-in meets one)."""
    window = settings.PATROL_CHECKIN_WINDOW_MINUTES * 60
    slots: dict[tuple[int, int], list[int]] = {}
    for user_id, post_id, times in Post.collectors.through.objects.filter(
            user_id__in=collector_ids, post__is_active=True).values_list("user_id", "post_id", "post__checkin_times"):
        slots[(user_id, post_id)] = checkin_slots(times)
        figures[user_id].checkins_due += len(slots[(user_id, post_id)]) * len(scheduled_days)
    made: dict[tuple[int, int, date], list[int]] = {}
    zone = city_zone()
    for user_id, post_id, at in CheckIn.objects.filter(collector_id__in=collector_ids, at__gte=span_start,
                                                       at__lt=span_end).values_list("collector_id", "post_id", "at"):
        local = timezone.localtime(at, zone)
        made.setdefault((user_id, post_id, local.date()), []).append(
            local.hour * 3600 + local.minute * 60 + local.second)
    scheduled = set(scheduled_days)
    for (user_id, post_id, day), seconds in made.items():
        if day not in scheduled or (user_id, post_id) not in slots:
            continue
        remaining = sorted(seconds)
        for slot in slots[(user_id, post_id)]:
            match = next((s for s in remaining if abs(s - slot) <= window), None)
            if match is not None:
                remaining.remove(match)
                figures[user_id].checkins_made += 1

