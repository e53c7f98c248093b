"""Indicators, scores, composites, grades and ranks of the hand-built October with the default
catalogue, "not applicable" on zero denominators, and the cost of a whole computation."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment.models import Composite, ComputeRun, ObjectType, Snapshot
from assessment.services import assessment_compute
from grids.models import Role, User

from . import scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def october(city, catalogue):
    return scenario.build_october(city)


def _object_id(city, object_type, key):
    if object_type == ObjectType.REGION:
        return city.city.pk if key == "city" else None
    if object_type == ObjectType.DEPARTMENT:
        return city.departments[key].pk
    return city.users[key].pk


def test_composites_grades_and_ranks(city, october):
    run = assessment_compute(period="2026-10")
    assert run.composites == Composite.objects.count() and run.snapshots == Snapshot.objects.count()
    for (object_type, level, key), (score, grade, rank) in scenario.EXPECTED_COMPOSITES.items():
        if object_type == ObjectType.REGION and level == "district":
            object_id = city.districts[key].pk
        elif object_type == ObjectType.REGION and level == "grid":
            object_id = city.grids[key].pk
        else:
            object_id = _object_id(city, object_type, key)
        row = Composite.objects.get(period__label="2026-10", object_type=object_type, level=level,
                                    object_id=object_id)
        assert (str(row.score), row.grade, row.rank) == (score, grade, rank), (object_type, level, key)


def test_street_and_community_rank_like_their_district(city, october):
    assessment_compute(period="2026-10", object_type=ObjectType.REGION)
    east, west = city.grids[0], city.grids[2]
    for level, field in (("street", "street_id"), ("community", "community_id")):
        rows = {row.object_id: row for row in Composite.objects.filter(level=level)}
        assert (str(rows[getattr(west, field)].score), rows[getattr(west, field)].rank) == ("67.00", 1)
        assert (str(rows[getattr(east, field)].score), rows[getattr(east, field)].rank) == ("66.67", 2)


def test_city_rates_as_published(city, october):
    assessment_compute(period="2026-10", object_type=ObjectType.REGION)
    snaps = {s.indicator_code: s for s in Snapshot.objects.filter(level="city", object_id=city.city.pk)}
    expected = {  # numerator, denominator, percent, score
        "filing_rate": (10, 12, "83.33", "83.33"),
        "handling_rate": (5, 7, "71.43", "71.43"),
        "ontime_handling_rate": (4, 7, "57.14", "57.14"),
        "closing_rate": (6, 8, "75.00", "75.00"),
        "ontime_closing_rate": (5, 8, "62.50", "62.50"),
        "rework_rate": (1, 5, "20.00", "80.00"),  # lower is better: (1 − 0.2) × 100
        "public_report_rate": (3, 12, "25.00", "75.00"),
        "valid_report_rate": (8, 9, "88.89", "88.89"),
    }
    for code, (num, den, pct, score) in expected.items():
        s = snaps[code]
        assert (s.numerator, s.denominator, f"{s.percent:.2f}", str(s.score)) == (num, den, pct, score), code
    volume = snaps["filed_volume"]
    assert (volume.numerator, volume.denominator, volume.rate, volume.score) == (10, None, None, Decimal("60.00"))


def test_zero_denominator_is_not_applicable_never_100(city, october):
    idle = User.objects.create_user(username="collector_c", password="x", role=Role.COLLECTOR)
    assessment_compute(period="2026-10", object_type=ObjectType.COLLECTOR)
    snaps = Snapshot.objects.filter(object_type=ObjectType.COLLECTOR, object_id=idle.pk)
    assert snaps.count() == 4
    for snap in snaps:
        assert (snap.denominator, snap.rate, snap.score, snap.applicable) == (0, None, None, False)
    composite = Composite.objects.get(object_type=ObjectType.COLLECTOR, object_id=idle.pk)
    assert (composite.score, composite.grade, composite.rank) == (None, "", None)
    assert composite.level == "city"
    # The other collectors are still ranked among themselves (district level), 2 of them.
    ranked = Composite.objects.filter(object_type=ObjectType.COLLECTOR, level="district")
    assert sorted(ranked.values_list("rank", "ranked_count")) == [(1, 2), (2, 2)]


def test_partly_applicable_composite_renormalises_weights(city, catalogue):
    """A department with only a late handled case: 立案数 band, 按期处置率 0 %, 结案率 N/A (nothing
    due to close), 返工率 0 % → the composite spreads over the applicable weights (10+30+30)."""
    from .conftest import Builder, at

    b = Builder(city)
    b.case(0, department="sanitation_a", reported_at=at(3), filed_at=at(3), handle_deadline=at(20, month=11),
           handled_at=at(4), handled_on_time=False, state="handled")
    b.save()
    assessment_compute(period="2026-10", object_type=ObjectType.DEPARTMENT)
    snaps = {s.indicator_code: s for s in Snapshot.objects.filter(object_id=city.departments["sanitation_a"].pk,
                                                                   object_type="department")}
    assert snaps["closing_rate"].rate is None and not snaps["closing_rate"].applicable
    assert snaps["ontime_handling_rate"].score == Decimal("0.00")
    assert snaps["rework_rate"].score == Decimal("100.00")
    row = Composite.objects.get(object_type="department", object_id=city.departments["sanitation_a"].pk)
    # (10 × 60 + 30 × 0 + 30 × 100) / 70 = 51.43
    assert row.score == Decimal("51.43") and row.grade == "D"


def test_an_empty_month_grades_nobody(city, catalogue):
    assessment_compute(period="2025-12")
    assert Composite.objects.filter(period__label="2025-12").exists()
    assert not Composite.objects.filter(period__label="2025-12", score__isnull=False).exists()
    assert not Snapshot.objects.filter(period__label="2025-12", rate__isnull=False).exists()
    # Volumes still score by their bands (0 reports = the lowest band), but grade nobody alone.
    assert Snapshot.objects.filter(period__label="2025-12", indicator_code="filed_volume",
                                   score=Decimal("40.00")).exists()


def test_recompute_replaces_results_and_is_idempotent(city, october):
    assessment_compute(period="2026-10")
    counts = (Snapshot.objects.count(), Composite.objects.count())
    first = list(Composite.objects.order_by("object_type", "level", "object_id").values_list("score", "rank"))
    assessment_compute(period="2026-10")
    assert (Snapshot.objects.count(), Composite.objects.count()) == counts
    assert list(Composite.objects.order_by("object_type", "level", "object_id").values_list("score", "rank")) == first
    assert ComputeRun.objects.count() == 2


def test_whole_computation_costs_constant_queries(city, october):
    def measure():
        with CaptureQueriesContext(connection) as ctx:
            assessment_compute(period="2026-10")
        return len(ctx.captured_queries)

    measure()  # the first run also creates the period
    before = measure()
    from .conftest import Builder, at

    b = Builder(city)
    for n in range(300):
        b.case(n % 4, reported_at=at(1 + n % 28), filed_at=at(1 + n % 28, 11), department="municipal",
               handle_deadline=at(2 + n % 28), handled_at=at(2 + n % 28, 9), handled_on_time=bool(n % 3))
    b.save()
    assert measure() == before
    # 70 before the collectors' patrol figures (8 queries, patrol.counters); 88 with the hotline's
    # lines and agents (their two passes, the agents' ids, and each type's objects, deletes and writes).
    assert before <= 88


@pytest.mark.parametrize("label, kind, reports", [
    ("2026-10-01..2026-10-09", "range", 6), ("2026-W41", "week", 7), ("2026-Q4", "quarter", 12),
    ("2026-10-05", "day", 4), ("2026", "year", 14),
])
def test_any_period(city, october, label, kind, reports):
    run = assessment_compute(period=label, object_type=ObjectType.REGION, levels=["city"])
    assert run.period.kind == kind
    filing = Snapshot.objects.get(period=run.period, level="city", indicator_code="filing_rate")
    assert filing.denominator == reports
