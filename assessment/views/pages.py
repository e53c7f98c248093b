"""The managers' assessment pages: period overview, rankings, an object's page with its 12-month
trend, distributions, hot spots, leaders, the printable bulletin (通报), the drill-down from any
number to its cases, the schedule. Their Excel exports are in assessment.views.exports."""
from datetime import timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Case, Source, State, Task
from grids.models import Department, MinorClass, Region, RegionLevel
from hotline.models import Call

from .. import charts, selectors
from ..bulletin_content import bulletin_content, bulletin_title
from ..counters import PATROL, PUBLIC_SOURCES, counter_get
from ..links import (
    LEADER_TABLES,
    OBJECT_TYPES,
    drill_url,
    leader_table,
    level_label,
    object_url,
    ranking_rows,
    snapshot_cell,
    type_label,
)
from ..models import ObjectType, Period, RegionLevelKey
from ..objects import DEPARTMENT_LEVEL_KEY
from ..periods import local_today, month_label, period_spec_parse
from ..schedule import schedule_entries
from ..scoring import target_met
from ..services import can_manage_assessment
from .common import (
    composite_or_404,
    drill_counter,
    drill_filters,
    drill_key,
    drill_list,
    manager_required,
    object_type_check,
    period_of,
    ranking_level,
    reader_required,
)

UNIT_LABELS = {Task: gettext_lazy("任务"), Call: gettext_lazy("来电")}


def _case_url(case_id: int) -> str:
    try:
        return reverse("cases:case", args=[case_id])
    except NoReverseMatch:
        return ""


# Counters the case search (/search/: reported dates, district, street, department, source, minor
# class code, states) can express exactly, with the sources they are limited to (None: any).
SEARCHABLE_COUNTERS = {"reports": None, "collector_reports": [Source.COLLECTOR], "public_reports": PUBLIC_SOURCES}
SEARCHABLE_REGION_FIELDS = {RegionLevelKey.CITY: None, RegionLevelKey.DISTRICT: "district",
                            RegionLevelKey.STREET: "street"}


def _case_search_url(period, object_type, level, object_id, counter, filters) -> str:
    """The same cases in the general case search (where they can be worked on and exported with
    its columns), when its filters can say exactly what the counter counts; "" otherwise (the
    drill-down list is then the only exact list)."""
    sources = SEARCHABLE_COUNTERS.get(counter, ())
    if sources == () or filters.get("major_id"):
        return ""
    params: list[tuple[str, object]] = []
    if object_type == ObjectType.DEPARTMENT:
        params.append(("department", object_id))
    elif object_type == ObjectType.REGION and level in SEARCHABLE_REGION_FIELDS:
        if SEARCHABLE_REGION_FIELDS[level]:
            params.append((SEARCHABLE_REGION_FIELDS[level], object_id))
    else:
        return ""
    if filters.get("source"):
        if sources is not None and filters["source"] not in sources:
            return ""
        sources = [filters["source"]]
    if filters.get("minor_id"):
        codes = list(MinorClass.objects.filter(pk=filters["minor_id"]).values_list("code", flat=True))
        if not codes or MinorClass.objects.filter(code=codes[0]).count() != 1:
            return ""  # the search filters by code: only when the code names this one class
        params.append(("minor_code", codes[0]))
    params += [("source", value) for value in sources or []]
    # Merged duplicates are not reports: every other state.
    params += [("state", value) for value in State.values if value != State.MERGED]
    params += [("reported_from", period.start.isoformat()),
               ("reported_to", (period.end - timedelta(days=1)).isoformat())]
    try:
        return f"{reverse('cases:search')}?{urlencode(params)}"
    except NoReverseMatch:
        return ""


def _city_region(scope) -> tuple[str, str, int] | None:
    """The object whose "reports" counter a distribution row drills into: the city, the district,
    or the department itself."""
    if scope.is_department:
        level = Department.objects.filter(pk=scope.department_id).values_list("level", flat=True).first()
        return ObjectType.DEPARTMENT, DEPARTMENT_LEVEL_KEY.get(level, RegionLevelKey.CITY), scope.department_id
    if not scope.is_city:
        return ObjectType.REGION, RegionLevelKey.DISTRICT, scope.district_id
    city = Region.objects.filter(level=RegionLevel.CITY).order_by("code").first()
    return (ObjectType.REGION, RegionLevelKey.CITY, city.pk) if city else None


def _common(request, period: Period, **context) -> dict:
    scope = selectors.scope_of(request.user)
    types = [(t, lv) for t, lv in OBJECT_TYPES if not scope.is_department or t == ObjectType.DEPARTMENT]
    return {"period": period, "computed": bool(period.pk and period.computed_at), "scope": scope,
            "can_manage": can_manage_assessment(request.user), "periods": selectors.periods_recent(),
            "tabs": [{"object_type": t, "level": lv or "", "label": type_label(t, lv)} for t, lv in types], **context}


# --- pages ---------------------------------------------------------------------------------------------

