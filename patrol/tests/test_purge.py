"""The retention purge (services.points_purge): points older than PATROL_RETENTION_DAYS go, newer
ones stay. On PostgreSQL the months wholly past the cutoff are dropped with their partitions and
only the month the cutoff falls in (and DEFAULT) is deleted row by row; SQLite deletes rows."""
from datetime import timedelta

import psycopg
import pytest
from django.db import connection

from citygrid.testing import at
from core import partitions
from patrol.models import DutyShift, PatrolPoint
from patrol.services import points_purge
from patrol.tasks import purge

pytestmark = pytest.mark.django_db

# 90 days before 2025-06-05 12:00: the cutoff falls in March, on the 7th at 12:00.
NOW = at("2025-06-05 12:00")
CUTOFF = at("2025-03-07 12:00")
DAYS = ["2025-01-10 09:00", "2025-02-10 09:00", "2025-03-05 09:00", "2025-03-10 09:00", "2025-04-10 09:00"]


def points_on(collector, days: list[str], per_day: int = 4) -> None:
    for day in days:
        shift = DutyShift.objects.create(collector=collector, started_at=at(day), ended_at=at(day) + timedelta(hours=1))
        PatrolPoint.objects.bulk_create(
            PatrolPoint(collector=collector, shift=shift, at=at(day) + timedelta(minutes=i), lon=112.9, lat=28.2)
            for i in range(per_day))


@pytest.fixture
def track(collector_a, settings):
    settings.PATROL_RETENTION_DAYS = 90
    assert NOW - timedelta(days=90) == CUTOFF
    partitions.ensure_span(at("2025-01-01 00:00"), at("2025-04-30 00:00"))  # nothing on SQLite
    points_on(collector_a, DAYS)
    return collector_a


def test_old_points_go_and_newer_ones_stay(track):
    kept = PatrolPoint.objects.filter(at__gte=CUTOFF).count()
    result = points_purge(now=NOW)
    assert PatrolPoint.objects.filter(at__lt=CUTOFF).count() == 0
    assert PatrolPoint.objects.count() == kept == 8
    assert result["points"] + 4 * result["point_months_dropped"] == 12
    assert DutyShift.objects.count() == len(DAYS)  # shifts stay for the assessment
    assert points_purge(now=NOW)["points"] == 0  # safe to run twice


@pytest.mark.postgres
def test_months_past_the_retention_are_dropped_whole(track):
    # A point of a month without a partition waits in DEFAULT: deleted row by row like March's.
    points_on(track, ["2024-12-10 09:00"], per_day=3)
    assert rows_in("patrol_patrolpoint_default") == 3
    with connection.cursor() as cursor:
        # The points' deferred foreign-key checks, due at commit, would forbid the DROP in this
        # transaction ("pending trigger events"); the nightly task runs long after they committed.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    result = points_purge(now=NOW)
    months = patrol_months()
    assert "2025-01" not in months and "2025-02" not in months
    assert {"2025-03", "2025-04"} <= months
    assert result["point_months_dropped"] == 2
    assert result["points"] == 4 + 3  # March 5th's and DEFAULT's, not January's or February's
    assert rows_in("patrol_patrolpoint_p2025_03") == 4 and rows_in("patrol_patrolpoint_p2025_04") == 4
    assert rows_in("patrol_patrolpoint_default") == 0
    # The event log and steps are not the purge's: their months stay.
    assert partitions.partition_name("cases_casestep", partitions.Month(2025, 1)) in child_tables("cases_casestep")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_month_whose_drop_waits_on_a_lock_is_deleted_instead(collector_a, settings, monkeypatch):
    """Another session reads January (it holds a lock on the partition): the purge does not queue
    its DROP behind that read (every later query would queue behind the DROP); it deletes January's
    rows instead and drops February."""
    settings.PATROL_RETENTION_DAYS = 90
    monkeypatch.setattr(partitions, "DROP_LOCK_TIMEOUT", "200ms")
    # The points' months only: a month of the case table, referenced by foreign keys, is not
    # dropped by the clean-up below (nor is it the purge's).
    created = partitions.ensure_span(at("2025-01-01 00:00"), at("2025-04-30 00:00"), tables=["patrol_patrolpoint"])
    reader = psycopg.connect(**connection.get_connection_params(), autocommit=False)
    try:
        points_on(collector_a, DAYS)
        reader.execute("LOCK TABLE patrol_patrolpoint_p2025_01 IN ACCESS SHARE MODE")
        result = points_purge(now=NOW)
        assert "2025-01" in patrol_months() and "2025-02" not in patrol_months()
        assert result["point_months_dropped"] == 1
        assert result["points"] == 4 + 4  # January's rows, then March 5th's
        assert PatrolPoint.objects.filter(at__lt=CUTOFF).count() == 0
        assert PatrolPoint.objects.count() == 8
    finally:
        reader.close()
        with connection.cursor() as cursor:  # committed months: leave the test database as found
            for name in created:
                cursor.execute(f"DROP TABLE IF EXISTS {name}")


def test_the_nightly_task_purges(track, clock):
    clock.set(NOW)
    result = purge.apply().get()
    assert PatrolPoint.objects.count() == 8
    assert result["points"] + 4 * result["point_months_dropped"] == 12


def rows_in(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def child_tables(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass", [table])
        return {row[0] for row in cursor.fetchall()}


def patrol_months() -> set[str]:
    return {str(month) for month in next(s for s in partitions.status() if s.table == "patrol_patrolpoint").months}
