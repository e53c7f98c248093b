"""The managers' assessment pages: period overview, rankings, an object's page with its 12-month
trend, distributions, hot spots, leaders, the printable bulletin (通报), the drill-down from any
number to its cases, the schedule — each table exportable to Excel (?export=xlsx)."""
import re
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases.models import Case, Source, State, Task
from core.errors import ApplicationError
from core.xlsx import xlsx_response
from grids.models import MinorClass, Region, RegionLevel

from . import charts, selectors
from .counters import PATROL, PUBLIC_SOURCES, counter_get
from .models import ObjectType, Period, RegionLevelKey, Trigger
from .periods import local_today, month_label, period_spec_parse
from .schedule import schedule_entries
from .scoring import percent
from .services import (
    assessment_compute,
    assessment_recompute_frozen,
    can_manage_assessment,
    period_freeze,
    period_get_or_create,
)

BULLETIN_ROWS = 10
LEVEL_ORDER = {"city": 0, "district": 1, "street": 2, "community": 3, "grid": 4}
OBJECT_TYPES = [
    (ObjectType.REGION, RegionLevelKey.DISTRICT), (ObjectType.REGION, RegionLevelKey.STREET),
    (ObjectType.REGION, RegionLevelKey.COMMUNITY), (ObjectType.REGION, RegionLevelKey.GRID),
    (ObjectType.DEPARTMENT, None), (ObjectType.COLLECTOR, None), (ObjectType.OPERATOR, None),
    (ObjectType.SHIFT_LEADER, None), (ObjectType.DISPATCHER, None),
]


def manager_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_manage_assessment(request.user):
            raise PermissionDenied(_("考核评价仅对领导和系统管理员开放。"))
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as error:
            if request.method == "POST" or error.status_code >= 500:
                messages.error(request, error.message)
                return HttpResponseRedirect(request.META.get("HTTP_REFERER") or reverse("assessment:home"))
            raise Http404(error.message) from error

    return wrapper


def _period(label: str) -> Period:
    """The stored period, or an unsaved one (not computed yet: live pages still work)."""
    spec = period_spec_parse(label)
    return Period.objects.filter(label=spec.label).first() or Period(
        kind=spec.kind, label=spec.label, start=spec.start, end=spec.end)


def type_label(object_type: str, level: str | None = None) -> str:
    if object_type == ObjectType.REGION and level:
        return str(RegionLevelKey(level).label)
    return str(ObjectType(object_type).label)


def level_label(object_type: str, level: str) -> str:
    if object_type == ObjectType.REGION:
        return str(RegionLevelKey(level).label) if level in RegionLevelKey.values else level
    return {"city": _("市级"), "district": _("区级"), "street": _("街道级"), "community": _("社区级")}.get(level, level)


def _object_url(label, object_type, level, object_id) -> str:
    return reverse("assessment:object", args=[label, object_type, level, object_id])


def _drill_url(label, object_type, level, object_id, counter, **extra) -> str:
    if getattr(counter_get(object_type, counter), "source", "") == PATROL:
        # Patrol figures are no list of rows: they link to the patrol table of the period's month.
        return reverse("patrol:table") + (f"?month={label}" if re.fullmatch(r"\d{4}-\d{2}", label) else "")
    url = reverse("assessment:drill", args=[label, object_type, level, object_id, counter])
    extra = {key: value for key, value in extra.items() if value}
    return f"{url}?{urlencode(extra)}" if extra else url


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


def _city_region(scope) -> tuple[str, int] | None:
    """The region object whose "reports" counter a distribution row drills into."""
    if not scope.is_city:
        return RegionLevelKey.DISTRICT, scope.district_id
    city = Region.objects.filter(level=RegionLevel.CITY).order_by("code").first()
    return (RegionLevelKey.CITY, city.pk) if city else None


def _common(request, period: Period, **context) -> dict:
    return {"period": period, "computed": bool(period.pk and period.computed_at), "scope": selectors.scope_of(
        request.user), "periods": selectors.periods_recent(), "tabs": [
        {"object_type": t, "level": lv or "", "label": type_label(t, lv)} for t, lv in OBJECT_TYPES], **context}


# --- pages ---------------------------------------------------------------------------------------------

