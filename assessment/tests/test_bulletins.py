"""Issued bulletins (通报, 第 N 期): issued by beat once their period has ended (a month after it is
frozen), once per period, numbered per kind and year (distinct under concurrency, on PostgreSQL),
archived as issued (a recomputation later does not change what reads as issued), listed with a
constant number of queries, scoped to a department's own lines, printable and exported; the
headline carries its target, 环比 and 同比."""
import io
import threading
from datetime import date
from decimal import Decimal

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from assessment import tasks
from assessment.bulletins import bulletin_issue
from assessment.models import Bulletin, Composite, ObjectType, Period, RegionLevelKey, Snapshot
from assessment.services import assessment_compute, period_get_or_create

from . import scenario

pytestmark = pytest.mark.django_db
LABEL = "2026-10"


@pytest.fixture
def october(city, catalogue):
    return scenario.build_october(city)


@pytest.fixture
def browser(manager):
    client = Client()
    client.force_login(manager)
    return client


def _today(monkeypatch, day: date):
    monkeypatch.setattr(tasks, "local_today", lambda: day)


def _xlsx_rows(response) -> list[tuple]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    return [tuple(v for v in row if v is not None)
            for row in load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(values_only=True)]


def test_beat_issues_daily_weekly_monthly_after_the_period():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["assessment-bulletin-daily"] == {
        "task": "assessment.issue_bulletin", "schedule": crontab(hour=0, minute=30), "args": ("day",)}
    assert schedule["assessment-bulletin-weekly"]["schedule"] == crontab(day_of_week=1, hour=0, minute=45)
    assert schedule["assessment-bulletin-weekly"]["args"] == ("week",)
    monthly = schedule["assessment-bulletin-monthly"]
    freeze = schedule["assessment-freeze-previous-month"]["schedule"]
    assert monthly["args"] == ("month",) and monthly["schedule"] == crontab(day_of_month=1, hour=3, minute=30)
    assert freeze == crontab(day_of_month=1, hour=3, minute=0)  # the month is frozen first


@pytest.mark.parametrize("kind, today, label", [
    ("day", date(2026, 10, 6), "2026-10-05"), ("week", date(2026, 10, 12), "2026-W41"),
    ("week", date(2027, 1, 4), "2026-W53"), ("month", date(2026, 11, 1), "2026-10"),
    ("month", date(2027, 1, 1), "2026-12"),
])
def test_the_period_that_just_ended(kind, today, label):
    assert tasks.ended_period_label(kind, today) == label


def test_monthly_task_freezes_issues_and_is_idempotent(monkeypatch, october):
    _today(monkeypatch, date(2026, 11, 1))
    first = tasks.issue_bulletin.apply(("month",)).get()
    assert first["period"] == LABEL and first["number"] == 1
    period = Period.objects.get(label=LABEL)
    assert period.is_frozen
    bulletin = Bulletin.objects.get()
    assert (bulletin.kind, bulletin.year, bulletin.number, bulletin.period_id) == ("month", 2026, 1, period.pk)
    assert bulletin.title == "月度通报（2026-10）"
    assert "2026 年第 1 期" in bulletin.html and "数据已冻结" in bulletin.html
    assert tasks.issue_bulletin.apply(("month",)).get() == first
    assert Bulletin.objects.count() == 1


def test_numbered_per_kind_and_year(monkeypatch, october):
    issued = []
    for kind, today in (("day", date(2026, 10, 5)), ("day", date(2026, 10, 6)), ("week", date(2026, 10, 12)),
                        ("day", date(2026, 10, 7)), ("day", date(2027, 1, 2))):
        _today(monkeypatch, today)
        issued.append(tasks.issue_bulletin.apply((kind,)).get())
    assert [(r["period"], r["number"]) for r in issued] == [
        ("2026-10-04", 1), ("2026-10-05", 2), ("2026-W41", 1), ("2026-10-06", 3), ("2027-01-01", 1)]
    assert Bulletin.objects.get(period__label="2026-W41").title == "周通报（2026-W41）"
    assert Bulletin.objects.get(period__label="2027-01-01").year == 2027


def test_archived_as_issued(october, browser):
    assessment_compute(period=LABEL)
    bulletin = bulletin_issue(period=Period.objects.get(label=LABEL))
    city_row = Composite.objects.get(period__label=LABEL, object_type=ObjectType.REGION, level=RegionLevelKey.CITY)
    issued_score = f"{city_row.score:.2f}"
    assert bulletin.figures["headline"]["score"] == str(city_row.score)
    # The results change afterwards (a recomputation): the live bulletin shows it, the issued one not.
    Composite.objects.filter(pk=city_row.pk).update(score=Decimal("12.34"))
    live = browser.get(reverse("assessment:bulletin", args=[LABEL])).content.decode()
    assert "12.34" in live and "2026 年第 1 期" in live  # a link to the issued one
    archived = browser.get(reverse("assessment:bulletin_issued", args=[bulletin.pk])).content.decode()
    assert "12.34" not in archived and f"综合指标值 {issued_score}" in archived
    assert "data-print" in archived and "assessment/assessment.css" in archived
    assert bulletin_issue(period=Period.objects.get(label=LABEL)).pk == bulletin.pk  # not issued again


