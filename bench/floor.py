"""The assessment's SQL floor: every counter of every object type of a period, counted by one
hand-written query (no ORM, no scoring, no writes), and its answer checked against the counters the
assessment stored. bench/run.py times it beside the assessment (issue 7: "the same counts done by
one hand-written SQL query as the floor").

One UNION ALL of eight aggregates, one per source table, the conditions written out as in
assessment.counters (window [start, end), deadlines up to as_of): the month's cases by region
level, department and reporter (GROUPING SETS); their collectors' responsibility grids; the events
and the returned handlings by the case's regions and the department; the clocked steps by who
completed them; the collectors' tasks done, missed (by the grid's collectors) and sent. Each branch
yields (source, grouping, object id, c1 … c16), the counts named by BRANCHES.

The case table is read as the assessment reads it (assessment.counters): each branch bounds the
case ids to the months its window implies (cases.months), so that PostgreSQL skips the other
months of the partitioned table. The parameters: floor_params.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from assessment.filters import filtered_key
from core.partitions import LEGACY_CASE_ID_END, case_id_range

AREA_CASE = ["reports", "collector_reports", "valid_reports", "public_reports", "filed", "voided", "refused",
             "due_handle", "handled", "handled_on_time", "overdue_unhandled", "due_close", "closed",
             "closed_on_time", "overdue_unclosed", "collector_valid"]
BRANCHES = {
    "case": AREA_CASE,
    "event": ["reworked", "extended", "suspended", "urged", "self_handled"],
    "returned": ["returned"],
    "case_grid": ["grid_valid", "missed"],
    "step": ["accepted", "accepted_on_time", "sl_filed", "sl_filed_on_time", "sl_voided", "sl_closed",
             "sl_closed_on_time", "dispatched", "dispatched_on_time", "dispatch_returned", "dispatch_reworked",
             "accurate_dispatched"],
    "task_done": ["verify_done", "verify_on_time", "check_done", "check_on_time"],
    "task_grid": ["verify_missed", "check_missed"],
    "task_sent": ["verify_sent", "verify_sent_on_time", "check_sent", "check_sent_on_time"],
}
WIDTH = 16
PUBLIC = "('hotline_12319', 'hotline_12345', 'public', 'media', 'leader', 'transfer_110')"


def _pad(columns: list[str], width: int) -> str:
    return ", ".join(columns + ["NULL::bigint"] * (width - len(columns)))


def _in(column: str) -> str:
    return f"({column} >= %(start)s AND {column} < %(end)s)"


def _passed(column: str) -> str:
    return f"({column} >= %(start)s AND {column} < %(as_of)s)"


def _reported_in_ids(column: str) -> str:
    """The ids of the cases reported in the window (cases.months.reported_between_q)."""
    return f"({column} >= %(case_low)s AND {column} < %(case_high)s OR {column} < %(case_legacy)s)"


def _reported_before_ids(column: str) -> str:
    """The ids of the cases reported before the window's end (cases.months.reported_before_q)."""
    return f"{column} < %(case_before)s"


def floor_params(window, **more) -> dict:
    """The floor's parameters for a window (assessment.periods.Window): its bounds, and the case
    ids its months give (plain ids, below LEGACY_CASE_ID_END, satisfy every bound)."""
    low, high = case_id_range(window.start, window.end)
    return {"start": window.start, "end": window.end, "as_of": window.as_of, "case_low": low, "case_high": high,
            "case_before": case_id_range(window.end - timedelta(microseconds=1), window.end)[1],
            "case_legacy": LEGACY_CASE_ID_END, **more}


