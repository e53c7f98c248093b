"""The outbox end to end on a real broker: a report accepted while Redis is unreachable is committed
with its side effect pending; a real Celery worker then starts on Redis and, from its start-up drain,
runs the side effect once.

Runs only with CELERY_BROKER_URL and PostgreSQL (the PostgreSQL + Redis pass of CI): the worker is a
subprocess on the test database, so the test commits (transaction=True). A queue of its own
(CELERY_QUEUE) keeps any other worker on the same broker away from its messages."""
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from cases.models import Case, OutboxMessage
from citygrid.celery import app
from citygrid.testing import point_in

from .test_safety import broker_down  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}{port}/{db['NAME']}"


@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_starting_on_redis_runs_the_side_effect_kept_while_it_was_down(city, broker_down):  # noqa: F811
    client = APIClient()
    client.force_authenticate(city.users["collector_a"])
    lon, lat = point_in(0)
    response = client.post("/api/cases/", {"source": "collector", "minor_id": city.classes["garbage"].pk,
                                           "lon": lon, "lat": lat, "description": "路边有暴露垃圾"}, format="json")
    assert response.status_code == 201, response.content  # committed for real: on_commit ran
    case = Case.objects.get(number=response.json()["number"])
    message = OutboxMessage.objects.get(kwargs__case_id=case.pk)
    assert message.sent_at is None and message.attempts == 1 and "6390" in message.last_error
    broker_down()  # the web process's part ends here: Redis is back, a worker starts

    queue = f"outbox-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
           "CELERY_QUEUE": queue, "DJANGO_SETTINGS_MODULE": "citygrid.settings", "DEBUG": "0",
           "PYTHONUNBUFFERED": "1"}
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "citygrid", "worker", "-Q", queue, "--pool", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            message.refresh_from_db()
            if message.done_at is not None or worker.poll() is not None:
                break
            time.sleep(0.5)
        output = Path(log.name).read_text(errors="replace")
        # Sent by the worker's start-up drain, then run by the worker (done_at is its claim).
        assert message.sent_at is not None and message.done_at is not None, output[-4000:]
        assert message.attempts == 2 and message.last_error == ""
        assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()
        os.unlink(log.name)
        # The flush empties the tables but not the per-year case-number sequences this committed
        # report created: drop them too, so later tests count from 1 again.
        with connection.cursor() as cursor:
            cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE 'case\\_number\\_%%'")
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP SEQUENCE IF EXISTS {name}")
        with app.connection_for_write() as conn:  # leave no test queue behind on the broker
            channel = conn.default_channel
            channel.queue_delete(queue)
            redis = getattr(channel, "client", None)
            if redis is not None:
                redis.delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
