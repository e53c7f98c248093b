"""Synthetic case history for demos and benchmarks (`manage.py generate_cases`): realistic sources,
skewed classes, positions inside unit grids, every path of the loop on the work calendar, written in
bulk (PostgreSQL COPY, elsewhere bulk_create), batch by batch so that memory stays flat in N.

How it works. Every case follows one *path*: a fixed list of workflow actions (report, propose_file,
file, dispatch, report_handled, …), e.g. "public report, verified true, filed, dispatched, extension
approved, handled, check failed, handled again, checked, closed". The cases of a batch are grouped by
path and simulated column-wise with numpy: each action's time is the previous one plus a random
working time on the actor's calendar (city default or the department's), so deadlines, on-time
verdicts and overdue marks come from the same clock arithmetic as cases.calendar. A case reported
shortly before `until` has only done the actions that fall before `until`: that is how open cases in
every state (and pending requests, open tasks) arise. The replay of a path records exactly the rows
cases.workflow and cases.services would have written (steps, tasks, requests, events with their
payloads, the milestone columns), so counting from milestones or from events gives the same answer.

Not generated: merges, reopen after a dissatisfied callback, attachments and hotline calls.
"""
from __future__ import annotations

import json
import math
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from django.conf import settings
from django.db import connection, connections, transaction

from grids.models import (
    Component,
    Department,
    MinorClass,
    OwnershipRule,
    Region,
    ResponsibilityGrid,
    Role,
    UnitGrid,
    User,
)

from .calendar import WorkCalendar
from .models import Case, CaseEvent, CaseNumberSequence, CaseRequest, CaseStep, Source, State, StepKind, Task

NULL = -1  # the null of every integer column here (ids, epoch seconds, booleans as 0/1)
OVERDUE_MARK_DELAY = 30  # seconds after a deadline at which the minutely beat marks the step

# --- the mix -------------------------------------------------------------------------------------

# Collectors dominate; the hotline and transfers are the next biggest share (published city reports).
SOURCE_MIX = {
    Source.COLLECTOR: 0.70, Source.VIDEO: 0.06, Source.HOTLINE_12319: 0.07, Source.HOTLINE_12345: 0.08,
    Source.PUBLIC: 0.05, Source.MEDIA: 0.005, Source.LEADER: 0.005, Source.TRANSFER_110: 0.01, Source.OTHER: 0.02,
}
URGENCY_MIX = {"normal": 0.93, "urgent": 0.05, "engineering": 0.02}
# "Four classes make 85 % of reports": these names, where the city has them, get 85 % of the weight.
TOP_CLASS_NAMES = ["暴露垃圾", "非法小广告", "店外经营", "乱堆物堆料", "无照经营游商", "非机动车乱停放",
                   "积存垃圾渣土", "道路不洁"]
TOP_CLASS_COUNT = 5
TOP_CLASS_SHARE = 0.85
COMPONENT_REFERENCE_SHARE = 0.7  # component-class reports that name the component's code
OWNERSHIP_OVERRIDE_SHARE = 0.03  # the dispatcher sends elsewhere than the ownership rule says

# Report intensity by local hour (patrols in the work windows, the public into the evening).
HOUR_WEIGHTS = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4, 6, 6, 5, 2, 2.5, 5.5, 6, 5.5, 4, 2, 1.5, 1.2, 1, 0.6, 0.3]
DAY_OFF_FACTOR = 0.6