# The month's cases' counts (the case branch), each the condition of its FILTER clause, in
# BRANCHES["case"]'s order; the events' alike.
CASE_CONDITIONS = {
    "reports": "is_report",
    "collector_reports": "is_report AND source = 'collector'",
    "valid_reports": "is_report AND source = 'collector' AND filed_at IS NOT NULL",
    "public_reports": f"is_report AND source IN {PUBLIC}",
    "filed": _in("filed_at"),
    "voided": f"{_in('voided_at')} AND filed_at IS NOT NULL",
    "refused": f"{_in('voided_at')} AND filed_at IS NULL",
    "due_handle": f"{_in('handled_at')} OR is_overdue_unhandled",
    "handled": _in("handled_at"),
    "handled_on_time": f"{_in('handled_at')} AND handled_on_time",
    "overdue_unhandled": "is_overdue_unhandled",
    "due_close": f"{_in('closed_at')} OR is_overdue_unclosed",
    "closed": _in("closed_at"),
    "closed_on_time": f"{_in('closed_at')} AND closed_on_time",
    "overdue_unclosed": "is_overdue_unclosed",
    "collector_valid": "is_report AND filed_at IS NOT NULL",
}
EVENT_CONDITIONS = {
    "reworked": "e.action IN ('check_fail', 'reopen')",
    "extended": "e.action = 'approve_extension'",
    "suspended": "e.action = 'approve_suspension'",
    "urged": "e.action = 'urge'",
    "self_handled": "e.action = 'self_handle'",
}
CASE_COLUMNS = [f"count(*) FILTER (WHERE {CASE_CONDITIONS[name]})" for name in BRANCHES["case"]]
EVENT_COLUMNS = [f"count(DISTINCT e.case_id) FILTER (WHERE {EVENT_CONDITIONS[name]})" for name in BRANCHES["event"]]


@dataclass(frozen=True)
class FilteredCounter:
    """A filtered counter of the bench's catalogue: its base (a count of the case or event
    branch), its filters as an indicator holds them, and the same filters written here by hand on
    the case's columns (`{c}` the case's alias; parameters by name)."""

    base: str
    filters: dict
    sql: str

    @property
    def key(self) -> str:
        return filtered_key(self.base, self.filters)


def bench_filtered(major: str) -> list[FilteredCounter]:
    """The filtered counters of the bench's catalogue (bench/runner/assess.py): a share by source,
    the 部件/事件 split, one major class (`major`, its code), a flag, and an event counter by kind."""
    every_public = ["hotline_12319", "hotline_12345", "leader", "media", "other", "public", "transfer_110", "video"]
    public_sql = "{c}source IN (" + ", ".join(f"'{s}'" for s in every_public) + ")"
    major_sql = ("{c}minor_id IN (SELECT n.id FROM grids_minorclass n JOIN grids_majorclass j ON j.id = n.major_id "
                 "WHERE j.code = %(major)s)")
    return [
        FilteredCounter("reports", {"sources": every_public}, public_sql),
        FilteredCounter("reports", {"class_kind": ["component"]}, "{c}kind = 'component'"),
        FilteredCounter("filed", {"class_kind": ["component"]}, "{c}kind = 'component'"),
        FilteredCounter("reports", {"class_kind": ["event"]}, "{c}kind = 'event'"),
        FilteredCounter("filed", {"class_kind": ["event"]}, "{c}kind = 'event'"),
        FilteredCounter("closed_on_time", {"majors": [major]}, major_sql),
        FilteredCounter("due_close", {"majors": [major]}, major_sql),
        FilteredCounter("handled_on_time", {"class_kind": ["event"]}, "{c}kind = 'event'"),
        FilteredCounter("due_handle", {"class_kind": ["event"]}, "{c}kind = 'event'"),
        FilteredCounter("handled", {"flags": ["urged"]}, "{c}urge_count > 0"),
        FilteredCounter("reworked", {"class_kind": ["event"]}, "{c}kind = 'event'"),
    ]


# GROUPING()'s bit masks: one bit per argument, the first the highest, set where the argument is
# not grouped in the row's set. The events' and returned handlings' sets (district, street,
# community, unit grid, department):
REGION_SETS = {"district": 0b01111, "street": 0b10111, "community": 0b11011, "grid": 0b11101, "department": 0b11110}

