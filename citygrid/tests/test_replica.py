"""The read replicas (core.db_router) against a real streaming replica of the test database:
.ci/replica starts one (pg_basebackup, hot standby on another port) and sets DATABASE_REPLICA_URLS
and the commands that stop and start it. Skipped without a replica configured."""
import os
import subprocess
import time

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cases.models import Case
from citygrid.testing import point_in
from core import db_router
from core.db_router import STICKY_COOKIE, replica_lag_seconds, replica_reads

pytestmark = [pytest.mark.replica, pytest.mark.postgres, pytest.mark.django_db(transaction=True, databases="__all__")]

REPLICA = "replica_1"


@pytest.fixture(autouse=True)
def _fresh_marks():
    db_router.replica_marks_clear()
    yield
    db_router.replica_marks_clear()


def replica_catch_up(seconds: float = 30) -> None:
    """Wait until the replica has replayed everything the primary wrote so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (target,) = cursor.fetchone()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError(f"the replica did not catch up within {seconds}s")


def replica_pause(paused: bool) -> None:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")


def report(client: APIClient, city, description: str) -> str:
    lon, lat = point_in(0)
    response = client.post("/api/cases/", {"source": "collector", "minor_id": city.classes["garbage"].pk,
                                           "lon": lon, "lat": lat, "description": description}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["number"]


def found_count(response) -> int:
    assert response.status_code == 200
    return response.context["page"].paginator.count


def test_the_replica_is_a_standby_of_the_test_database(city):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_database()")
        in_recovery, name = cursor.fetchone()
    assert in_recovery is True
    assert name == connections["default"].settings_dict["NAME"]  # the replica's copy of the test database
    replica_catch_up()
    assert Case.objects.using(REPLICA).count() == Case.objects.count()
    assert replica_lag_seconds(REPLICA) is not None


def test_opted_in_reads_go_to_the_replica_and_the_others_to_the_primary(city):
    client = APIClient()
    client.force_login(city.users["operator"])
    replica_catch_up()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get("/search/").status_code == 200
    assert any('"cases_case"' in query["sql"] for query in on_replica.captured_queries)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get("/work/operator/").status_code == 200  # the work queue: not opted in
        Case.objects.count()
    assert on_replica.captured_queries == []
    with replica_reads(), CaptureQueriesContext(connections[REPLICA]) as on_replica:
        Case.objects.count()
    assert len(on_replica.captured_queries) == 1


def test_a_person_reads_their_own_write_while_the_replica_lags(city):
    """Replay paused on the replica: the new case is not there, yet whoever reported it finds it
    (their write set the sticky cookie, so their reads go to the primary); someone else, without the
    cookie, reads the lagging replica."""
    reporter = APIClient()
    reporter.force_login(city.users["operator"])
    replica_catch_up()
    replica_pause(True)
    try:
        number = report(reporter, city, "井盖缺失，回读测试")
        assert STICKY_COOKIE in reporter.cookies
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            found = reporter.get("/search/", {"number": number})
        assert found_count(found) == 1 and on_replica.captured_queries == []

        other = APIClient()
        other.force_login(city.users["operator"])
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            lagging = other.get("/search/", {"number": number})
        assert lagging.status_code == 200 and on_replica.captured_queries
        assert found_count(lagging) == 0  # lag tolerated: the replica has not replayed it yet
    finally:
        replica_pause(False)
    replica_catch_up()
    assert found_count(other.get("/search/", {"number": number})) == 1


def test_a_replica_lagging_past_the_cutoff_gets_no_reads_until_it_catches_up(city, settings):
    """Replay paused and a case written on the primary: once the replica is more than
    REPLICA_MAX_LAG_SECONDS behind, reads go to the primary (and find the case); after replay
    resumes they go back to the replica."""
    settings.REPLICA_MAX_LAG_SECONDS = 1
    settings.REPLICA_LAG_CHECK_SECONDS = 0  # look the lag up at every read
    reader = APIClient()
    reader.force_login(city.users["operator"])
    replica_catch_up()
    assert replica_lag_seconds(REPLICA) < 1  # all received replayed: no lag, however idle the primary
    replica_pause(True)
    try:
        reporter = APIClient()
        reporter.force_login(city.users["operator"])
        number = report(reporter, city, "护栏损坏，延迟上限测试")
        deadline = time.monotonic() + 30
        while (replica_lag_seconds(REPLICA) or 0) <= 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert replica_lag_seconds(REPLICA) > 1
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            response = reader.get("/search/", {"number": number})
        assert found_count(response) == 1 and on_replica.captured_queries == []
        assert db_router.replicas_up() == [REPLICA]  # lagging is not down
    finally:
        replica_pause(False)
    replica_catch_up()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert found_count(reader.get("/search/", {"number": number})) == 1
    assert on_replica.captured_queries


def test_a_replica_that_goes_away_leaves_reads_on_the_primary(city, settings):
    client = APIClient()
    client.force_login(city.users["operator"])
    reporter = APIClient()
    reporter.force_login(city.users["operator"])
    number = report(reporter, city, "路灯不亮，副本停机测试")  # the reader has no sticky cookie
    replica_catch_up()
    assert client.get("/search/").status_code == 200
    assert connections[REPLICA].connection is not None  # an open connection, about to break
    subprocess.run(os.environ["REPLICA_STOP_COMMAND"], shell=True, check=True, capture_output=True)
    try:
        # Mid-request the open connection fails: the replica is marked down and the view runs again
        # on the primary. Then the replica gets no read until REPLICA_RETRY_SECONDS have passed.
        response = client.get("/search/", {"number": number})
        assert response.status_code == 200 and found_count(response) == 1
        assert db_router.replicas_up() == []
        with CaptureQueriesContext(connections["default"]) as on_primary:
            assert client.get("/overview/").status_code == 200
        assert on_primary.captured_queries
        # Retry time over, the replica still down: the connection is refused at once, marked again.
        settings.REPLICA_RETRY_SECONDS = 0
        started = time.monotonic()
        assert client.get("/search/", {"number": number}).status_code == 200
        assert time.monotonic() - started < 5
        with replica_reads():
            assert Case.objects.filter(number=number).exists()
    finally:
        subprocess.run(os.environ["REPLICA_START_COMMAND"], shell=True, check=True, capture_output=True)
    db_router.replica_marks_clear()
    connections[REPLICA].close()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get("/search/").status_code == 200
    assert on_replica.captured_queries  # back in service
