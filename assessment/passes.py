"""Every object type's counters in one query per source table (a *pass*), for the computation.

assessment.counters counts one object type (and region level) at a time, one query per source
table the type uses. Computing every type that way reads the month's cases three times (regions,
departments, collectors), its events and returned handlings twice and its clocked steps three
times (operators, shift leaders, dispatchers), joining each to the case table again: 14 queries,
12 s of SQL at a million cases a month. A pass reads one source table once for every type that
counts from it:

- the types' groupings become the GROUPING SETS of one aggregate (PostgreSQL). Each answer row
  belongs to the set whose columns are not null: the other sets' columns are null by grouping. A
  row whose own columns are all null counts for no object, as it would in its own query;
- types grouped by the same column (the three positions on steps: completed_by) share a set, and
  each takes the rows of its own people. The WHERE keeps the union of their people, the literal id
  list of counters._by_role (for the plan that list buys);
- an aggregate that two types define alike (the area counters of regions and departments) is
  computed once.

The counters' definitions, each type's grouping and the drill-down stay in assessment.counters;
the numbers equal counters_compute's, type by type and level by level (tests). Off PostgreSQL,
one query per grouping set.
"""
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, F, Q

from grids.models import Region, RegionLevel

from .counters import (
    PATROL,
    REGION_FIELDS,
    SOURCES,
    Counter,
    Grouping,
    case_bounded,
    counters_derive,
    counters_with,
    grouping,
    patrol_values,
)
from .models import ObjectType, RegionLevelKey
from .periods import Window

# The region levels a pass groups by, finest last: every level's counters are summed up from these
# groups. The city is the district's parent, looked up rather than joined: with the join PostgreSQL
# estimated a million groups, sorted the month's cases on disk, and took 4.4 s at a million cases
# where the grouping without it, estimated from the column statistics (cases_case_region_ndistinct,
# migration cases/0006), is hashed.
REGION_GROUPED = [RegionLevelKey.DISTRICT, RegionLevelKey.STREET, RegionLevelKey.COMMUNITY, RegionLevelKey.GRID]


# Members counted in a pass of their own although they share its source table: the operators'
# counters need no case column, so their accept steps (half the month's clocked steps) are read
# without the join to the cases and without the other positions' aggregates: 0.3 s alone, 1.1 s
# more inside the shift leaders' and dispatchers' pass at a million cases.
OWN_PASS = {("step", ObjectType.OPERATOR)}


# Passes whose rows (the month's counted events, its returned handlings: 220,000 and 50,000 at a
# million cases) reach their cases by index look-ups, not by hashing the whole case table, which
# PostgreSQL's default costs (random_page_cost 4: a disk's, not a cached table's) prefer: 0.94 ->
# 0.74 s and 0.65 -> 0.48 s at a million cases, and the hash grows with every case ever filed where
# the look-ups grow with the month.
NO_HASH_JOIN = {"event", "handle_step"}


@dataclass(frozen=True)
class Member:
    """One object type's share of a pass: its grouping columns and its counters on the source."""

    object_type: str
    columns: tuple[str, ...]
    counters: tuple[Counter, ...]
    group: Grouping


@dataclass
class Pass:
    """One query: a source table (assessment.counters.SOURCES) and the types counted from it."""

    source: str
    members: list[Member] = field(default_factory=list)

    @property
    def types(self) -> set[str]:
        return {member.object_type for member in self.members}


def _member(object_type: str, source: str, counters: list[Counter]) -> Member:
    if source == PATROL:
        return Member(object_type, (PATROL,), tuple(counters), Grouping(PATROL))
    if object_type == ObjectType.REGION:
        prefix = "" if source == "case" else "case__"
        columns = tuple(prefix + REGION_FIELDS[level] for level in REGION_GROUPED)
        return Member(object_type, columns, tuple(counters), Grouping(columns[-1]))
    group = grouping(object_type, None, source)
    return Member(object_type, (group.expr,), tuple(counters), group)


