"""Counting on two PostgreSQL connections sharing one exported snapshot (assessment.counting) gives
exactly the numbers of counting on one; a worker's failure reaches the caller. These tests commit
(the worker connections see only committed rows), so they run on PostgreSQL with transaction=True."""
import threading

import pytest
from django.db import transaction

from assessment import counting
from assessment.models import Composite, ObjectType
from assessment.objects import levels_of
from assessment.periods import window_for
from assessment.services import assessment_compute

from . import scenario
from .conftest import at

# serialized_rollback: the flush after each test would otherwise take the migration's catalogue away
# from the tests that run later on a reused database.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
OCTOBER = window_for(at(1).date(), at(1, month=11).date())
JOBS = {kind: levels_of(kind) for kind in ObjectType.values}


def _threads_used(monkeypatch) -> set[str]:
    used: set[str] = set()
    count = counting.pass_count

    def recording(plan, window):
        used.add(threading.current_thread().name)
        return count(plan, window)

    monkeypatch.setattr(counting, "pass_count", recording)
    return used


def test_parallel_counting_equals_serial(city, catalogue, monkeypatch):
    scenario.build_october(city)
    with transaction.atomic():
        serial = dict(counting.counters_stream(JOBS, OCTOBER, parallel=False))
    used = _threads_used(monkeypatch)
    with transaction.atomic():
        parallel = dict(counting.counters_stream(JOBS, OCTOBER, parallel=True))
    assert used == {"assessment-counters-0", "assessment-counters-1"}
    assert parallel == serial
    assert serial[ObjectType.REGION]["grid"] and serial[ObjectType.DISPATCHER][None]  # not two empty answers


def _results() -> list[tuple]:
    return list(Composite.objects.order_by("object_type", "level", "object_id")
                .values_list("object_type", "level", "object_id", "counters", "score", "rank"))


def test_computation_at_top_level_counts_in_parallel_with_the_same_results(city, catalogue, monkeypatch):
    scenario.build_october(city)
    used = _threads_used(monkeypatch)
    assessment_compute(period="2026-10")  # outermost: parallel
    assert len(used) == 2
    parallel = _results()
    used.clear()
    with transaction.atomic():  # inside a caller's transaction: serial, on the caller's connection
        assessment_compute(period="2026-10")
    assert used == {threading.current_thread().name}
    serial = _results()
    assert parallel == serial and len(serial) > 10


def test_a_failing_worker_fails_the_computation(city, catalogue, monkeypatch):
    scenario.build_october(city)
    count = counting.pass_count

    def failing(plan, window):
        if ObjectType.OPERATOR in plan.types:
            raise RuntimeError("counting failed")
        return count(plan, window)

    monkeypatch.setattr(counting, "pass_count", failing)
    with pytest.raises(RuntimeError, match="counting failed"):
        assessment_compute(period="2026-10")
    assert not Composite.objects.exists()  # nothing half-written
