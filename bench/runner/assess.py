"""The monthly assessment beside its SQL floor (bench/floor.py: the same counts by one hand-written
query), the floor's counts checked against the counters the assessment stored."""
import re
import time

from django.db import connection, transaction
from django.db.models import Count

from assessment import counting
from assessment.models import Composite, Indicator, IndicatorCatalogue, ObjectType, Period
from assessment.objects import POSITION_ROLE
from assessment.passes import passes_plan
from assessment.periods import period_spec_parse, window_for
from assessment.services import (
    assessment_compute,
    catalogue_active,
    catalogue_copy,
    catalogue_install_default,
    indicator_errors,
    indicator_keys,
)
from bench import floor
from cases.models import Case
from grids.models import User

# The floor of earlier rounds, kept for comparison: a subset of the counts (the cases by region,
# department and reporter, the steps and tasks by kind and person), without the events, the
# returned handlings, the collectors' grids, the tasks' deadlines or the on-time sends.
PARTIAL_FLOOR_SQL = """
WITH c AS (
    SELECT * FROM cases_case WHERE reported_at >= %(start)s AND reported_at < %(end)s
        OR filed_at >= %(start)s AND filed_at < %(end)s OR handled_at >= %(start)s AND handled_at < %(end)s
        OR closed_at >= %(start)s AND closed_at < %(end)s OR handle_deadline >= %(start)s AND handle_deadline < %(end)s
), per_case AS (
    SELECT district_id, street_id, community_id, unit_grid_id, department_id, reporter_id, source,
        (reported_at >= %(start)s AND reported_at < %(end)s AND state != 'merged')::int AS reports,
        (filed_at >= %(start)s AND filed_at < %(end)s)::int AS filed,
        (voided_at >= %(start)s AND voided_at < %(end)s AND filed_at IS NOT NULL)::int AS voided,
        (handled_at >= %(start)s AND handled_at < %(end)s)::int AS handled,
        (handled_at >= %(start)s AND handled_at < %(end)s AND handled_on_time)::int AS handled_on_time,
        ((handled_at >= %(start)s AND handled_at < %(end)s) OR (handle_deadline >= %(start)s
            AND handle_deadline < %(end)s AND (handled_at IS NULL OR handled_at >= %(end)s)
            AND state != 'suspended'))::int AS due,
        (closed_at >= %(start)s AND closed_at < %(end)s)::int AS closed,
        (closed_at >= %(start)s AND closed_at < %(end)s AND closed_on_time)::int AS closed_on_time,
        (rework_count > 0)::int AS reworked, (return_count > 0)::int AS returned,
        (extension_count > 0)::int AS extended, (suspension_count > 0)::int AS suspended
    FROM c
)
SELECT 'case' AS src, district_id, street_id, community_id, unit_grid_id, department_id, reporter_id,
    sum(reports), sum(filed), sum(voided), sum(handled), sum(handled_on_time), sum(due), sum(closed),
    sum(closed_on_time), sum(reworked), sum(returned), sum(extended), sum(suspended)
FROM per_case
GROUP BY GROUPING SETS ((district_id), (street_id), (community_id), (unit_grid_id), (department_id),
    (reporter_id))
UNION ALL
SELECT 'step:' || kind, NULL, NULL, NULL, NULL, NULL, completed_by_id, count(*), sum(on_time::int),
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM cases_casestep WHERE completed_at >= %(start)s AND completed_at < %(end)s
GROUP BY kind, completed_by_id
UNION ALL
SELECT 'task:' || kind, NULL, NULL, NULL, NULL, NULL, completed_by_id, count(*),
    sum((completed_at <= deadline)::int), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM cases_task WHERE created_at >= %(start)s AND created_at < %(end)s
GROUP BY kind, completed_by_id
"""


def _timed_query(sql: str, params: dict) -> tuple[float, list]:
    """(seconds, rows) of one query, with the assessment's settings (no JIT, 64 MB of work_mem) and
    PostgreSQL's parallel workers (the web's connections have none, citygrid.settings)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 2")  # PostgreSQL's own default, as a DBA runs it
        started = time.perf_counter()
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        return time.perf_counter() - started, rows


def measure_assessment(label: str) -> dict:
    """The month's assessment beside its SQL floor (bench/floor.py: the same counts by one
    hand-written query), and the floor's counts checked against the counters the assessment
    stored; also the partial floor of earlier rounds."""
    spec = period_spec_parse(label)
    window = window_for(spec.start, spec.end)
    result: dict = {"period": label}
    seconds, _rows = _timed_query(PARTIAL_FLOOR_SQL, {"start": spec.start, "end": spec.end})
    result["sql_partial_floor_seconds"] = round(seconds, 2)
    params = floor.floor_params(window)
    seconds, floor_rows = _timed_query(floor.FLOOR_SQL, params)
    result["sql_floor_seconds"] = round(seconds, 2)
    result["sql_floor_rows"] = len(floor_rows)
    result["floor_partitions_read"] = _partitions_read(floor.FLOOR_SQL, params)
    if not IndicatorCatalogue.objects.filter(is_active=True).exists():
        catalogue_install_default(activate=True)
    catalogue = catalogue_active()
    started = time.perf_counter()
    run = assessment_compute(period=label, catalogue=catalogue)
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["snapshots"] = getattr(run, "snapshots", None)
    result["composites"] = getattr(run, "composites", None)
    result["ratio_to_floor"] = round(result["seconds"] / max(result["sql_floor_seconds"], 1e-3), 2)
    result["ratio_to_partial_floor"] = round(result["seconds"] / max(result["sql_partial_floor_seconds"], 1e-3), 2)
    result["counting_connections"] = counting.WORKERS
    result["passes"] = len(passes_plan(ObjectType.values, _filtered_keys(catalogue)))
    people = {kind: set(User.objects.filter(role=role).values_list("pk", flat=True))
              for kind, role in POSITION_ROLE.items()}
    compared, differences = floor.floor_mismatches(floor.floor_counters(floor_rows), _stored(label), people)
    result["floor_check"] = {"counts_compared": compared, "differences": differences}
    result["filtered"] = _measure_filtered(label, catalogue, params, people, result["seconds"])
    return result


def _stored(label: str) -> dict:
    return {(kind, level if kind == "region" else None, object_id): counters
            for kind, level, object_id, counters in Composite.objects.filter(period=Period.objects.get(label=label))
            .values_list("object_type", "level", "object_id", "counters")}


def _filtered_keys(catalogue: IndicatorCatalogue) -> dict[str, list[str]]:
    """The filtered counters a catalogue's indicators name, by object type (as the assessment adds them)."""
    keys: dict[str, list[str]] = {}
    for indicator in catalogue.indicators.all():
        keys.setdefault(indicator.object_type, []).extend(k for k in indicator_keys(indicator) if "?" in k)
    return keys