def floor_sql(filtered: list[FilteredCounter] = ()) -> str:
    """The floor's query; with `filtered`, each filtered counter one more column of its base's
    branch (as the assessment's passes make each one FILTER clause more)."""
    extra_case = [f"count(*) FILTER (WHERE ({CASE_CONDITIONS[f.base]}) AND {f.sql.format(c='')})"
                  for f in filtered if f.base in CASE_CONDITIONS]
    extra_event = [f"count(DISTINCT e.case_id) FILTER (WHERE ({EVENT_CONDITIONS[f.base]}) AND {f.sql.format(c='c.')})"
                   for f in filtered if f.base in EVENT_CONDITIONS]
    width = max(WIDTH, len(CASE_COLUMNS) + len(extra_case), len(EVENT_COLUMNS) + len(extra_event))
    return f"""
WITH month_cases AS (
    SELECT c.*,
        ({_in('reported_at')} AND state <> 'merged') AS is_report,
        ({_passed('handle_deadline')} AND (handled_at IS NULL OR handled_at >= %(end)s) AND state <> 'suspended')
            AS is_overdue_unhandled,
        ({_passed('handle_deadline')} AND (closed_at IS NULL OR closed_at >= %(end)s)
            AND state NOT IN ('suspended', 'voided', 'merged')) AS is_overdue_unclosed
    FROM cases_case c
    WHERE ({_in('reported_at')} OR {_in('filed_at')} OR {_in('handled_at')} OR {_in('closed_at')}
        OR {_in('voided_at')} OR {_passed('handle_deadline')}) AND {_reported_before_ids('c.id')}
),
returned AS (
    SELECT case_id, department_id, started_at FROM cases_casestep
    WHERE kind = 'handle' AND on_time IS NULL AND completed_at IS NOT NULL AND {_in('started_at')}
)
SELECT 'case', GROUPING(district_id, street_id, community_id, unit_grid_id, department_id, reporter_id),
    COALESCE(unit_grid_id, community_id, street_id, district_id, department_id, reporter_id), {_pad(CASE_COLUMNS + extra_case, width)}
FROM month_cases
GROUP BY GROUPING SETS ((district_id), (street_id), (community_id), (unit_grid_id), (department_id), (reporter_id))
UNION ALL
SELECT 'event', GROUPING(c.district_id, c.street_id, c.community_id, c.unit_grid_id, c.department_id),
    COALESCE(c.unit_grid_id, c.community_id, c.street_id, c.district_id, c.department_id), {_pad(EVENT_COLUMNS + extra_event, width)}
FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id
WHERE e.action IN ('check_fail', 'reopen', 'approve_extension', 'approve_suspension', 'urge', 'self_handle')
    AND {_in('e.created_at')} AND {_reported_before_ids('c.id')}
GROUP BY GROUPING SETS ((c.district_id), (c.street_id), (c.community_id), (c.unit_grid_id), (c.department_id))
UNION ALL
SELECT 'returned', GROUPING(c.district_id, c.street_id, c.community_id, c.unit_grid_id, s.department_id),
    COALESCE(c.unit_grid_id, c.community_id, c.street_id, c.district_id, s.department_id),
    {_pad(["count(DISTINCT s.case_id)"], width)}
FROM cases_casestep s JOIN cases_case c ON c.id = s.case_id
WHERE s.kind = 'handle' AND s.on_time IS NULL AND {_in('s.completed_at')} AND {_reported_before_ids('c.id')}
GROUP BY GROUPING SETS ((c.district_id), (c.street_id), (c.community_id), (c.unit_grid_id), (s.department_id))
UNION ALL
SELECT 'case_grid', 0, rc.user_id, {_pad([
        "count(*) FILTER (WHERE c.source = 'collector' AND c.filed_at IS NOT NULL OR c.source <> 'collector' "
        "AND (c.verified OR c.verified IS NULL AND c.filed_at IS NOT NULL))",
        "count(*) FILTER (WHERE c.source <> 'collector' AND (c.verified OR c.verified IS NULL AND c.filed_at IS NOT NULL))",
    ], width)}
FROM cases_case c JOIN grids_responsibilitygrid_collectors rc ON rc.responsibilitygrid_id = c.responsibility_grid_id
WHERE {_in('c.reported_at')} AND {_reported_in_ids('c.id')} AND c.state <> 'merged'
GROUP BY rc.user_id
UNION ALL
SELECT 'step', 0, s.completed_by_id, {_pad([
        "count(*) FILTER (WHERE s.kind = 'accept' AND s.on_time IS NOT NULL)",
        "count(*) FILTER (WHERE s.kind = 'accept' AND s.on_time)",
        "count(*) FILTER (WHERE s.kind IN ('accept', 'file') AND s.on_time IS NOT NULL AND c.filed_at IS NOT NULL)",
        "count(*) FILTER (WHERE s.kind IN ('accept', 'file') AND s.on_time AND c.filed_at IS NOT NULL)",
        "count(*) FILTER (WHERE s.kind IN ('accept', 'file') AND s.on_time IS NOT NULL AND c.filed_at IS NOT NULL "
        "AND c.voided_at IS NOT NULL)",
        "count(*) FILTER (WHERE s.kind = 'close' AND s.on_time IS NOT NULL)",
        "count(*) FILTER (WHERE s.kind = 'close' AND s.on_time)",
        "count(*) FILTER (WHERE s.kind = 'dispatch' AND s.on_time IS NOT NULL)",
        "count(*) FILTER (WHERE s.kind = 'dispatch' AND s.on_time)",
        "count(*) FILTER (WHERE s.kind = 'dispatch' AND s.on_time IS NOT NULL AND r.case_id IS NOT NULL)",
        "count(*) FILTER (WHERE s.kind = 'dispatch' AND s.on_time IS NOT NULL AND c.rework_count > 0)",
        "count(*) FILTER (WHERE s.kind = 'dispatch' AND s.on_time IS NOT NULL AND r.case_id IS NULL "
        "AND c.rework_count = 0)",
    ], width)}
FROM cases_casestep s JOIN cases_case c ON c.id = s.case_id
    LEFT JOIN returned r ON s.kind = 'dispatch' AND r.case_id = s.case_id AND r.started_at = s.completed_at
WHERE {_in('s.completed_at')} AND s.completed_by_id IS NOT NULL AND {_reported_before_ids('c.id')}
GROUP BY s.completed_by_id
UNION ALL
SELECT 'task_done', 0, t.completed_by_id, {_pad([
        "count(*) FILTER (WHERE t.kind = 'verify' AND t.result IS NOT NULL)",
        "count(*) FILTER (WHERE t.kind = 'verify' AND t.result IS NOT NULL AND t.completed_at <= t.deadline)",
        "count(*) FILTER (WHERE t.kind = 'check' AND t.result IS NOT NULL)",
        "count(*) FILTER (WHERE t.kind = 'check' AND t.result IS NOT NULL AND t.completed_at <= t.deadline)",
    ], width)}
FROM cases_task t WHERE {_in('t.completed_at')} AND t.completed_by_id IS NOT NULL
GROUP BY t.completed_by_id
UNION ALL
SELECT 'task_grid', 0, rc.user_id, {_pad([
        "count(*) FILTER (WHERE t.kind = 'verify' AND (t.completed_at IS NULL OR t.completed_at >= %(end)s))",
        "count(*) FILTER (WHERE t.kind = 'check' AND (t.completed_at IS NULL OR t.completed_at >= %(end)s))",
    ], width)}
FROM cases_task t JOIN grids_responsibilitygrid_collectors rc ON rc.responsibilitygrid_id = t.responsibility_grid_id
WHERE {_passed('t.deadline')}
GROUP BY rc.user_id
UNION ALL
SELECT 'task_sent', 0, t.created_by_id, {_pad([
        "count(*) FILTER (WHERE t.kind = 'verify')",
        "count(*) FILTER (WHERE t.kind = 'verify' AND a.case_id IS NOT NULL)",
        "count(*) FILTER (WHERE t.kind = 'check')",
        "count(*) FILTER (WHERE t.kind = 'check' AND t.created_at <= t.deadline)",
    ], width)}
FROM cases_task t LEFT JOIN cases_casestep a ON t.kind = 'verify' AND a.case_id = t.case_id AND a.kind = 'accept'
    AND a.completed_at = t.created_at AND a.on_time
WHERE {_in('t.created_at')} AND t.created_by_id IS NOT NULL
GROUP BY t.created_by_id
"""


