"""The intake target of issue 24, open loop, on the gunicorn of the HTTP phase:

1. reports arrive at the offered rate (`--intake-rate`, 100/s) with exponential gaps, each sent
   when due whatever the earlier ones are doing (load.open_loop), while `--operators` operators
   browse their queue page and case pages (load.Operators); p50/p95/p99 from the moment each report
   was due, every answer checked (201 with the case number), the CPU the web workers and the
   database used over the window;
2. the offered rate stepped, ×1.5 up from a rate that kept p99 ≤ 150 ms without an error or ÷1.5
   down from one that did not, then once between the best pass and the first failure: the highest
   rate that held is the run's capacity; after each window the server is left to work off what it
   still holds (_settle) before the next begins;
3. the operators stopped, CPU per report of the intake and of its floor (bench/intake_floor.py: the
   same rows by one INSERT per table through the same gunicorn) at the same offered rate, in turns
   (intake, floor, intake, floor), each its web workers' CPU plus the database backends' (the Celery
   worker's backend included: the outbox claim is the report's too) over the reports answered.
"""
import asyncio
import json
import math
import os
import time

from bench.runner.database import scalar
from bench.runner.load import ConnectionPool, HttpClient, Operators, open_loop
from bench.runner.machine import CpuMeter

P99_TARGET_MS = 150
# The rows one statement inserted, by table (a partition counted as its partitioned table).
INSERTED_SQL = """
SELECT coalesce(parent.relname, t.relname), sum(t.n_tup_ins)::int
  FROM pg_stat_xact_user_tables t
  LEFT JOIN pg_inherits i ON i.inhrelid = t.relid LEFT JOIN pg_class parent ON parent.oid = i.inhparent
 WHERE t.n_tup_ins > 0 GROUP BY 1 ORDER BY 1"""


def rows_per_report(token: str, reporter_id: int, body: bytes) -> dict:
    """The rows one report writes, by table, through the intake API and through its floor: each
    posted once in this process inside a transaction that is rolled back, its inserts read from
    the backend's own statistics before and after. The floor is a floor of the same writes only if they match."""
    from django.db import connection, transaction
    from django.test import Client, override_settings

    written = {}
    for name, path, urlconf, payload in (
            ("intake", INTAKE_PATH, "citygrid.urls", body),
            ("floor", FLOOR_PATH, "bench.intake_floor", json.dumps({**json.loads(body), "reporter_id": reporter_id}))):
        with override_settings(ROOT_URLCONF=urlconf), transaction.atomic(), connection.cursor() as cursor:
            # Before and after: the view also holds this backend's counts not yet flushed.
            cursor.execute(INSERTED_SQL)
            before = dict(cursor.fetchall())
            response = Client(raise_request_exception=False).post(
                path, payload, content_type="application/json", HTTP_HOST="127.0.0.1",
                HTTP_AUTHORIZATION=f"Token {token}", HTTP_IDEMPOTENCY_KEY=f"bench-rows-{name}-{time.time_ns()}")
            cursor.execute(INSERTED_SQL)
            rows = {table: n - before.get(table, 0) for table, n in cursor.fetchall() if n > before.get(table, 0)}
            written[name] = {"status": response.status_code, "rows": rows}
            transaction.set_rollback(True)
    written["same_rows"] = written["intake"]["rows"] == written["floor"]["rows"]
    return written
INTAKE_PATH, FLOOR_PATH = "/api/cases/", "/bench/intake-floor/"
DRAIN_SECONDS = 10.0  # a report unanswered this long after the window's last was due is an error


async def _settle(env: dict, port: int, *, limit: float = 180.0) -> float:
    """Wait until the server has worked off what an overloaded window left queued (the sends cut
    off after DRAIN_SECONDS are still served): until no case has been written for two seconds, then
    up to 20 s for three /healthz in a row within the 150 ms target (the operators browse on
    meanwhile); the first wait at most `limit` seconds. The seconds it took.
    Until the runs of 2026-12-07 it waited for /healthz alone, at most 20 s: a gthread worker answers
    /healthz on a free thread while its other threads still serve the backlog, so the next steps and
    the CPU windows began behind minutes of queued reports (at 10M none held, and intake and floor
    read 397 and 371 CPU-ms a report where one insert takes about 1 ms)."""
    started = time.perf_counter()
    last, quiet_since = None, time.perf_counter()
    while time.perf_counter() - started < limit and time.perf_counter() - quiet_since < 2.0:
        newest = await asyncio.to_thread(scalar, env, "SELECT max(id) FROM cases_case")
        if newest != last:
            last, quiet_since = newest, time.perf_counter()
        await asyncio.sleep(0.25)
    http = HttpClient("127.0.0.1", port)
    quick, quiet = 0, time.perf_counter()
    try:  # the queue is empty now: /healthz only confirms it, for at most 20 s (the operators browse on)
        while quick < 3 and time.perf_counter() - quiet < 20.0:
            sent = time.perf_counter()
            await http.request("GET", "/healthz", {})
            quick = quick + 1 if time.perf_counter() - sent < P99_TARGET_MS / 1000 else 0
            await asyncio.sleep(0.2)
    finally:
        await http.close()
    return round(time.perf_counter() - started, 1)