def test_list_keeps_its_queries(october, browser, django_assert_num_queries):
    assessment_compute(period=LABEL)
    bulletin_issue(period=Period.objects.get(label=LABEL))
    url = reverse("assessment:bulletins")
    with django_assert_num_queries(3) as one:  # session, user, bulletins with their periods
        browser.get(url)
    for day in ("2026-10-05", "2026-10-06"):
        assessment_compute(period=day, object_type=ObjectType.REGION)
        bulletin_issue(period=Period.objects.get(label=day))
    with django_assert_num_queries(len(one.captured_queries)):
        html = browser.get(url).content.decode()
    assert html.count("年第 1 期") == 2 and "2026 年第 2 期" in html and "日通报（2026-10-06）" in html


def test_export_of_the_issued_figures(october, browser):
    assessment_compute(period=LABEL)
    bulletin = bulletin_issue(period=Period.objects.get(label=LABEL))
    rows = _xlsx_rows(browser.get(reverse("assessment:bulletin_issued", args=[bulletin.pk]) + "?export=xlsx"))
    departments = Composite.objects.filter(period__label=LABEL, object_type=ObjectType.DEPARTMENT, rank__isnull=False)
    names = {row[1] for row in rows if len(row) > 2 and isinstance(row[0], int)}
    assert {d.object_name for d in departments} <= names
    Composite.objects.filter(period__label=LABEL).update(object_name="改名")
    assert _xlsx_rows(browser.get(reverse("assessment:bulletin_issued", args=[bulletin.pk]) + "?export=xlsx")) == rows


def test_a_department_reads_its_own_lines(city, october):
    assessment_compute(period=LABEL)
    bulletin = bulletin_issue(period=Period.objects.get(label=LABEL))
    own = Composite.objects.get(period__label=LABEL, object_type=ObjectType.DEPARTMENT,
                                object_id=city.departments["sanitation_a"].pk)
    client = Client()
    client.force_login(city.users["handler_a"])
    assert client.get(reverse("assessment:bulletins")).status_code == 200
    html = client.get(reverse("assessment:bulletin_issued", args=[bulletin.pk])).content.decode()
    assert own.object_name in html and f"排名 {own.rank}/{own.ranked_count}" in html
    assert "西区环卫所" not in html and bulletin.html not in html
    rows = _xlsx_rows(client.get(reverse("assessment:bulletin_issued", args=[bulletin.pk]) + "?export=xlsx"))
    assert [row[1] for row in rows if row and isinstance(row[0], int)] == [own.object_name]


def test_headline_has_target_month_on_month_and_year_on_year(october, browser):
    assessment_compute(period=LABEL)
    assessment_compute(period="2026-09", object_type=ObjectType.REGION)
    assessment_compute(period="2025-10", object_type=ObjectType.REGION)
    city_snaps = Snapshot.objects.filter(object_type=ObjectType.REGION, level=RegionLevelKey.CITY,
                                     indicator_code="filing_rate")
    now, before, year_ago = (city_snaps.get(period__label=label) for label in (LABEL, "2026-09", "2025-10"))
    Snapshot.objects.filter(pk=before.pk).update(value=Decimal("50.00"))
    Snapshot.objects.filter(pk=year_ago.pk).update(value=Decimal("90.25"))
    response = browser.get(reverse("assessment:bulletin", args=[LABEL]))
    row = next(r for r in response.context["headline_rows"] if r["snapshot"].indicator_code == "filing_rate")
    assert response.context["compared_labels"] == [("previous", "2026-09"), ("last_year", "2025-10")]
    assert row["changes"] == [now.value - Decimal("50.00"), now.value - Decimal("90.25")]
    html = response.content.decode()
    assert "环比（2026-09）" in html and "同比（2025-10）" in html


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_issuers_take_distinct_numbers(city, catalogue):
    labels = [f"2026-10-{day:02d}" for day in range(1, 7)]
    for label in labels:
        Period.objects.filter(pk=period_get_or_create(label=label).pk).update(computed_at="2026-10-08T00:00:00Z")
    barrier = threading.Barrier(len(labels))
    errors = []

    def issue(label):
        try:
            barrier.wait()
            with transaction.atomic():
                bulletin_issue(period=Period.objects.get(label=label))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(label,)) for label in [*labels, *labels[:2]]]
    barrier = threading.Barrier(len(threads))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(Bulletin.objects.values_list("number", flat=True)) == list(range(1, len(labels) + 1))
    assert Bulletin.objects.count() == len(labels)  # the two repeated periods issued once
