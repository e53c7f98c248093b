"""A real Celery worker on Redis runs the scheduled hourly task and updates a snapshot.

Runs only with CELERY_BROKER_URL (the PostgreSQL + Redis pass of CI). The worker is a subprocess
on the test database (citygrid.testing.celery_worker), so the test commits its data
(transaction=True) and waits for the worker's writes."""
import uuid

import pytest
from django.conf import settings
from django.utils import timezone

from assessment.models import ComputeRun, Snapshot
from assessment.periods import local_today, month_label
from assessment.services import assessment_compute
from citygrid.celery import app
from citygrid.testing import celery_worker

from .conftest import Builder


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
    with celery_worker(queue) as worker:
        entry = settings.CELERY_BEAT_SCHEDULE["assessment-hourly"]  # exactly what beat sends
        app.send_task(entry["task"], args=entry.get("args", ()), kwargs=entry.get("kwargs", {}), queue=queue)

        def updated() -> bool:
            snapshot = _city_filing(label, city.city.pk)
            return snapshot is not None and snapshot.denominator == 2

        worker.wait_for(updated)
        snapshot = _city_filing(label, city.city.pk)
        assert snapshot is not None and (snapshot.numerator, snapshot.denominator) == (1, 2), worker.output()
        assert str(snapshot.rate) == "0.500000"
        run = ComputeRun.objects.filter(task_name="assessment.compute_hourly").latest("started_at")
        assert run.trigger == "schedule" and run.levels == "city,district"
        assert Snapshot.objects.filter(period__label=local_today().isoformat(), level="city").exists()
