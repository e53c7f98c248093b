"""The work calendar as arrays: "an instant plus N working seconds" and "working seconds between two
instants" for whole columns at once, exactly as cases.calendar.WorkCalendar counts them."""
from datetime import date, datetime, timedelta

import numpy as np

from ..calendar import WorkCalendar


class WorkClock:
    """cases.calendar.WorkCalendar as lookup tables over a date range: instants (epoch seconds, UTC)
    ↔ cumulative working seconds, so that "start + N working hours" for a whole column is two
    searchsorted calls. Exact for the calendar's windows, holidays and overrides."""

    def __init__(self, calendar: WorkCalendar, first: date, last: date):
        starts, ends = [], []
        day = first
        while day <= last:
            if calendar.is_workday(day):
                midnight = datetime.combine(day, datetime.min.time(), tzinfo=calendar.tz).timestamp()
                for opens, closes in calendar.windows:
                    starts.append(int(midnight) + opens)
                    ends.append(int(midnight) + closes)
            day += timedelta(days=1)
        self.starts = np.array(starts, dtype=np.int64)
        self.ends = np.array(ends, dtype=np.int64)
        lengths = self.ends - self.starts
        self.cum_end = np.cumsum(lengths)
        self.cum_start = self.cum_end - lengths
        self.seconds_per_day = calendar.seconds_per_workday

    def work(self, t: np.ndarray) -> np.ndarray:
        """Working seconds from the table's start to each instant."""
        i = np.minimum(np.searchsorted(self.ends, t, side="right"), len(self.ends) - 1)
        return self.cum_start[i] + np.clip(t - self.starts[i], 0, self.ends[i] - self.starts[i])

    def wall(self, w: np.ndarray) -> np.ndarray:
        """The first instant at which `w` working seconds have elapsed (work ending exactly at a
        window's close ends there, as in WorkCalendar.add_work_time)."""
        i = np.minimum(np.searchsorted(self.cum_end, w, side="left"), len(self.ends) - 1)
        return self.starts[i] + (w - self.cum_start[i])

    def add(self, t: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        return self.wall(self.work(t) + seconds)


class Clocks:
    """The city default clock (index 0) and one per distinct department schedule."""

    def __init__(self, department_ids: list[int], first: date, last: date):
        calendars: dict[int, WorkCalendar] = {}
        default = WorkCalendar.for_department(None)
        self.clocks = [WorkClock(default, first, last)]
        seen = {id(default): 0}
        self.of_department = np.zeros(len(department_ids), dtype=np.int64)
        for position, department_id in enumerate(department_ids):
            calendar = calendars.setdefault(department_id, WorkCalendar.for_department(department_id))
            if id(calendar) not in seen:
                seen[id(calendar)] = len(self.clocks)
                self.clocks.append(WorkClock(calendar, first, last))
            self.of_department[position] = seen[id(calendar)]

    def add(self, clock: np.ndarray | int, t: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        seconds = np.broadcast_to(np.asarray(seconds, dtype=np.int64), t.shape)
        if np.isscalar(clock) or np.ndim(clock) == 0:
            return self.clocks[int(clock)].add(t, seconds)
        out = np.empty_like(t)
        for number in np.unique(clock):
            mask = clock == number
            out[mask] = self.clocks[number].add(t[mask], seconds[mask])
        return out

    def between(self, clock: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        out = np.empty_like(start)
        for number in np.unique(clock):
            mask = clock == number
            table = self.clocks[number]
            out[mask] = np.maximum(table.work(end[mask]) - table.work(start[mask]), 0)
        return out

    def day_seconds(self, clock: np.ndarray) -> np.ndarray:
        return np.array([c.seconds_per_day for c in self.clocks], dtype=np.int64)[clock]
