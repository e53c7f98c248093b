"""A real Celery worker on Redis runs the scheduled hourly task and updates a snapshot.

Runs only with CELERY_BROKER_URL (the PostgreSQL + Redis pass of CI). The worker is a subprocess
pointed at the test database (DATABASE_URL built from the test connection), so the test commits
its data (transaction=True) and waits for the worker's writes. A queue of its own keeps any other
worker on the same broker from taking the task."""
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
from django.utils import timezone

from assessment.models import ComputeRun, Snapshot
from assessment.periods import local_today, month_label
from assessment.services import assessment_compute
from citygrid.celery import app

from .conftest import Builder

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{db['NAME']}"


def _city_filing(label: str, city_id: int) -> Snapshot | None:
    return Snapshot.objects.filter(period__label=label, level="city", object_id=city_id,
                                   indicator_code="filing_rate").first()


@pytest.mark.broker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_runs_the_scheduled_task_and_updates_the_snapshot(city, catalogue):
    label = month_label(local_today())
    now = timezone.now()
    builder = Builder(city)
    builder.case(0, reported_at=now, filed_at=now)
    builder.save()
    assessment_compute(period=label, object_type="region", levels=["city"])
    assert (_city_filing(label, city.city.pk).numerator, _city_filing(label, city.city.pk).denominator) == (1, 1)
    builder.case(1, reported_at=now)  # a second report, not filed: 立案率 becomes 1/2
    builder.save()

    queue = f"assessment-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
           "DJANGO_SETTINGS_MODULE": "citygrid.test_settings", "PYTHONUNBUFFERED": "1"}
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "citygrid", "worker", "-Q", queue, "--pool", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        entry = settings.CELERY_BEAT_SCHEDULE["assessment-hourly"]  # exactly what beat sends
        app.send_task(entry["task"], args=entry.get("args", ()), kwargs=entry.get("kwargs", {}), queue=queue)
        deadline = time.monotonic() + 90
        snapshot = None
        while time.monotonic() < deadline:
            snapshot = _city_filing(label, city.city.pk)
            if snapshot is not None and snapshot.denominator == 2:
                break
            if worker.poll() is not None:
                break
            time.sleep(0.5)
        output = Path(log.name).read_text(errors="replace")
        assert snapshot is not None and (snapshot.numerator, snapshot.denominator) == (1, 2), output[-4000:]
        assert str(snapshot.rate) == "0.500000"
        run = ComputeRun.objects.filter(task_name="assessment.compute_hourly").latest("started_at")
        assert run.trigger == "schedule" and run.levels == "city,district"
        assert Snapshot.objects.filter(period__label=local_today().isoformat(), level="city").exists()
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()
        os.unlink(log.name)
        with app.connection_for_write() as conn:  # leave no test queue behind on the broker
            channel = conn.default_channel
            channel.queue_delete(queue)
            client = getattr(channel, "client", None)  # Redis: the queue's binding sets
            if client is not None:
                client.delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
