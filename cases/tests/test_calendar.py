"""Tests for cases.calendar: working days, work windows, deadlines, working time, traffic light.

Default windows 08:30-12:00 (3.5 h) and 14:00-18:00 (4 h): a working day holds 7.5 h.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from cases.calendar import WorkCalendar, calendar_cache_clear, parse_windows, traffic_light
from cases.models import CalendarDay, WorkSchedule
from grids.models import Department, DepartmentLevel, LimitUnit, Region, RegionLevel

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = 3600


def at(year, month, day, hour=0, minute=0, second=0):
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache(settings):
    settings.WORK_WINDOWS = "08:30-12:00,14:00-18:00"  # whatever the environment says
    calendar_cache_clear()
    yield
    calendar_cache_clear()


@pytest.fixture
def city():
    """The city default, no overrides: needs no database."""
    return WorkCalendar.from_text("08:30-12:00,14:00-18:00")


def make_department(code, name="部门"):
    region, _ = Region.objects.get_or_create(
        code="330100", defaults={"name": "市", "level": RegionLevel.CITY}
    )
    return Department.objects.create(code=code, name=name, level=DepartmentLevel.DISTRICT, region=region)


# -- windows ----------------------------------------------------------------------------------


def test_parse_windows_sorts_and_accepts_24_00():
    assert parse_windows("14:00-18:00, 8:30-12:00") == ((8 * HOUR + 1800, 12 * HOUR), (14 * HOUR, 18 * HOUR))
    assert parse_windows("00:00-24:00") == ((0, 24 * HOUR),)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "08:30",
        "12:00-08:30",
        "08:00-12:00,11:00-13:00",
        "25:00-26:00",
        "08:60-09:00",
        "24:30-24:40",
        "a-b",
    ],
)
def test_parse_windows_refuses_bad_text(text):
    with pytest.raises(ValueError):
        parse_windows(text)


# -- working days (2026, chinese-calendar) ----------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 2), True),  # Monday
        (date(2026, 3, 7), False),  # Saturday
        (date(2026, 9, 25), False),  # Mid-Autumn Festival (Friday)
        (date(2026, 9, 20), True),  # adjusted working Sunday
        (date(2026, 10, 1), False),  # National Day ...
        (date(2026, 10, 7), False),  # ... to Oct 7
        (date(2026, 10, 8), True),  # Thursday after the holiday
        (date(2026, 10, 10), True),  # adjusted working Saturday
        (date(2026, 10, 11), False),  # ordinary Sunday
        (date(2027, 1, 1), True),  # beyond chinese-calendar: plain Mon-Fri (a Friday)
        (date(2027, 1, 2), False),  # beyond chinese-calendar: Saturday
    ],
)
def test_is_workday(city, day, expected):
    assert city.is_workday(day) is expected


# -- working hours ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # within one window: Mon 09:00 + 2 h = 11:00
        (at(2026, 3, 2, 9), 2, at(2026, 3, 2, 11)),
        # across the lunch break: 11:00 + 1 h = 12:00, then 14:00 + 1 h = 15:00
        (at(2026, 3, 2, 11), 2, at(2026, 3, 2, 15)),
        # work ending exactly at a close ends there: 11:00 + 1 h = 12:00 (not 14:00)
        (at(2026, 3, 2, 11), 1, at(2026, 3, 2, 12)),
        # across the evening: 17:00 + 1 h = 18:00, Tue 08:30 + 1 h = 09:30
        (at(2026, 3, 2, 17), 2, at(2026, 3, 3, 9, 30)),
        # a full day from the opening: 08:30 + 7.5 h = 18:00 the same day
        (at(2026, 3, 2, 8, 30), 7.5, at(2026, 3, 2, 18)),
        # fractional hours: 09:00 + 0.25 h = 09:15
        (at(2026, 3, 2, 9), 0.25, at(2026, 3, 2, 9, 15)),
        # across a weekend: Fri 2026-03-06 17:00 + 1 h = 18:00, Sat/Sun off, Mon 03-09 08:30 + 1 h = 09:30
        (at(2026, 3, 6, 17), 2, at(2026, 3, 9, 9, 30)),
        # Mid-Autumn: Thu 09-24 17:00 + 1 h; Fri 25 (festival), Sat 26, Sun 27 off; Mon 28 08:30 + 1 h
        (at(2026, 9, 24, 17), 2, at(2026, 9, 28, 9, 30)),
        # National Day: Wed 09-30 17:00 + 1 h = 18:00; Oct 1-7 off; Thu 10-08 08:30 + 3 h = 11:30
        (at(2026, 9, 30, 17), 4, at(2026, 10, 8, 11, 30)),
        # ... 8 h: 1 h on 09-30, Oct 8 08:30-12:00 (3.5 h, 4.5 total), 14:00 + 3.5 h = 17:30
        (at(2026, 9, 30, 17), 8, at(2026, 10, 8, 17, 30)),
        # adjusted working Saturday: Fri 10-09 17:00 + 1 h = 18:00; Sat 10-10 08:30 + 1 h = 09:30
        (at(2026, 10, 9, 17), 2, at(2026, 10, 10, 9, 30)),
        # adjusted working Sunday: Sat 09-19 (off) 10:00 -> Sun 09-20 08:30 + 1 h = 09:30
        (at(2026, 9, 19, 10), 1, at(2026, 9, 20, 9, 30)),
        # start outside the windows: Saturday 03-07 10:00 -> Mon 03-09 08:30 + 1 h = 09:30
        (at(2026, 3, 7, 10), 1, at(2026, 3, 9, 9, 30)),
        # 07:00 -> 08:30 + 1 h = 09:30
        (at(2026, 3, 2, 7), 1, at(2026, 3, 2, 9, 30)),
        # 12:30 (lunch) -> 14:00 + 1 h = 15:00
        (at(2026, 3, 2, 12, 30), 1, at(2026, 3, 2, 15)),
        # 19:00 -> Tue 08:30 + 1 h = 09:30
        (at(2026, 3, 2, 19), 1, at(2026, 3, 3, 9, 30)),
        # 80 h = 10 days x 7.5 h + 5 h. From Mon 03-02 08:30: 10 working days are 03-02..03-13
        # (ending Fri 03-13 18:00); then Mon 03-16 08:30 + 3.5 h = 12:00, 14:00 + 1.5 h = 15:30
        (at(2026, 3, 2, 8, 30), 80, at(2026, 3, 16, 15, 30)),
    ],
)
def test_add_work_hours(city, start, hours, expected):
    assert city.add_work_time(start, hours=hours) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (at(2026, 3, 2, 9), at(2026, 3, 2, 9)),  # inside a window: unchanged
        (at(2026, 3, 2, 12), at(2026, 3, 2, 14)),  # at a close: the next opening
        (at(2026, 3, 2, 12, 30), at(2026, 3, 2, 14)),  # lunch: 14:00
        (at(2026, 3, 7, 10), at(2026, 3, 9, 8, 30)),  # Saturday: Monday 08:30
        (at(2026, 10, 1, 9), at(2026, 10, 8, 8, 30)),  # National Day: Oct 8 08:30
    ],
)
def test_zero_amount_is_the_next_working_instant(city, start, expected):
    assert city.add_work_time(start) == expected


def test_keeps_the_input_timezone(city):
    # 2026-03-02 09:00 Shanghai = 01:00 UTC; + 2 h = 11:00 Shanghai = 03:00 UTC
    result = city.add_work_time(datetime(2026, 3, 2, 1, tzinfo=UTC), hours=2)
    assert result == datetime(2026, 3, 2, 3, tzinfo=UTC)
    assert result.tzinfo is UTC
    assert city.add_work_time(at(2026, 3, 2, 9), hours=2).tzinfo is SHANGHAI


def test_refuses_naive_datetimes_and_negative_amounts(city):
    with pytest.raises(ValueError):
        city.add_work_time(datetime(2026, 3, 2, 9), hours=1)
    with pytest.raises(ValueError):
        city.work_seconds_between(datetime(2026, 3, 2, 9), at(2026, 3, 2, 10))
    with pytest.raises(ValueError):
        city.add_work_time(at(2026, 3, 2, 9), hours=-1)


# -- working days -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Thu 03-05 10:00 + 3: Fri 06 (1), Mon 09 (2), Tue 10 (3) -> Tue 10:00
        (at(2026, 3, 5, 10), 3, at(2026, 3, 10, 10)),
        # Thu 19:00 starts Fri 08:30: Mon (1), Tue (2), Wed 03-11 (3) -> 08:30
        (at(2026, 3, 5, 19), 3, at(2026, 3, 11, 8, 30)),
        # Thu 12:30 starts 14:00 the same day -> Tue 03-10 14:00
        (at(2026, 3, 5, 12, 30), 3, at(2026, 3, 10, 14)),
        # Thu 08:30 + 1 -> Fri 08:30 (same clock time, not Thursday 18:00)
        (at(2026, 3, 5, 8, 30), 1, at(2026, 3, 6, 8, 30)),
        # over National Day: Wed 09-30 10:00 + 1 -> Thu 10-08 10:00
        (at(2026, 9, 30, 10), 1, at(2026, 10, 8, 10)),
        # Fri 10-09 10:00 + 1 -> the adjusted working Saturday 10-10 10:00
        (at(2026, 10, 9, 10), 1, at(2026, 10, 10, 10)),
        # 30 from Mon 03-02 09:00 (no holiday in March): Mar 3-6 (4), 9-13 (9), 16-20 (14),
        # 23-27 (19), 30-31 (21), Apr 1-3 (24); Qingming Apr 4-6 off (Sat-Mon); Apr 7-10 (28),
        # Mon 13 (29), Tue 14 (30) -> Tue 04-14 09:00
        (at(2026, 3, 2, 9), 30, at(2026, 4, 14, 9)),
    ],
)
def test_add_work_days(city, start, days, expected):
    assert city.add_work_time(start, days=days) == expected


def test_days_then_hours(city):
    # Thu 03-05 10:00 + 1 day = Fri 10:00; + 3 h: 12:00 (2 h), 14:00 + 1 h = 15:00
    assert city.add_work_time(at(2026, 3, 5, 10), days=1, hours=3) == at(2026, 3, 6, 15)


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        (4, LimitUnit.WORK_HOURS, at(2026, 3, 6, 11, 30)),  # Thu 03-05 17:00 + 1 h = 18:00; Fri 08:30 + 3 h
        (2, LimitUnit.WORK_DAYS, at(2026, 3, 9, 17)),  # Thu 17:00: Fri (1), Mon (2) -> Mon 17:00
        (2, "work_days", at(2026, 3, 9, 17)),
    ],
)
def test_deadline_units(city, amount, unit, expected):
    assert city.deadline(at(2026, 3, 5, 17), amount=amount, unit=unit) == expected


def test_deadline_refuses_unknown_unit(city):
    with pytest.raises(ValueError):
        city.deadline(at(2026, 3, 5, 17), amount=1, unit="fortnights")


# -- working time between two instants ---------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected_hours"),
    [
        (at(2026, 3, 2, 9), at(2026, 3, 2, 11), 2),
        (at(2026, 3, 2, 11), at(2026, 3, 2, 15), 2),  # lunch excluded
        (at(2026, 3, 6, 17), at(2026, 3, 9, 9, 30), 2),  # weekend excluded
        (at(2026, 9, 30, 0), at(2026, 10, 9, 0), 15),  # Sep 30 + Oct 8 = 2 x 7.5 h
        (at(2026, 3, 7, 0), at(2026, 3, 8, 23, 59), 0),  # a weekend
        (at(2026, 3, 2, 11), at(2026, 3, 2, 9), 0),  # end before start
    ],
)
def test_work_seconds_between(city, start, end, expected_hours):
    assert city.work_seconds_between(start, end) == expected_hours * HOUR


STARTS = [
    at(2026, 3, 2, 7),
    at(2026, 3, 2, 11, 17),
    at(2026, 3, 6, 17, 45),
    at(2026, 9, 30, 16),
    at(2026, 10, 9, 12, 30),
    at(2026, 12, 31, 17),
    at(2027, 2, 5, 9, 1),
]
AMOUNTS = [0.5, 1, 2, 3.5, 4, 7.5, 8, 13.25, 80]


@pytest.mark.parametrize("start", STARTS)
def test_work_seconds_between_inverts_add_work_time(city, start):
    for hours in AMOUNTS:
        end = city.add_work_time(start, hours=hours)
        assert city.work_seconds_between(start, end) == hours * HOUR, (start, hours)
    for days in [1, 3, 30]:
        # with uniform windows, N working days = N x 7.5 h
        end = city.add_work_time(start, days=days)
        assert city.work_seconds_between(start, end) == days * 7.5 * HOUR, (start, days)


def test_24_hour_calendar_inverts_too():
    allday = WorkCalendar.from_text("00:00-24:00", works_on_holidays=True)
    for start in STARTS:
        for hours in AMOUNTS:
            end = allday.add_work_time(start, hours=hours)
            assert end - start == timedelta(hours=hours)
            assert allday.work_seconds_between(start, end) == hours * HOUR


# -- database: overrides, schedules, cache ----------------------------------------------------


@pytest.mark.django_db
def test_city_declared_holiday_and_working_saturday():
    CalendarDay.objects.create(date=date(2026, 3, 6), is_workday=False, note="城市节日")
    CalendarDay.objects.create(date=date(2026, 3, 14), is_workday=True, note="调休上班")
    calendar = WorkCalendar.for_department(None)
    assert not calendar.is_workday(date(2026, 3, 6))
    # Thu 03-05 17:00 + 1 h = 18:00; Fri 06 declared off, weekend; Mon 03-09 08:30 + 1 h = 09:30
    assert calendar.add_work_time(at(2026, 3, 5, 17), hours=2) == at(2026, 3, 9, 9, 30)
    # Fri 03-13 17:00 + 1 h = 18:00; Sat 03-14 declared working: 08:30 + 1 h = 09:30
    assert calendar.add_work_time(at(2026, 3, 13, 17), hours=2) == at(2026, 3, 14, 9, 30)


@pytest.mark.django_db
def test_overrides_extend_beyond_chinese_calendar():
    calendar = WorkCalendar.for_department(None)
    # 2027 unknown to chinese-calendar: Fri 2027-01-01 counts as a weekday.
    # Thu 2026-12-31 17:00 + 1 h = 18:00; Fri 2027-01-01 08:30 + 1 h = 09:30
    assert calendar.add_work_time(at(2026, 12, 31, 17), hours=2) == at(2027, 1, 1, 9, 30)

    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    CalendarDay.objects.create(date=date(2027, 1, 2), is_workday=True, note="调休上班")
    calendar_cache_clear()
    calendar = WorkCalendar.for_department(None)
    # Jan 1 declared off, Saturday Jan 2 declared working: 08:30 + 1 h = 09:30
    assert calendar.add_work_time(at(2026, 12, 31, 17), hours=2) == at(2027, 1, 2, 9, 30)
    # and in working days: Thu 2026-12-31 10:00 + 1 -> Sat 2027-01-02 10:00
    assert calendar.add_work_time(at(2026, 12, 31, 10), days=1) == at(2027, 1, 2, 10)


@pytest.mark.django_db
def test_an_entered_year_is_monday_to_friday_by_the_citys_word_over_its_own_days():
    from cases.calendar import DaySource
    from cases.models import CalendarYear

    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    CalendarYear.objects.create(year=2027, entered_at=at(2026, 12, 6, 10))
    calendar = WorkCalendar.for_department(None)
    assert calendar.day_answer(date(2027, 1, 1)) == (False, DaySource.CITY)
    assert calendar.day_answer(date(2027, 1, 4)) == (True, DaySource.CITY)  # Monday
    assert calendar.day_answer(date(2027, 1, 9)) == (False, DaySource.CITY)  # Saturday
    assert calendar.day_answer(date(2028, 1, 3)) == (True, DaySource.FALLBACK)
    # Across the year end: Thu 2026-12-31 10:00 + 1 working day -> Mon 2027-01-04 10:00.
    assert calendar.add_work_time(at(2026, 12, 31, 10), days=1) == at(2027, 1, 4, 10)


@pytest.mark.django_db
def test_a_departments_windows_and_overrides_across_the_year_end():
    department = make_department("D-YEAR")
    WorkSchedule.objects.create(department=department, windows="09:00-12:00")
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False)
    calendar = WorkCalendar.for_department(department.pk)
    # Thu 2026-12-31 11:00 + 2 h: 1 h on Dec 31, Jan 1 off, weekend, Mon 2027-01-04 09:00 + 1 h.
    assert calendar.add_work_time(at(2026, 12, 31, 11), hours=2) == at(2027, 1, 4, 10)


@pytest.mark.django_db
def test_24_hour_sanitation_department_works_through_holidays():
    sanitation = make_department("HW01", "环卫处")
    WorkSchedule.objects.create(department=sanitation, windows="00:00-24:00", works_on_holidays=True)
    CalendarDay.objects.create(date=date(2026, 10, 8), is_workday=False, note="其他部门放假")
    calendar = WorkCalendar.for_department(sanitation.pk)
    assert calendar.is_workday(date(2026, 10, 1))
    assert calendar.is_workday(date(2026, 10, 8))  # city overrides do not stop a 24-hour department
    # National Day 22:00 + 4 h = 02:00 the next morning
    assert calendar.add_work_time(at(2026, 10, 1, 22), hours=4) == at(2026, 10, 2, 2)
    # Wed 09-30 17:00 + 4 h = 21:00
    assert calendar.add_work_time(at(2026, 9, 30, 17), hours=4) == at(2026, 9, 30, 21)
    # Fri 03-06 10:00 + 2 working days = Sun 03-08 10:00
    assert calendar.add_work_time(at(2026, 3, 6, 10), days=2) == at(2026, 3, 8, 10)


@pytest.mark.django_db
def test_department_with_its_own_windows():
    parks = make_department("YL01", "园林处")
    other = make_department("SZ01", "市政处")
    WorkSchedule.objects.create(department=parks, windows="09:00-17:00")
    parks_calendar = WorkCalendar.for_department(parks.pk)
    # Fri 03-06 16:00 + 1 h = 17:00; Mon 03-09 09:00 + 1 h = 10:00
    assert parks_calendar.add_work_time(at(2026, 3, 6, 16), hours=2) == at(2026, 3, 9, 10)
    assert not parks_calendar.is_workday(date(2026, 10, 1))
    # a department without a schedule gets the city default: 17:00 + 2 h -> Mon 09:30
    assert WorkCalendar.for_department(other.pk).add_work_time(at(2026, 3, 6, 17), hours=2) == at(
        2026, 3, 9, 9, 30
    )


@pytest.mark.django_db
def test_city_default_row_then_settings():
    with override_settings(WORK_WINDOWS="09:00-12:00,13:00-17:00"):
        calendar_cache_clear()
        # no schedule rows: settings.WORK_WINDOWS; 16:00 + 2 h -> 17:00, Tue 09:00 + 1 h = 10:00
        assert WorkCalendar.for_department(None).add_work_time(at(2026, 3, 2, 16), hours=2) == at(
            2026, 3, 3, 10
        )
        WorkSchedule.objects.create(department=None, windows="08:00-12:00,13:30-17:30")
        calendar_cache_clear()
        # city default row: 17:00 + 1 h -> 17:30, Tue 08:00 + 0.5 h = 08:30
        assert WorkCalendar.for_department(None).add_work_time(at(2026, 3, 2, 17), hours=1) == at(
            2026, 3, 3, 8, 30
        )
        # unknown department id: the city default
        assert WorkCalendar.for_department(999_999).windows == parse_windows("08:00-12:00,13:30-17:30")


@pytest.mark.django_db
def test_invalid_schedule_falls_back_to_settings_windows():
    broken = make_department("BAD1")
    WorkSchedule.objects.create(department=broken, windows="18:00-08:00")
    assert WorkCalendar.for_department(broken.pk).windows == parse_windows("08:30-12:00,14:00-18:00")


@pytest.mark.django_db
def test_cache_holds_until_cleared(django_assert_num_queries):
    with django_assert_num_queries(3):  # overrides + schedules + entered years, once
        first = WorkCalendar.for_department(None)
        WorkCalendar.for_department(None)
        WorkCalendar.for_department(12345)
    with django_assert_num_queries(0):
        assert WorkCalendar.for_department(None) is first
    CalendarDay.objects.create(date=date(2026, 3, 2), is_workday=False)
    assert WorkCalendar.for_department(None).is_workday(date(2026, 3, 2))  # stale until cleared
    calendar_cache_clear()
    assert not WorkCalendar.for_department(None).is_workday(date(2026, 3, 2))


@pytest.mark.django_db
def test_cache_expires_after_ttl(monkeypatch):
    import cases.calendar as module

    first = WorkCalendar.for_department(None)
    monkeypatch.setattr(module, "CACHE_TTL_SECONDS", 0.0)
    assert WorkCalendar.for_department(None) is not first


# -- traffic light ----------------------------------------------------------------------------

# Mon 03-02 08:30, limit 10 working hours: 7.5 h on Monday, Tue 08:30 + 2.5 h -> deadline Tue 11:00.
LIGHT_START = at(2026, 3, 2, 8, 30)
LIGHT_DEADLINE = at(2026, 3, 3, 11)


def test_traffic_light_deadline_is_the_one_we_expect(city):
    assert city.add_work_time(LIGHT_START, hours=10) == LIGHT_DEADLINE


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2026, 3, 2, 8, 30), "green"),  # 0 %
        (at(2026, 3, 2, 19), "green"),  # 7.5 h = 75 %, evening
        (at(2026, 3, 3, 8, 53, 59), "green"),  # 7.5 h + 23:59 < 7.9 h
        (at(2026, 3, 3, 8, 54), "green"),  # 7.9 h = 79 %: Tue 08:30 + 0.4 h = 08:54
        (at(2026, 3, 3, 8, 59, 59), "green"),  # just under 80 %
        (at(2026, 3, 3, 9), "yellow"),  # 8 h = 80 %: Tue 09:00
        (at(2026, 3, 3, 10, 30), "yellow"),  # 95 %
        (at(2026, 3, 3, 11), "yellow"),  # 100 %: at the deadline
        (at(2026, 3, 3, 11, 0, 1), "red"),  # past it
        (at(2026, 3, 3, 12, 30), "red"),  # past it, in the lunch break (no more work time)
    ],
)
def test_traffic_light_boundaries(city, now, expected):
    assert traffic_light(started_at=LIGHT_START, deadline=LIGHT_DEADLINE, now=now, calendar=city) == expected


def test_traffic_light_falls_back_to_wall_time(city):
    # a limit entirely on a Sunday holds no working time: wall time, 10:00 -> 20:00 (10 h)
    start, deadline = at(2026, 3, 8, 10), at(2026, 3, 8, 20)
    assert (
        traffic_light(started_at=start, deadline=deadline, now=at(2026, 3, 8, 17, 54), calendar=city)
        == "green"
    )
    assert (
        traffic_light(started_at=start, deadline=deadline, now=at(2026, 3, 8, 18), calendar=city) == "yellow"
    )
    assert (
        traffic_light(started_at=start, deadline=deadline, now=at(2026, 3, 8, 20, 1), calendar=city) == "red"
    )


@pytest.mark.django_db
def test_traffic_light_defaults_to_the_city_calendar():
    # No calendar given: the city default (settings windows here). Tue 08:59 is 7.98 h of 10
    # working hours (green) although 24.5 h of 26.5 wall hours (92 %) have passed.
    assert traffic_light(started_at=LIGHT_START, deadline=LIGHT_DEADLINE, now=at(2026, 3, 3, 9)) == "yellow"
    assert (
        traffic_light(started_at=LIGHT_START, deadline=LIGHT_DEADLINE, now=at(2026, 3, 3, 8, 59)) == "green"
    )
