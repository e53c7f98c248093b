"""The monthly assessment beside its SQL floor (bench/floor.py: the same counts by one hand-written
query), the floor's counts checked against the counters the assessment stored."""
import time

from django.db import connection, transaction

from assessment import counting
from assessment.models import Composite, IndicatorCatalogue, Period
from assessment.objects import POSITION_ROLE
from assessment.periods import period_spec_parse, window_for
from assessment.services import assessment_compute, catalogue_install_default
from bench import floor
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
    seconds, floor_rows = _timed_query(floor.FLOOR_SQL, {"start": window.start, "end": window.end,
                                                         "as_of": window.as_of})
    result["sql_floor_seconds"] = round(seconds, 2)
    result["sql_floor_rows"] = len(floor_rows)
    if not IndicatorCatalogue.objects.filter(is_active=True).exists():
        catalogue_install_default(activate=True)
    started = time.perf_counter()
    run = assessment_compute(period=label)
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["snapshots"] = getattr(run, "snapshots", None)
    result["composites"] = getattr(run, "composites", None)
    result["ratio_to_floor"] = round(result["seconds"] / max(result["sql_floor_seconds"], 1e-3), 2)
    result["ratio_to_partial_floor"] = round(result["seconds"] / max(result["sql_partial_floor_seconds"], 1e-3), 2)
    result["counting_connections"] = counting.WORKERS
    stored = {(kind, level if kind == "region" else None, object_id): counters
              for kind, level, object_id, counters in Composite.objects.filter(period=Period.objects.get(label=label))
              .values_list("object_type", "level", "object_id", "counters")}
    people = {kind: set(User.objects.filter(role=role).values_list("pk", flat=True))
              for kind, role in POSITION_ROLE.items()}
    compared, differences = floor.floor_mismatches(floor.floor_counters(floor_rows), stored, people)
    result["floor_check"] = {"counts_compared": compared, "differences": differences}
    return result
