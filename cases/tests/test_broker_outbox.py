"""The outbox end to end on a real broker: a report accepted while Redis is unreachable is committed
with its side effect pending; a real Celery worker then starts on Redis and, from its start-up drain,
runs the side effect once.

Runs only with CELERY_BROKER_URL and PostgreSQL (the PostgreSQL + Redis pass of CI): the worker is a
subprocess on the test database (citygrid.testing.celery_worker), so the test commits
(transaction=True); its queue is also the web side's (CELERY_QUEUE), so the drain sends there."""
import uuid

import pytest
from django.db import connection
from rest_framework.test import APIClient

from cases import outbox
from cases.models import Case, OutboxMessage
from citygrid.testing import celery_worker, point_in

from .test_safety import broker_down  # noqa: F401 - the fixture


@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_starting_on_redis_runs_the_side_effect_kept_while_it_was_down(city, broker_down):  # noqa: F811
    client = APIClient()
    client.force_authenticate(city.users["collector_a"])
    lon, lat = point_in(0)
    response = client.post("/api/cases/", {"source": "collector", "minor_id": city.classes["garbage"].pk,
                                           "lon": lon, "lat": lat, "description": "路边有暴露垃圾"}, format="json",
                           HTTP_X_REQUEST_ID="rid-kept-4711")
    assert response.status_code == 201, response.content  # committed for real: on_commit ran
    case = Case.objects.get(number=response.json()["number"])
    message = OutboxMessage.objects.get(kwargs__case_id=case.pk)
    assert message.sent_at is None and message.attempts == 1 and "6390" in message.last_error
    assert message.request_id == "rid-kept-4711"
    broker_down()  # the web process's part ends here: Redis is back, a worker starts

    queue = f"outbox-test-{uuid.uuid4().hex[:8]}"
    try:
        with celery_worker(queue, CELERY_QUEUE=queue, DJANGO_SETTINGS_MODULE="citygrid.settings", DEBUG="0") as worker:
            def claimed() -> bool:
                message.refresh_from_db()
                return message.done_at is not None

            worker.wait_for(claimed)
            # Sent by the worker's start-up drain, then run by the worker (done_at is its claim).
            assert message.sent_at is not None and message.done_at is not None, worker.output()
            assert message.attempts == 2 and message.last_error == ""
            assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    finally:
        # The flush empties the tables but not the per-year case-number sequences this committed
        # report created: drop them too, so later tests count from 1 again.
        with connection.cursor() as cursor:
            cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE 'case\\_number\\_%%'")
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP SEQUENCE IF EXISTS {name}")


@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db
def test_with_redis_up_the_commit_hook_publishes_and_marks_the_message_in_one_statement(
        city, django_capture_on_commit_callbacks):
    from celery import current_app
    from django.test.utils import CaptureQueriesContext

    queue = f"outbox-hook-test-{uuid.uuid4().hex[:8]}"
    saved = {key: current_app.conf.get(key) for key in ("CELERY_TASK_ALWAYS_EAGER", "CELERY_TASK_DEFAULT_QUEUE")}
    current_app.conf.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_TASK_DEFAULT_QUEUE=queue)
    try:
        client = APIClient()
        client.force_authenticate(city.users["collector_a"])
        lon, lat = point_in(0)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client.post("/api/cases/", {"source": "collector", "minor_id": city.classes["garbage"].pk,
                                                   "lon": lon, "lat": lat, "description": "路边有暴露垃圾"},
                                   format="json")
        assert response.status_code == 201, response.content
        # A process's first publish imports every app's tasks, and Celery's Django fixup then runs
        # the system checks (the calendar's reads the steps): once per process, not per message.
        outbox._tasks_ready()
        with CaptureQueriesContext(connection) as queries:
            for callback in callbacks:
                callback()
        message = OutboxMessage.objects.get()
        assert message.sent_at is not None and message.attempts == 1 and message.last_error == ""
        assert [q["sql"].split()[0] for q in queries.captured_queries] == ["UPDATE"]
        with current_app.connection_for_write() as broker:  # the task is on Redis, not run here
            assert broker.default_channel.client.llen(queue) == 1
            broker.default_channel.client.delete(queue)
    finally:
        current_app.conf.update(saved)
