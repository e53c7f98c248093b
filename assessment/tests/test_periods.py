"""Period labels and bounds."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from assessment.periods import months_back, period_spec_parse, previous_month_label, window_for
from core.errors import ApplicationError

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("label, kind, canonical, start, end", [
    ("2026-10", "month", "2026-10", date(2026, 10, 1), date(2026, 11, 1)),
    ("2026-12", "month", "2026-12", date(2026, 12, 1), date(2027, 1, 1)),
    ("2026-q4", "quarter", "2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
    ("2026-W41", "week", "2026-W41", date(2026, 10, 5), date(2026, 10, 12)),
    ("2016", "year", "2016", date(2016, 1, 1), date(2017, 1, 1)),
    ("2026-10-05", "day", "2026-10-05", date(2026, 10, 5), date(2026, 10, 6)),
    ("2026-10-01..2026-10-15", "range", "2026-10-01..2026-10-15", date(2026, 10, 1), date(2026, 10, 16)),
])
def test_labels(label, kind, canonical, start, end):
    spec = period_spec_parse(label)
    assert (spec.kind, spec.label, spec.start, spec.end) == (kind, canonical, start, end)


@pytest.mark.parametrize("label", ["", "2026-13", "2026-Q5", "October", "2026-10-15..2026-10-01", "2026-W60"])
def test_bad_labels_are_the_users_error(label):
    with pytest.raises(ApplicationError) as error:
        period_spec_parse(label)
    assert error.value.status_code == 400 and "2026-10" in error.value.message


def test_window_is_local_midnight_and_as_of_is_capped_by_now():
    window = window_for(date(2026, 10, 1), date(2026, 11, 1), now=datetime(2026, 10, 15, tzinfo=TZ))
    assert window.start == datetime(2026, 10, 1, tzinfo=TZ)
    assert window.as_of == datetime(2026, 10, 15, tzinfo=TZ)
    past = window_for(date(2026, 10, 1), date(2026, 11, 1), now=datetime(2027, 1, 1, tzinfo=TZ))
    assert past.as_of == past.end
    future = window_for(date(2026, 10, 1), date(2026, 11, 1), now=datetime(2026, 9, 1, tzinfo=TZ))
    assert future.as_of == future.start


def test_month_arithmetic():
    assert months_back("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]
    assert len(months_back("2026-10", 12)) == 12
    assert previous_month_label(date(2026, 1, 1)) == "2025-12"
