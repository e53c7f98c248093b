"""The hotline's figures (来电量 … 满意率) for any window, computed from the catalogue: the counters
of the hotline's lines (assessment.counters) summed over every line, and each rate by the active
catalogue's indicator of that code for hotline lines (its counters, filters, decimals, rounding).
One definition of each rate: the hotline's desk, its API and the assessment pages all read it here
(the hotline app reaches it through settings.HOTLINE_FIGURES, as it sits below the assessment)."""
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from .counters import SOURCES, counters_derive, counters_with
from .models import Indicator, IndicatorCatalogue, IndicatorKind, ObjectType
from .periods import Window
from .scoring import ratio_figure
from .services import indicator_keys

# The figures' counters, then the rates, by the codes of the default catalogue (assessment.catalogue).
COUNTER_KEYS = ["calls", "cases_created", "taken", "closed", "fed_back_on_time", "called_back", "satisfied"]
RATE_CODES = ("closure_rate", "timely_feedback_rate", "callback_rate", "satisfaction_rate")
# Per district: calls by their own district, cases by the case's.
DISTRICT_FIELD = {"call": "district_id", "hotline_intake": "case__district_id"}


def hotline_rate_indicators(catalogue: IndicatorCatalogue | None = None) -> dict:
    """{code: indicator} of the catalogue's (the active one's) hotline-line rates. One query."""
    rows = Indicator.objects.filter(object_type=ObjectType.HOTLINE_LINE, kind=IndicatorKind.RATIO,
                                    code__in=RATE_CODES)
    rows = rows.filter(catalogue=catalogue) if catalogue else rows.filter(catalogue__is_active=True)
    return {row.code: row for row in rows}


def hotline_counters(*, window: Window, keys=(), district_id: int | None = None) -> dict[str, int]:
    """Every hotline counter (and the filtered ones of `keys`) over all lines, one aggregate query
    per source table (calls, cases taken)."""
    counters = counters_with(ObjectType.HOTLINE_LINE, keys)
    values = dict.fromkeys((c.key for c in counters), 0)
    by_source: dict[str, list] = {}
    for counter in counters:
        if not counter.derived:
            by_source.setdefault(counter.source, []).append(counter)
    for source, source_counters in by_source.items():
        table = SOURCES[source]
        where = table.prefilter(window)
        if district_id is not None:
            where &= Q(**{DISTRICT_FIELD[source]: district_id})
        values.update(table.model.objects.filter(where).order_by().aggregate(**{
            counter.key: Count(table.count, distinct=table.distinct, filter=counter.condition(window))
            for counter in source_counters}))
    return counters_derive(ObjectType.HOTLINE_LINE, values)


def hotline_figures(*, start: datetime, end: datetime, district_id: int | None = None) -> dict:
    """The hotline's figures for [start, end): the counters (calls, cases_created, taken, closed,
    fed_back_on_time, called_back, satisfied) and the four rates as fractions (0.6667 for 66.67 %,
    the catalogue's published percentage / 100), None when the denominator is 0 or the active
    catalogue defines no such rate. Three queries."""
    window = Window(start, end, min(end, max(timezone.now(), start)))
    indicators = hotline_rate_indicators()
    keys = [key for indicator in indicators.values() for key in indicator_keys(indicator) if "?" in key]
    counted = hotline_counters(window=window, keys=keys, district_id=district_id)
    figures: dict = {key: counted[key] for key in COUNTER_KEYS}
    for code in RATE_CODES:
        indicator = indicators.get(code)
        value = None
        if indicator is not None:
            numerator, denominator = indicator_keys(indicator)
            value = ratio_figure(counted.get(numerator, 0), counted.get(denominator, 0), indicator.decimals,
                                 indicator.rounding)
        figures[code] = None if value is None else float(value / Decimal(100))
    return figures