@manager_required
def home(request):
    label = (request.GET.get("period") or "").strip()
    if not label:
        latest = Period.objects.filter(kind="month", computed_at__isnull=False).order_by("-start").first()
        label = latest.label if latest else month_label(local_today())
    return redirect("assessment:overview", label=period_spec_parse(label).label)


@manager_required
def overview(request, label):
    period = _period(label)
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
                 "url": _object_url(label, row.object_type, row.level, row.object_id)}
                for row in districts if row.score is not None]),
            runs=period.runs.select_related("actor").order_by("-started_at")[:5],
            audits=selectors.recompute_audits(period)[:10],
            hotline=selectors.hotline_figures_or_none(period=period, district_id=scope.district_id),
        )
    context["can_freeze"] = bool(period.pk) and not period.is_frozen and period.end <= local_today()
    return render(request, "assessment/overview.html", context)


def _ranking_rows(period, object_type, level, scope):
    rows = list(selectors.ranking(period=period, object_type=object_type, level=level, scope=scope))
    snapshots = selectors.snapshots_by_object(period=period, object_type=object_type, level=level)
    columns = selectors.indicator_columns(period=period, object_type=object_type, level=level)
    return rows, snapshots, columns


@manager_required
def ranking(request, label, object_type):
    if object_type not in ObjectType.values:
        raise Http404(_("考核对象无效。"))
    period = _period(label)
    scope = selectors.scope_of(request.user)
    level = request.GET.get("level") or (RegionLevelKey.DISTRICT if object_type == ObjectType.REGION else "")
    if object_type == ObjectType.REGION and level not in RegionLevelKey.values:
        raise Http404(_("层级无效。"))
    if not period.pk:
        return render(request, "assessment/ranking.html", _common(request, period, object_type=object_type,
                                                                  level=level, title=type_label(object_type, level)))
    rows, snapshots, columns = _ranking_rows(period, object_type, level or None, scope)
    title = type_label(object_type, level or None)
    if request.GET.get("export") == "xlsx":
        headers = [_("排名"), _("等级"), _("综合指标值"), _("名称"), _("编码"), _("上级"), _("层级"),
                   *[col["name"] if col["is_volume"] else f"{col['name']}（%）" for col in columns]]
        return xlsx_response(
            filename=f"assessment-{period.label}-{object_type}{'-' + level if level else ''}.xlsx",
            title=f"{period.label} {title}", headers=headers,
            note=_("%(period)s %(title)s 综合评价排名（指标体系 %(catalogue)s）") % {
                "period": period.label, "title": title,
                "catalogue": f"v{rows[0].catalogue_version}" if rows else "-"},
            rows=(
                [row.rank or "", row.grade, row.score, row.object_name, row.object_code, row.parent_name,
                 level_label(object_type, row.level),
                 *[_snapshot_value(snapshots.get(row.object_id, {}).get(col["code"])) for col in columns]]
                for row in rows
            ),
        )
    table = [{
        "row": row, "level_name": level_label(object_type, row.level),
        "url": _object_url(label, object_type, row.level, row.object_id),
        "cells": [_snapshot_cell(snapshots.get(row.object_id, {}).get(col["code"]), label, object_type, row)
                  for col in columns],
    } for row in rows]
    chart_rows = [{"name": row.object_name, "score": row.score, "grade": row.grade,
                   "url": _object_url(label, object_type, row.level, row.object_id)}
                  for row in rows if row.score is not None][:40]
    levels = selectors.ranking_levels(period=period, object_type=object_type, scope=scope)
    return render(request, "assessment/ranking.html", _common(
        request, period, object_type=object_type, level=level, title=title, table=table, columns=columns,
        chart=charts.ranking_chart(chart_rows) if chart_rows else None, chart_height=max(160, 24 * len(chart_rows)),
        levels=[(lv, level_label(object_type, lv)) for lv in levels] if object_type == ObjectType.REGION else [],
    ))


def _snapshot_value(snapshot):
    if snapshot is None:
        return ""
    if not snapshot.denominator_key:
        return snapshot.numerator
    return "" if snapshot.rate is None else percent(snapshot.rate)


