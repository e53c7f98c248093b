"""The Celery tasks (eager here) and the beat schedule: hourly day and month-to-date figures of
the city and districts, nightly everything, freezing the month that ended — each safe to repeat."""
import json
from datetime import date

import pytest
from celery.schedules import crontab
from django.conf import settings

from assessment import tasks
from assessment.models import Composite, ComputeRun, Period, Snapshot, Trigger
from citygrid.celery import app

from . import scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def october(city, catalogue):
    return scenario.build_october(city)


def _today(monkeypatch, day: date):
    monkeypatch.setattr(tasks, "local_today", lambda: day)


def test_schedule_is_configured():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["assessment-hourly"]["task"] == "assessment.compute_hourly"
    assert schedule["assessment-hourly"]["schedule"] == crontab(minute=5)
    assert schedule["assessment-nightly"]["schedule"] == crontab(hour=1, minute=30)
    assert schedule["assessment-freeze-previous-month"]["schedule"] == crontab(day_of_month=1, hour=3, minute=0)
    for entry in schedule.values():
        if entry["task"].startswith("assessment."):
            assert entry["task"] in app.tasks


def test_hourly_computes_the_day_and_month_to_date_of_city_and_districts(monkeypatch, city, october):
    _today(monkeypatch, date(2026, 10, 5))
    result = tasks.compute_hourly.apply().get()
    json.dumps(result)
    assert [r["period"] for r in result] == ["2026-10-05", "2026-10"]
    day = Period.objects.get(label="2026-10-05")
    assert set(Composite.objects.filter(period=day).values_list("level", flat=True)) == {"city", "district"}
    city_day = {s.indicator_code: s for s in Snapshot.objects.filter(period=day, level="city")}
    # 5 Oct: C1–C4 reported and filed (C6 merged), C5 not yet.
    assert (city_day["filing_rate"].numerator, city_day["filing_rate"].denominator) == (4, 4)
    for code in ("filing_rate", "handling_rate", "closing_rate"):
        assert code in city_day
    month = {s.indicator_code: s for s in Snapshot.objects.filter(period__label="2026-10", level="city")}
    assert (month["filing_rate"].numerator, month["filing_rate"].denominator) == (10, 12)
    # Twice: same rows, a second run logged.
    tasks.compute_hourly.apply().get()
    assert Snapshot.objects.filter(period=day).count() == len(city_day) * 3
    assert ComputeRun.objects.filter(task_name="assessment.compute_hourly", trigger=Trigger.SCHEDULE).count() == 4


def test_nightly_computes_every_object_type_of_yesterdays_month(monkeypatch, city, october):
    _today(monkeypatch, date(2026, 11, 1))
    result = tasks.compute_nightly.apply().get()
    assert result["period"] == "2026-10"
    kinds = set(Composite.objects.filter(period__label="2026-10").values_list("object_type", flat=True))
    assert kinds == {"region", "department", "collector", "operator", "shift_leader", "dispatcher", "hotline_line",
                     "hotline_agent"}


def test_freeze_previous_month_is_idempotent(monkeypatch, city, october):
    _today(monkeypatch, date(2026, 11, 1))
    first = tasks.freeze_previous_month.apply().get()
    assert first["period"] == "2026-10" and first["run"]
    assert Period.objects.get(label="2026-10").is_frozen
    second = tasks.freeze_previous_month.apply().get()
    assert second == {"period": "2026-10", "run": None, "skipped": "frozen"}
    # The nightly run of that month now leaves it alone.
    assert tasks.compute_nightly.apply().get() == {"period": "2026-10", "skipped": "frozen"}
    assert tasks.compute.apply(("2026-10",)).get() == {"period": "2026-10", "skipped": "frozen"}


def test_generic_compute_task(city, october):
    result = tasks.compute.apply(("2026-10", "department")).get()
    assert result["snapshots"] == Snapshot.objects.filter(object_type="department").count() > 0
