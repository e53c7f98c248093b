"""Durations in working hours (处置用时, 核查用时, 结案用时): the average and the median of the working
minutes of the steps of one kind ended with a verdict in the period (cases.CaseStep.work_minutes,
written when a step ends), per region and per department, for the indicators of kind 平均用时 and
用时中位数.

- 处置用时 handling: a handling step (from dispatch to the department's report), ended by the
  report (with an on-time verdict: returns, redispatches and withdrawals are left out);
- 核查用时 verifying: a check step (from the report to the collector's check, passed or failed);
- 结案用时 closing: the close step (from the check passed to the shift leader's closing).

Each step counts in the period its step ended in, for the region of its case and the department
its case is with (as the case counters count them). Steps ended before cases migration 0020 have no
working minutes and are left out. Filters (assessment.filters) apply to the step's case.

All the catalogue's durations are one query over the steps (a pass of its own, only when the
catalogue has a duration indicator): per duration and filter a SUM and a COUNT of the minutes
(the average is their exact quotient, computed in Decimal, so every database gives the same
figure), and on PostgreSQL `percentile_cont(0.5) WITHIN GROUP (ORDER BY work_minutes)`, every
object type and region level a grouping set. SQLite has no percentile_cont: there the median is
the mean of the middle one or two rows by ROW_NUMBER() and COUNT() windows, one query per median
and grouping — the same value (the median of whole minutes is a whole or half minute, exact in
both). A quarter's or a year's durations are counted over its own window (a median is not a sum
of months).
"""
from dataclasses import dataclass

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Q, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases.models import CaseStep, StepKind

from .counters import REGION_FIELDS
from .filters import filtered_key, filters_q, key_parse
from .models import ObjectType
from .periods import Window


@dataclass(frozen=True)
class Duration:
    key: str
    label: Promise
    step_kind: str
    help: Promise


DURATIONS = {
    "handle_time": Duration("handle_time", _("处置用时"), StepKind.HANDLE,
                            _("派遣至处置反馈的工作时间（回退、改派、撤回的不计）")),
    "check_time": Duration("check_time", _("核查用时"), StepKind.CHECK, _("处置反馈至核查完成的工作时间")),
    "close_time": Duration("close_time", _("结案用时"), StepKind.CLOSE, _("核查通过至结案的工作时间")),
}
# The object types a duration is counted for, and the column of the step that makes the object.
DURATION_TYPES = (ObjectType.REGION, ObjectType.DEPARTMENT)
MEASURES = ("sum", "n", "median")  # the counters of a duration: minutes summed, steps, the median


def duration_choices() -> list[tuple[str, str]]:
    """(key, label) for the admin's picker of an average or median indicator."""
    return [(key, f"{d.label} [{key}]（{'、'.join(str(ObjectType(t).label) for t in DURATION_TYPES)}）")
            for key, d in DURATIONS.items()]


def duration_keys(duration: str, filters) -> dict[str, str]:
    """{measure: counter key} of a duration with filters: `handle_time.sum?sources=video`, …"""
    return {measure: filtered_key(f"{duration}.{measure}", filters) for measure in MEASURES}


def is_duration_key(key: str) -> bool:
    base, _filters = key_parse(key)
    return base.partition(".")[0] in DURATIONS


def duration_condition(key: str, window: Window) -> Q:
    """The steps a duration counter counts (drill-down and the pass alike)."""
    base, filters = key_parse(key)
    duration = DURATIONS[base.partition(".")[0]]
    return (Q(kind=duration.step_kind, on_time__isnull=False, work_minutes__isnull=False,
              completed_at__gte=window.start, completed_at__lt=window.end) & filters_q(filters, "case__"))