def _snapshot_cell(snapshot, label, object_type, row) -> dict:
    if snapshot is None:
        return {"text": "—"}
    if not snapshot.denominator_key:
        return {"text": snapshot.numerator, "score": snapshot.score,
                "url": _drill_url(label, object_type, row.level, row.object_id, snapshot.numerator_key)}
    if snapshot.rate is None:
        return {"text": _("不适用"), "na": True}
    return {"text": f"{snapshot.rate * 100:.2f}%", "score": snapshot.score,
            "title": f"{snapshot.numerator}/{snapshot.denominator}",
            "url": _drill_url(label, object_type, row.level, row.object_id, snapshot.numerator_key)}


@manager_required
def object_page(request, label, object_type, level, object_id):
    if object_type not in ObjectType.values:
        raise Http404(_("考核对象无效。"))
    period = _period(label)
    scope = selectors.scope_of(request.user)
    composite = selectors.composite_get(period=period, object_type=object_type, level=level, object_id=object_id,
                                        scope=scope) if period.pk else None
    if composite is None:
        raise Http404(_("该周期没有此对象的考核结果（尚未计算，或不在您的查看范围内）。"))
    snapshots = selectors.object_snapshots(period=period, object_type=object_type, level=level, object_id=object_id)
    counters = selectors.counters_table(object_type, composite.counters)
    for counter in counters:
        counter["url"] = _drill_url(label, object_type, level, object_id, counter["key"])
    indicator_rows = [{
        "snapshot": s,
        "numerator_label": getattr(counter_get(object_type, s.numerator_key), "label", s.numerator_key),
        "denominator_label": getattr(counter_get(object_type, s.denominator_key), "label", s.denominator_key),
        "numerator_url": _drill_url(label, object_type, level, object_id, s.numerator_key),
        "denominator_url": _drill_url(label, object_type, level, object_id, s.denominator_key)
        if s.denominator_key else "",
    } for s in snapshots]
    trend = selectors.object_trend(label=period.label if period.kind == "month" else month_label(period.start),
                                   object_type=object_type, level=level, object_id=object_id)
    if request.GET.get("export") == "xlsx":
        rows = [[str(c["label"]), c["key"], c["value"]] for c in counters]
        rows += [[], [_("指标"), _("分子"), _("分母"), _("比率（%）"), _("得分"), _("权重（%）")]]
        rows += [[s.indicator_name, s.numerator, s.denominator if s.denominator is not None else "",
                  _snapshot_value(s), s.score, s.weight] for s in snapshots]
        rows += [[], [_("综合指标值"), composite.score, _("等级"), composite.grade, _("排名"),
                      f"{composite.rank or '-'}/{composite.ranked_count}"]]
        rows += [[], [_("近 12 个月趋势"), *trend["labels"]], [_("综合指标值"), *trend["composite"]]]
        rows += [[indicator["name"] if indicator["is_volume"] else f"{indicator['name']}（%）", *indicator["values"]]
                 for indicator in trend["indicators"]]
        return xlsx_response(filename=f"assessment-{period.label}-{object_type}-{object_id}.xlsx",
                             title=composite.object_name, headers=[_("计数项"), _("代码"), _("数值")], rows=rows,
                             note=f"{period.label} {composite.object_name}")
    hotline = None
    if object_type == ObjectType.REGION and level in (RegionLevelKey.CITY, RegionLevelKey.DISTRICT):
        hotline = selectors.hotline_figures_or_none(
            period=period, district_id=object_id if level == RegionLevelKey.DISTRICT else None)
    return render(request, "assessment/object.html", _common(
        request, period, composite=composite, counters=counters, indicators=indicator_rows,
        type_name=type_label(object_type, level), level_name=level_label(object_type, level),
        trend_chart=charts.trend_chart(trend), trend=trend, hotline=hotline,
        ranking_url=reverse("assessment:ranking", args=[label, object_type]) + (
            f"?level={level}" if object_type == ObjectType.REGION else ""),
    ))


