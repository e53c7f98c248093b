"""The phases measured inside Django, in order: the locator, the transitions at the service level,
HTTP (intake, queues and searches, case detail), the assessment, the Excel export, memory flat in N
and the query plans. Imported once Django is set up (bench/run.py)."""
import asyncio
import atexit
import json
import os
import random
from datetime import datetime, timedelta

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore
from django.db.models import Count

from bench.common import Gunicorn, free_port, log
from bench.runner import BENCH_TEXT, EXPORT_ROWS, RESULTS, ROOT
from bench.runner.assess import measure_assessment
from bench.runner.database import run_command
from bench.runner.intake import intake_open_loop, rows_per_report
from bench.runner.load import CeleryWorker, Operators, intake_load, redis_flush, timed_gets
from bench.runner.machine import CpuMeter
from bench.runner.memory import measure_export, measure_memory_flat
from bench.runner.move_floor import measure_move_floor
from bench.runner.moves import USER_IDS, bench_users, measure_locator, measure_transitions, sample_points
from bench.runner.queries import QUEUE_QUERIES, explain_queries, explain_summary, queue_paths
from cases.models import Case
from citygrid.services import token_issue
from grids.models import MinorClass

INTAKE_CONNECTIONS = 64  # the open loop's keep-alive connections at most (a send waits for one beyond)
PHASES = {"locator", "transitions", "move_floor", "intake", "screens", "assessment", "export", "memory", "explain"}


