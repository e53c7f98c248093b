"""The Excel export of each assessment page, answered at the page's own URL with ?export=… (the
links on the pages and in the bulletin). An export view returns None for an ?export= it does not
know, or when there is nothing to export yet, and the page is shown instead (page_or_export)."""
from functools import wraps

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Case, Task
from core.xlsx import xlsx_response
from hotline.models import Call

from .. import selectors
from ..counters import PATROL
from ..links import (
    LEADER_TABLES,
    leader_table,
    level_label,
    ranking_rows,
    type_label,
)
from ..periods import month_label
from .common import (
    composite_or_404,
    drill_counter,
    drill_filters,
    drill_key,
    drill_list,
    object_type_check,
    period_of,
    ranking_level,
    reader_required,
    snapshot_value,
)


def page_or_export(page, export):
    """One URL for a page and its exports: with ?export=… the export view answers, unless it
    returns None; then, and without ?export=, the page."""
    @wraps(page)
    def view(request, *args, **kwargs):
        if request.GET.get("export"):
            response = export(request, *args, **kwargs)
            if response is not None:
                return response
        return page(request, *args, **kwargs)

    return view


@reader_required
def ranking(request, label, object_type):
    level = ranking_level(request, object_type)
    period = period_of(label)
    if request.GET.get("export") != "xlsx" or not period.pk:
        return None
    scope = selectors.scope_of(request.user)
    rows, snapshots, columns = ranking_rows(period, object_type, level or None, scope)
    title = type_label(object_type, level or None)
    headers = [_("排名"), _("等级"), _("综合指标值"), _("名称"), _("编码"), _("上级"), _("层级"),
               *[f"{col['name']}{col['unit']}" for col in columns]]
    return xlsx_response(
        filename=f"assessment-{period.label}-{object_type}{'-' + level if level else ''}.xlsx",
        title=f"{period.label} {title}", headers=headers,
        note=_("%(period)s %(title)s 综合评价排名（指标体系 %(catalogue)s）") % {
            "period": period.label, "title": title,
            "catalogue": f"v{rows[0].catalogue_version}" if rows else "-"},
        rows=(
            [row.rank or "", row.grade, row.score if row.participating else _("不参评"), row.object_name,
             row.object_code, row.parent_name,
             level_label(object_type, row.level),
             *[snapshot_value(snapshots.get(row.object_id, {}).get(col["code"])) for col in columns]]
            for row in rows
        ),
    )


@reader_required
def object_page(request, label, object_type, level, object_id):
    object_type_check(object_type)
    period = period_of(label)
    scope = selectors.scope_of(request.user)
    composite = composite_or_404(period, object_type, level, object_id, scope)
    if request.GET.get("export") != "xlsx":
        return None
    snapshots = selectors.object_snapshots(period=period, object_type=object_type, level=level, object_id=object_id)
    counters = selectors.counters_table(object_type, composite.counters)
    trend = selectors.object_trend(label=period.label if period.kind == "month" else month_label(period.start),
                                   object_type=object_type, level=level, object_id=object_id)
    compared = selectors.object_comparisons(period=period, object_type=object_type, level=level,
                                            object_id=object_id)
    which_labels = list(compared["labels"].items())
    rows = [[str(c["label"]), c["key"], c["value"]] for c in counters]
    rows += [[], [_("指标"), _("分子"), _("分母"), _("指标值"), _("得分"), _("权重（%）"), _("目标值"),
                  *[f"{_('环比') if which == 'previous' else _('同比')} {other}" for which, other in which_labels]]]
    rows += [[s.indicator_name, s.numerator, s.denominator if s.denominator is not None else "",
              s.value if s.value is not None else snapshot_value(s), s.score, s.weight,
              s.target if s.target is not None else "",
              *[selectors.change_of(s.value, compared["indicators"].get(s.indicator_code, {}).get(which))
                for which, _other in which_labels]] for s in snapshots]
    rows += [[], [_("综合指标值"), composite.score if composite.participating else _("不参评"), _("等级"),
                  composite.grade, _("排名"), f"{composite.rank or '-'}/{composite.ranked_count}",
                  *[f"{_('环比') if which == 'previous' else _('同比')} "
                    f"{selectors.change_of(composite.score, compared['composite'].get(which)) or '-'}"
                    for which, _other in which_labels]]]
    rows += [[], [_("近 12 个月趋势"), *trend["labels"]], [_("综合指标值"), *trend["composite"]]]
    rows += [[f"{indicator['name']}{indicator['unit']}", *indicator["values"]]
             for indicator in trend["indicators"]]
    return xlsx_response(filename=f"assessment-{period.label}-{object_type}-{object_id}.xlsx",
                         title=composite.object_name, headers=[_("计数项"), _("代码"), _("数值")], rows=rows,
                         note=f"{period.label} {composite.object_name}")


