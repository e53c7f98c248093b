"""The bounded load test of issue 8 (not a test of the suite; `make loadtest`). On loopback: gunicorn
on a PostgreSQL database of its own (citygrid_load: dropped, migrated and seeded with seed_demo at
every run), 100 concurrent command-center staff (operators, shift leaders, dispatchers) browsing
their queues, case details and case pages and moving cases through the workflow, while collectors'
apps report new cases, for LOADTEST_SECONDS (default 120). Then it checks, in the database:

- no errors: every request answered as expected (a 409 is not an error: two staff took the same
  case and exactly one won, which is the rule; it is counted separately);
- no duplicate case numbers;
- no lost reports: every 201 (with its number) is a case, with its `report` event and its side
  effect sent through the outbox; a retried submission (same Idempotency-Key) got the same case;
- no lost moves: every 200 transition is exactly one event of that action.

Prints requests, errors and p50/p95/p99 per kind; exits 1 if any check fails.

    .venv/bin/python bench/loadtest.py [--seconds 120] [--operators 100] [--intake-clients 10]

Needs only the standard library besides the project (threads + http.client). LOADTEST_PG names
the server (default postgres://postgres@127.0.0.1:5432); Celery runs eager (no broker), so each
report's side effect runs in the request, as on a single-machine installation.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project: bench.common, then Django
from bench.common import Gunicorn, free_port, log, percentile  # noqa: E402

PYTHON = sys.executable
LOAD_TEXT = "压力测试上报"
NOTE = "压力测试"


# --- preparing the database ------------------------------------------------------------------------

def manage(args: list[str], env: dict) -> None:
    started = time.perf_counter()
    done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"manage.py {' '.join(args)} failed")
    log(f"manage.py {' '.join(args)}: {time.perf_counter() - started:.1f} s")


def database_fresh(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


@dataclass
class Person:
    role: str
    token: str
    session: str = ""


@dataclass
class Plan:
    staff: list[Person]
    collectors: list[Person]
    points: list[tuple[float, float]]
    minors: list[int]
    departments: list[int]  # active departments, for a case whose owner is unknown


def plan_build(operators: int, collectors: int, seed: int) -> Plan:
    """Inside Django (the load database): staff accounts at city level, their API tokens and page
    sessions, collectors, points inside unit grids, and the classes to report."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from shapely.geometry import shape

    from cases.models import Case
    from citygrid.services import token_issue
    from grids.models import Department, MinorClass, Region, Role, UnitGrid, User

    rng = random.Random(seed)
    city = Region.objects.filter(level=1).order_by("pk").first()
    password = make_password(None)
    roles = [Role.OPERATOR, Role.SHIFT_LEADER, Role.DISPATCHER]
    wanted = [(f"load_{roles[i % 3]}_{i:03d}", roles[i % 3]) for i in range(operators)]
    User.objects.bulk_create([User(username=name, role=role, region=city, password=password)
                              for name, role in wanted], ignore_conflicts=True)
    engine = import_module(settings.SESSION_ENGINE)
    staff = []
    for user in User.objects.filter(username__in=[name for name, _role in wanted]).order_by("username"):
        session = engine.SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "citygrid.auth.PasswordBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        staff.append(Person(user.role, token_issue(user=user)[1], session.session_key))
    reporters = [Person(Role.COLLECTOR, token_issue(user=user)[1])
                 for user in User.objects.filter(role=Role.COLLECTOR, is_active=True).order_by("pk")[:collectors]]
    grids = list(UnitGrid.objects.order_by("?").values_list("geometry", flat=True)[:600])
    points = []
    for geometry in grids:
        point = shape(geometry).representative_point()
        points.append((round(point.x, 6), round(point.y, 6)))
    rng.shuffle(points)
    # The classes the demo cases use: the ones its ownership rules and time limits cover.
    minors = sorted(set(Case.objects.values_list("minor_id", flat=True).distinct()))[:12] or list(
        MinorClass.objects.filter(is_active=True).values_list("pk", flat=True)[:12])
    departments = list(Department.objects.filter(is_active=True).values_list("pk", flat=True))
    return Plan(staff, reporters, points, minors, departments)


# --- the server ----------------------------------------------------------------------------------

# --- the clients ---------------------------------------------------------------------------------

