"""The scale-and-speed benchmark (issue 7). Not a test: it builds a dedicated PostgreSQL database,
fills it, measures, prints a table and writes bench/results/run-<scale>.json.

    .venv/bin/python bench/run.py --scale 1000000        # or: make bench BENCH_ARGS="--scale 1000000"

Phases: database (create + migrate) → demo city with about 20,000 unit grids (grids.demo, scale 22)
→ generate_cases at scale/10 and at scale (peak memory of both; the small history is truncated
again) → locator lookups → lifecycle transitions at the service level (2 x cores processes) →
gunicorn on 127.0.0.1 (Redis cache, --cache): report intake over HTTP in an open loop (Poisson arrivals at
--intake-rate while --operators operators browse; the highest rate within p99 150 ms; CPU per report
against its floor view, runner/intake.py), then the queues, the search, the case detail API and page → the monthly assessment and its hand-written SQL floor →
the search's Excel export of 100,000 cases in a process of its own → every streaming command at
two sizes, its peak memory judged flat in N (measure_memory_flat) → EXPLAIN ANALYZE of the queue
and search queries (bench/results/explain-<scale>.txt). `--reuse` keeps cases a database already holds (the city is
always kept unless `--fresh`; `--phases` picks the phases after the history). The history covers the `--months` calendar months before `--until`
(default: one month, ending the first of this month); the assessed month is the last of them.

    .venv/bin/python bench/run.py --scale 10000000 --months 10 --db citygrid_bench10m   # the 10M city

Every target is judged in the JSON: met, or not met with the reason this run's own figures give.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project: bench.runner, then Django
import django  # noqa: E402

from bench.runner import RESULTS  # noqa: E402
from bench.runner.database import database_analyze, database_prepare, run_command, scalar  # noqa: E402, F401
from bench.runner.history import city_and_history  # noqa: E402
from bench.runner.machine import machine  # noqa: E402
from bench.runner.report import results_write  # noqa: E402
from bench.runner.verdicts import targets_judge  # noqa: E402

# database_analyze, database_prepare, run_command and scalar are imported from here by
# bench/calendar_recompute.py.


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=100_000, help="cases to generate (default 100,000)")
    parser.add_argument("--db", default="citygrid_bench")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server URL without the database name")
    parser.add_argument("--city-scale", type=float, default=22.0, help="grids.demo scale (22 ≈ 20,000 unit grids)")
    parser.add_argument("--until", default="", help="end of the generated history (default: first of this month)")
    parser.add_argument("--reuse", action="store_true", help="keep the cases if the database already holds as many")
    parser.add_argument("--fresh", action="store_true", help="drop the database first (the city is rebuilt)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--months", type=int, default=1,
                        help="months of history ending at --until (the assessed month is the last one); "
                             "--scale 10000000 --months 10 is ten million cases, a million a month")
    parser.add_argument("--clients", type=int, default=32, help="the closed-loop intake's clients (old target)")
    parser.add_argument("--intake-rate", type=float, default=100.0,
                        help="reports/s offered in the open-loop intake target (Poisson arrivals)")
    parser.add_argument("--operators", type=int, default=100, help="operators browsing during the open loop")
    parser.add_argument("--operator-think", type=float, default=10.0,
                        help="an operator's mean pause after each page, s (exponential)")
    parser.add_argument("--step-seconds", type=float, default=10.0,
                        help="seconds of each step of the offered rate looking for the highest within p99")
    parser.add_argument("--closed-loop", action="store_true",
                        help="also the old closed-loop intake (--clients as fast as they can; not judged)")
    parser.add_argument("--phases", default="all",
                        help="comma-separated phases to run after the history: locator, transitions, move_floor, "
                             "intake, screens, assessment, export, memory, explain (default all)")
    parser.add_argument("--duration", type=float, default=20.0,
                        help="seconds of the open-loop intake at --intake-rate, and of its CPU windows")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default 2 x cores)")
    parser.add_argument("--transition-seconds", type=float, default=15.0)
    parser.add_argument("--transition-processes", type=int, default=0,
                        help="concurrent processes (default 2 x cores: each waits on its commits half the "
                             "time; bench/README.md has the counts tried)")
    parser.add_argument("--skip-small", action="store_true", help="skip the scale/10 memory run")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/15",
                        help="Celery broker for the measured writes, with a worker ('' for in-process Celery)")
    parser.add_argument("--cache", default="redis://127.0.0.1:6379/14",
                        help="the shared cache of the web workers, as in production (CACHE_URL; '' for none)")
    args = parser.parse_args()
    run_started = time.perf_counter()
    RESULTS.mkdir(parents=True, exist_ok=True)

    env = dict(os.environ)
    env.update({
        "DATABASE_URL": f"{args.pg}/{args.db}", "BENCH_ADMIN_URL": f"{args.pg}/postgres", "DEBUG": "0",
        "SECRET_KEY": env.get("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "LOG_LEVEL": "WARNING", "DB_CONN_MAX_AGE": "600",
        "LOCATOR_VERSION_CHECK_SECONDS": "30", "SECURE_COOKIES": "0", "CELERY_BROKER_URL": args.broker,
        "CACHE_URL": args.cache, "BENCH_INTAKE_FLOOR": "1",  # the floor view, in the bench's gunicorn only
        "DB_SERVER_SIDE_BINDING": env.get("DB_SERVER_SIDE_BINDING", "0"),
        "PYTHONPATH": str(ROOT),
    })
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citygrid.settings")
    sys.path.insert(0, str(ROOT))
    results: dict = {"scale": args.scale, "machine": machine(), "started_at": datetime.now(UTC).isoformat()}
    phases: dict = {}

    # 1. database, city, cases.
    until = city_and_history(args, env, results, phases)

    # 2.–8. inside Django: its settings come from the environment set above, so the phases' modules
    # (which import the models) are imported only now.
    django.setup()
    from bench.runner.phases import measure_all

    measure_all(args, env, until, results)
    results["phases"] = phases
    results["runner_minutes"] = round((time.perf_counter() - run_started) / 60, 1)
    results["targets"] = targets_judge(results)
    results["finished_at"] = datetime.now(UTC).isoformat()
    results_write(results)


if __name__ == "__main__":
    main()