@reader_required
def drill(request, label, object_type, level, object_id, counter):
    counter = drill_key(request, counter)
    definition = drill_counter(object_type, counter)
    period = period_of(label)
    if request.GET.get("export") != "xlsx" or definition.source == PATROL:
        return None  # patrol figures: the page sends the reader to the patrol table
    scope = selectors.scope_of(request.user)
    rows, _composite, name = drill_list(period, object_type, level, object_id, counter, scope,
                                        drill_filters(request))
    is_case = rows.model is Case
    unit_headers = [] if is_case else [_("环节/任务"), _("开始/下发"), _("时限"), _("完成"), _("按时"), _("完成人")]
    return xlsx_response(
        filename=f"assessment-{period.label}-{object_type}-{object_id}-{counter.partition('?')[0]}.xlsx",
        title=str(definition.label), note=f"{period.label} {name} {definition.label}",
        headers=[*unit_headers, *CASE_HEADERS],
        rows=(_unit_cells(row) + _case_cells(row if is_case else row.case)
              for row in rows.iterator(chunk_size=2000)),
    )


@reader_required
def distribution(request, label):
    period = period_of(label)
    scope = selectors.scope_of(request.user)
    export = request.GET.get("export")
    if export == "class":
        return xlsx_response(
            filename=f"assessment-{period.label}-classes.xlsx", title=_("按类别"),
            headers=[_("小类代码"), _("小类"), _("大类"), _("上报数"), _("占比（%）"), _("累计占比（%）")],
            rows=([r["minor__code"], r["minor__name"], r["minor__major__name"], r["count"], r["share"],
                   r["cumulative"]] for r in selectors.distribution_by_class(period=period, scope=scope,
                                                                               limit=100000)["rows"]))
    if export == "source":
        by_source = selectors.distribution_by_source(period=period, scope=scope)
        return xlsx_response(filename=f"assessment-{period.label}-sources.xlsx", title=_("按来源"),
                             headers=[_("来源"), _("上报数"), _("占比（%）")],
                             rows=([str(r["label"]), r["count"], r["share"]] for r in by_source["rows"]))
    return None


@reader_required
def hotspots(request, label):
    period = period_of(label)
    if request.GET.get("export") != "xlsx":
        return None
    rows = selectors.hotspot_grids(period=period, scope=selectors.scope_of(request.user), limit=200)
    return xlsx_response(
        filename=f"assessment-{period.label}-hotspots.xlsx", title=_("热点网格"),
        headers=[_("单元网格"), _("社区"), _("街道"), _("区/县"), _("上报数"), _("超期未处置数")],
        rows=([r["unit_grid__code"], r["community__name"], r["street__name"], r["district__name"], r["reports"],
               r["overdue"]] for r in rows))


@reader_required
def leaders(request, label):
    period = period_of(label)
    entry = next((entry for entry in LEADER_TABLES if entry[0] == request.GET.get("export")), None)
    if entry is None or not period.pk:
        return None
    table = leader_table(period, selectors.scope_of(request.user), label, entry)
    return xlsx_response(
        filename=f"assessment-{period.label}-{table['key']}.xlsx", title=str(table["title"]),
        headers=[_("名次"), _("名称"), _("编码"), _("上级"), str(table["counter"]), _("综合指标值"), _("等级")],
        rows=([n, r.object_name, r.object_code, r.parent_name, r.value, r.score, r.grade]
              for n, r in enumerate(table["rows"], start=1)))


# --- the cells of a drill-down row -----------------------------------------------------------------------

# Each header a literal (makemessages only finds gettext_lazy("…") written out).
CASE_HEADERS = [
    gettext_lazy("案件编号"), gettext_lazy("来源"), gettext_lazy("大类"), gettext_lazy("小类"), gettext_lazy("区/县"),
    gettext_lazy("街道"), gettext_lazy("社区"), gettext_lazy("单元网格"), gettext_lazy("处置部门"), gettext_lazy("状态"),
    gettext_lazy("上报时间"), gettext_lazy("立案时间"), gettext_lazy("处置时限"), gettext_lazy("处置时间"),
    gettext_lazy("按期处置"), gettext_lazy("结案时间"), gettext_lazy("按期结案"), gettext_lazy("返工"), gettext_lazy("回退"),
    gettext_lazy("延期"), gettext_lazy("挂账"),
]


def _case_cells(c) -> list:
    if c is None:  # a call without a case
        return [""] * len(CASE_HEADERS)
    return [c.number, c.get_source_display(), c.minor.major.name, c.minor.name, c.district.name, c.street.name,
            c.community.name, c.unit_grid.code, c.department.name if c.department else "", c.get_state_display(),
            _local(c.reported_at), _local(c.filed_at), _local(c.handle_deadline), _local(c.handled_at),
            _yes(c.handled_on_time), _local(c.closed_at), _yes(c.closed_on_time), c.rework_count, c.return_count,
            c.extension_count, c.suspension_count]


def _unit_cells(row) -> list:
    if isinstance(row, Case):
        return []
    if isinstance(row, Call):
        agent = row.agent.display_name if row.agent else ""
        return [row.get_kind_display(), _local(row.called_at), "", "", None, agent]
    started = row.created_at if isinstance(row, Task) else row.started_at
    on_time = row.on_time if not isinstance(row, Task) else (
        None if row.completed_at is None else row.completed_at <= row.deadline)
    return [row.get_kind_display(), _local(started), _local(row.deadline), _local(row.completed_at), _yes(on_time),
            row.completed_by.display_name if row.completed_by else ""]


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _yes(value):
    return "" if value is None else (_("是") if value else _("否"))