def _partitions_read(sql: str, params: dict) -> dict[str, int]:
    """How many monthly partitions of the events and steps the query's plan reads (EXPLAIN, not run)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return {table: len(set(re.findall(rf"\b{table}_(p\d{{4}}_\d{{2}}|default)\b", plan)))
            for table in ("cases_caseevent", "cases_casestep")}


# The bench's filtered indicators (issue 22), beside the default catalogue's: (type, code, name,
# numerator and its filters' index in floor.bench_filtered, denominator and its index or None).
FILTERED_INDICATORS = [
    ("region", "public_share", "公众上报占比", 0, "reports", None),
    ("region", "component_filing_rate", "部件立案率", 2, "reports", 1),
    ("region", "event_filing_rate", "事件立案率", 4, "reports", 3),
    ("region", "major_ontime_closing_rate", "大类按期结案率", 5, "due_close", 6),
    ("department", "event_ontime_handling_rate", "事件按期处置率", 7, "due_handle", 8),
    ("department", "urged_handled_share", "督办案件处置占比", 9, "handled", None),
    ("region", "event_rework", "事件返工数", 10, "", None),
]


def filtered_by_type(filtered: list) -> dict[str, list]:
    """The filtered counters each object type's bench indicators name."""
    out: dict[str, list] = {}
    for object_type, _code, _name, numerator, _denominator, denominator_filtered in FILTERED_INDICATORS:
        out.setdefault(object_type, []).extend(filtered[i] for i in (numerator, denominator_filtered) if i is not None)
    return out


def bench_catalogue(catalogue: IndicatorCatalogue, filtered: list) -> IndicatorCatalogue:
    """A copy of `catalogue` with the bench's filtered indicators added (weight 0: shown, counted,
    not scored), each validated as the admin's form validates it; inactive."""
    # Named by the run's time: a run with --reuse finds the copies of the runs before it.
    copy = catalogue_copy(catalogue=catalogue, name=f"{catalogue.name}（基准：筛选计数 {time.strftime('%m-%d %H:%M:%S')}）")
    for order, (object_type, code, name, numerator, denominator, denominator_filtered) in enumerate(
            FILTERED_INDICATORS, start=100):
        fields = {"object_type": object_type, "numerator": filtered[numerator].base, "denominator": denominator,
                  "numerator_filters": filtered[numerator].filters, "weight": 0, "bands": {},
                  "denominator_filters": filtered[denominator_filtered].filters if denominator_filtered else {}}
        if errors := indicator_errors(**fields):
            raise SystemExit(f"the bench's indicator {code} does not read: {errors}")
        Indicator.objects.create(catalogue=copy, code=code, name=name, order=order,
                                 kind="ratio" if denominator else "count", **fields)
    return copy


def _measure_filtered(label: str, catalogue: IndicatorCatalogue, params: dict, people: dict,
                      default_seconds: float) -> dict:
    """The month assessed again with the bench's filtered indicators added (issue 22): its time
    beside the default catalogue's, its passes (a filtered counter is one aggregate more of a pass,
    not a query more), and its counts against the floor with the same filters written by hand."""
    spec = period_spec_parse(label)
    major = (Case.objects.filter(reported_at__gte=spec.start, reported_at__lt=spec.end).values("minor__major__code")
             .annotate(n=Count("id")).order_by("-n").values_list("minor__major__code", flat=True).first()) or "01"
    filtered = floor.bench_filtered(major)
    copy = bench_catalogue(catalogue, filtered)
    sql = floor.floor_sql(filtered)
    seconds, floor_rows = _timed_query(sql, {**params, "major": major})
    started = time.perf_counter()
    assessment_compute(period=label, catalogue=copy)
    result = {"indicators": len(FILTERED_INDICATORS), "filtered_counters": len({f.key for f in filtered}),
              "major": major, "seconds": round(time.perf_counter() - started, 2),
              "default_catalogue_seconds": default_seconds, "sql_floor_seconds": round(seconds, 2),
              "passes": len(passes_plan(ObjectType.values, _filtered_keys(copy)))}
    result["ratio_to_floor"] = round(result["seconds"] / max(seconds, 1e-3), 2)
    result["ratio_to_default"] = round(result["seconds"] / max(default_seconds, 1e-3), 2)
    counts, stored = floor.floor_counters(floor_rows, filtered), _stored(label)
    compared, differences = floor.floor_mismatches(counts, stored, people, filtered=filtered_by_type(filtered))
    unfiltered, _differences = floor.floor_mismatches(counts, stored, people)
    result["floor_check"] = {"counts_compared": compared, "filtered_counts_compared": compared - unfiltered,
                             "differences": differences}
    return result
