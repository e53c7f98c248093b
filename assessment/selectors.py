"""Reads of the assessment for the pages, the API, the export and the command: stored rankings and
objects, trends, and the live distributions (by class, source, grid) and drill-downs of a period,
limited to what the person may see (a district's managers see their district)."""
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, F, IntegerField, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from cases.models import Case, Task
from grids.models import RegionLevel, Role, UnitGrid, User
from hotline.models import Call
from hotline.selectors import FIGURE_LABELS

from .counters import counter_get, counter_rows, counters_for, q_reports
from .hotline import hotline_figures
from .models import Composite, IndicatorKind, ObjectType, Period, RecomputeAudit, RegionLevelKey, Snapshot
from .objects import REGION_LEVELS
from .periods import months_back, window_for

CASE_LIST_RELATED = ("minor", "minor__major", "district", "street", "community", "unit_grid", "department")


@dataclass(frozen=True)
class Scope:
    """Whose results a person sees: the whole city, one district, or one department (its own
    result, the cases sent to it and the drill-downs of its own numbers)."""

    district_id: int | None = None
    department_id: int | None = None

    @property
    def is_city(self) -> bool:
        return self.district_id is None and self.department_id is None

    @property
    def is_department(self) -> bool:
        return self.department_id is not None

    def sees_object(self, object_type: str, object_id: int) -> bool:
        """Whether a drill-down of this object is in scope (a department: only its own)."""
        return not self.is_department or (object_type == ObjectType.DEPARTMENT and object_id == self.department_id)


def scope_of(user: User) -> Scope:
    if not user.is_superuser and user.role == Role.HANDLER and user.department_id:
        return Scope(department_id=user.department_id)
    region = getattr(user, "region", None)
    if user.is_superuser or region is None or region.level == RegionLevel.CITY:
        return Scope()
    if region.level == RegionLevel.DISTRICT:
        return Scope(region.pk)
    # A street's or community's manager is scoped to its district's results (the finest scope the
    # stored results carry).
    parent = region.parent
    while parent is not None and parent.level != RegionLevel.DISTRICT:
        parent = parent.parent
    return Scope(parent.pk if parent else -1)


def _composites_scoped(scope: Scope) -> QuerySet[Composite]:
    rows = Composite.objects.all()
    if scope.is_department:
        return rows.filter(object_type=ObjectType.DEPARTMENT, object_id=scope.department_id)
    if not scope.is_city:
        rows = rows.filter(district_id=scope.district_id)
    return rows


def _cases_scoped(scope: Scope) -> QuerySet[Case]:
    if scope.is_department:
        return Case.objects.filter(department_id=scope.department_id)
    return Case.objects.all() if scope.is_city else Case.objects.filter(district_id=scope.district_id)


def periods_recent(limit: int = 36) -> QuerySet[Period]:
    return Period.objects.filter(computed_at__isnull=False).order_by("-start", "kind")[:limit]


def ranking(*, period: Period, object_type: str, level: str | None, scope: Scope) -> QuerySet[Composite]:
    """One ranking table: ranked objects by rank, then the unranked (not applicable) by code."""
    rows = _composites_scoped(scope).filter(period=period, object_type=object_type)
    if level:
        rows = rows.filter(level=level)
    return rows.order_by("level", F("rank").asc(nulls_last=True), "object_code")


def ranking_levels(*, period: Period, object_type: str, scope: Scope) -> list[str]:
    levels = set(_composites_scoped(scope).filter(period=period, object_type=object_type)
                 .values_list("level", flat=True).distinct())
    order = {key: n for n, key in enumerate(dict.fromkeys([*REGION_LEVELS, "city", "district", "street",
                                                            "community"]))}
    return sorted(levels, key=lambda level: order.get(level, 99))


def snapshots_by_object(*, period: Period, object_type: str, level: str | None) -> dict[int, dict[str, Snapshot]]:
    """{object_id: {indicator_code: snapshot}} for a ranking table's indicator columns (one query)."""
    rows = Snapshot.objects.filter(period=period, object_type=object_type)
    if level:
        rows = rows.filter(level=level)
    table: dict[int, dict[str, Snapshot]] = {}
    for row in rows.order_by("order"):
        table.setdefault(row.object_id, {})[row.indicator_code] = row
    return table