@manager_required
def drill(request, label, object_type, level, object_id, counter):
    if object_type not in ObjectType.values or counter_get(object_type, counter) is None:
        raise Http404(_("计数项无效。"))
    period = _period(label)
    if counter_get(object_type, counter).source == PATROL:
        # Patrol figures are no list of rows: the patrol table of the period's month shows them.
        return HttpResponseRedirect(reverse("patrol:table") + f"?month={period.start:%Y-%m}")
    scope = selectors.scope_of(request.user)
    filters = {"minor_id": _int(request.GET.get("minor")), "major_id": _int(request.GET.get("major")),
               "source": request.GET.get("source", "")}
    rows = selectors.drill_rows(period=period, object_type=object_type, level=level, object_id=object_id,
                                counter=counter, scope=scope, **filters)
    is_case = rows.model is Case
    composite = selectors.composite_get(period=period, object_type=object_type, level=level, object_id=object_id,
                                        scope=scope) if period.pk else None
    definition = counter_get(object_type, counter)
    name = composite.object_name if composite else f"{type_label(object_type, level)} #{object_id}"
    if request.GET.get("export") == "xlsx":
        unit_headers = [] if is_case else [_("环节/任务"), _("开始/下发"), _("时限"), _("完成"), _("按时"), _("完成人")]
        return xlsx_response(
            filename=f"assessment-{period.label}-{object_type}-{object_id}-{counter}.xlsx",
            title=str(definition.label), note=f"{period.label} {name} {definition.label}",
            headers=[*unit_headers, *CASE_HEADERS],
            rows=(_unit_cells(row) + _case_cells(row if is_case else row.case)
                  for row in rows.iterator(chunk_size=2000)),
        )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for row in page.object_list:
        case = row if is_case else row.case
        case.page_url = _case_url(case.pk)
    query = {key: value for key, value in request.GET.items() if key not in ("page", "export")}
    return render(request, "assessment/drill.html", _common(
        request, period, page=page, counter=definition, name=name, composite=composite, is_case=is_case,
        unit_label=_("案件") if is_case else (_("任务") if rows.model is Task else _("环节")),
        stored_value=composite.counters.get(counter) if composite else None, filters=filters,
        object_url=_object_url(label, object_type, level, object_id) if composite else "",
        query=urlencode(query), export_url=f"?{urlencode({**query, 'export': 'xlsx'})}",
        search_url=_case_search_url(period, object_type, level, object_id, counter, filters),
    ))


# Each header a literal (makemessages only finds gettext_lazy("…") written out).
CASE_HEADERS = [
    gettext_lazy("案件编号"), gettext_lazy("来源"), gettext_lazy("大类"), gettext_lazy("小类"), gettext_lazy("区/县"),
    gettext_lazy("街道"), gettext_lazy("社区"), gettext_lazy("单元网格"), gettext_lazy("处置部门"), gettext_lazy("状态"),
    gettext_lazy("上报时间"), gettext_lazy("立案时间"), gettext_lazy("处置时限"), gettext_lazy("处置时间"),
    gettext_lazy("按期处置"), gettext_lazy("结案时间"), gettext_lazy("按期结案"), gettext_lazy("返工"), gettext_lazy("回退"),
    gettext_lazy("延期"), gettext_lazy("挂账"),
]


def _case_cells(c) -> list:
    return [c.number, c.get_source_display(), c.minor.major.name, c.minor.name, c.district.name, c.street.name,
            c.community.name, c.unit_grid.code, c.department.name if c.department else "", c.get_state_display(),
            _local(c.reported_at), _local(c.filed_at), _local(c.handle_deadline), _local(c.handled_at),
            _yes(c.handled_on_time), _local(c.closed_at), _yes(c.closed_on_time), c.rework_count, c.return_count,
            c.extension_count, c.suspension_count]


def _unit_cells(row) -> list:
    if isinstance(row, Case):
        return []
    started = row.created_at if isinstance(row, Task) else row.started_at
    on_time = row.on_time if not isinstance(row, Task) else (
        None if row.completed_at is None else row.completed_at <= row.deadline)
    return [row.get_kind_display(), _local(started), _local(row.deadline), _local(row.completed_at), _yes(on_time),
            str(row.completed_by or "")]


def _int(value) -> int | None:
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _yes(value):
    return "" if value is None else (_("是") if value else _("否"))


