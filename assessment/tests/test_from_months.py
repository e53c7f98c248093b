"""A quarter's and a year's assessment is computed from its months: every counter of every object
is the sum of the months' counters (a frozen month as frozen), and rates and scores come from those
sums, not from the mean of the monthly rates."""
from decimal import Decimal

import pytest

from assessment.models import Composite, ObjectType, Period, RegionLevelKey, Snapshot
from assessment.services import assessment_compute, period_freeze

from . import scenario
from .conftest import Builder, at

pytestmark = pytest.mark.django_db
MONTHS = ("2026-10", "2026-11", "2026-12")


@pytest.fixture
def two_months(city, catalogue):
    scenario.build_october(city)
    b = Builder(city)
    for n in range(3):  # November: 3 reports, 1 filed
        b.case(n, reported_at=at(3 + n, month=11), **({"filed_at": at(4, month=11)} if n == 0 else {}))
    b.save()


def _counters(label):
    return {(c.object_type, c.level, c.object_id): c.counters for c in Composite.objects.filter(period__label=label)}


def test_quarter_counters_are_the_sums_of_its_months(two_months):
    assessment_compute(period="2026-Q4")
    quarter = _counters("2026-Q4")
    months = [_counters(label) for label in MONTHS]
    assert set(quarter) == set(months[0]) and len(quarter) > 20
    for key, values in quarter.items():
        assert values == {name: sum(month[key].get(name, 0) for month in months) for name in values}, key
    city = ("region", RegionLevelKey.CITY)
    assert [_counters(label)[(*city, next(k[2] for k in quarter if k[:2] == city))]["reports"]
            for label in ("2026-Q4", *MONTHS)] == [15, 12, 3, 0]


def test_rates_from_sums_not_the_mean_of_rates(two_months):
    assessment_compute(period="2026-Q4", object_type=ObjectType.REGION, levels=[RegionLevelKey.CITY])
    rows = {s.period.label: s for s in Snapshot.objects.select_related("period").filter(
        object_type=ObjectType.REGION, level=RegionLevelKey.CITY, indicator_code="filing_rate")}
    october, november, quarter = rows["2026-10"], rows["2026-11"], rows["2026-Q4"]
    assert (quarter.numerator, quarter.denominator) == (october.numerator + november.numerator,
                                                        october.denominator + november.denominator)
    assert quarter.rate == (Decimal(quarter.numerator) / quarter.denominator).quantize(Decimal("0.000001"))
    assert [(r.numerator, r.denominator) for r in (october, november, quarter)] == [(10, 12), (1, 3), (11, 15)]
    mean = (october.rate + november.rate) / 2
    assert abs(quarter.rate - mean) > Decimal("0.01")  # the two rules differ on these months


def test_a_frozen_month_counts_as_frozen(two_months):
    period_freeze(period="2026-10")
    frozen = Composite.objects.get(period__label="2026-10", object_type=ObjectType.REGION, level=RegionLevelKey.CITY)
    Composite.objects.filter(pk=frozen.pk).update(counters={**frozen.counters, "reports": 100})
    assessment_compute(period="2026-Q4", object_type=ObjectType.REGION, levels=[RegionLevelKey.CITY])
    assert Period.objects.get(label="2026-10").is_frozen
    quarter = Composite.objects.get(period__label="2026-Q4", object_type=ObjectType.REGION, level=RegionLevelKey.CITY)
    assert quarter.counters["reports"] == 100 + 3
