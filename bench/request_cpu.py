"""Python CPU per request of the hot endpoints, in one process through Django's test client (no
gunicorn, no network): the steadiest figure this shared VM gives for what a code change saves, as
wall-clock latencies drift with the host. Run it against a database `bench/run.py` filled:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/citygrid_bench .venv/bin/python bench/request_cpu.py

Prints, per endpoint, the Python CPU-ms and wall-ms of one request (the median of --rounds rounds of
--n requests), its Python function calls (counted by cProfile: the same for the same code and data,
where this VM's CPU-ms move by a third between runs, so code changes are compared by it) and its
query count; `--profile NAME` prints a cProfile of one endpoint instead. The report intake adds a
few hundred cases (described "基准测试：…", as bench/run.py's own reports) to the database.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citygrid.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")

# name: (role, path, how the person is authenticated: "token" for the API, "session" for pages);
# "POST " before the path: a report with the body of a field collector's (REPORT), a new case each time.
ENDPOINTS = {
    "report intake (POST)": ("collector", "POST /api/cases/", "token"),
    "empty list (case number)": ("operator", "/api/cases/?number=1", "token"),
    "dispatcher queue (50 rows)": ("dispatcher", "/api/cases/?state=filed&ordering=deadline", "token"),
    "operator queue (50 rows)": ("operator", "/api/cases/?state=reported&state=handled&ordering=deadline", "token"),
    "text search (50 rows)": ("operator", "/api/cases/?q=%E5%B0%8F%E5%B9%BF%E5%91%8A&ordering=deadline", "token"),
    "case detail API": ("operator", "/api/cases/{case}/", "token"),
    "case detail page": ("operator", "/cases/{case}/", "session"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="", help="endpoints whose name contains this")
    parser.add_argument("--profile", default="", help="cProfile the endpoint whose name contains this")
    parser.add_argument("--sql", action="store_true", help="print the queries of one request of each endpoint")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from cases.models import Case
    from citygrid.services import token_issue
    from grids.models import User

    def person(role: str) -> User:
        people = User.objects.filter(role=role, is_active=True).order_by("pk")
        return people.filter(region__level=1).first() or people.first()

    import json

    # Where reports come from: the place and class of the last collector reports.
    places = list(Case.objects.filter(source="collector").order_by("-reported_at")
                  .values_list("lon", "lat", "minor_id")[:200])
    bodies = iter(json.dumps({"source": "collector", "minor_id": minor, "lon": lon, "lat": lat,
                              "description": "基准测试：暴露垃圾，请尽快处理", "address": "基准路"})
                  for _ in range(10**9) for lon, lat, minor in places)

    # A case of the last day, dispatched: its page has a timeline, steps and actions.
    case_id = (Case.objects.filter(state="dispatched").order_by("-reported_at").values_list("pk", flat=True).first()
               or Case.objects.order_by("-pk").values_list("pk", flat=True).first())
    selected = {k: v for k, v in ENDPOINTS.items() if args.only in k and args.profile in k}
    for name, (role, path, auth) in selected.items():
        user = person(role)
        client = Client(HTTP_HOST="127.0.0.1")
        headers = {}
        if auth == "token":
            headers["HTTP_AUTHORIZATION"] = f"Token {token_issue(user=user)[1]}"
        else:
            client.force_login(user)
        path = path.format(case=case_id)
        if path.startswith("POST "):
            post_path = path.removeprefix("POST ")
            client.get = lambda _path, post_path=post_path, **extra: client.post(  # noqa: B023
                post_path, next(bodies), content_type="application/json", **extra)
        for _ in range(10):  # warm: the locator, translations, caches of the first request
            response = client.get(path, **headers)
        if response.status_code not in (200, 201):
            raise SystemExit(f"{name}: GET {path} → {response.status_code}")
        queries: list[str] = []  # counted by a wrapper: Django empties its query log at every request's start

        def counted(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            client.get(path, **headers)
        if args.sql:
            print(f"-- {name}", *(f"{number:3}. {sql[:160]}" for number, sql in enumerate(queries, 1)), sep="\n")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.n):
                client.get(path, **headers)
            profile.disable()
            pstats.Stats(profile).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(60)
            return
        counting = cProfile.Profile()
        counting.enable()
        for _ in range(args.n):
            client.get(path, **headers)
        counting.disable()
        calls = pstats.Stats(counting).total_calls / args.n
        cpu, wall = [], []
        for _ in range(args.rounds):
            cpu_started, wall_started = time.process_time(), time.perf_counter()
            for _ in range(args.n):
                client.get(path, **headers)
            cpu.append((time.process_time() - cpu_started) / args.n * 1000)
            wall.append((time.perf_counter() - wall_started) / args.n * 1000)
        print(f"{name:32} {statistics.median(cpu):6.1f} CPU-ms  {statistics.median(wall):6.1f} wall-ms  "
              f"{calls / 1000:6.1f}k calls  {len(queries):2} queries", flush=True)


if __name__ == "__main__":
    main()