FLOOR_SQL = floor_sql()

# Which stored counters each branch's counts are, per object type: (type, branch, grouping) -> {floor name: counter}.
_AREA = {name: name for name in AREA_CASE if name != "collector_valid"}
_EVENTS = {name: name for name in BRANCHES["event"]}
CHECKS = {
    ("region", "case"): _AREA, ("department", "case"): _AREA,
    ("region", "event"): _EVENTS, ("department", "event"): _EVENTS,
    ("region", "returned"): {"returned": "returned"}, ("department", "returned"): {"returned": "returned"},
    ("collector", "case"): {"reports": "reports", "collector_valid": "valid_reports"},
    ("collector", "case_grid"): {"grid_valid": "grid_valid", "missed": "missed"},
    ("collector", "task_done"): {name: name for name in BRANCHES["task_done"]},
    ("collector", "task_grid"): {name: name for name in BRANCHES["task_grid"]},
    ("operator", "step"): {"accepted": "accepted", "accepted_on_time": "accepted_on_time"},
    ("operator", "task_sent"): {name: name for name in BRANCHES["task_sent"]},
    ("shift_leader", "step"): {"sl_filed": "filed", "sl_filed_on_time": "filed_on_time", "sl_voided": "voided",
                               "sl_closed": "closed", "sl_closed_on_time": "closed_on_time"},
    ("dispatcher", "step"): {name: name for name in BRANCHES["step"][7:]},
}
# The cases' sets (the same and the reporter):
CASE_SETS = {"district": 0b011111, "street": 0b101111, "community": 0b110111, "grid": 0b111011,
             "department": 0b111101, "reporter": 0b111110}


