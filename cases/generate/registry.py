"""The city a synthetic history refers to, read once: unit grids, classes, components, departments,
staff and ownership rules as numpy arrays indexed by position, and the pools actors are drawn from."""
from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from django.db import connection

from core.pgcopy import copy_escaped_bytes
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

from .mix import DESCRIPTION_SUFFIXES, NULL, TOP_CLASS_COUNT, TOP_CLASS_NAMES, TOP_CLASS_SHARE


def pool_of(groups: np.ndarray, members: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A padded table: row g holds the members of group g; and the count per group."""
    counts = np.bincount(groups, minlength=size) if len(groups) else np.zeros(size, dtype=np.int64)
    table = np.full((size, max(int(counts.max(initial=0)), 1)), NULL, dtype=np.int64)
    order = np.argsort(groups, kind="stable")
    groups, members = groups[order], members[order]
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    if len(groups):
        table[groups, np.arange(len(groups)) - starts[groups]] = members
    return table, counts


def pool_pick(rng: np.random.Generator, table: np.ndarray, counts: np.ndarray, group: np.ndarray) -> np.ndarray:
    """A random member of each row's group (NULL where the group is empty)."""
    count = counts[group]
    index = (rng.random(len(group)) * np.maximum(count, 1)).astype(np.int64)
    return np.where(count > 0, table[group, index], NULL)


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
        addresses = [copy_escaped_bytes(f"{region_names.get(g[2], '')}{region_names.get(g[1], '')}{g[10][-3:]}号网格附近")
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
            staff[key] = pool_of(np.array(groups, dtype=np.int64), np.array(members, dtype=np.int64),
                               len(district_ids))
        rgrid_ids = [g[4] for g in grids if g[4] is not None]
        rgrid_pos = {r: i for i, r in enumerate(sorted(set(rgrid_ids)))}
        links = ResponsibilityGrid.collectors.through.objects.filter(
            responsibilitygrid_id__in=list(rgrid_pos)).values_list("responsibilitygrid_id", "user_id")
        links = [(rgrid_pos[r], u) for r, u in links]
        collectors_by_rgrid = pool_of(np.array([lk[0] for lk in links], dtype=np.int64),
                                    np.array([lk[1] for lk in links], dtype=np.int64), max(len(rgrid_pos), 1))
        department_pos = {d[0]: i for i, d in enumerate(departments)}
        handler_rows = [(department_pos[u[3]], u[0]) for u in users if u[1] == Role.HANDLER and u[3] in department_pos]
        handlers = pool_of(np.array([h[0] for h in handler_rows], dtype=np.int64),
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
        fallback = pool_of(np.array(fallback_groups, dtype=np.int64), np.array(fallback_members, dtype=np.int64),
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
        descriptions = np.array([[copy_escaped_bytes(f"{name}{suffix}") for suffix in DESCRIPTION_SUFFIXES]
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
            department_name_json=[copy_escaped_bytes(json.dumps(d[1], ensure_ascii=False)) for d in departments],
            district_ids=district_ids,
            staff=staff,
            collectors_by_rgrid=collectors_by_rgrid,
            handlers=handlers,
            any_user=any_user,
            fallback_departments=fallback,
            ownership=ownership,
            rgrid_position=rgrid_position,
        )