@manager_required
def distribution(request, label):
    period = _period(label)
    scope = selectors.scope_of(request.user)
    by_class = selectors.distribution_by_class(period=period, scope=scope, limit=40)
    by_source = selectors.distribution_by_source(period=period, scope=scope)
    anchor = _city_region(scope)
    for row in by_class["rows"]:
        row["url"] = _drill_url(label, ObjectType.REGION, anchor[0], anchor[1], "reports",
                                minor=row["minor_id"]) if anchor else ""
    for row in by_source["rows"]:
        row["url"] = _drill_url(label, ObjectType.REGION, anchor[0], anchor[1], "reports",
                                source=row["source"]) if anchor else ""
    export = request.GET.get("export")
    if export == "class":
        return xlsx_response(
            filename=f"assessment-{period.label}-classes.xlsx", title=_("按类别"),
            headers=[_("小类代码"), _("小类"), _("大类"), _("上报数"), _("占比（%）"), _("累计占比（%）")],
            rows=([r["minor__code"], r["minor__name"], r["minor__major__name"], r["count"], r["share"],
                   r["cumulative"]] for r in selectors.distribution_by_class(period=period, scope=scope,
                                                                               limit=100000)["rows"]))
    if export == "source":
        return xlsx_response(filename=f"assessment-{period.label}-sources.xlsx", title=_("按来源"),
                             headers=[_("来源"), _("上报数"), _("占比（%）")],
                             rows=([str(r["label"]), r["count"], r["share"]] for r in by_source["rows"]))
    return render(request, "assessment/distribution.html", _common(
        request, period, by_class=by_class, by_source=by_source,
        pareto_chart=charts.pareto_chart(by_class["rows"][:20]) if by_class["rows"] else None,
        source_chart=charts.source_chart(by_source["rows"]) if by_source["rows"] else None,
    ))


@manager_required
def hotspots(request, label):
    period = _period(label)
    scope = selectors.scope_of(request.user)
    rows = selectors.hotspot_grids(period=period, scope=scope, limit=200)
    for row in rows:
        row["url"] = _drill_url(label, ObjectType.REGION, RegionLevelKey.GRID, row["unit_grid_id"], "reports")
        row["overdue_url"] = _drill_url(label, ObjectType.REGION, RegionLevelKey.GRID, row["unit_grid_id"],
                                        "overdue_unhandled")
    if request.GET.get("export") == "xlsx":
        return xlsx_response(
            filename=f"assessment-{period.label}-hotspots.xlsx", title=_("热点网格"),
            headers=[_("单元网格"), _("社区"), _("街道"), _("区/县"), _("上报数"), _("超期未处置数")],
            rows=([r["unit_grid__code"], r["community__name"], r["street__name"], r["district__name"], r["reports"],
                   r["overdue"]] for r in rows))
    geo, option = charts.hotspot_map(rows, selectors.grid_outlines(scope=scope))
    return render(request, "assessment/hotspots.html", _common(
        request, period, rows=rows[:50], map_geo=geo, map_option=option if rows else None))


LEADER_TABLES = [
    ("overdue_departments", ObjectType.DEPARTMENT, None, "overdue_unhandled", gettext_lazy("超期未处置：专业部门")),
    ("overdue_streets", ObjectType.REGION, RegionLevelKey.STREET, "overdue_unhandled", gettext_lazy("超期未处置：街道")),
    ("rework_departments", ObjectType.DEPARTMENT, None, "reworked", gettext_lazy("返工：专业部门")),
    ("rework_grids", ObjectType.REGION, RegionLevelKey.GRID, "reworked", gettext_lazy("返工：单元网格")),
    ("returned_departments", ObjectType.DEPARTMENT, None, "returned", gettext_lazy("回退：专业部门")),
    ("extended_departments", ObjectType.DEPARTMENT, None, "extended", gettext_lazy("延期：专业部门")),
]


def _leader_tables(period, scope, label):
    tables = []
    for key, object_type, level, counter, title in LEADER_TABLES:
        rows = list(selectors.leaders(period=period, object_type=object_type, level=level, counter=counter,
                                      scope=scope))
        for row in rows:
            row.url = _drill_url(label, object_type, row.level, row.object_id, counter)
            row.object_url = _object_url(label, object_type, row.level, row.object_id)
        tables.append({"key": key, "title": title, "counter": counter_get(object_type, counter).label,
                       "rows": rows})
    return tables


@manager_required
def leaders(request, label):
    period = _period(label)
    scope = selectors.scope_of(request.user)
    tables = _leader_tables(period, scope, label) if period.pk else []
    export = request.GET.get("export")
    for table in tables:
        if export == table["key"]:
            return xlsx_response(
                filename=f"assessment-{period.label}-{table['key']}.xlsx", title=str(table["title"]),
                headers=[_("名次"), _("名称"), _("编码"), _("上级"), str(table["counter"]), _("综合指标值"), _("等级")],
                rows=([n, r.object_name, r.object_code, r.parent_name, r.value, r.score, r.grade]
                      for n, r in enumerate(table["rows"], start=1)))
    return render(request, "assessment/leaders.html", _common(request, period, tables=tables))


