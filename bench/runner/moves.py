"""The locator and the case loop at the service level: points inside the city's grids, the people
who act, the report and its moves, and the transitions driven in several processes at once."""
from __future__ import annotations

import multiprocessing
import os
import random
import time
from collections.abc import Callable

import django
import numpy as np
import shapely
from django.db import connection, connections

from bench.common import percentile
from bench.locator import time_lookups
from bench.runner import BENCH_TEXT
from bench.runner.machine import process_cpu
from cases import services, workflow
from grids.locator import GridIndex, grid_index, locate
from grids.models import ResponsibilityGrid, Role, UnitGrid, User

# The people of bench_users by key, as ids: filled by the runner before the transitions' processes
# fork, which read them.
USER_IDS: dict[str, int] = {}

def sample_points(count: int, seed: int = 7) -> list[tuple[float, float]]:
    rows = list(UnitGrid.objects.values_list("geometry", flat=True).order_by("?")[: max(count // 4, 50)])
    geometries = np.array([shapely.geometry.shape(g) for g in rows], dtype=object)
    rnd = random.Random(seed)
    points = []
    while len(points) < count:
        geometry = geometries[rnd.randrange(len(geometries))]
        minx, miny, maxx, maxy = geometry.bounds
        x, y = rnd.uniform(minx, maxx), rnd.uniform(miny, maxy)
        if shapely.contains_xy(geometry, x, y):
            points.append((x, y))
    return points


def bench_users():
    def first(**filters):
        return User.objects.filter(is_active=True, **filters).order_by("pk").first()

    handler = first(role=Role.HANDLER, department__isnull=False)
    return {
        "collector": first(role=Role.COLLECTOR, responsibility_grids__isnull=False),
        "operator": first(role=Role.OPERATOR, region__level=1) or first(role=Role.OPERATOR),
        "operator_district": first(role=Role.OPERATOR, region__level=2),
        "shift_leader": first(role=Role.SHIFT_LEADER),
        "dispatcher": first(role=Role.DISPATCHER),
        "handler": handler,
    }


def grid_checkers():
    """The collector who answers a check in each responsibility grid: {grid id: User}."""
    patrol: dict[int, int] = {}
    for rgrid_id, user_id in ResponsibilityGrid.collectors.through.objects.values_list(
            "responsibilitygrid_id", "user_id"):
        patrol.setdefault(rgrid_id, user_id)
    people = User.objects.in_bulk(set(patrol.values()))
    return {rgrid_id: people[user_id] for rgrid_id, user_id in patrol.items()}


def loop_report(users: dict, place: tuple[float, float], minor_id: int):
    """A field collector's report at the service level, as the transitions phase makes them."""
    lon, lat = place
    return services.case_report(actor=users["collector"], source="collector", minor_id=minor_id, lon=lon,
                                lat=lat, description=f"{BENCH_TEXT}：暴露垃圾").case


def loop_moves(users: dict, checker) -> list[tuple[str, Callable[[int], object]]]:
    """The moves a reported case is driven through, in order (`checker`: a collector of its grid)."""
    handler = users["handler"]
    return [
        ("propose_file", lambda c: workflow.case_propose_file(actor=users["operator"], case_id=c)),
        ("file", lambda c: workflow.case_file(actor=users["shift_leader"], case_id=c)),
        ("dispatch", lambda c: workflow.case_dispatch(actor=users["dispatcher"], case_id=c,
                                                      department_id=handler.department_id)),
        ("report_handled", lambda c: workflow.case_report_handled(actor=handler, case_id=c, note="已处置")),
        ("send_check", lambda c: workflow.case_send_check(actor=users["operator"], case_id=c)),
        ("check_pass", lambda c: workflow.case_check_pass(actor=checker, case_id=c)),
        ("close", lambda c: workflow.case_close(actor=users["shift_leader"], case_id=c)),
    ]


def transitions_worker(args) -> dict:
    """One process: report cases at the service level and drive each through the whole loop."""
    number, seconds, points, minors = args
    django.setup()
    connection.close()
    users = {k: User.objects.get(pk=v) for k, v in USER_IDS.items()}
    checkers = grid_checkers()
    rnd = random.Random(number)
    counts, times = {}, []
    intake = []
    locate(*points[0])  # build this process's grid index before the clock starts
    stop_at = time.perf_counter() + seconds
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    cpu_started, backend_started = time.process_time(), process_cpu([backend])
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        case = loop_report(users, points[rnd.randrange(len(points))], rnd.choice(minors))
        intake.append(time.perf_counter() - started)
        for name, move in loop_moves(users, checkers.get(case.responsibility_grid_id, users["collector"])):
            started = time.perf_counter()
            move(case.pk)
            times.append(time.perf_counter() - started)
            counts[name] = counts.get(name, 0) + 1
    return {"transitions": sum(counts.values()), "times": times, "intake": intake, "counts": counts,
            "python_cpu": time.process_time() - cpu_started, "db_cpu": process_cpu([backend]) - backend_started}


def measure_transitions(seconds: float, processes: int, points, minors) -> dict:
    grid_index()  # built once here and inherited by the forked workers, not once per worker
    connections.close_all()
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        parts = pool.map(transitions_worker, [(i, seconds, points, minors) for i in range(processes)])
    elapsed = time.perf_counter() - started
    times = [t for p in parts for t in p["times"]]
    intake = [t for p in parts for t in p["intake"]]
    total = sum(p["transitions"] for p in parts)
    # CPU per transition (the reports in between counted in, as a share): what idle cores would do.
    cpu = sum(p["python_cpu"] + p["db_cpu"] for p in parts)
    moves = total + len(intake)
    return {
        "python_cpu_seconds": round(sum(p["python_cpu"] for p in parts), 2),
        "db_cpu_seconds": round(sum(p["db_cpu"] for p in parts), 2),
        "cpu_ms_per_write": round(cpu / max(moves, 1) * 1000, 2),
        "capacity_on_idle_cores_per_second": round((os.cpu_count() or 2) / (cpu / moves)) if moves and cpu else None,
        "processes": processes, "seconds": round(elapsed, 1), "transitions": total,
        "transitions_per_second": round(total / seconds, 1),
        "p50_ms": round(percentile(times, 50) * 1000, 1), "p95_ms": round(percentile(times, 95) * 1000, 1),
        "service_intake_p50_ms": round(percentile(intake, 50) * 1000, 1),
        "mix": "report, then propose_file, file, dispatch, report_handled, send_check, check_pass, close",
    }


def measure_locator(points) -> dict:
    started = time.perf_counter()
    index = GridIndex.from_database()
    build = time.perf_counter() - started
    rnd = random.Random(11)
    minx = min(p[0] for p in points)
    maxx = max(p[0] for p in points)
    miny = min(p[1] for p in points)
    maxy = max(p[1] for p in points)
    lookups = [(rnd.uniform(minx, maxx), rnd.uniform(miny, maxy)) for _ in range(200_000)]
    time_lookups(index.locate, lookups[:5000])
    seconds, outside = time_lookups(index.locate, lookups)
    return {"grids": len(index), "build_seconds": round(build, 2), "lookups": len(lookups), "outside": outside,
            "lookups_per_second": round(len(lookups) / seconds)}
