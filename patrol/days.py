"""Days and hours of the patrol, pure helpers: the city's calendar day of an instant and its bounds,
the seconds of duty shifts within a span, the days collectors are due to patrol, a post's
check-in times."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from cases.calendar import WorkCalendar


def city_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def city_day(moment: datetime) -> date:
    """The city's calendar day of an instant."""
    return timezone.localtime(moment, city_zone()).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a city day, as aware instants."""
    start = datetime.combine(day, time.min, tzinfo=city_zone())
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=city_zone())


def shift_seconds_within(shifts: list[tuple[datetime, datetime | None]], start: datetime, end: datetime,
                         now: datetime) -> float:
    """Seconds of the shifts ([started, ended or now)) that fall within [start, end)."""
    total = 0.0
    for started, ended in shifts:
        lower, upper = max(started, start), min(ended or now, end)
        if upper > lower:
            total += (upper - lower).total_seconds()
    return total


def patrol_calendar() -> WorkCalendar:
    """Which days collectors are due to patrol: the city's working days (the default calendar)."""
    return WorkCalendar.for_department(None)


def checkin_slots(text: str) -> list[int]:
    """ "09:00,15:00" → [32400, 54000], seconds after local midnight; bad entries are skipped."""
    slots = []
    for part in (text or "").replace("，", ",").split(","):
        try:
            hours, minutes = (int(piece) for piece in part.strip().split(":"))
        except ValueError:
            continue
        if 0 <= hours < 24 and 0 <= minutes < 60:
            slots.append(hours * 3600 + minutes * 60)
    return sorted(set(slots))