def passes_plan(object_types, extra: dict[str, list[str]] | None = None) -> list[Pass]:
    """The passes counting every counter of these object types, and the filtered counters of
    `extra` ({type: counter keys}, a catalogue's): one per source table, but for the members of
    OWN_PASS. A filtered counter is one more aggregate of its base counter's pass."""
    passes: dict[str, Pass] = {}
    for object_type in object_types:
        by_source: dict[str, list[Counter]] = defaultdict(list)
        for counter in counters_with(object_type, (extra or {}).get(object_type, ())):
            if not counter.derived:
                by_source[counter.source].append(counter)
        for source, counters in by_source.items():
            key = (source, object_type if (source, object_type) in OWN_PASS else "")
            passes.setdefault(key, Pass(source)).members.append(_member(object_type, source, counters))
    return list(passes.values())


def pass_count(plan: Pass, window: Window) -> dict[str, dict]:
    """{object type: {group key: {counter key: value}}} of one pass, where the group key is the
    object id, or for regions the (district, street, community, unit grid) tuple."""
    if plan.source == PATROL:  # the patrol app's figures, not a Count over a table
        values = patrol_values(window)
        return {member.object_type: {pk: {c.key: row[c.key] for c in member.counters} for pk, row in values.items()}
                for member in plan.members}
    table = SOURCES[plan.source]
    sets = list(dict.fromkeys(member.columns for member in plan.members))
    key_alias = {column: f"key_{n}" for n, column in enumerate(dict.fromkeys(c for s in sets for c in s))}
    aggregates: dict[str, Count] = {}
    conditions: list[tuple[Q, str]] = []  # (condition, alias): an equal condition is counted once
    alias_of: dict[tuple[str, str], str] = {}
    for member in plan.members:
        for counter in member.counters:
            condition = counter.condition(window)
            alias = next((a for c, a in conditions if c == condition), None)
            if alias is None:
                alias = f"n_{len(conditions)}"
                conditions.append((condition, alias))
                aggregates[alias] = Count(table.count, distinct=table.distinct, filter=condition)
            alias_of[member.object_type, counter.key] = alias
    where = table.prefilter(window)
    bases = [member.group.base for member in plan.members]
    if all(bases):  # every member is a role's people: only their rows
        people = Q()
        for base in bases:
            people |= base
        where &= people
    with _planner(plan.source):
        rows = _grouped_rows(table.model.objects.filter(where).order_by(), sets, key_alias, aggregates,
                             case_before=window.end if table.after_report else None)

    counted: dict[str, dict] = {member.object_type: {} for member in plan.members}
    set_members = {columns: [m for m in plan.members if m.columns == columns] for columns in sets}
    for row in rows:
        columns = next((s for s in sets if any(row.get(key_alias[c]) is not None for c in s)), None)
        if columns is None:
            continue
        key = tuple(row.get(key_alias[c]) for c in columns)
        for member in set_members[columns]:
            if len(key) == 1:
                key_value = key[0]
                if key_value is None or (member.group.people is not None and key_value not in member.group.people):
                    continue
            else:
                key_value = key
            counted[member.object_type][key_value] = {c.key: row[alias_of[member.object_type, c.key]]
                                                      for c in member.counters}
    return counted


@contextmanager
def _planner(source: str):
    """The pass's planner settings, for its query only (SET LOCAL, then back to the default)."""
    if source not in NO_HASH_JOIN or connection.vendor != "postgresql" or not connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_hashjoin = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_hashjoin")


def _column(column):
    """A grouping column: a field path, or an expression (a hotline line's id from its channel)."""
    return F(column) if isinstance(column, str) else column