@manager_required
def bulletin(request, label):
    """The printable monthly bulletin (月通报): headline figures, rankings, distribution, leaders."""
    period = _period(label)
    scope = selectors.scope_of(request.user)
    context = _common(request, period, city_name=settings.CITY_NAME, printed_at=timezone.localtime())
    if context["computed"]:
        headline = selectors.city_composite(period=period, scope=scope)
        sections = []
        for object_type, level in OBJECT_TYPES:
            if level == RegionLevelKey.GRID:
                continue
            rows, snapshots, columns = _ranking_rows(period, object_type, level, scope)
            if not rows:
                continue
            columns = [col for col in columns if col["weight"]]  # the bulletin shows the scored ones
            for lvl in sorted({row.level for row in rows}, key=lambda v: LEVEL_ORDER.get(v, 9)):
                members = [row for row in rows if row.level == lvl]
                ranked = [row for row in members if row.rank]
                # A long table is cut to its head and tail; the full one is the ranking page.
                shown = ranked if len(ranked) <= BULLETIN_ROWS * 3 else [*ranked[:BULLETIN_ROWS], None,
                                                                         *ranked[-BULLETIN_ROWS:]]
                ranking_url = reverse("assessment:ranking", args=[label, object_type])
                query = {"level": lvl} if object_type == ObjectType.REGION else {}
                sections.append({
                    "title": type_label(object_type, level) + (
                        "" if object_type == ObjectType.REGION else f"（{level_label(object_type, lvl)}）"),
                    "columns": columns, "total": len(members), "ranked": len(ranked),
                    "url": f"{ranking_url}?{urlencode(query)}" if query else ranking_url,
                    "export_url": f"{ranking_url}?{urlencode({**query, 'export': 'xlsx'})}",
                    "rows": [None if row is None else {
                        "row": row, "cells": [_snapshot_cell(snapshots.get(row.object_id, {}).get(col["code"]), label,
                                                             object_type, row) for col in columns]}
                        for row in shown],
                })
        context.update(
            headline=headline,
            headline_snapshots=selectors.object_snapshots(
                period=period, object_type=headline.object_type, level=headline.level,
                object_id=headline.object_id) if headline else [],
            sections=sections,
            by_class=selectors.distribution_by_class(period=period, scope=scope, limit=10),
            by_source=selectors.distribution_by_source(period=period, scope=scope),
            leader_tables=_leader_tables(period, scope, label)[:4],
            hotspots=selectors.hotspot_grids(period=period, scope=scope, limit=10),
            hotline=selectors.hotline_figures_or_none(period=period, district_id=scope.district_id),
        )
    return render(request, "assessment/bulletin.html", context)


@manager_required
def schedule(request):
    return render(request, "assessment/schedule.html", {"entries": schedule_entries()})


# --- actions (POST): each calls one service ------------------------------------------------------------

@require_POST
@manager_required
def compute(request, label):
    period = period_get_or_create(label=label)
    run = assessment_compute(period=period, trigger=Trigger.MANUAL, actor=request.user)
    messages.success(request, _("已计算 %(label)s：%(n)d 个对象，%(s)d 条指标快照（指标体系 v%(v)d）。") % {
        "label": period.label, "n": run.composites, "s": run.snapshots, "v": run.catalogue_version})
    return redirect("assessment:overview", label=period.label)


@require_POST
@manager_required
def freeze(request, label):
    run = period_freeze(period=label, actor=request.user, trigger=Trigger.FREEZE)
    messages.success(request, _("考核周期 %(label)s 已冻结。") % {"label": label} if run else
                     _("考核周期 %(label)s 早已冻结。") % {"label": label})
    return redirect("assessment:overview", label=label)


@require_POST
@manager_required
def recompute(request, label):
    audit = assessment_recompute_frozen(period=label, actor=request.user, note=request.POST.get("note", ""))
    messages.success(request, _("已重算冻结周期 %(label)s（%(n)d 个对象的结果有变化），已记录审计。") % {
        "label": label, "n": len(audit.changes)})
    return redirect("assessment:overview", label=label)

