"""Benchmark of the patrol tracks at the issue's volume, on a PostgreSQL database of its own: 2,000
collectors on duty for a day, a point every 15 s (2,000 points each: 4 million points), inserted
in time order with one INSERT … SELECT generate_series; then the reads the command center makes:
one collector's track of the day (target < 100 ms) and the map of every collector's last position
(target < 200 ms), and the field app's write path (batches of 500 through the service).
Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/citygrid_bench_patrol .venv/bin/python bench/patrol.py
[--collectors 2000] [--points 2000] [--reuse] [--purge]   (--purge: time the retention removing the day)

Figures, 2026-12-07, PostgreSQL 15 on the shared 2-core machine (load 2.7-14 from the other
engineers' test runs; medians over 100 tracks and 20 maps): 4,000,000 points inserted in 109-360 s
(one INSERT … SELECT), table 322 MB, covering (collector, at) index 393 MB, BRIN on `at` 56 kB.
One collector's track of the day (2,000 points): median 15.4-23 ms, p95 26-35 ms (target 100 ms;
72 ms median before the index carried the position). Every collector's last position (2,000):
median 55-116 ms, p95 96-156 ms (target 200 ms; 220 ms median when each last point was fetched by
id). points_record, 500 points a batch: 36-110 ms. The retention removing the day: 4.2-5.6 s.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/citygrid_bench_patrol")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citygrid.settings")
os.environ.setdefault("CELERY_BROKER_URL", "")
os.environ.setdefault("CITYGRID_ALLOW_DEFAULT_SECRET", "1")  # a throwaway database, no sessions

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.common import log, percentile  # noqa: E402

DAY = date(2026, 11, 30)  # a past day inside the default retention


def database_create() -> None:
    import psycopg

    name = settings.DATABASES["default"]["NAME"]
    params = {key: value for key, value in {
        "host": settings.DATABASES["default"].get("HOST"), "port": settings.DATABASES["default"].get("PORT"),
        "user": settings.DATABASES["default"].get("USER"), "password": settings.DATABASES["default"].get("PASSWORD"),
    }.items() if value}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
            log(f"created database {name}")


def populate(collectors: int, points: int) -> None:
    """Collectors, one shift each for the day, and collectors x points track points 15 s apart,
    written in time order (as the phones send them), each collector walking its own random line."""
    from grids.models import Role, User
    from patrol.days import day_bounds
    from patrol.models import DutyShift

    start = day_bounds(DAY)[0] + timedelta(hours=8)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE patrol_patrolpoint, patrol_gridvisit, patrol_writereceipt, patrol_checkin, "
                       "patrol_dutyshift")
    User.objects.filter(username__startswith="bench-c").delete()
    User.objects.bulk_create([User(username=f"bench-c{n:05d}", role=Role.COLLECTOR, password="!")
                              for n in range(collectors)], batch_size=1000)
    ids = list(User.objects.filter(username__startswith="bench-c").values_list("pk", flat=True))
    DutyShift.objects.bulk_create([DutyShift(collector_id=pk, started_at=start) for pk in ids], batch_size=1000)
    log(f"{collectors} collectors, one open shift each from {start.isoformat()}")
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("""
            INSERT INTO patrol_patrolpoint (collector_id, shift_id, at, lon, lat, accuracy_m, unit_grid_id)
            SELECT s.collector_id, s.id, s.started_at + n * interval '15 seconds',
                   112.90 + (s.collector_id %% 100) * 0.002 + n * 0.00001 * cos(s.collector_id),
                   28.10 + (s.collector_id / 100) * 0.002 + n * 0.00001 * sin(s.collector_id),
                   5 + (n %% 20), NULL
            FROM generate_series(0, %s - 1) AS n
            CROSS JOIN patrol_dutyshift s
            ORDER BY n, s.id
        """, [points])
        inserted = cursor.rowcount
    seconds = time.perf_counter() - began
    log(f"inserted {inserted:,} points in {seconds:.1f} s ({inserted / seconds:,.0f} points/s, one INSERT … SELECT)")
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE patrol_patrolpoint")
    log(f"VACUUM ANALYZE {time.perf_counter() - began:.1f} s")


def sizes() -> None:
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.relname, pg_size_pretty(pg_relation_size(c.oid))
            FROM pg_class c WHERE c.relname IN ('patrol_patrolpoint', 'patrol_point_collector_at',
                                                'patrol_point_at_brin', 'patrol_patrolpoint_pkey',
                                                'patrol_point_collector_at_pos')
            ORDER BY c.relname""")
        for name, size in cursor.fetchall():
            log(f"size {name}: {size}")