def indicator_columns(*, period: Period, object_type: str, level: str | None) -> list[dict]:
    """[{code, name, weight, is_volume, unit}] of the indicators stored for a table, in catalogue order."""
    rows = Snapshot.objects.filter(period=period, object_type=object_type)
    if level:
        rows = rows.filter(level=level)
    seen: dict[str, dict] = {}
    for code, name, weight, denominator_key, kind in (
        rows.order_by("order", "indicator_code")
        .values_list("indicator_code", "indicator_name", "weight", "denominator_key", "kind").distinct()
    ):
        seen.setdefault(code, {"code": code, "name": name, "weight": weight, "is_volume": not denominator_key,
                               "unit": indicator_unit(kind)})
    return list(seen.values())


def indicator_unit(kind: str) -> str:
    """What a column of the indicator's figures is headed with: a rate in percent, a duration in hours."""
    if kind == IndicatorKind.RATIO:
        return _("（%）")
    if kind in (IndicatorKind.AVERAGE, IndicatorKind.MEDIAN):
        return _("（小时）")
    return ""


def composite_get(*, period: Period, object_type: str, level: str, object_id: int, scope: Scope) -> Composite | None:
    return (_composites_scoped(scope).select_related("catalogue", "period")
            .filter(period=period, object_type=object_type, level=level, object_id=object_id).first())


def object_snapshots(*, period: Period, object_type: str, level: str, object_id: int) -> list[Snapshot]:
    return list(Snapshot.objects.filter(period=period, object_type=object_type, level=level, object_id=object_id)
                .order_by("order", "indicator_code"))


def comparison_labels(period: Period) -> dict[str, str]:
    """The periods a result is compared with: the previous one (环比) and the same one a year
    before (同比), for days, weeks, months, quarters and years (a year has no 环比 but its previous
    year; a week's 同比 is the same ISO week number, a 29 February's the 28th)."""
    year = period.start.year
    if period.kind == "month":
        month = period.start.month
        previous = f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"
        return {"previous": previous, "last_year": f"{year - 1:04d}-{month:02d}"}
    if period.kind == "quarter":
        quarter = (period.start.month - 1) // 3 + 1
        previous = f"{year - 1:04d}-Q4" if quarter == 1 else f"{year:04d}-Q{quarter - 1}"
        return {"previous": previous, "last_year": f"{year - 1:04d}-Q{quarter}"}
    if period.kind == "year":
        return {"last_year": f"{year - 1:04d}"}
    if period.kind == "week":
        iso_year, week, _weekday = period.start.isocalendar()
        previous = (period.start - timedelta(days=7)).isocalendar()
        # The same ISO week a year before; a 53rd week compares with the 52nd.
        last_week = min(week, date(iso_year - 1, 12, 28).isocalendar()[1])
        return {"previous": f"{previous[0]:04d}-W{previous[1]:02d}", "last_year": f"{iso_year - 1:04d}-W{last_week:02d}"}
    if period.kind == "day":
        day = period.start
        last_year = day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) else day.replace(
            year=day.year - 1)
        return {"previous": (day - timedelta(days=1)).isoformat(), "last_year": last_year.isoformat()}
    return {}


def _figure(value, rate, numerator, kind) -> Decimal | None:
    """The published figure of a stored snapshot (rows older than `value` fall back to the rate)."""
    if value is not None:
        return value
    if kind == "count":
        return Decimal(numerator)
    return None if rate is None else (rate * 100).quantize(Decimal("0.01"))


def object_comparisons(*, period: Period, object_type: str, level: str, object_id: int) -> dict:
    """{"labels": {which: label}, "composite": {which: score}, "indicators": {code: {which: figure}}}
    of the periods comparison_labels names, for one object. Two queries."""
    labels = comparison_labels(period)
    which_of = {label: which for which, label in labels.items()}
    rows = Composite.objects.filter(period__label__in=labels.values(), object_type=object_type, level=level,
                                    object_id=object_id).values_list("period__label", "score")
    composite = {which_of[label]: score for label, score in rows}
    indicators: dict[str, dict] = {}
    for label, code, value, rate, numerator, kind in (
        Snapshot.objects.filter(period__label__in=labels.values(), object_type=object_type, level=level,
                                object_id=object_id)
        .values_list("period__label", "indicator_code", "value", "rate", "numerator", "kind")
    ):
        indicators.setdefault(code, {})[which_of[label]] = _figure(value, rate, numerator, kind)
    return {"labels": labels, "composite": composite, "indicators": indicators}


def change_of(current, other) -> Decimal | None:
    """current − other (percentage points for rates), None when either is missing."""
    if current is None or other is None:
        return None
    return Decimal(current) - Decimal(other)