NOTES = {
    "void": "不属于城管受理范围，不予立案", "return": "非本单位职责范围，申请回退", "request_extension": "需协调多部门联合处置，申请延期",
    "deny_extension": "延期理由不充分", "request_suspension": "涉及征收拆迁，暂时无法处置，申请挂账",
    "deny_suspension": "不符合挂账条件", "check_fail": "现场问题仍然存在，处置不到位", "urge": "请加快处置进度",
}
DESCRIPTION_SUFFIXES = ["，请尽快处理", "，影响市容市貌", "，群众反映强烈", "，已存在多日", "，存在安全隐患"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"

# --- paths ---------------------------------------------------------------------------------------

# Paths after filing, with their share among filed cases.
BODIES: dict[str, tuple[float, list[str]]] = {
    "plain": (0.725, ["dispatch", "report_handled", "send_check", "check_pass", "close"]),
    "return": (0.05, ["dispatch", "return", "dispatch", "report_handled", "send_check", "check_pass", "close"]),
    "extension": (0.05, ["dispatch", "request_extension", "approve_extension", "report_handled", "send_check",
                         "check_pass", "close"]),
    "extension_denied": (0.015, ["dispatch", "request_extension", "deny_extension", "report_handled",
                                 "send_check", "check_pass", "close"]),
    "suspension": (0.015, ["dispatch", "request_suspension", "approve_suspension", "resume", "report_handled",
                           "send_check", "check_pass", "close"]),
    "suspension_parked": (0.01, ["dispatch", "request_suspension", "approve_suspension"]),
    "suspension_denied": (0.01, ["dispatch", "request_suspension", "deny_suspension", "report_handled",
                                 "send_check", "check_pass", "close"]),
    "rework": (0.06, ["dispatch", "report_handled", "send_check", "check_fail", "report_handled", "send_check",
                      "check_pass", "close"]),
    "rework_twice": (0.01, ["dispatch", "report_handled", "send_check", "check_fail", "report_handled",
                            "send_check", "check_fail", "report_handled", "send_check", "check_pass", "close"]),
    "return_rework": (0.01, ["dispatch", "return", "dispatch", "report_handled", "send_check", "check_fail",
                             "report_handled", "send_check", "check_pass", "close"]),
    "urged": (0.045, ["dispatch", "urge", "report_handled", "send_check", "check_pass", "close"]),
}
# Beginnings by source: a collector's report is verified by nature; the others are verified first.
DIRECT = ["report", "propose_file", "file"]
VERIFIED = ["report", "send_verify", "verify_true", "file"]
COLLECTOR_SELF_HANDLED = 0.08
VOID_SHARE = {"direct": 0.05, "video": 0.10, "verify_false": 0.10, "verify_void_at_once": 0.04}


def _paths() -> list[tuple[str, list[str]]]:
    paths = [("self_handled", ["report", "self_handle"]), ("void", ["report", "void"]),
             ("verify_false", ["report", "send_verify", "verify_false", "void"])]
    for prefix_name, prefix in (("direct", DIRECT), ("verified", VERIFIED)):
        for body_name, (_share, body) in BODIES.items():
            paths.append((f"{prefix_name}:{body_name}", prefix + body))
    return paths


PATHS = _paths()
PATH_INDEX = {name: i for i, (name, _actions) in enumerate(PATHS)}

# Who acts, and on which calendar the working time before the action is counted.
ACTOR_ROLE = {
    "propose_file": "operator", "send_verify": "operator", "send_check": "operator",
    "verify_true": "collector", "verify_false": "collector", "check_pass": "collector", "check_fail": "collector",
    "file": "leader", "void": "leader", "approve_suspension": "leader", "deny_suspension": "leader",
    "resume": "leader", "close": "leader",
    "dispatch": "dispatcher", "approve_extension": "dispatcher", "deny_extension": "dispatcher", "urge": "dispatcher",
    "return": "handler", "request_extension": "handler", "request_suspension": "handler", "report_handled": "handler",
    "report": "reporter", "self_handle": "reporter",
}
# Command-center actions: (median minutes, sigma) of the lognormal working time before them.
QUICK_GAPS = {
    "propose_file": (6, 0.8), "send_verify": (6, 0.8), "verify_true": (25, 0.7), "verify_false": (25, 0.7),
    "file": (8, 0.7), "void": (10, 0.8), "dispatch": (8, 0.7), "send_check": (5, 0.8), "check_pass": (40, 0.6),
    "check_fail": (45, 0.6), "close": (6, 0.8), "approve_extension": (40, 0.7), "deny_extension": (40, 0.7),
    "approve_suspension": (120, 0.6), "deny_suspension": (120, 0.6),
}
EVENT_ACTION = {"verify_true": "verify", "verify_false": "verify"}

STATE_CODES = list(State.values)
STEP_CODES = list(StepKind.values)
S = {value: i for i, value in enumerate(STATE_CODES)}
K = {value: i for i, value in enumerate(STEP_CODES)}


# --- the work calendar as arrays -----------------------------------------------------------------

class WorkClock:
    """cases.calendar.WorkCalendar as lookup tables over a date range: instants (epoch seconds, UTC)
    ↔ cumulative working seconds, so that "start + N working hours" for a whole column is two
    searchsorted calls. Exact for the calendar's windows, holidays and overrides."""

    def __init__(self, calendar: WorkCalendar, first: date, last: date):
        starts, ends = [], []
        day = first
        while day <= last:
            if calendar.is_workday(day):
                midnight = datetime.combine(day, datetime.min.time(), tzinfo=calendar.tz).timestamp()
                for opens, closes in calendar.windows:
                    starts.append(int(midnight) + opens)
                    ends.append(int(midnight) + closes)
            day += timedelta(days=1)
        self.starts = np.array(starts, dtype=np.int64)
        self.ends = np.array(ends, dtype=np.int64)
        lengths = self.ends - self.starts
        self.cum_end = np.cumsum(lengths)
        self.cum_start = self.cum_end - lengths
        self.seconds_per_day = calendar.seconds_per_workday

    def work(self, t: np.ndarray) -> np.ndarray:
        """Working seconds from the table's start to each instant."""
        i = np.minimum(np.searchsorted(self.ends, t, side="right"), len(self.ends) - 1)
        return self.cum_start[i] + np.clip(t - self.starts[i], 0, self.ends[i] - self.starts[i])

    def wall(self, w: np.ndarray) -> np.ndarray:
        """The first instant at which `w` working seconds have elapsed (work ending exactly at a
        window's close ends there, as in WorkCalendar.add_work_time)."""
        i = np.minimum(np.searchsorted(self.cum_end, w, side="left"), len(self.ends) - 1)
        return self.starts[i] + (w - self.cum_start[i])

    def add(self, t: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        return self.wall(self.work(t) + seconds)


class Clocks:
    """The city default clock (index 0) and one per distinct department schedule."""

    def __init__(self, department_ids: list[int], first: date, last: date):
        calendars: dict[int, WorkCalendar] = {}
        default = WorkCalendar.for_department(None)
        self.clocks = [WorkClock(default, first, last)]
        seen = {id(default): 0}
        self.of_department = np.zeros(len(department_ids), dtype=np.int64)
        for position, department_id in enumerate(department_ids):
            calendar = calendars.setdefault(department_id, WorkCalendar.for_department(department_id))
            if id(calendar) not in seen:
                seen[id(calendar)] = len(self.clocks)
                self.clocks.append(WorkClock(calendar, first, last))
            self.of_department[position] = seen[id(calendar)]

    def add(self, clock: np.ndarray | int, t: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        seconds = np.broadcast_to(np.asarray(seconds, dtype=np.int64), t.shape)
        if np.isscalar(clock) or np.ndim(clock) == 0:
            return self.clocks[int(clock)].add(t, seconds)
        out = np.empty_like(t)
        for number in np.unique(clock):
            mask = clock == number
            out[mask] = self.clocks[number].add(t[mask], seconds[mask])
        return out

    def between(self, clock: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        out = np.empty_like(start)
        for number in np.unique(clock):
            mask = clock == number
            table = self.clocks[number]
            out[mask] = np.maximum(table.work(end[mask]) - table.work(start[mask]), 0)
        return out

    def day_seconds(self, clock: np.ndarray) -> np.ndarray:
        return np.array([c.seconds_per_day for c in self.clocks], dtype=np.int64)[clock]


# --- the registry, loaded once -------------------------------------------------------------------

def _pool(groups: np.ndarray, members: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A padded table: row g holds the members of group g; and the count per group."""
    counts = np.bincount(groups, minlength=size) if len(groups) else np.zeros(size, dtype=np.int64)
    table = np.full((size, max(int(counts.max(initial=0)), 1)), NULL, dtype=np.int64)
    order = np.argsort(groups, kind="stable")
    groups, members = groups[order], members[order]
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    if len(groups):
        table[groups, np.arange(len(groups)) - starts[groups]] = members
    return table, counts


def _pick(rng: np.random.Generator, table: np.ndarray, counts: np.ndarray, group: np.ndarray) -> np.ndarray:
    count = counts[group]
    index = (rng.random(len(group)) * np.maximum(count, 1)).astype(np.int64)
    return np.where(count > 0, table[group, index], NULL)


def _utf8(text: str) -> bytes:
    """Text for a COPY text-format field (backslash, tab and newline escaped)."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r").encode()


@dataclass
class Registry:
    """Everything a case refers to, as arrays indexed by position (not id)."""

    grid_id: np.ndarray
    grid_community: np.ndarray
    grid_street: np.ndarray
    grid_district: np.ndarray  # position in `district_ids`
    grid_district_id: np.ndarray
    grid_rgrid: np.ndarray
    grid_geometry: np.ndarray
    grid_bounds: np.ndarray
    grid_cum_weight: np.ndarray
    grid_address: np.ndarray
    minor_id: np.ndarray
    minor_kind: list[str]
    minor_limits: np.ndarray  # (n, 3) normal, urgent, engineering
    minor_days: np.ndarray  # limit unit is work days
    minor_cum_weight: np.ndarray
    minor_descriptions: np.ndarray  # (n, len(DESCRIPTION_SUFFIXES)) bytes
    minor_department_type: np.ndarray
    minor_major: np.ndarray
    minor_component_start: np.ndarray
    minor_component_count: np.ndarray
    component_id: np.ndarray
    component_grid: np.ndarray
    component_lon: np.ndarray
    component_lat: np.ndarray
    department_id: np.ndarray
    department_name_json: list[bytes]
    district_ids: np.ndarray
    staff: dict[str, tuple[np.ndarray, np.ndarray]]  # role → pool by district position
    collectors_by_rgrid: tuple[np.ndarray, np.ndarray]
    handlers: tuple[np.ndarray, np.ndarray]  # pool by department position
    any_user: int
    fallback_departments: tuple[np.ndarray, np.ndarray]  # by (department type, district) key
    ownership: Callable[[np.ndarray, np.ndarray], np.ndarray]
    rgrid_position: np.ndarray  # responsibility grid id → row of collectors_by_rgrid

    @classmethod
    def load(cls, *, seed: int, edition: str | None = None, max_components: int = 300_000) -> Registry:
        rng = np.random.default_rng([seed, 1])
        grids = list(UnitGrid.objects.order_by("pk").values_list(
            "pk", "community_id", "street_id", "district_id", "responsibility_grid_id", "geometry",
            "min_lon", "min_lat", "max_lon", "max_lat", "code"))
        if not grids:
            raise ValueError("no unit grids: build a city first (seed_demo or grids.demo)")
        active = MinorClass.objects.filter(is_active=True)
        if edition is None:  # the edition whose classes name the most of the usual top classes
            editions = sorted(set(active.values_list("edition", flat=True)))
            names = {e: list(active.filter(edition=e).values_list("name", flat=True)) for e in editions}
            edition = max(editions, key=lambda e: (sum(any(t in n for n in names[e]) for t in TOP_CLASS_NAMES),
                                                   -editions.index(e)), default=None)
        minors = list(active.filter(edition=edition).order_by("pk").values_list(
            "pk", "kind", "name", "limit_unit", "limit_normal", "limit_urgent", "limit_engineering",
            "department_type_id", "major_id"))
        if not minors:
            raise ValueError("no active minor classes: load the classes first")
        departments = list(Department.objects.filter(is_active=True).order_by("pk").values_list(
            "pk", "name", "department_type_id", "region_id"))
        if not departments:
            raise ValueError("no departments to dispatch to")
        regions = dict(Region.objects.values_list("pk", "parent_id"))
        region_names = dict(Region.objects.values_list("pk", "name"))

        district_ids = np.array(sorted({g[3] for g in grids}), dtype=np.int64)
        district_pos = {d: i for i, d in enumerate(district_ids.tolist())}
        grid_geometry = np.array([shapely.geometry.shape(g[5]) for g in grids], dtype=object)
        shapely.prepare(grid_geometry)
        # Hot spots: a few grids (markets, stations) collect many more reports than the rest.
        weights = rng.lognormal(0.0, 1.0, len(grids))
        addresses = [_utf8(f"{region_names.get(g[2], '')}{region_names.get(g[1], '')}{g[10][-3:]}号网格附近")
                     for g in grids]

        minor_names = [m[2] for m in minors]
        top = []
        for name in TOP_CLASS_NAMES:
            top += [i for i, minor_name in enumerate(minor_names) if name in minor_name and i not in top][:1]
        event_like = [i for i, m in enumerate(minors) if m[1] != "component" and i not in top]
        top += [int(i) for i in rng.permutation(event_like)[: max(TOP_CLASS_COUNT - len(top), 0)]]
        top = top[:TOP_CLASS_COUNT] or [0]
        minor_weight = np.zeros(len(minors))
        zipf = 1.0 / np.arange(1, len(top) + 1)
        minor_weight[top] = TOP_CLASS_SHARE * zipf / zipf.sum()
        rest = [i for i in range(len(minors)) if i not in top]
        if rest:
            tail = 1.0 / np.arange(1, len(rest) + 1) ** 0.8
            minor_weight[rng.permutation(rest)] = (1 - TOP_CLASS_SHARE) * tail / tail.sum()
        else:
            minor_weight[top] /= minor_weight.sum()

        # Components, for component classes: a bounded sample, grouped by class.
        minor_pos = {m[0]: i for i, m in enumerate(minors)}
        grid_pos = {g[0]: i for i, g in enumerate(grids)}
        total_components = Component.objects.count()
        step = max(1, math.ceil(total_components / max_components))
        components = Component.objects.filter(in_use=True).order_by("pk").values_list(
            "pk", "minor_id", "unit_grid_id", "lon", "lat")
        if step > 1:
            components = components.extra(where=[f"{connection.ops.quote_name('id')} %% {step} = 0"])
        rows = [(c[0], minor_pos[c[1]], grid_pos[c[2]], c[3], c[4]) for c in components.iterator(chunk_size=20_000)
                if c[1] in minor_pos and c[2] in grid_pos]
        rows.sort(key=lambda r: (r[1], r[0]))
        component_minor = np.array([r[1] for r in rows], dtype=np.int64)
        counts = np.bincount(component_minor, minlength=len(minors)) if rows else np.zeros(len(minors), dtype=np.int64)

        users = list(User.objects.filter(is_active=True).values_list("pk", "role", "region_id", "department_id"))
        staff = {}
        for key, role in (("operator", Role.OPERATOR), ("leader", Role.SHIFT_LEADER),
                          ("dispatcher", Role.DISPATCHER), ("collector", Role.COLLECTOR),
                          ("hotline", Role.HOTLINE_AGENT)):
            people = [u for u in users if u[1] == role]
            groups, members = [], []
            for position, district in enumerate(district_ids.tolist()):
                local = [u[0] for u in people if u[2] == district]
                # Nobody in the district: the city-level staff act (scope "whole city").
                local = local or [u[0] for u in people if u[2] is None or regions.get(u[2]) is None]
                local = local or [u[0] for u in people]
                groups += [position] * len(local)
                members += local
            staff[key] = _pool(np.array(groups, dtype=np.int64), np.array(members, dtype=np.int64),
                               len(district_ids))
        rgrid_ids = [g[4] for g in grids if g[4] is not None]
        rgrid_pos = {r: i for i, r in enumerate(sorted(set(rgrid_ids)))}
        links = ResponsibilityGrid.collectors.through.objects.filter(
            responsibilitygrid_id__in=list(rgrid_pos)).values_list("responsibilitygrid_id", "user_id")
        links = [(rgrid_pos[r], u) for r, u in links]
        collectors_by_rgrid = _pool(np.array([lk[0] for lk in links], dtype=np.int64),
                                    np.array([lk[1] for lk in links], dtype=np.int64), max(len(rgrid_pos), 1))
        department_pos = {d[0]: i for i, d in enumerate(departments)}
        handler_rows = [(department_pos[u[3]], u[0]) for u in users if u[1] == Role.HANDLER and u[3] in department_pos]
        handlers = _pool(np.array([h[0] for h in handler_rows], dtype=np.int64),
                         np.array([h[1] for h in handler_rows], dtype=np.int64), len(departments))
        any_user = min((u[0] for u in users), default=None)
        if any_user is None:
            raise ValueError("no users: the history needs people to act")

        # Where the ownership rules are silent, the dispatcher picks a department of the class's
        # type, in the district if there is one, else in the city.
        types = sorted({d[2] for d in departments if d[2] is not None} | {m[7] for m in minors if m[7] is not None})
        type_pos = {t: i + 1 for i, t in enumerate(types)}  # 0 = no type
        fallback_groups, fallback_members = [], []
        for t in [None, *types]:
            for position, district in enumerate(district_ids.tolist()):
                typed = [department_pos[d[0]] for d in departments if t is None or d[2] == t]
                local = [p for p in typed if departments[p][3] == district] or typed
                local = local or list(range(len(departments)))
                fallback_groups += [type_pos.get(t, 0) * len(district_ids) + position] * len(local)
                fallback_members += local
        fallback = _pool(np.array(fallback_groups, dtype=np.int64), np.array(fallback_members, dtype=np.int64),
                         (len(types) + 1) * len(district_ids))
        minor_type = np.array([type_pos.get(m[7], 0) for m in minors], dtype=np.int64)

        # Ownership rules (grids.models.OwnershipRule): the most specific region wins, then the
        # minor class over the major; None when unknown.
        by_minor, by_major = {}, {}
        for major, minor, region, department in OwnershipRule.objects.values_list(
                "major_id", "minor_id", "region_id", "department_id"):
            if department in department_pos:
                (by_minor if minor else by_major)[(minor or major, region)] = department_pos[department]
        minor_ids = [m[0] for m in minors]
        minor_majors = [m[8] for m in minors]
        cache: dict[tuple[int, int], int] = {}

        def ownership(minor_positions: np.ndarray, grid_positions: np.ndarray) -> np.ndarray:
            keys = minor_positions * len(grids) + grid_positions
            unique, inverse = np.unique(keys, return_inverse=True)
            answers = np.empty(len(unique), dtype=np.int64)
            for position, key in enumerate(unique.tolist()):
                minor, grid = divmod(key, len(grids))
                community = grids[grid][1]
                found = cache.get((minor, community))
                if found is None:
                    found = NULL
                    region = community
                    while region is not None and found == NULL:
                        found = by_minor.get((minor_ids[minor], region), by_major.get((minor_majors[minor], region),
                                                                                     NULL))
                        region = regions.get(region)
                    cache[minor, community] = found
                answers[position] = found
            return answers[inverse]

        rgrid_position = np.full(max(rgrid_pos, default=0) + 1, NULL, dtype=np.int64)
        for rgrid, position in rgrid_pos.items():
            rgrid_position[rgrid] = position
        descriptions = np.array([[_utf8(f"{name}{suffix}") for suffix in DESCRIPTION_SUFFIXES]
                                 for name in minor_names], dtype="S")
        return cls(
            grid_id=np.array([g[0] for g in grids], dtype=np.int64),
            grid_community=np.array([g[1] for g in grids], dtype=np.int64),
            grid_street=np.array([g[2] for g in grids], dtype=np.int64),
            grid_district=np.array([district_pos[g[3]] for g in grids], dtype=np.int64),
            grid_district_id=np.array([g[3] for g in grids], dtype=np.int64),
            grid_rgrid=np.array([g[4] if g[4] is not None else NULL for g in grids], dtype=np.int64),
            grid_geometry=grid_geometry,
            grid_bounds=np.array([g[6:10] for g in grids], dtype=np.float64),
            grid_cum_weight=np.cumsum(weights) / weights.sum(),
            grid_address=np.array(addresses, dtype="S"),
            minor_id=np.array(minor_ids, dtype=np.int64),
            minor_kind=[m[1] for m in minors],
            minor_limits=np.array([m[4:7] for m in minors], dtype=np.int64),
            minor_days=np.array([m[3] == "work_days" for m in minors]),
            minor_cum_weight=np.cumsum(minor_weight) / minor_weight.sum(),
            minor_descriptions=descriptions,
            minor_department_type=minor_type,
            minor_major=np.array(minor_majors, dtype=np.int64),
            minor_component_start=np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64),
            minor_component_count=counts.astype(np.int64),
            component_id=np.array([r[0] for r in rows], dtype=np.int64),
            component_grid=np.array([r[2] for r in rows], dtype=np.int64),
            component_lon=np.array([r[3] for r in rows], dtype=np.float64),
            component_lat=np.array([r[4] for r in rows], dtype=np.float64),
            department_id=np.array([d[0] for d in departments], dtype=np.int64),
            department_name_json=[_utf8(json.dumps(d[1], ensure_ascii=False)) for d in departments],
            district_ids=district_ids,
            staff=staff,
            collectors_by_rgrid=collectors_by_rgrid,
            handlers=handlers,
            any_user=any_user,
            fallback_departments=fallback,
            ownership=ownership,
            rgrid_position=rgrid_position,
        )


# --- one path, column-wise -----------------------------------------------------------------------

class Var:
    """A value that actions overwrite: its value after the first k actions of each case."""

    def __init__(self, initial):
        self.initial = initial
        self.writes: list[tuple[int, object]] = []

    def set(self, j: int, value) -> None:
        self.writes.append((j, value))

    def at(self, k: np.ndarray) -> np.ndarray:
        value = np.broadcast_to(np.asarray(self.initial, dtype=np.int64), k.shape)
        for j, written in self.writes:
            value = np.where(k > j, written, value)
        return np.asarray(value, dtype=np.int64)

    def last(self):
        return self.writes[-1][1] if self.writes else self.initial


@dataclass
class StepSpec:
    kind: str
    opened: int
    department: np.ndarray | int
    deadline: Var
    closed: int | None = None
    on_time: str = "compare"  # compare | none | true
    closed_by: np.ndarray | int = NULL


@dataclass
class TaskSpec:
    kind: str
    opened: int
    created_by: np.ndarray
    deadline: np.ndarray
    local_id: np.ndarray
    closed: int | None = None
    closed_by: np.ndarray | int = NULL
    result: int = NULL
    note: bytes = b""


@dataclass
class RequestSpec:
    kind: str
    opened: int
    requested_by: np.ndarray
    reason: bytes
    requested_deadline: np.ndarray | int
    local_id: np.ndarray
    decided: int | None = None
    approved: bool = False
    decided_by: np.ndarray | int = NULL
    note: bytes = b""


@dataclass
class EventSpec:
    j: int
    action: str
    from_state: int
    to_state: int
    actor: np.ndarray | int
    note: bytes
    payload: list  # bytes, or (kind, array) pieces: int, iso, bool, task, request, raw


def _lognormal(rng, n, median, sigma):
    return median * np.exp(sigma * rng.standard_normal(n))


class PathRun:
    """The cases of one batch that follow one path: their action times, and the rows the workflow
    would have written, recorded against action numbers and cut at each case's `done` count."""

    def __init__(self, gen: Generator, actions: list[str], cases: dict[str, np.ndarray], rng: np.random.Generator):
        self.gen, self.actions, self.c, self.rng = gen, actions, cases, rng
        self.n = n = len(cases["id"])
        self.T = np.zeros((n, len(actions)), dtype=np.int64)
        self.steps: list[StepSpec] = []
        self.tasks: list[TaskSpec] = []
        self.requests: list[RequestSpec] = []
        self.events: list[EventSpec] = []
        self.state_after: list[int] = []
        v = self.v = {name: Var(NULL) for name in (
            "department", "current_step", "current_deadline", "current_started", "filed_at", "dispatched_at",
            "handle_deadline", "handled_at", "handled_on_time", "closed_at", "closed_on_time", "voided_at",
            "verified")}
        for name in ("rework_count", "return_count", "extension_count", "suspension_count", "urge_count"):
            v[name] = Var(0)
        v["state"] = Var(S[State.REPORTED])
        self.state = S[State.REPORTED]
        self.open_step: StepSpec | None = None
        self.open_task: TaskSpec | None = None
        self.open_request: RequestSpec | None = None
        self.dispatches = 0
        self.handle_context = "first"
        self.counters = dict.fromkeys(("rework_count", "return_count", "extension_count", "suspension_count",
                                       "urge_count"), 0)

    # -- helpers ---------------------------------------------------------------------------------

    def _gap(self, j: int, clock, seconds) -> None:
        seconds = np.maximum(np.asarray(seconds), 1).astype(np.int64)
        self.T[:, j] = self.gen.clocks.add(clock, self.T[:, j - 1], seconds)

    def _step_open(self, j: int, kind: str, *, department=NULL, deadline=None) -> StepSpec:
        t = self.T[:, j]
        if deadline is None:
            hours = settings.STEP_LIMITS_HOURS[kind]
            deadline = self.gen.clocks.add(0, t, np.full(self.n, int(round(hours * 3600))))
        step = StepSpec(kind, j, department, Var(deadline))
        self.steps.append(step)
        self.open_step = step
        self.v["current_step"].set(j, K[kind])
        self.v["current_deadline"].set(j, deadline)
        self.v["current_started"].set(j, t)
        return step

    def _step_complete(self, j: int, actor, *, on_time: str = "compare") -> StepSpec:
        step = self.open_step
        step.closed, step.closed_by, step.on_time = j, actor, on_time
        self.open_step = None
        return step

    def _clock_clear(self, j: int) -> None:
        for name in ("current_step", "current_deadline", "current_started"):
            self.v[name].set(j, NULL)

    def _event(self, j, action, actor, payload=(), note=b"") -> None:
        self.events.append(EventSpec(j, action, self.state, self.state, actor, note, list(payload)))

    def _move(self, j: int, state: str) -> None:
        self.state = S[state]
        self.events[-1].to_state = self.state
        self.v["state"].set(j, self.state)

    def _count(self, j: int, name: str) -> None:
        self.counters[name] += 1
        self.v[name].set(j, self.counters[name])

    def _handle_open(self, j: int) -> None:
        department = self.department
        clock = self.gen.clocks.of_department[department]
        limit = self.limit_seconds(clock)
        deadline = self.gen.clocks.add(clock, self.T[:, j], limit)
        self._step_open(j, StepKind.HANDLE, department=self.gen.reg.department_id[department], deadline=deadline)
        self.v["handle_deadline"].set(j, deadline)
        self.v["handled_at"].set(j, NULL)
        self.v["handled_on_time"].set(j, NULL)

    def limit_seconds(self, clock: np.ndarray) -> np.ndarray:
        c = self.c
        amount = self.gen.reg.minor_limits[c["minor"], c["urgency"]]
        unit = np.where(self.gen.reg.minor_days[c["minor"]], self.gen.clocks.day_seconds(clock), 3600)
        return amount * unit

    @property
    def handler(self) -> np.ndarray:
        return self.c["handler"][:, self.dispatches - 1]

    # -- the run ---------------------------------------------------------------------------------

    def run(self) -> None:
        for j, action in enumerate(self.actions):
            getattr(self, f"a_{action}")(j)
            self.state_after.append(self.state)
        until = self.gen.until_epoch
        self.done = np.maximum((self.T <= until).sum(axis=1), 1)

    def quick(self, j: int, action: str) -> None:
        median, sigma = QUICK_GAPS[action]
        self._gap(j, 0, _lognormal(self.rng, self.n, median * 60, sigma))

    def a_report(self, j):
        c = self.c
        self.T[:, 0] = c["reported_at"]
        self._step_open(0, StepKind.ACCEPT)
        self._event(0, "report", c["reporter"], [b'{"source": "', ("bytes", c["source_bytes"]),
                                                  b'", "duplicate_of": null}'])
        self._move(0, State.REPORTED)
        self.events[-1].from_state = NULL  # blank: the report has no from-state

    def a_self_handle(self, j):
        c = self.c
        self.T[:, j] = self.T[:, j - 1]
        self._step_complete(j, c["reporter"], on_time="true")
        self._clock_clear(j)
        for name in ("filed_at", "dispatched_at", "handled_at", "closed_at"):
            self.v[name].set(j, self.T[:, j])
        self.v["handled_on_time"].set(j, 1)
        self.v["closed_on_time"].set(j, 1)
        self.v["verified"].set(j, 1)
        self._event(j, "self_handle", c["reporter"], [b"{}"])
        self._move(j, State.CLOSED)

    def a_propose_file(self, j):
        self.quick(j, "propose_file")
        actor = self.c["operator"]
        self._step_complete(j, actor)
        self._step_open(j, StepKind.FILE)
        self._event(j, "propose_file", actor, [b"{}"])

    def a_send_verify(self, j):
        self.quick(j, "send_verify")
        actor = self.c["operator"]
        self._step_complete(j, actor)
        step = self._step_open(j, StepKind.VERIFY)
        self.open_task = task = self.gen.task(self, "verify", j, actor, step.deadline.initial)
        self._event(j, "send_verify", actor, [b'{"task_id": ', ("task", task.local_id), b', "deadline": "',
                                               ("iso", step.deadline.initial), b'"}'])
        self._move(j, State.VERIFYING)

    def _verify(self, j, result: bool):
        self.quick(j, "verify_true" if result else "verify_false")
        actor = self.c["collector"]
        task = self.open_task
        task.closed, task.closed_by, task.result = j, actor, int(result)
        self.open_task = None
        self._step_complete(j, actor)
        self.v["verified"].set(j, int(result))
        self._step_open(j, StepKind.FILE)
        self._event(j, "verify", actor, [b'{"task_id": ', ("task", task.local_id),
                                         b', "is_true": true}' if result else b', "is_true": false}'])
        self._move(j, State.REPORTED)

    def a_verify_true(self, j):
        self._verify(j, True)

    def a_verify_false(self, j):
        self._verify(j, False)

    def a_file(self, j):
        self.quick(j, "file")
        actor = self.c["leader"]
        self._step_complete(j, actor)
        self.v["filed_at"].set(j, self.T[:, j])
        self._step_open(j, StepKind.DISPATCH)
        self._event(j, "file", actor, [b'{"changes": {}, "filing_condition": ""}'])
        self._move(j, State.FILED)

    def a_void(self, j):
        self.quick(j, "void")
        actor = self.c["leader"]
        if self.open_task is not None:
            task = self.open_task
            task.closed, task.closed_by = j, actor
            self.open_task = None
        self._step_complete(j, NULL, on_time="none")
        self._clock_clear(j)
        self.v["voided_at"].set(j, self.T[:, j])
        self._event(j, "void", actor, [b"{}"], note=_utf8(NOTES["void"]))
        self._move(j, State.VOIDED)

    def a_dispatch(self, j):
        self.quick(j, "dispatch")
        c = self.c
        actor = c["dispatcher"]
        self._step_complete(j, actor)
        self.dispatches += 1
        self.department = c["department"][:, self.dispatches - 1]
        department_id = self.gen.reg.department_id[self.department]
        self.v["department"].set(j, department_id)
        self.v["dispatched_at"].set(j, self.T[:, j])
        self._handle_open(j)
        follows = department_id == c["suggested_id"]
        self._event(j, "dispatch", actor, [
            b'{"department": ', ("bytes", self.gen.department_names[self.department]), b', "suggested": ',
            ("json_int", c["suggested_id"]), b', "follows_suggestion": ', ("json_bool", follows.astype(np.int64)),
            b', "deadline": "', ("iso", self.open_step.deadline.initial), b'"}'])
        self._move(j, State.DISPATCHED)
        self.handle_context = "first"

    def a_return(self, j):
        clock = self.gen.clocks.of_department[self.department]
        self._gap(j, clock, _lognormal(self.rng, self.n, 3600, 0.8))
        actor = self.handler
        self._step_complete(j, actor, on_time="none")
        self.v["department"].set(j, NULL)
        self.v["handle_deadline"].set(j, NULL)
        self._count(j, "return_count")
        self._step_open(j, StepKind.DISPATCH)
        self._event(j, "return", actor, [b'{"department": ', ("bytes", self.gen.department_names[self.department]),
                                         b"}"], note=_utf8(NOTES["return"]))
        self._move(j, State.FILED)

    def _request(self, j, kind, share_low, share_high):
        clock = self.gen.clocks.of_department[self.department]
        limit = self.limit_seconds(clock)
        started = self.open_step.opened
        self.T[:, j] = self.gen.clocks.add(clock, self.T[:, started],
                                           np.maximum(limit * self.rng.uniform(share_low, share_high, self.n), 1))
        self.T[:, j] = np.maximum(self.T[:, j], self.T[:, j - 1] + 1)
        actor = np.where(self.handler == NULL, self.c["dispatcher"], self.handler)  # requested_by is required
        actor = np.where(actor == NULL, self.gen.reg.any_user, actor)
        requested = NULL
        if kind == "extension":
            deadline = self.open_step.deadline.last()
            requested = self.gen.clocks.add(clock, deadline, limit * self.rng.uniform(0.5, 1.5, self.n))
            requested = np.maximum(requested, self.T[:, j] + 3600)
        note = _utf8(NOTES[f"request_{kind}"])
        self.open_request = request = self.gen.request(self, kind, j, actor, note, requested)
        payload = [b'{"request_id": ', ("request", request.local_id)]
        payload += [b', "requested_deadline": "', ("iso", requested), b'"}'] if kind == "extension" else [b"}"]
        self._event(j, f"request_{kind}", actor, payload, note=note)

    def _decide(self, j, action, approved: bool, actor):
        self.quick(j, action)
        request = self.open_request
        request.decided, request.approved, request.decided_by = j, approved, actor
        request.note = b"" if approved else _utf8(NOTES[action])
        self.open_request = None
        return request

    def a_request_extension(self, j):
        self._request(j, "extension", 0.4, 0.85)

    def a_approve_extension(self, j):
        request = self._decide(j, "approve_extension", True, self.c["dispatcher"])
        step = self.open_step
        old = step.deadline.last()
        step.deadline.set(j, request.requested_deadline)
        self.v["handle_deadline"].set(j, request.requested_deadline)
        self.v["current_deadline"].set(j, request.requested_deadline)
        self._count(j, "extension_count")
        self._event(j, "approve_extension", self.c["dispatcher"], [
            b'{"request_id": ', ("request", request.local_id), b', "old_deadline": "', ("iso", old),
            b'", "deadline": "', ("iso", request.requested_deadline), b'"}'])
        self.handle_context = "extended"

    def a_deny_extension(self, j):
        request = self._decide(j, "deny_extension", False, self.c["dispatcher"])
        self._event(j, "deny_extension", self.c["dispatcher"], [b'{"request_id": ', ("request", request.local_id),
                                                                b"}"], note=request.note)
        self.handle_context = "denied"

    def a_request_suspension(self, j):
        self._request(j, "suspension", 0.2, 0.6)

    def a_approve_suspension(self, j):
        request = self._decide(j, "approve_suspension", True, self.c["leader"])
        self._count(j, "suspension_count")
        self._event(j, "approve_suspension", self.c["leader"], [b'{"request_id": ', ("request", request.local_id),
                                                                b"}"])
        self._move(j, State.SUSPENDED)
        self.approved_at = j

    def a_deny_suspension(self, j):
        request = self._decide(j, "deny_suspension", False, self.c["leader"])
        self._event(j, "deny_suspension", self.c["leader"], [b'{"request_id": ', ("request", request.local_id),
                                                             b"}"], note=request.note)
        self.handle_context = "denied"

    def a_resume(self, j):
        day = self.gen.clocks.clocks[0].seconds_per_day
        self._gap(j, 0, day * self.rng.uniform(3, 30, self.n))
        clock = self.gen.clocks.of_department[self.department]
        paused = self.gen.clocks.between(clock, self.T[:, self.approved_at], self.T[:, j])
        step = self.open_step
        old = step.deadline.last()
        new = self.gen.clocks.add(clock, old, paused)
        new = np.where(paused > 0, new, old)
        step.deadline.set(j, new)
        self.v["handle_deadline"].set(j, new)
        self.v["current_deadline"].set(j, new)
        actor = self.c["leader"]
        self._event(j, "resume", actor, [b'{"paused_work_seconds": ', ("json_int", paused), b', "old_deadline": "',
                                         ("iso", old), b'", "deadline": "', ("iso", new), b'"}'])
        self._move(j, State.DISPATCHED)
        self.handle_context = "extended"

    def a_urge(self, j):
        clock = self.gen.clocks.of_department[self.department]
        limit = self.limit_seconds(clock)
        started = self.open_step.opened
        self.T[:, j] = np.maximum(self.gen.clocks.add(clock, self.T[:, started],
                                                      limit * self.rng.uniform(0.95, 1.3, self.n)),
                                  self.T[:, j - 1] + 1)
        self._count(j, "urge_count")
        self._event(j, "urge", self.c["dispatcher"], [b'{"step": "handle", "deadline": "',
                                                      ("iso", self.open_step.deadline.last()), b'"}'],
                    note=_utf8(NOTES["urge"]))
        self.handle_context = "urged"

    def a_report_handled(self, j):
        clock = self.gen.clocks.of_department[self.department]
        limit = self.limit_seconds(clock)
        rng, n = self.rng, self.n
        step = self.open_step
        deadline = step.deadline.last()
        previous = self.T[:, j - 1]
        if self.handle_context == "first":
            gap = limit * _lognormal(rng, n, 0.45, 0.65)
        elif self.handle_context == "rework":
            gap = limit * _lognormal(rng, n, 0.35, 0.6)
        elif self.handle_context == "urged":
            gap = limit * _lognormal(rng, n, 0.25, 0.6)
        else:
            remaining = self.gen.clocks.between(clock, previous, deadline)
            if self.handle_context == "extended":
                gap = np.maximum(remaining, 600) * _lognormal(rng, n, 0.6, 0.5)
            else:  # denied: they needed the time they asked for
                gap = remaining * 0.8 + _lognormal(rng, n, 3 * 3600, 0.8)
        self._gap(j, clock, gap)
        actor = self.handler
        self._step_complete(j, actor)
        self.handled_on_time = (self.T[:, j] <= deadline).astype(np.int64)
        self.v["handled_at"].set(j, self.T[:, j])
        self.v["handled_on_time"].set(j, self.handled_on_time)
        self._step_open(j, StepKind.CHECK)
        self._event(j, "report_handled", actor, [b'{"on_time": ', ("json_bool", self.handled_on_time), b"}"])
        self._move(j, State.HANDLED)

    def a_send_check(self, j):
        self.quick(j, "send_check")
        actor = self.c["operator"]
        deadline = self.open_step.deadline.initial
        self.open_task = task = self.gen.task(self, "check", j, actor, deadline)
        self._event(j, "send_check", actor, [b'{"task_id": ', ("task", task.local_id), b', "deadline": "',
                                             ("iso", deadline), b'"}'])
        self._move(j, State.CHECKING)

    def _check(self, j, passed: bool):
        self.quick(j, "check_pass" if passed else "check_fail")
        actor = self.c["collector"]
        task = self.open_task
        task.closed, task.closed_by, task.result = j, actor, int(passed)
        task.note = b"" if passed else _utf8(NOTES["check_fail"])
        self.open_task = None
        self._step_complete(j, actor)
        return task

    def a_check_pass(self, j):
        task = self._check(j, True)
        self._step_open(j, StepKind.CLOSE)
        self._event(j, "check_pass", self.c["collector"], [b'{"task_id": ', ("task", task.local_id), b"}"])
        self._move(j, State.CHECKED)

    def a_check_fail(self, j):
        task = self._check(j, False)
        self._count(j, "rework_count")
        self._handle_open(j)
        self._event(j, "check_fail", self.c["collector"], [b'{"task_id": ', ("task", task.local_id),
                                                           b', "deadline": "', ("iso", self.open_step.deadline.initial),
                                                           b'"}'], note=task.note)
        self._move(j, State.DISPATCHED)
        self.handle_context = "rework"

    def a_close(self, j):
        self.quick(j, "close")
        actor = self.c["leader"]
        step = self._step_complete(j, actor)
        on_time = self.handled_on_time & (self.T[:, j] <= step.deadline.last())
        self.v["closed_at"].set(j, self.T[:, j])
        self.v["closed_on_time"].set(j, on_time)
        self._clock_clear(j)
        self._event(j, "close", actor, [b'{"on_time": ', ("json_bool", on_time), b"}"])
        self._move(j, State.CLOSED)


# --- tables --------------------------------------------------------------------------------------

# (attname, type) per table, in COPY column order. Types: int (NULL = -1), ts (epoch seconds), bool
# (-1/0/1), float, bytes (escaped UTF-8), state, step (codes), json (bytes), null.
CASE_COLUMNS = [
    ("id", "int"), ("number", "bytes"), ("source", "bytes"), ("kind", "bytes"), ("minor_id", "int"),
    ("component_id", "int"), ("lon", "float"), ("lat", "float"), ("address", "bytes"), ("unit_grid_id", "int"),
    ("community_id", "int"), ("street_id", "int"), ("district_id", "int"), ("responsibility_grid_id", "int"),
    ("description", "bytes"), ("urgency", "bytes"), ("reporter_id", "int"), ("reporter_name", "bytes"),
    ("reporter_phone", "bytes"), ("idempotency_key", "null"), ("state", "state"), ("department_id", "int"),
    ("suggested_department_id", "int"), ("ownership_unknown", "bool"), ("verified", "bool"),
    ("duplicate_of_id", "null"), ("merged_into_id", "null"), ("current_step", "step"), ("current_deadline", "ts"),
    ("current_step_started_at", "ts"), ("reported_at", "ts"), ("filed_at", "ts"), ("dispatched_at", "ts"),
    ("handle_deadline", "ts"), ("handled_at", "ts"), ("handled_on_time", "bool"), ("closed_at", "ts"),
    ("closed_on_time", "bool"), ("voided_at", "ts"), ("rework_count", "int"), ("return_count", "int"),
    ("extension_count", "int"), ("suspension_count", "int"), ("urge_count", "int"), ("updated_at", "ts"),
]
STEP_COLUMNS = [("case_id", "int"), ("kind", "step"), ("department_id", "int"), ("started_at", "ts"),
                ("deadline", "ts"), ("completed_at", "ts"), ("on_time", "bool"), ("overdue_marked_at", "ts"),
                ("completed_by_id", "int")]
TASK_COLUMNS = [("id", "int"), ("case_id", "int"), ("kind", "bytes"), ("responsibility_grid_id", "int"),
                ("created_by_id", "int"), ("created_at", "ts"), ("deadline", "ts"), ("completed_at", "ts"),
                ("completed_by_id", "int"), ("result", "bool"), ("note", "bytes")]
REQUEST_COLUMNS = [("id", "int"), ("case_id", "int"), ("kind", "bytes"), ("status", "bytes"), ("reason", "bytes"),
                   ("requested_deadline", "ts"), ("requested_by_id", "int"), ("requested_at", "ts"),
                   ("decided_by_id", "int"), ("decided_at", "ts"), ("decision_note", "bytes")]
EVENT_COLUMNS = [("case_id", "int"), ("action", "bytes"), ("from_state", "state"), ("to_state", "state"),
                 ("actor_id", "int"), ("created_at", "ts"), ("note", "bytes"), ("payload", "json")]
TABLES = [(Case, CASE_COLUMNS), (CaseStep, STEP_COLUMNS), (Task, TASK_COLUMNS), (CaseRequest, REQUEST_COLUMNS),
          (CaseEvent, EVENT_COLUMNS)]

STATE_BYTES = np.array([s.encode() for s in STATE_CODES] + [b""], dtype="S")  # index -1 → blank
STEP_BYTES = np.array([s.encode() for s in STEP_CODES] + [b""], dtype="S")  # index -1 → blank
BOOL_TEXT = np.array([b"f", b"t", b"\\N"], dtype="S")
BOOL_JSON = np.array([b"false", b"true", b"null"], dtype="S")
TAB, NEWLINE = 9, 10


def _cat(*parts) -> np.ndarray:
    out = parts[0]
    for part in parts[1:]:
        out = np.strings.add(out, part)
    return out


def _matrix(values: np.ndarray) -> np.ndarray:
    """An S array as an (n, width) uint8 matrix, NUL-padded."""
    values = np.ascontiguousarray(values)
    return values.view(np.uint8).reshape(len(values), values.dtype.itemsize)


def _const(text: bytes, n: int) -> np.ndarray:
    return np.broadcast_to(np.frombuffer(text, dtype=np.uint8), (n, len(text)))


class TextFormat:
    """Columns → PostgreSQL COPY text, vectorised. Every cell becomes a NUL-padded byte matrix
    (digits by arithmetic, timestamps through day and second tables, strings as they are); a row
    is the matrices side by side with tabs, and the NULs are squeezed out at the end (no text
    here contains a NUL byte)."""

    def __init__(self, first: date, last: date):
        self.epoch_day0 = (first - date(1970, 1, 1)).days
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        self.day_text = _matrix(np.array([d.isoformat().encode() + b" " for d in days], dtype="S"))
        self.day_iso = _matrix(np.array([d.isoformat().encode() + b"T" for d in days], dtype="S"))
        seconds = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}".encode() for s in range(86400)]
        self.second_text = _matrix(np.array([s + b"+00" for s in seconds], dtype="S"))
        self.second_iso = _matrix(np.array([s + b"+00:00" for s in seconds], dtype="S"))
        self.null = np.frombuffer(b"\\N", dtype=np.uint8)

    @staticmethod
    def digits(values: np.ndarray, *, minimum: int = 1) -> np.ndarray:
        """Non-negative integers as decimal digits, leading zeros as NULs."""
        top = int(values.max(initial=0))
        width = max(len(str(top)), minimum)
        powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
        out = (values[:, None] // powers % 10 + 48).astype(np.uint8)
        out[:, :-1][values[:, None] < powers[:-1]] = 0
        return out

    def _time(self, t: np.ndarray, days: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        safe = np.where(t == NULL, 0, t)
        day = np.clip(safe // 86400 - self.epoch_day0, 0, len(days) - 1)
        return np.hstack([days[day], seconds[safe % 86400]])

    def cell(self, kind: str, values, n: int) -> np.ndarray:
        if kind in ("int", "json_int"):
            values = np.asarray(values)
            null = values == NULL
            out = self.digits(np.where(null, 0, values), minimum=4 if kind == "json_int" else 2)
            if null.any():
                out[null] = 0
                out[null, : 4 if kind == "json_int" else 2] = np.frombuffer(
                    b"null" if kind == "json_int" else b"\\N", dtype=np.uint8)
            return out
        if kind in ("ts", "iso"):
            out = self._time(values, *((self.day_text, self.second_text) if kind == "ts"
                                       else (self.day_iso, self.second_iso)))
            null = values == NULL
            if null.any():
                out[null] = 0
                out[null, :2] = self.null
            return out
        if kind == "float":  # 7 decimals: a centimetre
            scaled = np.round(np.abs(values) * 1e7).astype(np.int64)
            sign = np.where(values < 0, 45, 0).astype(np.uint8)[:, None]
            fraction = self.digits(scaled % 10**7 + 10**7)[:, 1:]
            return np.hstack([sign, self.digits(scaled // 10**7), _const(b".", n), fraction])
        if kind == "bool":
            return _matrix(BOOL_TEXT[np.where(values == NULL, 2, values)])
        if kind == "json_bool":
            return _matrix(BOOL_JSON[np.where(values == NULL, 2, values)])
        if kind == "state":
            return _matrix(STATE_BYTES[values])
        if kind == "step":
            return _matrix(STEP_BYTES[values])
        if kind == "null":
            return _const(b"\\N", n)
        values = np.asarray(values)
        return values if values.ndim == 2 else _matrix(values)  # bytes, json: escaped S arrays or matrices

    def rows(self, columns: list[tuple[str, str]], frame: dict) -> bytes:
        n = len(frame[columns[0][0]])
        if not n:
            return b""
        tab = _const(bytes([TAB]), n)
        cells = []
        for name, kind in columns:
            cells += [self.cell(kind, frame.get(name), n), tab]
        cells[-1] = _const(bytes([NEWLINE]), n)
        flat = np.hstack(cells).ravel()
        return flat[flat != 0].tobytes()

    def iso(self, t: np.ndarray) -> np.ndarray:
        """ISO 8601 text of instants as an S array (for payloads built outside a row)."""
        matrix = np.ascontiguousarray(self._time(t, self.day_iso, self.second_iso))
        return matrix.view(f"S{matrix.shape[1]}").ravel()


def _unescape(raw: bytes) -> str:
    return raw.decode().replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r").replace("\\\\", "\\")


def _python_value(kind: str, value):
    if kind == "int":
        return None if value == NULL else int(value)
    if kind == "ts":
        return None if value == NULL else datetime.fromtimestamp(int(value), UTC)
    if kind == "bool":
        return None if value == NULL else bool(value)
    if kind == "float":
        return float(value)
    if kind == "state":
        return "" if value == NULL else STATE_CODES[value]
    if kind == "step":
        return "" if value == NULL else STEP_CODES[value]
    if kind == "null":
        return None
    if kind == "json":  # a row of a byte matrix
        return json.loads(_unescape(value[value != 0].tobytes()))
    return _unescape(bytes(value))


# --- ids -----------------------------------------------------------------------------------------

class Ids:
    """Primary keys and case numbers handed out ahead of the rows: PostgreSQL sequences (nextval,
    so live intake running meanwhile never collides), elsewhere counters after the highest id."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"
        self.next: dict[str, int] = {}

    def take(self, model, n: int) -> np.ndarray:
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        table = model._meta.db_table
        if self.postgres:
            return self._block("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                               [table, n], n)
        if table not in self.next:
            self.next[table] = (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        start = self.next[table]
        self.next[table] += n
        return np.arange(start, start + n, dtype=np.int64)

    @staticmethod
    def _block(sql: str, params: list, n: int) -> np.ndarray:
        """n values of a sequence; usually one contiguous block, so only its ends travel."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT min(v), max(v) FROM ({sql}) AS taken(v)", params)
            low, high = cursor.fetchone()
            if high - low + 1 == n:
                return np.arange(low, high + 1, dtype=np.int64)
            # Live intake took values meanwhile: ours are scattered, and all of them are needed.
            cursor.execute(f"SELECT v FROM ({sql}) AS taken(v)", params)  # a fresh set
            return np.sort(np.array([row[0] for row in cursor.fetchall()], dtype=np.int64))

    def numbers(self, year: int, n: int) -> np.ndarray:
        """The next n case numbers of the year (cases.services.case_number_next, in bulk)."""
        if self.postgres:
            name = f"case_number_{year}"
            if name not in self.next:
                with connection.cursor() as cursor:
                    cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name}")
                self.next[name] = 0
            values = self._block("SELECT nextval(%s) FROM generate_series(1, %s)", [name, n], n)
        else:
            with transaction.atomic():
                sequence, _created = CaseNumberSequence.objects.select_for_update().get_or_create(year=year)
                start = sequence.last + 1
                sequence.last += n
                sequence.save(update_fields=["last"])
            values = np.arange(start, start + n, dtype=np.int64)
        return np.strings.add(str(year).encode(), np.strings.zfill(values.astype("S8"), 8))


# --- the generator -------------------------------------------------------------------------------

@dataclass
class GenerateResult:
    cases: int
    rows: dict[str, int]
    seconds: float
    load_seconds: float
    index_seconds: float
    analyze_seconds: float
    python_cpu_seconds: float = 0.0
    postgres_cpu_seconds: float | None = None  # the COPY backends (local server only)

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0


def _months_back(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, 28)
    return moment.replace(year=year, month=month + 1, day=day)


class Generator:
    def __init__(self, *, count: int, months: int, seed: int, until: datetime, batch: int,
                 edition: str | None = None):
        self.count, self.months, self.seed, self.batch = count, months, seed, batch
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.until = until.astimezone(UTC).replace(microsecond=0)
        self.start = _months_back(self.until.astimezone(self.tz), months).astimezone(UTC)
        self.until_epoch = int(self.until.timestamp())
        self.start_epoch = int(self.start.timestamp())
        first = self.start.astimezone(self.tz).date() - timedelta(days=3)
        last = self.until.astimezone(self.tz).date() + timedelta(days=800)
        self.reg = Registry.load(seed=seed, edition=edition)
        self.clocks = Clocks(self.reg.department_id.tolist(), first, last)
        self.text = TextFormat(first - timedelta(days=1), last)
        self.department_names = np.array(self.reg.department_name_json, dtype="S")
        self.ids = Ids()
        self._hour_cdf()
        self.sources = list(SOURCE_MIX)
        self.source_cum = np.cumsum(list(SOURCE_MIX.values())) / sum(SOURCE_MIX.values())
        self.source_bytes = np.array([s.encode() for s in self.sources], dtype="S")
        self.urgencies = list(URGENCY_MIX)
        self.urgency_cum = np.cumsum(list(URGENCY_MIX.values()))
        self.urgency_bytes = np.array([u.encode() for u in self.urgencies], dtype="S")
        self.kind_bytes = np.array([k.encode() for k in self.reg.minor_kind], dtype="S")
        body_names = list(BODIES)
        self.body_paths = {prefix: np.array([PATH_INDEX[f"{prefix}:{b}"] for b in body_names])
                           for prefix in ("direct", "verified")}
        shares = np.array([BODIES[b][0] for b in body_names])
        self.body_cum = np.cumsum(shares) / shares.sum()

    def _hour_cdf(self) -> None:
        """Report intensity per hour of the period (hour of day, days off quieter)."""
        hours = np.arange(self.start_epoch - self.start_epoch % 3600, self.until_epoch, 3600, dtype=np.int64)
        calendar = WorkCalendar.for_department(None)
        local = [datetime.fromtimestamp(int(h), self.tz) for h in hours]
        workdays = {}
        weights = np.empty(len(hours))
        for i, moment in enumerate(local):
            day = moment.date()
            if day not in workdays:
                workdays[day] = calendar.is_workday(day)
            weights[i] = HOUR_WEIGHTS[moment.hour] * (1.0 if workdays[day] else DAY_OFF_FACTOR)
        # The first and last hour are partial.
        weights[0] *= 1 - (self.start_epoch - hours[0]) / 3600
        weights[-1] *= min((self.until_epoch - hours[-1]) / 3600, 1.0)
        self.hours = hours
        self.hour_cdf = np.r_[0.0, np.cumsum(weights) / weights.sum()]

    # -- one batch -----------------------------------------------------------------------------

    def cases_sample(self, first: int, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        reg = self.reg
        # Case k of N sits at quantile (k + u) / N of the period's intensity: ordered by id, and the
        # same history whatever the batch size.
        q = (np.arange(first, first + n) + rng.random(n)) / self.count
        hour = np.clip(np.searchsorted(self.hour_cdf, q, side="right") - 1, 0, len(self.hours) - 1)
        within = (q - self.hour_cdf[hour]) / np.maximum(self.hour_cdf[hour + 1] - self.hour_cdf[hour], 1e-300)
        reported = self.hours[hour] + (np.clip(within, 0, 0.9999) * 3600).astype(np.int64)
        reported = np.clip(reported, self.start_epoch, self.until_epoch - 60)

        source = np.searchsorted(self.source_cum, rng.random(n), side="right").clip(0, len(self.sources) - 1)
        minor = np.searchsorted(reg.minor_cum_weight, rng.random(n), side="right").clip(0, len(reg.minor_id) - 1)
        urgency = np.searchsorted(self.urgency_cum, rng.random(n), side="right").clip(0, 2)

        # Where: a component-class report usually names a component, at its place; anything else
        # lands in a grid (hot spots weighted) at a random point inside its polygon.
        component = np.full(n, NULL, dtype=np.int64)
        grid = np.searchsorted(reg.grid_cum_weight, rng.random(n), side="right").clip(0, len(reg.grid_id) - 1)
        lon, lat = self._points_in(grid, rng)
        has = (reg.minor_component_count[minor] > 0) & (rng.random(n) < COMPONENT_REFERENCE_SHARE)
        has &= np.array([k == "component" for k in reg.minor_kind])[minor]
        if has.any():
            pick = reg.minor_component_start[minor[has]] + (
                rng.random(has.sum()) * reg.minor_component_count[minor[has]]).astype(np.int64)
            component[has] = reg.component_id[pick]
            grid[has] = reg.component_grid[pick]
            lon[has], lat[has] = reg.component_lon[pick], reg.component_lat[pick]

        district = reg.grid_district[grid]
        rgrid = reg.grid_rgrid[grid]
        collector = _pick(rng, *reg.collectors_by_rgrid, np.where(rgrid == NULL, 0, reg.rgrid_position[rgrid]))
        collector = np.where((rgrid == NULL) | (collector == NULL), _pick(rng, *reg.staff["collector"], district),
                             collector)
        operator = _pick(rng, *reg.staff["operator"], district)
        hotline = _pick(rng, *reg.staff["hotline"], district)
        source_name = np.array(self.sources)[source]
        reporter = np.select(
            [source_name == Source.COLLECTOR, np.isin(source_name, [Source.HOTLINE_12319, Source.HOTLINE_12345]),
             np.isin(source_name, [Source.MEDIA, Source.LEADER, Source.TRANSFER_110, Source.OTHER])],
            [collector, np.where(hotline == NULL, operator, hotline), operator], NULL)

        # Paths.
        u = rng.random(n)
        body = self.body_paths["direct"][np.searchsorted(self.body_cum, rng.random(n), side="right").clip(
            0, len(self.body_cum) - 1)]
        verified_body = body - self.body_paths["direct"][0] + self.body_paths["verified"][0]
        is_collector = source_name == Source.COLLECTOR
        is_video = source_name == Source.VIDEO
        path = np.where(is_collector | is_video, body, verified_body)
        path = np.where(is_collector & (u < COLLECTOR_SELF_HANDLED), PATH_INDEX["self_handled"], path)
        path = np.where(is_collector & (u >= COLLECTOR_SELF_HANDLED) & (u < COLLECTOR_SELF_HANDLED + VOID_SHARE["direct"]),
                        PATH_INDEX["void"], path)
        path = np.where(is_video & (u < VOID_SHARE["video"]), PATH_INDEX["void"], path)
        other = ~(is_collector | is_video)
        path = np.where(other & (u < VOID_SHARE["verify_false"]), PATH_INDEX["verify_false"], path)
        path = np.where(other & (u >= VOID_SHARE["verify_false"])
                        & (u < VOID_SHARE["verify_false"] + VOID_SHARE["verify_void_at_once"]), PATH_INDEX["void"],
                        path)

        # Departments: the ownership rule's answer, else one of the class's type nearby; a return
        # path first goes to a wrong one.
        suggested = reg.ownership(minor, grid)
        fallback_key = reg.minor_department_type[minor] * len(reg.district_ids) + district
        fallback = _pick(rng, *reg.fallback_departments, fallback_key)
        main = np.where((suggested != NULL) & (rng.random(n) >= OWNERSHIP_OVERRIDE_SHARE), suggested, fallback)
        main = np.where(main == NULL, 0, main)
        wrong = rng.integers(0, len(reg.department_id), n)
        wrong = np.where(wrong == main, (wrong + 1) % len(reg.department_id), wrong)
        returns = np.isin(path, [PATH_INDEX[f"{p}:{b}"] for p in ("direct", "verified")
                                 for b in ("return", "return_rework")])
        department = np.stack([np.where(returns, wrong, main), main], axis=1)
        handler = np.stack([_pick(rng, *reg.handlers, department[:, 0]), _pick(rng, *reg.handlers, department[:, 1])],
                           axis=1)

        calls = np.isin(source_name, [Source.HOTLINE_12319, Source.HOTLINE_12345, Source.PUBLIC])
        surname = np.array([s.encode() for s in SURNAMES], dtype="S")[rng.integers(0, len(SURNAMES), n)]
        title = np.array(["先生".encode(), "女士".encode()], dtype="S")[rng.integers(0, 2, n)]
        phone = np.strings.add(b"1", np.strings.zfill(rng.integers(3_000_000_000, 9_999_999_999, n).astype("S10"), 10))
        ids = self.ids.take(Case, n)
        year = np.array([datetime.fromtimestamp(int(t), self.tz).year for t in reported[[0, -1]]])
        numbers = np.empty(n, dtype="S12")
        if year[0] == year[-1]:
            numbers[:] = self.ids.numbers(int(year[0]), n)
        else:
            years = np.array([datetime.fromtimestamp(int(t), self.tz).year for t in reported])
            for y in np.unique(years):
                numbers[years == y] = self.ids.numbers(int(y), int((years == y).sum()))
        return {
            "id": ids, "number": numbers, "source": source, "source_bytes": self.source_bytes[source],
            "minor": minor, "urgency": urgency, "component": component, "grid": grid, "lon": lon, "lat": lat,
            "reported_at": reported, "path": path, "operator": operator,
            "leader": _pick(rng, *reg.staff["leader"], district),
            "dispatcher": _pick(rng, *reg.staff["dispatcher"], district), "collector": collector,
            "reporter": reporter, "department": department, "handler": handler,
            "suggested_id": np.where(suggested == NULL, NULL, reg.department_id[np.maximum(suggested, 0)]),
            "description": reg.minor_descriptions[minor, rng.integers(0, len(DESCRIPTION_SUFFIXES), n)],
            "reporter_name": np.where(calls, np.strings.add(surname, title), b""),
            "reporter_phone": np.where(calls, phone, b""),
        }

    def _points_in(self, grid: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        bounds = self.reg.grid_bounds[grid]
        lon = np.empty(len(grid))
        lat = np.empty(len(grid))
        todo = np.arange(len(grid))
        for _attempt in range(12):
            if not len(todo):
                break
            b = bounds[todo]
            x = b[:, 0] + rng.random(len(todo)) * (b[:, 2] - b[:, 0])
            y = b[:, 1] + rng.random(len(todo)) * (b[:, 3] - b[:, 1])
            inside = shapely.contains_xy(self.reg.grid_geometry[grid[todo]], x, y)
            lon[todo[inside]], lat[todo[inside]] = x[inside], y[inside]
            todo = todo[~inside]
        if len(todo):  # thin slivers: the polygon's representative point is always inside
            points = shapely.point_on_surface(self.reg.grid_geometry[grid[todo]])
            lon[todo], lat[todo] = shapely.get_x(points), shapely.get_y(points)
        return lon, lat

    def task(self, run: PathRun, kind, j, actor, deadline) -> TaskSpec:
        spec = TaskSpec(kind, j, actor, deadline, np.full(run.n, NULL, dtype=np.int64))
        run.tasks.append(spec)
        return spec

    def request(self, run: PathRun, kind, j, actor, note, requested) -> RequestSpec:
        spec = RequestSpec(kind, j, actor, note, requested, np.full(run.n, NULL, dtype=np.int64))
        run.requests.append(spec)
        return spec

    def batch_frames(self, number: int, first: int, n: int):
        """The rows of one batch: {table: [frame, …]} and the ids of its tasks and requests (the
        frames hold batch-local numbers for them, resolved when the rows are written)."""
        rng = np.random.default_rng([self.seed, 2, number])
        cases = self.cases_sample(first, n, rng)
        chunks: dict[str, list[dict]] = {m._meta.db_table: [] for m, _c in TABLES}
        self.local = {"task": 0, "request": 0}
        for path in np.unique(cases["path"]):
            rows = np.flatnonzero(cases["path"] == path)
            group = {key: value[rows] for key, value in cases.items()}
            run = PathRun(self, PATHS[path][1], group, rng)
            run.run()
            self._materialize(run, chunks)
        ids = {"task": self.ids.take(Task, self.local["task"]),
               "request": self.ids.take(CaseRequest, self.local["request"])}
        for table, kind in ((Task._meta.db_table, "task"), (CaseRequest._meta.db_table, "request")):
            for frame in chunks[table]:
                frame["id"] = ids[kind][frame["id"]]
        for frame in chunks[CaseEvent._meta.db_table]:
            frame["payload"] = self._payload_text(frame["payload"], len(frame["case_id"]), ids)
        return {table: _concat(frames) for table, frames in chunks.items() if frames}

    def _payload_text(self, pieces: list, n: int, ids: dict[str, np.ndarray]) -> np.ndarray:
        """The pieces of a JSON payload (bytes, or (kind, column)) as one byte matrix, NUL-padded
        within and at the end of each row."""
        cells = []
        for piece in pieces:
            if isinstance(piece, bytes):
                cells.append(_const(piece, n))
                continue
            kind, values = piece
            if kind in ("task", "request"):
                kind, values = "json_int", ids[kind][values]
            cells.append(self.text.cell(kind, values, n))
        # NULs inside a row are squeezed out with the rest when the rows are written.
        return np.hstack(cells)

    def _local_ids(self, kind: str, count: int) -> np.ndarray:
        start = self.local[kind]
        self.local[kind] += count
        return np.arange(start, start + count, dtype=np.int64)

    def _materialize(self, run: PathRun, frames) -> None:
        c, done, T, reg = run.c, run.done, run.T, self.reg
        n = run.n
        value = {name: var.at(done) for name, var in run.v.items()}
        last = T[np.arange(n), done - 1]
        frames[Case._meta.db_table].append({
            "id": c["id"], "number": c["number"], "source": c["source_bytes"], "kind": self.kind_bytes[c["minor"]],
            "minor_id": reg.minor_id[c["minor"]], "component_id": c["component"], "lon": c["lon"], "lat": c["lat"],
            "address": reg.grid_address[c["grid"]], "unit_grid_id": reg.grid_id[c["grid"]],
            "community_id": reg.grid_community[c["grid"]], "street_id": reg.grid_street[c["grid"]],
            "district_id": reg.grid_district_id[c["grid"]], "responsibility_grid_id": reg.grid_rgrid[c["grid"]],
            "description": c["description"], "urgency": self.urgency_bytes[c["urgency"]], "reporter_id": c["reporter"],
            "reporter_name": c["reporter_name"], "reporter_phone": c["reporter_phone"], "state": value["state"],
            "department_id": value["department"], "suggested_department_id": c["suggested_id"],
            "ownership_unknown": (c["suggested_id"] == NULL).astype(np.int64), "verified": value["verified"],
            "current_step": value["current_step"], "current_deadline": value["current_deadline"],
            "current_step_started_at": value["current_started"], "reported_at": c["reported_at"],
            "filed_at": value["filed_at"], "dispatched_at": value["dispatched_at"],
            "handle_deadline": value["handle_deadline"], "handled_at": value["handled_at"],
            "handled_on_time": value["handled_on_time"], "closed_at": value["closed_at"],
            "closed_on_time": value["closed_on_time"], "voided_at": value["voided_at"],
            "rework_count": value["rework_count"], "return_count": value["return_count"],
            "extension_count": value["extension_count"], "suspension_count": value["suspension_count"],
            "urge_count": value["urge_count"], "updated_at": last,
        })
        # Tasks and requests first: their ids go into the events' payloads.
        for spec in run.tasks:
            exists = done > spec.opened
            spec.local_id[exists] = self._local_ids("task", int(exists.sum()))
            closed = done > spec.closed if spec.closed is not None else np.zeros(n, dtype=bool)
            frames[Task._meta.db_table].append(_rows(exists, {
                "id": spec.local_id, "case_id": c["id"], "kind": np.full(n, spec.kind.encode(), dtype="S8"),
                "responsibility_grid_id": reg.grid_rgrid[c["grid"]], "created_by_id": spec.created_by,
                "created_at": T[:, spec.opened], "deadline": spec.deadline,
                "completed_at": np.where(closed, T[:, spec.closed] if spec.closed is not None else NULL, NULL),
                "completed_by_id": np.where(closed, spec.closed_by, NULL),
                "result": np.where(closed, spec.result, NULL),
                "note": np.where(closed, spec.note, b""),
            }))
        for spec in run.requests:
            exists = done > spec.opened
            spec.local_id[exists] = self._local_ids("request", int(exists.sum()))
            decided = done > spec.decided if spec.decided is not None else np.zeros(n, dtype=bool)
            status = b"approved" if spec.approved else b"denied"
            frames[CaseRequest._meta.db_table].append(_rows(exists, {
                "id": spec.local_id, "case_id": c["id"], "kind": np.full(n, spec.kind.encode(), dtype="S12"),
                "status": np.where(decided, status, b"pending"), "reason": np.full(n, spec.reason),
                "requested_deadline": np.broadcast_to(spec.requested_deadline, (n,)),
                "requested_by_id": spec.requested_by, "requested_at": T[:, spec.opened],
                "decided_by_id": np.where(decided, spec.decided_by, NULL),
                "decided_at": np.where(decided, T[:, spec.decided] if spec.decided is not None else NULL, NULL),
                "decision_note": np.where(decided, spec.note, b""),
            }))
        state_after = np.array(run.state_after, dtype=np.int64)
        for spec in run.steps:
            exists = done > spec.opened
            if not exists.any():
                continue
            closed = done > spec.closed if spec.closed is not None else np.zeros(n, dtype=bool)
            completed = np.where(closed, T[:, spec.closed] if spec.closed is not None else NULL, NULL)
            deadline = spec.deadline.at(done)
            if spec.on_time == "compare":
                on_time = np.where(closed, (completed <= deadline).astype(np.int64), NULL)
            else:
                on_time = np.where(closed, 1 if spec.on_time == "true" else NULL, NULL)
            # The minutely beat (cases.services.steps_mark_overdue) marked every step still open
            # past its deadline, and logged it; never while the case was suspended (clock paused).
            mark = deadline + OVERDUE_MARK_DELAY
            marked = exists & (mark <= self.until_epoch) & (~closed | (mark < completed))
            state_at_mark = np.full(n, NULL)
            if marked.any():
                state_at_mark[marked] = state_after[(T[marked] <= mark[marked, None]).sum(axis=1) - 1]
                marked &= state_at_mark != S[State.SUSPENDED]
            frames[CaseStep._meta.db_table].append(_rows(exists, {
                "case_id": c["id"], "kind": np.full(n, K[spec.kind]),
                "department_id": np.broadcast_to(spec.department, (n,)), "started_at": T[:, spec.opened],
                "deadline": deadline, "completed_at": completed, "on_time": on_time,
                "overdue_marked_at": np.where(marked, mark, NULL),
                "completed_by_id": np.where(closed, spec.closed_by, NULL),
            }))
            if marked.any():
                state = state_at_mark[marked]
                m = int(marked.sum())
                frames[CaseEvent._meta.db_table].append({
                    "case_id": c["id"][marked], "action": np.full(m, b"overdue"), "from_state": state,
                    "to_state": state, "actor_id": np.full(m, NULL), "created_at": mark[marked],
                    "note": np.full(m, b""), "payload": [b'{"step": "' + spec.kind.encode() + b'", "deadline": "',
                                                         ("iso", deadline[marked]), b'"}'],
                })
        for spec in run.events:
            exists = done > spec.j
            m = int(exists.sum())
            if not m:
                continue
            frames[CaseEvent._meta.db_table].append({
                "case_id": c["id"][exists], "action": np.full(m, EVENT_ACTION.get(spec.action, spec.action).encode()),
                "from_state": np.full(m, spec.from_state), "to_state": np.full(m, spec.to_state),
                "actor_id": np.broadcast_to(spec.actor, (n,))[exists], "created_at": T[exists, spec.j],
                "note": np.full(m, spec.note), "payload": self._payload(spec.payload, exists),
            })

    @staticmethod
    def _payload(pieces, mask) -> list:
        return [piece if isinstance(piece, bytes) else (piece[0], np.broadcast_to(piece[1], mask.shape)[mask])
                for piece in pieces]


def _rows(mask: np.ndarray, frame: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: np.broadcast_to(values, mask.shape)[mask] for name, values in frame.items()}


def _concat(frames: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    out = {}
    for name in frames[0]:
        parts = [f[name] for f in frames]
        if parts[0].ndim == 2:  # byte matrices (payloads): pad to the widest
            width = max(p.shape[1] for p in parts)
            parts = [np.pad(p, ((0, 0), (0, width - p.shape[1]))) for p in parts]
        out[name] = np.concatenate(parts)
    return out


# --- writing ---------------------------------------------------------------------------------------

class _PostgresLoad:
    """One transaction of COPYs. Foreign keys are consistent by construction, so where the role
    may (a superuser) their per-row triggers are skipped (session_replication_role = replica):
    checking 40 references per case would cost more than writing it. Indexes other than primary
    keys and unique constraints can be dropped for the load and rebuilt at the end (sorted builds
    are several times cheaper than row-by-row inserts), inside the same transaction, so a failure
    leaves the tables as they were; the tables are locked meanwhile."""

    def __init__(self, conn, *, rebuild_indexes: bool, tables: list[str] | None = None):
        self.conn = conn
        self.rebuild_indexes = rebuild_indexes
        self.tables = tables or [model._meta.db_table for model, _columns in TABLES]
        self.index_definitions: list[str] = []
        self.index_seconds = 0.0
        self.triggers_skipped = False

    def begin(self) -> None:
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.backend_pid = cursor.fetchone()[0]
            self.backend_cpu_start = backend_cpu_seconds(self.backend_pid)
            try:
                with transaction.atomic(using=self.conn.alias):
                    cursor.execute("SET LOCAL session_replication_role = replica")
                self.triggers_skipped = True
            except Exception:  # not a superuser: the checks run, deferred to the commit
                self.triggers_skipped = False
            if self.rebuild_indexes:
                tables = self.tables
                cursor.execute(
                    "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                    "JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(%s) AND NOT i.indisprimary "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)", [tables])
                indexes = cursor.fetchall()
                self.index_definitions = [definition for _name, definition in indexes]
                for name, _definition in indexes:
                    cursor.execute(f"DROP INDEX {name}")

    def write(self, table: str, columns: list[tuple[str, str]], data: bytes) -> None:
        if not data:
            return
        model = next(m for m, _c in TABLES if m._meta.db_table == table)
        column_of = {f.attname: f.column for f in model._meta.concrete_fields}
        names = ", ".join(self.conn.ops.quote_name(column_of[attname]) for attname, _kind in columns)
        with self.conn.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            copy.write(data)

    def backend_cpu(self) -> float | None:
        """CPU seconds the server process of this load has used so far (a local server only)."""
        now = backend_cpu_seconds(getattr(self, "backend_pid", None))
        return None if now is None or self.backend_cpu_start is None else now - self.backend_cpu_start

    def end(self) -> None:
        """Back to checked foreign keys for the rest of the caller's transaction."""
        if self.triggers_skipped:
            with self.conn.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")

    def finish(self) -> None:
        if self.index_definitions:
            started = time.perf_counter()
            with self.conn.cursor() as cursor:
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                for definition in self.index_definitions:
                    cursor.execute(definition)
            self.index_seconds = time.perf_counter() - started


def backend_cpu_seconds(pid: int | None) -> float | None:
    """user + system CPU of a local process, from /proc (None where it cannot be read)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return None


def _orm_write(model, columns: list[tuple[str, str]], frame: dict) -> int:
    n = len(frame[columns[0][0]])
    values = [[_python_value(kind, value) for value in (frame[name] if kind == "json" else
                                                        np.broadcast_to(frame.get(name, NULL), (n,)))]
              for name, kind in columns]
    names = [name for name, _kind in columns]
    model.objects.bulk_create([model(**dict(zip(names, row, strict=True))) for row in zip(*values, strict=True)],
                              batch_size=1000)
    return n


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total: int, stream=None, enabled: bool = True):
        self.total, self.stream, self.enabled = total, stream or sys.stderr, enabled
        self.started = time.perf_counter()
        self.last_shown = 0.0

    def show(self, done: int, *, final: bool = False) -> None:
        now = time.perf_counter()
        if not self.enabled or (not final and now - self.last_shown < 0.5):
            return
        self.last_shown = now
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        width = 30
        filled = int(width * done / max(self.total, 1))
        eta = (self.total - done) / rate if rate else 0
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{self.total:,} cases "
                          f"{rate:,.0f}/s eta {eta:,.0f}s ")
        if final:
            self.stream.write("\n")
        self.stream.flush()


def cases_generate(*, count: int, months: int = 12, seed: int = 1, batch: int = 10_000,
                   until: datetime | None = None, rebuild_indexes: str = "auto", progress: bool = True,
                   edition: str | None = None, stream=None) -> GenerateResult:
    """Write `count` synthetic cases reported over the `months` before `until` (default: now), with
    their steps, tasks, requests and events, with the classes of one `edition` (default: the one
    that has the usual top classes). Deterministic for (seed, count, months, until, batch)
    on the same registry (and whatever the batch size). On PostgreSQL: COPY, formatted in this
    thread and fed to three writer connections that commit together (_threaded_load);
    `rebuild_indexes` "auto" drops and rebuilds the secondary indexes when the load at least
    doubles the case table. Inside the caller's transaction (tests): its connection, no threads."""
    started = time.perf_counter()
    cpu_started = time.process_time()
    until = until or datetime.now(UTC).replace(second=0, microsecond=0)
    generator = Generator(count=count, months=months, seed=seed, until=until, batch=batch, edition=edition)
    bar = Progress(count, stream, progress)
    rows = {model._meta.db_table: 0 for model, _c in TABLES}
    postgres = connection.vendor == "postgresql"
    rebuild = False
    if postgres and rebuild_indexes != "never":
        with connection.cursor() as cursor:
            cursor.execute("SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE relname = %s",
                           [Case._meta.db_table])
            existing = cursor.fetchone()[0]
        rebuild = rebuild_indexes == "always" or count >= max(existing, 1)

    def batches():
        for number, first in enumerate(range(0, count, batch)):
            n = min(batch, count - first)
            yield n, generator.batch_frames(number, first, n)

    def formatted(frames):
        """[(table, columns, COPY text)] of one batch; counts the rows."""
        out = []
        for model, columns in TABLES:
            table = model._meta.db_table
            frame = frames.get(table)
            if frame:
                rows[table] += len(frame[columns[0][0]])
                out.append((table, columns, generator.text.rows(columns, frame)))
        return out

    index_seconds = 0.0
    postgres_cpu = None
    done = 0
    if not postgres:
        with transaction.atomic():
            for n, frames in batches():
                for model, columns in TABLES:
                    if frames.get(model._meta.db_table):
                        rows[model._meta.db_table] += _orm_write(model, columns, frames[model._meta.db_table])
                done += n
                bar.show(done)
    elif connection.in_atomic_block:
        # Inside the caller's transaction (tests): its connection, no thread, indexes kept.
        load = _PostgresLoad(connection, rebuild_indexes=False)
        load.begin()
        for n, frames in batches():
            for table, columns, data in formatted(frames):
                load.write(table, columns, data)
            done += n
            bar.show(done)
        load.end()
    else:
        load = _threaded_load((formatted(frames) for _n, frames in batches()), batch, bar, rebuild)
        index_seconds = load.index_seconds
        postgres_cpu = load.cpu
    bar.show(count, final=True)
    load_seconds = time.perf_counter() - started
    analyze_seconds = 0.0
    if postgres and not connection.in_atomic_block:
        analyze_started = time.perf_counter()
        with connection.cursor() as cursor:
            for model, _columns in TABLES:
                cursor.execute(f"ANALYZE {model._meta.db_table}")
        analyze_seconds = time.perf_counter() - analyze_started
    return GenerateResult(cases=count, rows=rows, seconds=time.perf_counter() - started,
                          load_seconds=load_seconds, index_seconds=index_seconds, analyze_seconds=analyze_seconds,
                          python_cpu_seconds=time.process_time() - cpu_started, postgres_cpu_seconds=postgres_cpu)


# Tables written by each COPY connection: about the same volume each (events are the biggest).
WRITER_GROUPS = [[Case, Task, CaseRequest], [CaseStep], [CaseEvent]]


def _threaded_load(payloads, batch: int, bar: Progress, rebuild: bool) -> _PostgresLoad:
    """Format in this thread; COPY in one thread per group of tables, each with its own connection
    and transaction, so PostgreSQL ingests the batch on several backends while Python builds the
    next one. The writers commit together: each waits at a barrier after its last COPY (and index
    rebuild), and a failure in any breaks the barrier and rolls all of them back. Each queue holds
    two batches, so memory stays flat whatever the count."""
    groups = [[model._meta.db_table for model in group] for group in WRITER_GROUPS]
    queues = [queue.Queue(maxsize=2) for _group in groups]
    barrier = threading.Barrier(len(groups))
    failure: list[BaseException] = []
    loads: list[_PostgresLoad] = []
    written = [0] * len(groups)

    def writer(number: int) -> None:
        conn = connections["default"]  # this thread's own connection
        pending = queues[number]
        try:
            with transaction.atomic():
                load = _PostgresLoad(conn, rebuild_indexes=rebuild, tables=groups[number])
                loads.append(load)
                load.begin()
                while True:
                    item = pending.get()
                    if item is None:
                        break
                    for table, columns, data in item:
                        load.write(table, columns, data)
                    written[number] += batch
                    del item
                load.finish()
                load.cpu = load.backend_cpu()
                barrier.wait()  # everyone wrote everything: commit together
        except BaseException as error:  # noqa: BLE001 — handed to the main thread
            if not isinstance(error, threading.BrokenBarrierError):
                failure.append(error)
            barrier.abort()
            while True:  # drain so the producer never blocks
                try:
                    if pending.get_nowait() is None:
                        break
                except queue.Empty:
                    time.sleep(0.01)
        finally:
            conn.close()

    threads = [threading.Thread(target=writer, args=(i,), name=f"generate_cases-copy-{i}", daemon=True)
               for i in range(len(groups))]
    for thread in threads:
        thread.start()
    try:
        for payload in payloads:
            for number, group in enumerate(groups):
                part = [item for item in payload if item[0] in group]
                while not failure:
                    try:
                        queues[number].put(part, timeout=0.5)
                        break
                    except queue.Full:
                        bar.show(min(min(written), bar.total))
            del payload
            if failure:
                break
            bar.show(min(min(written), bar.total))
    finally:
        for number, thread in enumerate(threads):
            while thread.is_alive():  # the writer (or its drain loop, after a failure) stops at None
                try:
                    queues[number].put(None, timeout=0.5)
                    break
                except queue.Full:
                    continue
        for thread in threads:
            thread.join()
    if failure:
        raise failure[0]
    combined = _PostgresLoad(None, rebuild_indexes=rebuild)
    combined.index_seconds = max((load.index_seconds for load in loads), default=0.0)
    combined.triggers_skipped = all(load.triggers_skipped for load in loads)
    cpus = [getattr(load, "cpu", None) for load in loads]
    combined.cpu = None if None in cpus or not cpus else sum(cpus)
    return combined


# --- checking ------------------------------------------------------------------------------------

# Each query counts the cases that break one rule tying the milestone columns to the steps and
# events; all must be zero. Plain SQL, for SQLite and PostgreSQL alike.
CONSISTENCY_CHECKS = {
    "closed milestones out of order": """
        SELECT count(*) FROM cases_case WHERE state = 'closed' AND NOT (
            closed_at >= handled_at AND handled_at >= dispatched_at AND dispatched_at >= filed_at
            AND filed_at >= reported_at)""",
    "closed without on-time verdicts": """
        SELECT count(*) FROM cases_case WHERE state = 'closed' AND (handled_on_time IS NULL OR closed_on_time IS NULL)""",
    "closed on time but handled late": """
        SELECT count(*) FROM cases_case WHERE closed_on_time AND NOT handled_on_time""",
    "voided without voided_at or with filing": """
        SELECT count(*) FROM cases_case WHERE state = 'voided' AND (voided_at IS NULL OR filed_at IS NOT NULL)""",
    "rework_count != check_fail events": """
        SELECT count(*) FROM cases_case c WHERE rework_count != (
            SELECT count(*) FROM cases_caseevent e WHERE e.case_id = c.id AND e.action = 'check_fail')""",
    "return_count != return events": """
        SELECT count(*) FROM cases_case c WHERE return_count != (
            SELECT count(*) FROM cases_caseevent e WHERE e.case_id = c.id AND e.action = 'return')""",
    "extension_count != approved extensions": """
        SELECT count(*) FROM cases_case c WHERE extension_count != (
            SELECT count(*) FROM cases_caserequest r WHERE r.case_id = c.id AND r.kind = 'extension'
            AND r.status = 'approved')""",
    "suspension_count != approve_suspension events": """
        SELECT count(*) FROM cases_case c WHERE suspension_count != (
            SELECT count(*) FROM cases_caseevent e WHERE e.case_id = c.id AND e.action = 'approve_suspension')""",
    "state != last move's to_state": """
        SELECT count(*) FROM cases_case c WHERE c.state != (
            SELECT e.to_state FROM cases_caseevent e WHERE e.case_id = c.id AND e.action != 'overdue'
            ORDER BY e.created_at DESC, e.id DESC LIMIT 1)""",
    "open case without exactly one open step": """
        SELECT count(*) FROM cases_case c WHERE c.state NOT IN ('closed', 'voided', 'merged') AND 1 != (
            SELECT count(*) FROM cases_casestep s WHERE s.case_id = c.id AND s.completed_at IS NULL)""",
    "finished case with an open step": """
        SELECT count(*) FROM cases_case c WHERE c.state IN ('closed', 'voided') AND EXISTS (
            SELECT 1 FROM cases_casestep s WHERE s.case_id = c.id AND s.completed_at IS NULL)""",
    "current step/deadline != the open step": """
        SELECT count(*) FROM cases_case c JOIN cases_casestep s ON s.case_id = c.id AND s.completed_at IS NULL
        WHERE c.current_step != s.kind OR c.current_deadline != s.deadline
            OR c.current_step_started_at != s.started_at""",
    "handle_deadline != the last handle step's deadline": """
        SELECT count(*) FROM cases_case c WHERE c.department_id IS NOT NULL AND c.handle_deadline != (
            SELECT s.deadline FROM cases_casestep s WHERE s.case_id = c.id AND s.kind = 'handle'
            ORDER BY s.started_at DESC, s.id DESC LIMIT 1)""",
    "handled_on_time != the last handle step's verdict": """
        SELECT count(*) FROM cases_case c WHERE c.handled_at IS NOT NULL AND c.handled_on_time != (
            SELECT s.on_time FROM cases_casestep s WHERE s.case_id = c.id AND s.kind = 'handle'
            ORDER BY s.started_at DESC, s.id DESC LIMIT 1)""",
    "step on_time != completed within deadline": """
        SELECT count(*) FROM cases_casestep WHERE on_time IS NOT NULL AND completed_at IS NOT NULL
            AND on_time != (completed_at <= deadline) AND kind != 'accept'""",
    "events after the case's last update": """
        SELECT count(*) FROM cases_case c WHERE EXISTS (
            SELECT 1 FROM cases_caseevent e WHERE e.case_id = c.id AND e.action != 'overdue'
            AND e.created_at > c.updated_at)""",
    "more than one open task of a kind": """
        SELECT count(*) FROM (SELECT case_id, kind FROM cases_task WHERE completed_at IS NULL
            GROUP BY case_id, kind HAVING count(*) > 1) t""",
}


def history_check(*, using: str = "default") -> dict[str, int]:
    """The number of cases breaking each consistency rule (all zero for a sound history)."""
    results = {}
    with connections[using].cursor() as cursor:
        for name, sql in CONSISTENCY_CHECKS.items():
            cursor.execute(sql)
            results[name] = cursor.fetchone()[0]
    return results