def _held(step: dict) -> bool:
    return step["errors"] == 0 and step["p99_ms"] is not None and step["p99_ms"] <= P99_TARGET_MS


def intake_open_loop(env: dict, server, port: int, token: str, reporter_id: int, bodies: list[bytes],
                     operators: Operators, *, rate: float, seconds: float, step_seconds: float,
                     pool_size: int) -> dict:
    return asyncio.run(_measure(env, server, port, token, reporter_id, bodies, operators, rate=rate,
                                seconds=seconds, step_seconds=step_seconds, pool_size=pool_size))


async def _measure(env, server, port, token, reporter_id, bodies, operators, *, rate, seconds, step_seconds,
                   pool_size) -> dict:
    pool = ConnectionPool(port, pool_size)
    floor_bodies = [json.dumps({**json.loads(body), "reporter_id": reporter_id}).encode() for body in bodies]
    run = f"{os.getpid()}-{time.time_ns()}"

    def sender(path: str, payloads: list[bytes], label: str):
        async def send(number: int) -> bool:
            headers = {"Authorization": f"Token {token}", "Content-Type": "application/json",
                       "Idempotency-Key": f"bench-{label}-{run}-{number}"}
            status, content = await pool.request("POST", path, headers, payloads[number % len(payloads)])
            return status == 201 and b'"number"' in content
        return send

    intake = sender(INTAKE_PATH, bodies, "open")
    counter = iter(range(1, 10**9))

    async def step(offered: float, duration: float, send=None) -> dict:
        # A fresh key space for every window: the same number would replay the earlier report.
        window = next(counter)
        send = send or intake
        result = await open_loop(lambda n: send(window * 10**6 + n), rate=offered, seconds=duration,
                                 warmup=2.0, seed=window, drain_seconds=DRAIN_SECONDS)
        result["settle_seconds"] = await _settle(env, port)
        return result

    try:
        operators.start()
        meter = CpuMeter(env, server)
        meter.begin()
        started = time.perf_counter()
        target = await step(rate, seconds)
        cpu = meter.end()
        target["window_cpu_cores"] = round((cpu["web_cpu_seconds"] + cpu["db_cpu_seconds"])
                                           / (time.perf_counter() - started), 2)
        ladder = {rate: target}
        offered, factor = rate, (1.5 if _held(target) else 1 / 1.5)
        for _ in range(6):
            offered = round(offered * factor, 1)
            if offered < 1:
                break
            ladder[offered] = await step(offered, step_seconds)
            if _held(ladder[offered]) != _held(target):
                break
        held = [r for r, s in ladder.items() if _held(s)]
        failed = [r for r, s in ladder.items() if not _held(s)]
        if held and failed and min(failed) > max(held):
            between = round(math.sqrt(max(held) * min(failed)), 1)
            ladder[between] = await step(between, step_seconds)
            held = [r for r, s in ladder.items() if _held(s)]
        browsing = await operators.stop()

        cpu_rate = min(rate, max(held)) if held else min(ladder)
        floor = sender(FLOOR_PATH, floor_bodies, "floor")
        totals = {name: {"web_cpu_seconds": 0.0, "db_cpu_seconds": 0.0, "reports": 0, "errors": 0}
                  for name in ("intake", "floor")}
        for name, send in (("intake", intake), ("floor", floor)) * 2:
            meter = CpuMeter(env, server)
            meter.begin()
            result = await step(cpu_rate, seconds / 2, send)
            used = meter.end()
            total = totals[name]
            total["web_cpu_seconds"] += used["web_cpu_seconds"]
            total["db_cpu_seconds"] += used["db_cpu_seconds"]
            total["reports"] += result["ok_with_warmup"]
            total["errors"] += result["errors"]
        for total in totals.values():
            reports = max(total["reports"], 1)
            total["web_cpu_ms_per_report"] = round(total["web_cpu_seconds"] / reports * 1000, 2)
            total["db_cpu_ms_per_report"] = round(total["db_cpu_seconds"] / reports * 1000, 2)
            total["cpu_ms_per_report"] = round(total["web_cpu_ms_per_report"] + total["db_cpu_ms_per_report"], 2)
    finally:
        await pool.close()
    return {
        **target, "operators": browsing,
        "steps": [{"offered_per_second": r, **{k: s[k] for k in ("p50_ms", "p99_ms", "errors", "answered_per_second")}}
                  for r, s in sorted(ladder.items())],
        "max_rate_within_p99": max(held) if held else None,
        "cpu": {"offered_per_second": cpu_rate, **totals,
                "ratio_to_floor": round(totals["intake"]["cpu_ms_per_report"]
                                        / max(totals["floor"]["cpu_ms_per_report"], 0.001), 2)},
    }