def duration_column(object_type: str, level: str | None) -> str:
    """The step's column that makes the object: its case's region, or its case's department."""
    if object_type == ObjectType.DEPARTMENT:
        return "case__department_id"
    return "case__" + REGION_FIELDS[level]


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5) WITHIN GROUP (ORDER BY …), FILTER-able like any aggregate."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def durations_count(jobs: dict[str, list[str | None]], window: Window,
                    keys: dict[str, list[str]]) -> dict[str, dict[str | None, dict[int, dict]]]:
    """{object type: {level: {object id: {counter key: value}}}} of the duration counters `keys`
    ({type: keys}) for the object types and levels of `jobs`: one query on PostgreSQL."""
    wanted = {kind: sorted({k for k in keys.get(kind, ()) if is_duration_key(k)}) for kind in jobs
              if kind in DURATION_TYPES}
    wanted = {kind: ks for kind, ks in wanted.items() if ks}
    result: dict[str, dict] = {kind: {level: {} for level in jobs[kind]} for kind in wanted}
    if not wanted:
        return result
    columns: dict[str, list[tuple[str, str | None]]] = {}  # column -> [(type, level)]
    for kind in wanted:
        for level in jobs[kind]:
            columns.setdefault(duration_column(kind, level), []).append((kind, level))
    all_keys = sorted({k for ks in wanted.values() for k in ks})
    conditions = {key: duration_condition(key, window) for key in all_keys}
    where = Q()
    for condition in conditions.values():
        where |= condition
    postgres = connection.vendor == "postgresql"
    aggregates = {}
    alias_of = {}
    for n, key in enumerate(all_keys):
        measure = key_parse(key)[0].partition(".")[2]
        alias_of[key] = f"d_{n}"
        if measure == "sum":
            aggregates[f"d_{n}"] = Sum("work_minutes", filter=conditions[key], default=0)
        elif measure == "n":
            aggregates[f"d_{n}"] = Count("work_minutes", filter=conditions[key])
        elif postgres:
            aggregates[f"d_{n}"] = Median("work_minutes", filter=conditions[key])
    from .passes import _grouped_rows  # the counters' GROUPING SETS machinery, reused as is

    key_alias = {column: f"key_{n}" for n, column in enumerate(columns)}
    sets = [(column,) for column in columns]
    queryset = CaseStep.objects.filter(where).order_by()
    # Steps completed in the window: of cases reported before its end (the case table bounded).
    rows = _grouped_rows(queryset, sets, key_alias, aggregates, case_before=window.end) if aggregates else []
    for row in rows:
        column = next((c for c in columns if row.get(key_alias[c]) is not None), None)
        if column is None:
            continue
        for kind, level in columns[column]:
            values = {key: _plain(row[alias_of[key]]) for key in wanted[kind] if alias_of[key] in row}
            result[kind][level][row[key_alias[column]]] = values
    if not postgres:
        for key in all_keys:
            if key_parse(key)[0].endswith(".median"):
                for column, owners in columns.items():
                    for object_id, median in _window_median(queryset.filter(conditions[key]), column).items():
                        for kind, level in owners:
                            if key in wanted[kind]:
                                result[kind][level].setdefault(object_id, {})[key] = median
    return result


def _plain(value):
    """A median as JSON keeps it: a whole number of minutes as an int, a half as a float."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _window_median(queryset, column: str) -> dict[int, int | float]:
    """{object id: median minutes} by ROW_NUMBER() and COUNT() windows (SQLite has no percentile)."""
    inner = queryset.values(object_key=F(column), minutes=F("work_minutes")).filter(object_key__isnull=False)
    sql, params = inner.query.sql_with_params()
    query = (
        "SELECT object_key, AVG(minutes) FROM ("
        " SELECT object_key, minutes,"
        " ROW_NUMBER() OVER (PARTITION BY object_key ORDER BY minutes) AS position,"
        " COUNT(*) OVER (PARTITION BY object_key) AS total"
        f" FROM ({sql}) AS steps) AS ranked"
        " WHERE position IN ((total + 1) / 2, (total + 2) / 2) GROUP BY object_key"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {object_id: _plain(float(median)) for object_id, median in cursor.fetchall()}


def durations_merge(counted: dict[str | None, dict], durations: dict[str | None, dict], empty: dict) -> None:
    """Put one type's duration counters into its counted values ({level: {object id: values}})."""
    for level, by_object in durations.items():
        into = counted.setdefault(level, {})
        for object_id, values in by_object.items():
            if object_id not in into:
                into[object_id] = dict(empty)
            into[object_id].update(values)