def _names(filtered) -> dict[str, list[str]]:
    """Each branch's counts in the order of its columns, the filtered counters' keys last."""
    return {**BRANCHES, "case": BRANCHES["case"] + [f.key for f in filtered if f.base in CASE_CONDITIONS],
            "event": BRANCHES["event"] + [f.key for f in filtered if f.base in EVENT_CONDITIONS]}


def floor_counters(rows, filtered: list[FilteredCounter] = ()) -> dict[tuple[str, str, int], dict[str, int]]:
    """{(branch, grouping, object id): {floor name: count}} of the floor's rows; the grouping is a
    region level, "department", "reporter" or "" (people)."""
    names = _names(filtered)
    masks = {"case": {mask: name for name, mask in CASE_SETS.items()}, "event": {m: n for n, m in REGION_SETS.items()},
             "returned": {m: n for n, m in REGION_SETS.items()}}
    out: dict[tuple[str, str, int], dict[str, int]] = {}
    for branch, mask, object_id, *counts in rows:
        if object_id is None:
            continue
        grouping = masks[branch][mask] if branch in masks else ""
        out[(branch, grouping, object_id)] = dict(zip(names[branch], counts, strict=False))
    return out


def floor_mismatches(floor: dict, stored: dict[tuple[str, str, int], dict[str, int]], people: dict[str, set[int]],
                     limit: int = 10, filtered: dict[str, list[FilteredCounter]] | None = None,
                     ) -> tuple[int, list[str]]:
    """(counts compared, up to `limit` differences) between the floor and the stored composites'
    counters ({(type, level, object id): counters}); `people` gives each position's user ids;
    `filtered` the filtered counters each type's indicators name (regions' and departments')."""
    checks = dict(CHECKS)
    for object_type, counters in (filtered or {}).items():
        for branch, conditions in (("case", CASE_CONDITIONS), ("event", EVENT_CONDITIONS)):
            keys = {f.key: f.key for f in counters if f.base in conditions}
            checks[(object_type, branch)] = {**checks[(object_type, branch)], **keys}
    by_object: dict[tuple[str, str, int], dict[str, int]] = defaultdict(dict)
    for (branch, grouping, object_id), counts in floor.items():
        for object_type in ("region", "department", "collector", "operator", "shift_leader", "dispatcher"):
            names = checks.get((object_type, branch))
            if not names:
                continue
            if object_type == "region" and grouping in REGION_SETS and grouping != "department":
                level = grouping
            elif object_type == "department" and grouping == "department":
                level = None
            elif (object_type == "collector" and branch == "case" and grouping == "reporter"
                  and object_id in people["collector"]):
                level = None
            elif object_type not in ("region", "department") and grouping == "" and object_id in people[object_type]:
                level = None
            else:
                continue
            target = by_object[(object_type, level, object_id)]
            for floor_name, counter in names.items():
                target[counter] = counts[floor_name]
    compared, more, differences = 0, 0, []
    for (object_type, level, object_id), counts in by_object.items():
        stored_counts = stored.get((object_type, level, object_id))
        for counter, value in counts.items():
            have = (stored_counts or {}).get(counter, 0)
            compared += 1
            if have != value:
                more += 1
                if len(differences) < limit:
                    differences.append(f"{object_type} {level or ''} {object_id} {counter}: floor {value}, "
                                       f"stored {have}")
    if more > len(differences):
        differences.append(f"… {more - len(differences)} more")
    return compared, differences
