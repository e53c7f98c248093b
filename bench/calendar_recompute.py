"""How long the running deadlines take to follow a calendar change (issue 18). Not a test: it builds
a dedicated PostgreSQL database the way bench/run.py does (migrate, grids.demo city, generate_cases
up to a day before New Year), enters a year's New Year holiday the way a city would, and times
cases.deadlines.deadlines_recompute over the running steps it touches, batch by batch.

    .venv/bin/python bench/calendar_recompute.py                      # ~100,000 running cases touched
    .venv/bin/python bench/calendar_recompute.py --reuse --count 400000

The change is the city's entry of 2027 (chinese-calendar 1.11.0 knows up to 2026): its schedule is
written here as test input, New Year's Day off, which every running step due in 2027 crosses. The
recompute runs twice: the first changes the deadlines, the second (the task's second pass) finds
nothing left to change. The database's changes are kept (use --reuse only with a fresh history).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import log  # noqa: E402
from bench.run import database_analyze, database_prepare, run_command, scalar  # noqa: E402

# Input as a city types the State Council's notice; the dates are this bench's, not shipped data.
SCHEDULE = """2027-01-01,2027-01-03,休,元旦
2027-02-06,2027-02-13,休,春节
2027-02-14,,班,春节调休
2027-04-03,2027-04-05,休,清明节
2027-05-01,2027-05-05,休,劳动节
2027-06-09,2027-06-11,休,端午节
2027-10-01,2027-10-07,休,国庆节
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="citygrid_bench_calendar")
    parser.add_argument("--count", type=int, default=1_000_000, help="cases generated over the month")
    parser.add_argument("--until", default="2026-12-31T02:00:00+00:00",
                        help="the history's end (the change is made then): New Year's Eve, 10:00 in the city")
    parser.add_argument("--city-scale", type=float, default=1.0)
    parser.add_argument("--reuse", action="store_true", help="keep the database's city and history")
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()

    env = {**os.environ, "DATABASE_URL": f"{args.pg}/{args.db}", "BENCH_ADMIN_URL": f"{args.pg}/postgres",
           "CELERY_BROKER_URL": "", "DEBUG": "0", "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-calendar-not-secret"), "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "citygrid.settings")}
    database_prepare(env, args.db, fresh=not args.reuse)
    if not scalar(env, "SELECT count(*) FROM grids_unitgrid"):
        seconds, _out = run_command(["seed_demo", "--scale", str(args.city_scale), "--cases", "0"], env,
                                    label="seed_demo")
        log(f"city built in {seconds:.1f} s")
    if not scalar(env, "SELECT count(*) FROM cases_case"):
        seconds, out = run_command(["generate_cases", "--count", str(args.count), "--months", "1", "--until",
                                    args.until, "--no-progress"], env, label="generate_cases")
        log(f"history generated in {seconds:.1f} s: {out.strip().splitlines()[0]}")
        database_analyze(env)

    os.environ.update(env)
    import django

    django.setup()

    import cases.calendar_import as calendar_import
    from cases.calendar import local_midnight
    from cases.deadlines import deadlines_recompute
    from cases.models import CaseStep

    until = datetime.fromisoformat(args.until).astimezone(UTC)
    running = CaseStep.objects.filter(completed_at__isnull=True).count()
    touched = CaseStep.objects.filter(completed_at__isnull=True, started_at__lt=local_midnight(date(2027, 1, 4)),
                                      deadline__gte=local_midnight(date(2027, 1, 1))).count()
    log(f"{running:,} running steps, {touched:,} of them due on or after 2027-01-01")

    # The import's own transaction (days, year mark, the outbox row); the recompute it asks for is
    # taken from the request and timed on its own, as the worker would run it.
    asked = {}

    def capture(**kwargs):
        asked.update(kwargs)

    calendar_import.deadlines_recompute_enqueue = capture
    started = time.perf_counter()
    schedule = calendar_import.calendar_year_import(text=SCHEDULE, year=2027)
    log(f"import saved in {time.perf_counter() - started:.2f} s: {len(schedule.changes)} days change")

    started = time.perf_counter()
    first = deadlines_recompute(reason=asked["reason"], old_days=asked["old_days"], now=until, batch=args.batch)
    seconds = time.perf_counter() - started
    log(f"recompute: {first.examined:,} running steps examined, {first.changed:,} changed, "
        f"{first.kept:,} kept as decided, in {seconds:.1f} s "
        f"({first.changed / seconds if seconds else 0:,.0f} deadlines/s, batches of {args.batch})")
    started = time.perf_counter()
    second = deadlines_recompute(reason=asked["reason"], old_days=asked["old_days"], now=until, batch=args.batch)
    log(f"second pass: {second.changed:,} changed in {time.perf_counter() - started:.1f} s")
    events = scalar(env, "SELECT count(*) FROM cases_caseevent WHERE action = 'deadline_recompute'")
    log(f"deadline_recompute events: {events:,}")


if __name__ == "__main__":
    main()