@dataclass
class Results:
    lock: threading.Lock = field(default_factory=threading.Lock)
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=Counter)
    conflicts: dict[str, int] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    accepted: dict[str, str] = field(default_factory=dict)  # Idempotency-Key → case number
    replays: list[tuple[str, str, str]] = field(default_factory=list)  # (key, first number, replay number)
    moves: dict[str, int] = field(default_factory=Counter)  # action → 200 answers

    def record(self, kind: str, ms: float, error: str | None = None, conflict: bool = False) -> None:
        with self.lock:
            self.timings[kind].append(ms)
            if conflict:
                self.conflicts[kind] += 1
            if error:
                self.errors[kind] += 1
                if len(self.error_samples) < 20:
                    self.error_samples.append(f"{kind}: {error}")


class Http:
    """One keep-alive connection per simulated person; reconnects after a failure."""

    def __init__(self, port: int, headers: dict[str, str]):
        self.port, self.headers, self.conn = port, headers, None

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {**self.headers, **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.conn.request(method, path, body=data, headers=all_headers)
                response = self.conn.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, payload
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server closed meanwhile: GETs are retried once on a
                # new one; a POST is not (its outcome is unknown), so it counts as an error.
                self.close()
                if method != "GET" or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def timed(results: Results, kind: str, client: Http, method: str, path: str, body: dict | None = None,
          headers: dict | None = None, *, ok=(200,), conflict=()):
    started = time.perf_counter()
    try:
        status, payload = client.request(method, path, body, headers)
    except Exception as exc:  # noqa: BLE001 - a failure of any kind is an error of this kind
        results.record(kind, (time.perf_counter() - started) * 1000, error=f"{type(exc).__name__}: {exc}")
        return None, None
    ms = (time.perf_counter() - started) * 1000
    if status in conflict:
        results.record(kind, ms, conflict=True)
    elif status not in ok:
        results.record(kind, ms, error=f"HTTP {status} {payload[:200]!r}")
    else:
        results.record(kind, ms)
    return status, payload


QUEUES = {"operator": "state=reported&ordering=deadline", "shift_leader": "state=reported&ordering=deadline",
          "dispatcher": "state=filed&ordering=deadline"}
HOMES = {"operator": "/work/operator/", "shift_leader": "/work/shift-leader/", "dispatcher": "/work/dispatcher/"}


def staff_loop(person: Person, port: int, plan: Plan, results: Results, stop: threading.Event,
               think: float, seed: int) -> None:
    rng = random.Random(seed)
    api = Http(port, {"Authorization": f"Token {person.token}", "Accept": "application/json"})
    page = Http(port, {"Cookie": f"sessionid={person.session}", "Accept": "text/html"})
    iteration = 0
    stop.wait(rng.uniform(0, think * 2))  # not everyone starts in the same millisecond
    while not stop.is_set():
        iteration += 1
        status, payload = timed(results, "queue", api, "GET", f"/api/cases/?{QUEUES[person.role]}")
        rows = json.loads(payload).get("results", []) if status == 200 else []
        if iteration % 4 == 0:
            timed(results, "page", page, "GET", HOMES[person.role])
        if rows:
            case = rng.choice(rows[:20])
            status, payload = timed(results, "detail", api, "GET", f"/api/cases/{case['id']}/")
            if iteration % 3 == 0:
                timed(results, "page", page, "GET", f"/cases/{case['id']}/")
            if status == 200:
                detail = json.loads(payload)
                move = choose_move(person.role, detail, plan, rng)
                if move is not None:
                    action, body = move
                    status, _payload = timed(results, "transition", api, "POST",
                                             f"/api/cases/{case['id']}/actions/{action}/", body, conflict=(409,))
                    if status == 200:
                        with results.lock:
                            results.moves[action] += 1
        stop.wait(rng.uniform(think * 0.5, think * 1.5))
    api.close()
    page.close()


def choose_move(role: str, detail: dict, plan: Plan, rng: random.Random) -> tuple[str, dict] | None:
    available = detail.get("available_actions") or []
    if role == "operator" and "propose_file" in available:
        return "propose_file", {"note": NOTE}
    if role == "shift_leader" and "file" in available:
        return "file", {"note": NOTE, "filing_condition": NOTE}
    if role == "dispatcher" and "dispatch" in available:
        department = detail.get("suggested_department") or rng.choice(plan.departments)
        if department:
            return "dispatch", {"department_id": department, "note": NOTE}
    if role == "dispatcher" and "urge" in available:
        return "urge", {"note": NOTE}
    return None


def intake_loop(person: Person, port: int, plan: Plan, results: Results, stop: threading.Event,
                think: float, seed: int) -> None:
    rng = random.Random(seed)
    api = Http(port, {"Authorization": f"Token {person.token}", "Accept": "application/json"})
    stop.wait(rng.uniform(0, think))
    while not stop.is_set():
        lon, lat = rng.choice(plan.points)
        key = uuid.uuid4().hex
        body = {"source": "collector", "minor_id": rng.choice(plan.minors), "lon": lon, "lat": lat,
                "description": f"{LOAD_TEXT}：路面破损，请尽快处理", "address": "压力测试路"}
        status, payload = timed(results, "intake", api, "POST", "/api/cases/", body, {"Idempotency-Key": key},
                                ok=(201,))
        if status == 201:
            number = json.loads(payload)["number"]
            with results.lock:
                results.accepted[key] = number
            if rng.random() < 0.05:  # the app retries as if the answer had been lost
                status, payload = timed(results, "intake retry", api, "POST", "/api/cases/", body,
                                        {"Idempotency-Key": key}, ok=(200, 201))
                if status in (200, 201):
                    with results.lock:
                        results.replays.append((key, number, json.loads(payload).get("number")))
        stop.wait(rng.uniform(think * 0.5, think * 1.5))
    api.close()


# --- checks --------------------------------------------------------------------------------------

def verify(results: Results, started_at) -> list[tuple[str, bool, str]]:
    from django.db.models import Count

    from cases.models import Case, CaseEvent, OutboxMessage

    checks = []
    errors = sum(results.errors.values())
    checks.append(("no errors", errors == 0, f"{errors} errors"))
    duplicates = Case.objects.values("number").annotate(n=Count("id")).filter(n__gt=1).count()
    checks.append(("no duplicate case numbers", duplicates == 0,
                   f"{duplicates} duplicated of {Case.objects.count():,} cases"))
    numbers = set(results.accepted.values())
    found = set(Case.objects.filter(number__in=numbers).values_list("number", flat=True))
    checks.append(("every accepted report is in the database", found == numbers and len(numbers) == len(
        results.accepted), f"{len(found):,} of {len(numbers):,} found"))
    reported = CaseEvent.objects.filter(case__number__in=numbers, action="report").count()
    checks.append(("every accepted report has its report event", reported == len(numbers), f"{reported:,}"))
    pending = OutboxMessage.objects.filter(sent_at__isnull=True, created_at__gte=started_at).count()
    sent = OutboxMessage.objects.filter(task="cases.report_received", sent_at__isnull=False,
                                        created_at__gte=started_at).count()
    checks.append(("every accepted report's side effect was sent (outbox)", pending == 0 and sent >= len(numbers),
                   f"{sent:,} sent, {pending} pending"))
    bad_replays = [r for r in results.replays if r[1] != r[2]]
    checks.append(("a retried submission returns the first case", not bad_replays,
                   f"{len(results.replays)} retries, {len(bad_replays)} different"))
    logged = dict(CaseEvent.objects.filter(created_at__gte=started_at, action__in=list(results.moves) or ["-"])
                  .values_list("action").annotate(n=Count("id")))
    same = all(logged.get(action, 0) == count for action, count in results.moves.items())
    checks.append(("every accepted move is exactly one event", same,
                   ", ".join(f"{a} {c}/{logged.get(a, 0)}" for a, c in sorted(results.moves.items()))))
    return checks


def report(results: Results, seconds: float) -> None:
    print()
    print(f"{'kind':<14}{'requests':>10}{'per s':>8}{'errors':>8}{'409':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    total = 0
    for kind in ("queue", "detail", "page", "transition", "intake", "intake retry"):
        values = results.timings.get(kind, [])
        total += len(values)
        print(f"{kind:<14}{len(values):>10,}{len(values) / seconds:>8.1f}{results.errors.get(kind, 0):>8}"
              f"{results.conflicts.get(kind, 0):>6}{percentile(values, 50):>9.0f}{percentile(values, 95):>9.0f}"
              f"{percentile(values, 99):>9.0f}")
    print(f"{'all':<14}{total:>10,}{total / seconds:>8.1f}{sum(results.errors.values()):>8}"
          f"{sum(results.conflicts.values()):>6}")
    if results.moves:
        print("moves: " + ", ".join(f"{action} {count}" for action, count in sorted(results.moves.items())))
    for sample in results.error_samples:
        print(f"  error: {sample}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("LOADTEST_SECONDS", "120")))
    parser.add_argument("--operators", type=int, default=int(os.environ.get("LOADTEST_OPERATORS", "100")))
    parser.add_argument("--intake-clients", type=int, default=int(os.environ.get("LOADTEST_INTAKE_CLIENTS", "10")))
    parser.add_argument("--think", type=float, default=1.0, help="staff think time between actions, s (mean)")
    parser.add_argument("--intake-think", type=float, default=0.5, help="pause between a collector's reports, s")
    parser.add_argument("--pg", default=os.environ.get("LOADTEST_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--db", default=os.environ.get("LOADTEST_DB", "citygrid_load"))
    parser.add_argument("--city-scale", type=float, default=0.5, help="seed_demo --scale")
    parser.add_argument("--cases", type=int, default=400, help="seed_demo --cases (demo cases in every state)")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default 2 x cores + 1)")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()

    env = dict(os.environ)
    env.update({
        "DATABASE_URL": f"{args.pg}/{args.db}", "DEBUG": "0", "CELERY_BROKER_URL": "",
        "SECRET_KEY": env.get("SECRET_KEY", "loadtest-only-secret-key-not-for-production-0123456789"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING", "DB_CONN_MAX_AGE": "600",
        "SECURE_COOKIES": "0", "SECURE_SSL_REDIRECT": "0", "LOCATOR_VERSION_CHECK_SECONDS": "30",
        "DJANGO_SETTINGS_MODULE": "citygrid.settings", "PYTHONPATH": str(ROOT),
    })
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)

    log(f"database {args.db}: fresh, migrated, seeded")
    database_fresh(f"{args.pg}/postgres", args.db)
    manage(["migrate", "--noinput", "-v0"], env)
    manage(["seed_demo", "--scale", str(args.city_scale), "--cases", str(args.cases)], env)

    import django

    django.setup()
    from django.db import connections
    from django.utils import timezone

    plan = plan_build(args.operators, args.intake_clients, args.seed)
    connections.close_all()
    roles = Counter(person.role for person in plan.staff)
    log(f"{len(plan.staff)} staff ({dict(roles)}), {len(plan.collectors)} reporting collectors, "
        f"{len(plan.points)} points")

    workers = args.workers or 2 * (os.cpu_count() or 1) + 1
    port = free_port()
    server = Gunicorn(env, workers=workers, threads=args.threads, port=port, timeout=120,
                      clients=len(plan.staff) + args.intake_clients, log_path=results_dir / "loadtest-gunicorn.log")
    log(f"gunicorn: {workers} workers x {args.threads} threads on 127.0.0.1:{port}; "
        f"load for {args.seconds:.0f} s")
    results, stop = Results(), threading.Event()
    started_at = timezone.now()
    threads = [threading.Thread(target=staff_loop, args=(person, port, plan, results, stop, args.think,
                                                         args.seed * 1000 + i), daemon=True)
               for i, person in enumerate(plan.staff)]
    threads += [threading.Thread(target=intake_loop, args=(person, port, plan, results, stop, args.intake_think,
                                                           args.seed * 2000 + i), daemon=True)
                for i, person in enumerate(plan.collectors)]
    started = time.perf_counter()
    try:
        for thread in threads:
            thread.start()
        while time.perf_counter() - started < args.seconds:
            time.sleep(min(10.0, max(0.1, args.seconds - (time.perf_counter() - started))))
            done = sum(len(v) for v in results.timings.values())
            log(f"{time.perf_counter() - started:5.0f} s: {done:,} requests, {sum(results.errors.values())} errors, "
                f"{len(results.accepted):,} reports accepted")
        stop.set()
        for thread in threads:
            thread.join(timeout=150)
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        server.stop()

    report(results, elapsed)
    print()
    failed = False
    for name, ok, detail in verify(results, started_at):
        failed |= not ok
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
