"""Period labels and bounds: "2026-10" (month), "2026-W41" (ISO week), "2026-Q4", "2026" (year),
"2026-10-05" (day), "2026-10-01..2026-10-15" (range, both dates included). Bounds are local
midnights in the city's time zone, stored and compared in UTC."""
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError

from .models import PeriodKind


@dataclass(frozen=True)
class PeriodSpec:
    kind: str
    label: str
    start: date
    end: date  # exclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class Window:
    """The instants a computation counts in: [start, end), and `as_of` = min(end, now), the
    instant up to which a deadline can have passed."""

    start: datetime
    end: datetime
    as_of: datetime


def city_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=city_tz())


def _month_end(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1)


def period_spec_parse(label: str) -> PeriodSpec:
    """Parse a period label; a malformed label is the user's error (400), named in the message."""
    text = (label or "").strip()
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
            year, month = int(m[1]), int(m[2])
            return PeriodSpec(PeriodKind.MONTH, f"{year:04d}-{month:02d}", date(year, month, 1),
                              _month_end(year, month))
        if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
            year, quarter = int(m[1]), int(m[2])
            first = 3 * (quarter - 1) + 1
            return PeriodSpec(PeriodKind.QUARTER, f"{year:04d}-Q{quarter}", date(year, first, 1),
                              _month_end(year, first + 2))
        if m := re.fullmatch(r"(\d{4})-[Ww](\d{1,2})", text):
            year, week = int(m[1]), int(m[2])
            start = date.fromisocalendar(year, week, 1)
            return PeriodSpec(PeriodKind.WEEK, f"{year:04d}-W{week:02d}", start, start + timedelta(days=7))
        if m := re.fullmatch(r"(\d{4})", text):
            year = int(m[1])
            return PeriodSpec(PeriodKind.YEAR, f"{year:04d}", date(year, 1, 1), date(year + 1, 1, 1))
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})", text):
            day = date.fromisoformat(m[1])
            return PeriodSpec(PeriodKind.DAY, day.isoformat(), day, day + timedelta(days=1))
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", text):
            first, last = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if last < first:
                raise ValueError("range backwards")
            return PeriodSpec(PeriodKind.RANGE, f"{first.isoformat()}..{last.isoformat()}", first,
                              last + timedelta(days=1))
    except ValueError:
        pass
    raise ApplicationError(
        _("考核周期“%(label)s”无效。示例：2026-10（月）、2026-Q4（季度）、2026-W41（周）、2026（年）、"
          "2026-10-05（日）、2026-10-01..2026-10-15（区间）。") % {"label": label},
        extra={"field": "period"},
    )


def local_today() -> date:
    return timezone.localtime(timezone.now(), city_tz()).date()


def month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_month_label(day: date) -> str:
    first = day.replace(day=1) - timedelta(days=1)
    return month_label(first)


def months_back(label: str, count: int) -> list[str]:
    """The `count` month labels ending with `label`, oldest first."""
    spec = period_spec_parse(label)
    year, month = spec.start.year, spec.start.month
    labels = []
    for _i in range(count):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return labels[::-1]


def window_for(start: date, end: date, *, now: datetime | None = None) -> Window:
    begin, finish = local_midnight(start), local_midnight(end)
    now = now or timezone.now()
    return Window(begin, finish, min(finish, max(now, begin)))
