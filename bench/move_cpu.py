"""Python CPU, function calls and queries of each move of the case loop at the service level, in one
process (no concurrency): what a change to cases.workflow saves, measured steadily on this shared
VM, as bench/request_cpu.py does for the HTTP endpoints. Run it against a database `bench/run.py`
filled:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/citygrid_bench .venv/bin/python bench/move_cpu.py

Each round reports a case through cases.services (as a field collector, at the place and class of
a recent collector report, described "基准测试：…" like bench/run.py's own) and drives it through
propose_file, file, dispatch, report_handled, send_check, check_pass and close, as the runner's
transitions phase does. Prints per move its queries, and for the whole loop the function calls
(cProfile: the same for the same code and data) and the Python CPU-ms per move (the report's
share included, as the runner counts it).
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citygrid.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=40, help="cases driven through the loop per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one round instead")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.runner.moves import bench_users, grid_checkers, loop_moves, loop_report
    from cases.models import Case
    from grids.locator import locate

    users = bench_users()
    places = list(Case.objects.filter(source="collector").order_by("-reported_at")
                  .values_list("lon", "lat", "minor_id")[:200])
    checkers = grid_checkers()
    locate(*places[0][:2])  # the grid index, built before the clock starts

    def loop(n: int, counts: dict[str, int] | None = None) -> int:
        made = 0
        for i in range(n):
            lon, lat, minor = places[i % len(places)]
            case = loop_report(users, (lon, lat), minor)
            for name, move in loop_moves(users, checkers.get(case.responsibility_grid_id, users["collector"])):
                if counts is None:
                    move(case.pk)
                else:
                    with CaptureQueriesContext(connection) as queries:
                        move(case.pk)
                    counts[name] = len(queries.captured_queries)
                made += 1
        return made

    loop(5)  # warm: translations, calendars, the first compilations
    counts: dict[str, int] = {}
    loop(1, counts)
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        loop(args.n)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)
        return
    profile = cProfile.Profile()
    profile.enable()
    made = loop(args.n)
    profile.disable()
    calls = pstats.Stats(profile).total_calls / made
    cpu = []
    for _ in range(args.rounds):
        started = time.process_time()
        made = loop(args.n)
        cpu.append((time.process_time() - started) / made * 1000)
    print("queries per move: " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    print(f"per move (the report's share included): {min(cpu):.2f}-{max(cpu):.2f} Python CPU-ms, "
          f"{calls / 1000:.1f}k calls")


if __name__ == "__main__":
    main()