def measure_all(args, env: dict, until: str, results: dict) -> None:
    """Every phase after the history, its figures into `results`."""
    users = bench_users()
    missing = [k for k, v in users.items() if v is None]
    if missing:
        raise SystemExit(f"the demo city lacks users for: {missing}")
    USER_IDS.update({k: v.pk for k, v in users.items()})
    edition = Case.objects.values_list("minor__edition", flat=True).first() or "legacy4"
    top_minors = list(Case.objects.filter(source="collector", reported_at__gte=datetime.fromisoformat(until)
                                          - timedelta(days=3)).values("minor_id").annotate(n=Count("id"))
                      .order_by("-n").values_list("minor_id", flat=True)[:8])
    top_minors = top_minors or list(MinorClass.objects.filter(edition=edition).values_list("pk", flat=True)[:8])
    points = sample_points(4000)
    wanted = PHASES if args.phases == "all" else set(args.phases.split(","))
    if unknown := wanted - PHASES:
        raise SystemExit(f"unknown phases: {sorted(unknown)}; known: {sorted(PHASES)}")

    # 2. locator.
    if "locator" in wanted:
        results["locator"] = measure_locator(points)
        log(f"locator: {results['locator']['lookups_per_second']:,} lookups/s over "
            f"{results['locator']['grids']:,} grids")

    worker = None
    if args.cache:
        redis_flush(args.cache)
        atexit.register(redis_flush, args.cache)
    if args.broker:
        redis_flush(args.broker)
        worker = CeleryWorker(env)
        atexit.register(worker.stop)  # also when a phase below fails

    # 3. transitions at the service level.
    if "transitions" in wanted:
        processes = args.transition_processes or 2 * (os.cpu_count() or 2)
        results["transitions"] = measure_transitions(args.transition_seconds, processes, points, top_minors)
        log(f"transitions: {results['transitions']['transitions_per_second']:,}/s "
            f"(p95 {results['transitions']['p95_ms']} ms)")

    # 3b. each move of the loop beside the floor of its own writes, in this process (move_floor).
    if "move_floor" in wanted:
        places = [(lon, lat, minor) for (lon, lat), minor in zip(points[:200], top_minors * 25, strict=False)]
        results["move_floor"] = measure_move_floor(users, places)
        log(f"moves beside their floor: {results['move_floor']['ratio_to_floor']}x the floor's CPU")

    # 4. HTTP: intake (open loop beside browsing operators, its floor), queues, search, detail.
    params, ids = http_phase(args, env, until, users, points, top_minors, worker, results, wanted)

    # 5. assessment of the generated month.
    label = (datetime.fromisoformat(until).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    if "assessment" in wanted:
        results["assessment"] = measure_assessment(label)
        log(f"assessment {label}: {results['assessment']}")

    # 6. the Excel export of 100,000 cases, in a process of its own.
    if "export" in wanted:
        results["export"] = measure_export(env, EXPORT_ROWS)
        log(f"export: {results['export']}")

    # 7. memory flat in N: every streaming command at two sizes.
    if "memory" in wanted:
        results["memory_flat"] = measure_memory_flat(env, export_large=results.get("export"), month=label)

    # 8. plans.
    if "explain" not in wanted:
        return
    sample_case = Case.objects.filter(pk__in=ids, responsibility_grid__isnull=False).first()
    params["case_id"] = sample_case.pk if sample_case else ids[0]
    if sample_case:  # the intake response is read by the reporting collector, in their own grid
        users["collector"] = sample_case.responsibility_grid.collectors.first() or users["collector"]
    results["explain"] = explain_summary(explain_queries(users, params, args.scale))
    results["explain_file"] = f"bench/results/explain-{args.scale}.txt"


def http_phase(args, env: dict, until: str, users: dict, points, top_minors: list[int], worker,
               results: dict, wanted: set[str]) -> tuple[dict, list[int]]:
    """gunicorn on 127.0.0.1: report intake in an open loop beside browsing operators and its floor
    (runner/intake.py; the closed loop of 32 clients too with --closed-loop), then the queues and
    searches and the case detail (API and page); the search parameters and case ids used, for the
    plans."""
    tokens = {k: token_issue(user=u)[1] for k, u in users.items()}
    rnd = random.Random(5)
    bodies = [json.dumps({"source": "collector", "minor_id": rnd.choice(top_minors), "lon": lon, "lat": lat,
                          "description": f"{BENCH_TEXT}上报：暴露垃圾，请尽快处理", "address": "基准路"}).encode()
              for lon, lat in points]
    sample = Case.objects.exclude(description__startswith=BENCH_TEXT)
    numbers = list(sample.order_by("?").values_list("number", flat=True)[:50])
    ids = list(sample.order_by("?").values_list("id", flat=True)[:200])
    district_minor = list(sample.order_by("?").values_list("district_id", "minor_id")[:50])
    month = until
    params = {
        "district": [d for d, _m in district_minor], "minor": top_minors[:3],
        "after": (datetime.fromisoformat(month).replace(day=1) - timedelta(days=20))
        .date().isoformat() + "T00:00:00%2B08:00",
        "before": datetime.fromisoformat(month).date().isoformat() + "T00:00:00%2B08:00",
        "number": numbers, "text": ["暴露垃圾", "井盖", "小广告"],
    }
    if not wanted & {"intake", "screens"}:
        return params, ids
    if not (ROOT / "staticfiles" / "staticfiles.json").exists():  # the pages need it, DEBUG off
        run_command(["collectstatic", "--noinput", "-v0"], env, label="collectstatic")
    workers = args.workers or 2 * (os.cpu_count() or 2)
    port = free_port()
    server = Gunicorn(env, workers=workers, threads=4, port=port,
                      clients=max(args.clients, args.operators + INTAKE_CONNECTIONS),
                      log_path=RESULTS / "gunicorn.log")
    try:
        if "intake" in wanted:
            operators = Operators(port, [_session(users["operator"]) for _ in range(args.operators)],
                                  "/work/operator/", ids, think=args.operator_think, seed=args.seed)
            written = rows_per_report(tokens["collector"], users["collector"].pk, bodies[0])
            log(f"rows a report writes: {written}")
            intake = intake_open_loop(env, server, port, tokens["collector"], users["collector"].pk, bodies,
                                      operators, rate=args.intake_rate, seconds=args.duration,
                                      step_seconds=args.step_seconds, pool_size=INTAKE_CONNECTIONS)
            intake["gunicorn"] = f"{workers} workers x 4 threads (gthread)"
            intake["rows_per_report"] = written
            results["intake"] = intake
            server.probe()
            log(f"intake, open loop at {intake['offered_per_second']}/s with {args.operators} operators: "
                f"p50 {intake['p50_ms']} p99 {intake['p99_ms']} ms, {intake['errors']} errors; highest rate "
                f"within p99 {intake['max_rate_within_p99']}/s; CPU per report {intake['cpu']['intake']['cpu_ms_per_report']}"
                f" ms, floor {intake['cpu']['floor']['cpu_ms_per_report']} ms ({intake['cpu']['ratio_to_floor']}x)")
            if args.closed_loop:
                closed = asyncio.run(intake_load(port, tokens["collector"], bodies, clients=args.clients,
                                                 warmup=5.0, duration=args.duration, rss_probe=server.probe,
                                                 meter=CpuMeter(env, server)))
                results["intake_closed_loop"] = closed
                log(f"intake, closed loop of {args.clients} clients: {closed['requests_per_second']}/s "
                    f"p99 {closed['p99_ms']} ms {closed['statuses']}")
        if "screens" in wanted:
            _screens(env, server, port, users, tokens, params, ids, rnd, results)
    finally:
        server.stop()
        if worker is not None:
            worker.stop()
            redis_flush(args.broker)
    results["celery"] = f"worker on {args.broker}" if args.broker else "in-process (eager)"
    results["web_worker_peak_rss_mb"] = round(server.peak_rss_mb, 1)
    return params, ids


def _session(user) -> str:
    """A new signed-in session of `user`: its key, for the page's cookie."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "citygrid.auth.PasswordBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def _screens(env: dict, server, port: int, users: dict, tokens: dict, params: dict, ids: list[int], rnd,
             results: dict) -> None:
    """The queues and searches, then the case detail (API and page), each timed alone."""
    queues = {}
    for name, (who, query) in QUEUE_QUERIES.items():
        paths = queue_paths(name, query, params, rnd, 40)
        queues[name] = _timed_gets(env, server, port, {"Authorization": f"Token {tokens[who]}"}, paths)
        server.probe()
        log(f"{name}: p50 {queues[name]['p50_ms']} p95 {queues[name]['p95_ms']} ms {queues[name]['statuses']}")
    results["queues"] = queues
    detail_paths = [f"/api/cases/{i}/" for i in ids]
    page_paths = [f"/cases/{i}/" for i in ids]
    results["detail"] = {
        "api": _timed_gets(env, server, port, {"Authorization": f"Token {tokens['operator']}"}, detail_paths),
        "page": _timed_gets(env, server, port, {"Cookie": f"sessionid={_session(users['operator'])}"}, page_paths),
    }
    server.probe()
    log(f"detail: API p95 {results['detail']['api']['p95_ms']} ms, page p95 {results['detail']['page']['p95_ms']} ms")


def _timed_gets(env: dict, server, port: int, headers: dict, paths: list[str]) -> dict:
    """timed_gets with the CPU the web workers and the database spent per request."""
    meter = CpuMeter(env, server)
    meter.begin()
    result = asyncio.run(timed_gets(port, headers, paths))
    cpu = meter.end()
    requests = result["n"] + 3  # the warm-up counts too
    result["cpu_ms_per_request"] = round((cpu["web_cpu_seconds"] + cpu["db_cpu_seconds"]) / requests * 1000, 1)
    result["web_cpu_ms_per_request"] = round(cpu["web_cpu_seconds"] / requests * 1000, 1)
    return result