def timed(function, runs: int) -> list[float]:
    values = []
    for _ in range(runs):
        began = time.perf_counter()
        function()
        values.append((time.perf_counter() - began) * 1000)
    return values


def report(label: str, values: list[float], target: float) -> None:
    log(f"{label}: median {statistics.median(values):.1f} ms, p95 {percentile(values, 95):.1f} ms, "
        f"max {max(values):.1f} ms over {len(values)} runs (target < {target:.0f} ms)")


def reads(runs: int) -> None:
    from grids.models import Role, User
    from patrol.days import day_bounds
    from patrol.selectors import collectors_map, track_of_day

    ids = list(User.objects.filter(username__startswith="bench-c").values_list("pk", flat=True))
    rnd = random.Random(20)
    sample = [rnd.choice(ids) for _ in range(runs)]
    lengths = []

    def track():
        lengths.append(len(track_of_day(sample[len(lengths)], DAY)))

    report("one collector's track of the day", timed(track, runs), 100)
    log(f"  points per track: {min(lengths)}–{max(lengths)}")
    viewer = User.objects.filter(role=Role.OPERATOR, region__isnull=True).first() or User(
        username="bench-viewer", role=Role.OPERATOR)
    if viewer.pk is None:
        viewer.save()
    now = day_bounds(DAY)[0] + timedelta(hours=17)
    rows = []
    report("map of every collector's last position", timed(lambda: rows.append(collectors_map(viewer, now=now)),
                                                           max(5, runs // 5)), 200)
    log(f"  collectors on the map: {len(rows[-1])}, with a position: {sum(1 for r in rows[-1] if r['lat'])}")


def writes(batches: int) -> None:
    """The field app's path: batches of 500 points through patrol.services.points_record (locator,
    shift match, one INSERT, grid visits), on shifts of this day's collectors."""
    from grids.models import User
    from patrol.days import day_bounds
    from patrol.services import points_record

    people = list(User.objects.filter(username__startswith="bench-c").order_by("pk")[:batches])
    start = day_bounds(DAY)[0] + timedelta(hours=8)
    values = []
    run = time.time_ns()  # fresh keys: a key of an earlier run would be answered from its receipt
    for n, person in enumerate(people):
        points = [{"at": start + timedelta(seconds=15 * k + 7), "lon": 112.9 + k * 1e-5, "lat": 28.1,
                   "accuracy": 8.0} for k in range(500)]
        began = time.perf_counter()
        stored = points_record(actor=person, points=points, idempotency_key=f"bench-{run}-{n}").body["stored"]
        values.append((time.perf_counter() - began) * 1000)
        assert stored == 500, stored
    log(f"points_record, 500 points a batch: median {statistics.median(values):.1f} ms, "
        f"p95 {percentile(values, 95):.1f} ms ({500 / statistics.median(values) * 1000:,.0f} points/s per process)")


def purge() -> None:
    from patrol.days import day_bounds
    from patrol.services import points_purge

    now = day_bounds(DAY)[1] + timedelta(days=settings.PATROL_RETENTION_DAYS, hours=1)
    began = time.perf_counter()
    removed = points_purge(now=now)
    log(f"retention purge of the day: {removed} in {time.perf_counter() - began:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collectors", type=int, default=2000)
    parser.add_argument("--points", type=int, default=2000, help="points per collector (15 s apart)")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--reuse", action="store_true", help="keep the points of an earlier run")
    parser.add_argument("--purge", action="store_true", help="finally time the retention removing the day")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/patrol.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    database_create()
    connection.close()
    call_command("migrate", verbosity=0)
    log(f"database {settings.DATABASES['default']['NAME']}, PostgreSQL {connection.cursor().connection.info.server_version}")
    from patrol.models import PatrolPoint

    if not args.reuse or not PatrolPoint.objects.exists():
        populate(args.collectors, args.points)
    sizes()
    reads(args.runs)
    writes(20)
    if args.purge:
        purge()


if __name__ == "__main__":
    main()