@reader_required
def home(request):
    label = (request.GET.get("period") or "").strip()
    if not label:
        latest = Period.objects.filter(kind="month", computed_at__isnull=False).order_by("-start").first()
        label = latest.label if latest else month_label(local_today())
    return redirect("assessment:overview", label=period_spec_parse(label).label)


@reader_required
def overview(request, label):
    period = period_of(label)
    scope = selectors.scope_of(request.user)
    context = _common(request, period)
    if context["computed"]:
        headline = selectors.city_composite(period=period, scope=scope)
        grades = selectors.grade_distribution(period=period, scope=scope)
        labels = {(row["object_type"], row["level"]): f"{type_label(row['object_type'], row['level'])}"
                  + ("" if row["object_type"] == ObjectType.REGION else f"·{level_label(row['object_type'], row['level'])}")
                  for row in grades}
        districts = list(selectors.ranking(period=period, object_type=ObjectType.REGION,
                                           level=RegionLevelKey.DISTRICT, scope=scope))
        departments = list(selectors.ranking(period=period, object_type=ObjectType.DEPARTMENT, level=None,
                                             scope=scope))
        for row in departments:
            row.level_name = level_label(row.object_type, row.level)
        context.update(
            headline=headline,
            headline_snapshots=selectors.object_snapshots(
                period=period, object_type=headline.object_type, level=headline.level,
                object_id=headline.object_id) if headline else [],
            grades_chart=charts.grades_chart(grades, labels) if grades else None,
            districts=districts, departments=departments,
            districts_chart=charts.ranking_chart([
                {"name": row.object_name, "score": row.score, "grade": row.grade,
                 "url": object_url(label, row.object_type, row.level, row.object_id)}
                for row in districts if row.score is not None]),
            runs=period.runs.select_related("actor").order_by("-started_at")[:5],
            audits=selectors.recompute_audits(period)[:10],
            hotline=None if scope.is_department else selectors.hotline_figures_or_none(
                period=period, district_id=scope.district_id),
        )
    context["can_freeze"] = bool(period.pk) and not period.is_frozen and period.end <= local_today()
    return render(request, "assessment/overview.html", context)


@reader_required
def ranking(request, label, object_type):
    level = ranking_level(request, object_type)
    period = period_of(label)
    scope = selectors.scope_of(request.user)
    if not period.pk:
        return render(request, "assessment/ranking.html", _common(request, period, object_type=object_type,
                                                                  level=level, title=type_label(object_type, level)))
    rows, snapshots, columns = ranking_rows(period, object_type, level or None, scope)
    title = type_label(object_type, level or None)
    table = [{
        "row": row, "level_name": level_label(object_type, row.level),
        "url": object_url(label, object_type, row.level, row.object_id),
        "cells": [snapshot_cell(snapshots.get(row.object_id, {}).get(col["code"]), label, object_type, row)
                  for col in columns],
    } for row in rows]
    chart_rows = [{"name": row.object_name, "score": row.score, "grade": row.grade,
                   "url": object_url(label, object_type, row.level, row.object_id)}
                  for row in rows if row.score is not None][:40]
    levels = selectors.ranking_levels(period=period, object_type=object_type, scope=scope)
    return render(request, "assessment/ranking.html", _common(
        request, period, object_type=object_type, level=level, title=title, table=table, columns=columns,
        chart=charts.ranking_chart(chart_rows) if chart_rows else None, chart_height=max(160, 24 * len(chart_rows)),
        levels=[(lv, level_label(object_type, lv)) for lv in levels] if object_type == ObjectType.REGION else [],
    ))


@reader_required
def object_page(request, label, object_type, level, object_id):
    object_type_check(object_type)
    period = period_of(label)
    scope = selectors.scope_of(request.user)
    composite = composite_or_404(period, object_type, level, object_id, scope)
    snapshots = selectors.object_snapshots(period=period, object_type=object_type, level=level, object_id=object_id)
    counters = selectors.counters_table(object_type, composite.counters)
    for counter in counters:
        counter["url"] = drill_url(label, object_type, level, object_id, counter["key"])
    compared = selectors.object_comparisons(period=period, object_type=object_type, level=level,
                                            object_id=object_id)
    indicator_rows = [{
        "snapshot": s, "target_met": target_met(s.value, s.target, s.direction),
        "changes": [selectors.change_of(s.value, compared["indicators"].get(s.indicator_code, {}).get(which))
                    for which in compared["labels"]],
        "numerator_label": getattr(counter_get(object_type, s.numerator_key), "label", s.numerator_key),
        "denominator_label": getattr(counter_get(object_type, s.denominator_key), "label", s.denominator_key),
        "numerator_url": drill_url(label, object_type, level, object_id, s.numerator_key),
        "denominator_url": drill_url(label, object_type, level, object_id, s.denominator_key)
        if s.denominator_key else "",
    } for s in snapshots]
    trend = selectors.object_trend(label=period.label if period.kind == "month" else month_label(period.start),
                                   object_type=object_type, level=level, object_id=object_id)
    hotline = None
    if object_type == ObjectType.REGION and level in (RegionLevelKey.CITY, RegionLevelKey.DISTRICT):
        hotline = selectors.hotline_figures_or_none(
            period=period, district_id=object_id if level == RegionLevelKey.DISTRICT else None)
    return render(request, "assessment/object.html", _common(
        request, period, composite=composite, counters=counters, indicators=indicator_rows,
        compared_labels=list(compared["labels"].items()),
        composite_changes=[(label, selectors.change_of(composite.score, compared["composite"].get(which)))
                           for which, label in compared["labels"].items()],
        type_name=type_label(object_type, level), level_name=level_label(object_type, level),
        trend_chart=charts.trend_chart(trend), trend=trend, hotline=hotline,
        ranking_url=reverse("assessment:ranking", args=[label, object_type]) + (
            f"?level={level}" if object_type == ObjectType.REGION else ""),
    ))


