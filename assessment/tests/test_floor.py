"""The benchmark's SQL floor (bench/floor.py: every counter of every object type by one
hand-written query) counts exactly what the assessment stores, on the hand-built October: the
check bench/run.py makes at a million cases, kept honest here. PostgreSQL only (the floor is
PostgreSQL's SQL)."""
import pytest
from django.db import connection

from assessment.models import Composite, ObjectType
from assessment.objects import POSITION_ROLE
from assessment.periods import window_for
from assessment.services import assessment_compute
from bench import floor
from cases.models import Case
from grids.models import User

from . import scenario
from .conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _floor_against_stored():
    window = window_for(at(1).date(), at(1, month=11).date())
    with connection.cursor() as cursor:
        cursor.execute(floor.FLOOR_SQL, floor.floor_params(window))
        rows = cursor.fetchall()
    stored = {(kind, level if kind == ObjectType.REGION else None, object_id): counters
              for kind, level, object_id, counters in Composite.objects.filter(period__label="2026-10")
              .values_list("object_type", "level", "object_id", "counters")}
    people = {kind: set(User.objects.filter(role=role).values_list("pk", flat=True))
              for kind, role in POSITION_ROLE.items()}
    return floor.floor_mismatches(floor.floor_counters(rows), stored, people)


def test_the_floor_counts_what_the_assessment_stores(city, catalogue):
    scenario.build_october(city)
    assessment_compute(period="2026-10")
    compared, differences = _floor_against_stored()
    assert differences == []
    assert compared > 300  # every type's counters were compared, not an empty answer


def test_the_check_sees_a_wrong_stored_count(city, catalogue):
    scenario.build_october(city)
    assessment_compute(period="2026-10")
    composite = Composite.objects.filter(period__label="2026-10", object_type=ObjectType.DISPATCHER).exclude(
        counters__dispatched=0).first()
    composite.counters["dispatched"] += 1
    composite.save(update_fields=["counters"])
    _compared, differences = _floor_against_stored()
    assert len(differences) == 1 and "dispatched" in differences[0]


def test_the_floor_counts_the_filtered_counters_the_assessment_stores(city, catalogue):
    """Issue 22: the bench's catalogue with filtered indicators (a share by source, the 部件/事件
    split, a major class, a flag, an event counter by kind), its counts equal to the floor's with
    the same filters written by hand."""
    from bench.runner.assess import bench_catalogue, filtered_by_type

    scenario.build_october(city)
    major = Case.objects.values_list("minor__major__code", flat=True).first()
    filtered = floor.bench_filtered(major)
    assessment_compute(period="2026-10", catalogue=bench_catalogue(catalogue, filtered))
    window = window_for(at(1).date(), at(1, month=11).date())
    with connection.cursor() as cursor:
        cursor.execute(floor.floor_sql(filtered), floor.floor_params(window, major=major))
        counts = floor.floor_counters(cursor.fetchall(), filtered)
    stored = {(kind, level if kind == ObjectType.REGION else None, object_id): counters
              for kind, level, object_id, counters in Composite.objects.filter(period__label="2026-10")
              .values_list("object_type", "level", "object_id", "counters")}
    people = {kind: set(User.objects.filter(role=role).values_list("pk", flat=True))
              for kind, role in POSITION_ROLE.items()}
    _compared, differences = floor.floor_mismatches(counts, stored, people, filtered=filtered_by_type(filtered))
    assert differences == []
    keys = {f.key for f in filtered}
    nonzero = {key for values in counts.values() for key, n in values.items() if key in keys and n}
    assert len(nonzero) >= 6  # the filters select rows on this month, not only zeros compared