def object_trend(*, label: str, object_type: str, level: str, object_id: int, months: int = 12) -> dict:
    """The last `months` months ending with `label`: composite and every indicator's rate (or
    volume) per month, None where not computed or not applicable. Two queries."""
    labels = months_back(label, months)
    composites = dict(
        Composite.objects.filter(period__label__in=labels, object_type=object_type, level=level, object_id=object_id)
        .values_list("period__label", "score")
    )
    series: dict[str, dict[str, Decimal | None]] = {}
    names: dict[str, tuple[str, bool, str]] = {}
    for period_label, code, name, kind, rate, numerator, value, denominator_key in (
        Snapshot.objects.filter(period__label__in=labels, object_type=object_type, level=level, object_id=object_id)
        .order_by("order").values_list("period__label", "indicator_code", "indicator_name", "kind", "rate",
                                       "numerator", "value", "denominator_key")
    ):
        names.setdefault(code, (name, not denominator_key, indicator_unit(kind)))
        if kind in (IndicatorKind.AVERAGE, IndicatorKind.MEDIAN):
            figure = value  # hours, as the indicator rounds them
        elif rate is not None:
            figure = (rate * 100).quantize(Decimal("0.01"))
        else:
            figure = Decimal(numerator) if not denominator_key else None
        series.setdefault(code, {})[period_label] = figure
    return {
        "labels": labels,
        "composite": [composites.get(month) for month in labels],
        "indicators": [{"code": code, "name": names[code][0], "is_volume": names[code][1], "unit": names[code][2],
                        "values": [values.get(month) for month in labels]} for code, values in series.items()],
    }


def counters_table(object_type: str, values: dict[str, int]) -> list[dict]:
    return [{"key": c.key, "label": c.label, "help": c.help, "value": values.get(c.key, 0), "derived": c.derived}
            for c in counters_for(object_type)]


# --- live reads of the period's cases ------------------------------------------------------------

def drill_rows(*, period: Period, object_type: str, level: str, object_id: int, counter: str, scope: Scope,
               minor_id: int | None = None, major_id: int | None = None, source: str = "") -> QuerySet:
    """The units behind one number — cases, or the steps or tasks a step or task counter counted —
    by the counter's own condition, with the joins the list shows. Optional class and source
    filters serve the distribution pages."""
    if counter_get(object_type, counter) is None:
        raise KeyError(counter)
    window = window_for(period.start, period.end)
    rows = counter_rows(object_type=object_type, level=level, object_id=object_id, key=counter, window=window)
    prefix = "" if rows.model is Case else "case__"
    if not scope.sees_object(object_type, object_id):
        return rows.none()
    if scope.district_id is not None:
        rows = rows.filter(**{f"{prefix}district_id": scope.district_id})
    if minor_id:
        rows = rows.filter(**{f"{prefix}minor_id": minor_id})
    if major_id:
        rows = rows.filter(**{f"{prefix}minor__major_id": major_id})
    if source:
        rows = rows.filter(**{f"{prefix}source": source})
    if rows.model is Case:
        return rows.select_related(*CASE_LIST_RELATED).order_by("reported_at", "pk")
    if rows.model is Call:  # a hotline counter's calls, with their case if they have one
        related = [f"case__{name}" for name in CASE_LIST_RELATED] + ["case", "agent"]
        return rows.select_related(*related).order_by("called_at", "pk")
    related = [f"case__{name}" for name in CASE_LIST_RELATED] + ["case", "completed_by"]
    if rows.model is Task:
        related.append("created_by")
    return rows.select_related(*related).order_by("case__reported_at", "case_id", "pk")


def _share(part: int, total: int) -> Decimal | None:
    return (Decimal(part * 100) / Decimal(total)).quantize(Decimal("0.01")) if total else None


def distribution_by_class(*, period: Period, scope: Scope, limit: int = 30) -> dict:
    """Reports of the period per minor class, most first, with the cumulative share (Pareto): how
    few classes make most of the reports. One query."""
    window = window_for(period.start, period.end)
    rows = list(
        _cases_scoped(scope).filter(q_reports(window))
        .values("minor_id", "minor__code", "minor__name", "minor__kind", "minor__major_id", "minor__major__name")
        .annotate(count=Count("id")).order_by("-count", "minor__code")
    )
    total = sum(row["count"] for row in rows)
    running = 0
    for row in rows:
        running += row["count"]
        row["share"] = _share(row["count"], total)
        row["cumulative"] = _share(running, total)
    head = 0
    for n, row in enumerate(rows, start=1):
        if row["cumulative"] is not None and row["cumulative"] >= 85:
            head = n
            break
    return {"rows": rows[:limit], "total": total, "classes": len(rows), "classes_to_85": head,
            "more": max(0, len(rows) - limit)}