@reader_required
def drill(request, label, object_type, level, object_id, counter):
    counter = drill_key(request, counter)
    definition = drill_counter(object_type, counter)
    period = period_of(label)
    if definition.source == PATROL:
        # Patrol figures are no list of rows: the patrol table of the period's month shows them.
        return HttpResponseRedirect(reverse("patrol:table") + f"?month={period.start:%Y-%m}")
    scope = selectors.scope_of(request.user)
    filters = drill_filters(request)
    rows, composite, name = drill_list(period, object_type, level, object_id, counter, scope, filters)
    is_case = rows.model is Case
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for row in page.object_list:
        case = row if is_case else row.case
        if case is not None:  # a call without a case (a consultation)
            case.page_url = _case_url(case.pk)
    query = {key: value for key, value in request.GET.items() if key not in ("page", "export")}
    return render(request, "assessment/drill.html", _common(
        request, period, page=page, counter=definition, name=name, composite=composite, is_case=is_case,
        unit_label=_("案件") if is_case else UNIT_LABELS.get(rows.model, _("环节")),
        stored_value=composite.counters.get(counter) if composite else None, filters=filters,
        object_url=object_url(label, object_type, level, object_id) if composite else "",
        query=urlencode(query), export_url=f"?{urlencode({**query, 'export': 'xlsx'})}",
        search_url=_case_search_url(period, object_type, level, object_id, counter, filters),
    ))


@reader_required
def distribution(request, label):
    period = period_of(label)
    scope = selectors.scope_of(request.user)
    by_class = selectors.distribution_by_class(period=period, scope=scope, limit=40)
    by_source = selectors.distribution_by_source(period=period, scope=scope)
    anchor = _city_region(scope)
    for row in by_class["rows"]:
        row["url"] = drill_url(label, *anchor, "reports", minor=row["minor_id"]) if anchor else ""
    for row in by_source["rows"]:
        row["url"] = drill_url(label, *anchor, "reports", source=row["source"]) if anchor else ""
    return render(request, "assessment/distribution.html", _common(
        request, period, by_class=by_class, by_source=by_source,
        pareto_chart=charts.pareto_chart(by_class["rows"][:20]) if by_class["rows"] else None,
        source_chart=charts.source_chart(by_source["rows"]) if by_source["rows"] else None,
    ))


@reader_required
def hotspots(request, label):
    period = period_of(label)
    scope = selectors.scope_of(request.user)
    rows = selectors.hotspot_grids(period=period, scope=scope, limit=200)
    for row in rows:
        row["url"] = drill_url(label, ObjectType.REGION, RegionLevelKey.GRID, row["unit_grid_id"], "reports")
        row["overdue_url"] = drill_url(label, ObjectType.REGION, RegionLevelKey.GRID, row["unit_grid_id"],
                                        "overdue_unhandled")
    geo, option = charts.hotspot_map(rows, selectors.grid_outlines(scope=scope))
    return render(request, "assessment/hotspots.html", _common(
        request, period, rows=rows[:50], map_geo=geo, map_option=option if rows else None))


@reader_required
def leaders(request, label):
    period = period_of(label)
    scope = selectors.scope_of(request.user)
    tables = [leader_table(period, scope, label, entry) for entry in LEADER_TABLES] if period.pk else []
    return render(request, "assessment/leaders.html", _common(request, period, tables=tables))


@reader_required
def bulletin(request, label):
    """The printable bulletin of a period, live: headline figures with their comparisons, rankings,
    distribution, leaders. An issued bulletin (第 N 期) is read from its archive (views.bulletins)."""
    period = period_of(label)
    scope = selectors.scope_of(request.user)
    context = _common(request, period, city_name=settings.CITY_NAME, printed_at=timezone.localtime(),
                      bulletin_title=bulletin_title(period),
                      issued=getattr(period, "bulletin", None) if period.pk else None)
    if context["computed"]:
        context.update(bulletin_content(period, scope, label))
    return render(request, "assessment/bulletin.html", context)


@manager_required
def schedule(request):
    return render(request, "assessment/schedule.html", {"entries": schedule_entries()})
