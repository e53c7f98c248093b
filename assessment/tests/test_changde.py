"""Published figures: Changde 2016 (scaled ÷46 here; the full 257,421-case year is
bench/assessment_changde.py). The default catalogue gives 立案率 78.18 %, 处置率 98.75 % and
按期处置率 98.27 % (on time over due); a catalogue whose on-time ratio is over 处置数, as Changde
publishes it, gives 99.52 %."""
import pytest

from assessment.models import ObjectType, Snapshot
from assessment.scoring import percent
from assessment.services import assessment_compute, catalogue_copy, indicator_update

from .changde import PUBLISHED, SCALED, changde_cases_create

pytestmark = pytest.mark.django_db


def _city_figures(city, catalogue=None) -> dict:
    run = assessment_compute(period="2016", object_type=ObjectType.REGION, levels=["city"], catalogue=catalogue)
    snaps = {s.indicator_code: s for s in Snapshot.objects.filter(period__label="2016", object_id=city.city.pk,
                                                                   level="city")}
    return {"run": run, **{code: snap for code, snap in snaps.items()}}


def test_changde_2016_scaled(city, catalogue):
    assert changde_cases_create(city, SCALED) == SCALED.reports
    figures = _city_figures(city)
    assert (figures["filing_rate"].numerator, figures["filing_rate"].denominator) == (SCALED.filed, SCALED.reports)
    assert (figures["handling_rate"].numerator, figures["handling_rate"].denominator) == (SCALED.handled,
                                                                                          SCALED.due)
    assert figures["ontime_handling_rate"].numerator == SCALED.on_time
    assert str(percent(figures["filing_rate"].rate)) == PUBLISHED["filing_rate"] == "78.18"
    assert str(percent(figures["handling_rate"].rate)) == PUBLISHED["handling_rate"] == "98.75"
    assert str(percent(figures["ontime_handling_rate"].rate)) == PUBLISHED["ontime_handling_rate"] == "98.27"
    assert figures["run"].catalogue_version == catalogue.version

    changde = catalogue_copy(catalogue=catalogue, name="常德口径（按期处置率 = 按期处置数 / 处置数）")
    indicator = changde.indicators.get(object_type=ObjectType.REGION, code="ontime_handling_rate")
    indicator_update(indicator=indicator, denominator="handled")
    changde.refresh_from_db()
    figures = _city_figures(city, catalogue=changde)
    assert figures["ontime_handling_rate"].denominator == SCALED.handled
    assert str(percent(figures["ontime_handling_rate"].rate)) == PUBLISHED["ontime_over_handled"] == "99.52"
    assert figures["ontime_handling_rate"].catalogue_version == changde.version == 2
    assert figures["ontime_handling_rate"].catalogue_id == changde.pk


def test_scaled_figures_keep_the_published_percentages():
    from decimal import ROUND_HALF_UP, Decimal

    from .changde import FULL

    def pct(a, b):
        return (Decimal(a) * 100 / Decimal(b)).quantize(Decimal("0.01"), ROUND_HALF_UP)

    for figures in (FULL, SCALED):
        assert (str(pct(figures.filed, figures.reports)), str(pct(figures.handled, figures.due)),
                str(pct(figures.on_time, figures.due)), str(pct(figures.on_time, figures.handled))) == (
            "78.18", "98.75", "98.27", "99.52")
    assert all(round(getattr(FULL, f) / 46) == getattr(SCALED, f) for f in ("reports", "filed", "due", "handled",
                                                                              "on_time"))