def _grouped_rows(queryset, sets, key_alias, aggregates, case_before=None) -> list[dict]:
    """The aggregate rows of the queryset over the grouping sets, as dicts (absent keys None).
    With `case_before` (rows done to cases before that moment), the case table the grouping or the
    aggregates join is bounded to the months up to it (counters.case_bounded)."""
    def bounded(grouped):
        return case_bounded(grouped, case_before) if case_before is not None else grouped

    if len(sets) == 1 or connection.vendor != "postgresql":
        rows = []
        for columns in sets:
            keys = {key_alias[c]: _column(c) for c in columns}
            rows += list(bounded(queryset.values(**keys).annotate(**aggregates)))
        return rows
    keys = {alias: _column(column) for column, alias in key_alias.items()}
    query = bounded(queryset.values(**keys).annotate(**aggregates)).query
    sql, params = query.sql_with_params()
    # Django groups by the keys' positions in the select list (1, 2, …): the one clause to change.
    positions = {alias: n for n, alias in enumerate(keys, start=1)}
    tail = "GROUP BY " + ", ".join(str(n) for n in positions.values())
    if not sql.endswith(tail):
        raise RuntimeError(f"unexpected GROUP BY in the pass's SQL: …{sql[-200:]}")
    grouping_sets = ", ".join("(" + ", ".join(str(positions[key_alias[c]]) for c in columns) + ")" for columns in sets)
    sql = sql[: -len(tail)] + f"GROUP BY GROUPING SETS ({grouping_sets})"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def counters_assemble(object_type: str, levels: list[str | None], partials: list[dict],
                      extra_keys=()) -> dict[str | None, dict]:
    """{level: {object id: counters}} of one type from its passes' answers (pass_count's values
    for the type), zeros filled in and derived counters derived. Regions are summed up from their
    (district, street, community, unit grid) groups, one level from the one below (communities
    from their unit grids, streets from their communities, …): over groups, about one per unit
    grid, never over cases, and exact because every case is in exactly one group."""
    keys = [c.key for c in counters_with(object_type, extra_keys)]
    groups: dict = {}
    for partial in partials:  # the passes count different counters: merged, not added
        for group_key, row in partial.items():
            if group_key not in groups:
                groups[group_key] = dict.fromkeys(keys, 0)
            groups[group_key].update(row)
    if object_type != ObjectType.REGION:
        return {None: {object_id: counters_derive(object_type, row) for object_id, row in groups.items()}}
    sums = {RegionLevelKey.GRID: groups}
    for level, finer, width in ((RegionLevelKey.COMMUNITY, RegionLevelKey.GRID, 3),
                                (RegionLevelKey.STREET, RegionLevelKey.COMMUNITY, 2),
                                (RegionLevelKey.DISTRICT, RegionLevelKey.STREET, 1)):
        sums[level] = _rollup(sums[finer], width)
    if RegionLevelKey.CITY in levels:
        city_of = dict(Region.objects.filter(level=RegionLevel.DISTRICT).values_list("pk", "parent_id"))
        sums[RegionLevelKey.CITY] = _rollup({(city_of.get(district), district): row
                                             for (district,), row in sums[RegionLevelKey.DISTRICT].items()}, 1)
    return {level: {region_id: counters_derive(object_type, row) for region_id, row in _by_region(sums[level]).items()}
            for level in levels}


def _by_region(rows: dict[tuple, dict[str, int]]) -> dict[int, dict[str, int]]:
    """Level sums by region (the last part of the key); a region under two parents (a unit grid
    moved to another community between two cases) is one object, its rows added."""
    per_region: dict[int, dict[str, int]] = {}
    for (*_parents, region_id), row in rows.items():
        if region_id is None:
            continue
        target = per_region.get(region_id)
        if target is None:
            per_region[region_id] = row
        else:
            for name, value in row.items():
                target[name] += value
    return per_region


def _rollup(rows: dict[tuple, dict[str, int]], width: int) -> dict[tuple, dict[str, int]]:
    """The rows summed by the first `width` parts of their keys (new dicts; the rows are kept)."""
    sums: dict[tuple, dict[str, int]] = {}
    for key, row in rows.items():
        prefix = key[:width]
        target = sums.get(prefix)
        if target is None:
            sums[prefix] = dict(row)
        else:
            for name, value in row.items():
                target[name] += value
    return sums


def counters_together(jobs: dict[str, list[str | None]], window: Window,
                      extra: dict[str, list[str]] | None = None) -> dict[str, dict[str | None, dict]]:
    """{object type: {level: {object id: counters}}} of every type in `jobs` ({type: its levels}),
    one pass after another on this connection (assessment.counting runs them side by side)."""
    extra = extra or {}
    plan = passes_plan(jobs, extra)
    partials: dict[str, list[dict]] = defaultdict(list)
    for each in plan:
        for object_type, counted in pass_count(each, window).items():
            partials[object_type].append(counted)
    return {kind: counters_assemble(kind, levels, partials[kind], extra.get(kind, ())) for kind, levels in jobs.items()}