def distribution_by_source(*, period: Period, scope: Scope) -> dict:
    window = window_for(period.start, period.end)
    rows = list(_cases_scoped(scope).filter(q_reports(window)).values("source").annotate(count=Count("id"))
                .order_by("-count", "source"))
    total = sum(row["count"] for row in rows)
    labels = dict(Case._meta.get_field("source").choices)
    for row in rows:
        row["label"] = labels.get(row["source"], row["source"])
        row["share"] = _share(row["count"], total)
    return {"rows": rows, "total": total}


def hotspot_grids(*, period: Period, scope: Scope, limit: int = 50) -> list[dict]:
    """The unit grids with the most reports in the period (one query), with their geometry for the
    map and the overdue count."""
    window = window_for(period.start, period.end)
    from .counters import q_overdue_unhandled

    return list(
        _cases_scoped(scope).filter(q_reports(window) | q_overdue_unhandled(window))
        .values("unit_grid_id", "unit_grid__code", "unit_grid__geometry", "community__name", "street__name",
                "district__name")
        .annotate(reports=Count("id", filter=q_reports(window)),
                  overdue=Count("id", filter=q_overdue_unhandled(window)))
        .filter(reports__gt=0)
        .order_by("-reports", "unit_grid__code")[:limit]
    )


def grid_outlines(*, scope: Scope, limit: int = 5000) -> list[tuple[str, dict]]:
    """(code, GeoJSON) of every unit grid in scope, the map's background — or none when there are
    more than `limit` (a megacity's 20,000 grids would make the page heavy; the hot ones still show)."""
    grids = (UnitGrid.objects.all() if scope.district_id is None
             else UnitGrid.objects.filter(district_id=scope.district_id))
    rows = list(grids.order_by("code").values_list("code", "geometry")[:limit + 1])
    return [] if len(rows) > limit else rows


def leaders(*, period: Period, object_type: str, level: str | None, counter: str, scope: Scope,
            limit: int = 10) -> QuerySet[Composite]:
    """The objects with the highest value of one counter (超期、返工 …), from the stored results."""
    rows = _composites_scoped(scope).filter(period=period, object_type=object_type)
    if level:
        rows = rows.filter(level=level)
    return (rows.annotate(value=Cast(KT(f"counters__{counter}"), IntegerField()))
            .filter(value__gt=0).order_by("-value", "object_code")[:limit])


def city_composite(*, period: Period, scope: Scope) -> Composite | None:
    """The headline result of the scope: the city's, the district's, or the department's own."""
    if scope.is_department:
        return _composites_scoped(scope).filter(period=period).first()
    if scope.is_city:
        return Composite.objects.filter(period=period, object_type=ObjectType.REGION,
                                        level=RegionLevelKey.CITY).first()
    return Composite.objects.filter(period=period, object_type=ObjectType.REGION, level=RegionLevelKey.DISTRICT,
                                    object_id=scope.district_id).first()


def grade_distribution(*, period: Period, scope: Scope) -> list[dict]:
    """Per object type (and region level): how many objects got each grade. One query."""
    rows = (_composites_scoped(scope).filter(period=period).exclude(grade="")
            .values("object_type", "level", "grade").annotate(count=Count("id")))
    table: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        table.setdefault((row["object_type"], row["level"]), {})[row["grade"]] = row["count"]
    return [{"object_type": key[0], "level": key[1], "grades": grades} for key, grades in sorted(table.items())]


def recompute_audits(period: Period) -> QuerySet[RecomputeAudit]:
    return RecomputeAudit.objects.filter(period=period).select_related("actor").order_by("-created_at")


def hotline_figures_or_none(*, period: Period, district_id: int | None = None) -> list[dict] | None:
    """Hotline figures (来电量 … 满意率, assessment.hotline: the catalogue's hotline rates) as
    [{key, label, value, is_rate}], rates in percent."""
    window = window_for(period.start, period.end)
    figures = hotline_figures(start=window.start, end=window.end, district_id=district_id)
    rows = []
    for key, value in figures.items():
        is_rate = key.endswith("_rate")
        if is_rate and value is not None:
            value = (Decimal(str(value)) * 100).quantize(Decimal("0.01"))
        rows.append({"key": key, "label": FIGURE_LABELS.get(key, key), "value": value, "is_rate": is_rate})
    return rows


def reports_q(period: Period) -> Q:
    return q_reports(window_for(period.start, period.end))
