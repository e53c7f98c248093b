"""HTTP load on the gunicorn under test: a minimal keep-alive client, the intake's concurrent clients,
timed sequential GETs; and the Celery worker and Redis databases that run beside it."""
import asyncio
import os
import random
import subprocess
import time
from pathlib import Path

import redis

from bench.common import percentile, stop_process_group
from bench.runner import PYTHON, RESULTS, ROOT
from bench.runner.machine import CpuMeter


class HttpClient:
    """A minimal HTTP/1.1 client on asyncio streams: keep-alive when the server allows it."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
        for attempt in range(2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: keep-alive",
                    f"Content-Length: {len(body)}"] + [f"{k}: {v}" for k, v in headers.items()]
            try:
                self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
                await self.writer.drain()
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionError("closed")
                status = int(status_line.split()[1])
                length, close, chunked = 0, False, False
                while True:
                    line = await self.reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    key, _sep, value = line.decode("latin-1").partition(":")
                    key = key.strip().lower()
                    if key == "content-length":
                        length = int(value.strip())
                    elif key == "connection" and value.strip().lower() == "close":
                        close = True
                    elif key == "transfer-encoding" and "chunked" in value.lower():
                        chunked = True
                if chunked:  # a response without Content-Length (e.g. /healthz, answered before it is set)
                    content = b""
                    while size := int((await self.reader.readline()).split(b";")[0], 16):
                        content += (await self.reader.readexactly(size + 2))[:-2]
                    await self.reader.readline()  # the empty trailer
                else:
                    content = await self.reader.readexactly(length) if length else b""
                if close:
                    await self.close()
                return status, content
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                await self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


async def intake_load(port: int, token: str, bodies: list[bytes], *, clients: int, warmup: float,
                      duration: float, rss_probe, meter: CpuMeter) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop_at = time.perf_counter() + warmup + duration
    measure_from = time.perf_counter() + warmup
    counter = [0]

    async def client(number: int) -> None:
        http = HttpClient("127.0.0.1", port)
        try:
            while time.perf_counter() < stop_at:
                counter[0] += 1
                body = bodies[counter[0] % len(bodies)]
                headers = {"Authorization": f"Token {token}", "Content-Type": "application/json",
                           "Idempotency-Key": f"bench-{os.getpid()}-{number}-{counter[0]}-{time.time_ns()}"}
                started = time.perf_counter()
                status, _content = await http.request("POST", "/api/cases/", headers, body)
                finished = time.perf_counter()
                if started >= measure_from:
                    latencies.append(finished - started)
                    statuses[status] = statuses.get(status, 0) + 1
        finally:
            await http.close()

    async def probe() -> None:
        await asyncio.sleep(max(measure_from - time.perf_counter(), 0))
        meter.begin()
        while time.perf_counter() < stop_at:
            rss_probe()
            await asyncio.sleep(0.5)

    started = time.perf_counter()
    await asyncio.gather(probe(), *(client(i) for i in range(clients)))
    measured = time.perf_counter() - started - warmup
    cpu = meter.end()
    ok = sum(count for status, count in statuses.items() if status in (200, 201))
    per_request = (cpu["web_cpu_seconds"] + cpu["db_cpu_seconds"]) / max(ok, 1)
    return {
        **cpu, "cpu_ms_per_request": round(per_request * 1000, 1),
        "capacity_on_idle_cores_per_second": round((os.cpu_count() or 2) / per_request) if ok else None,
        "clients": clients, "seconds": round(measured, 1), "requests": len(latencies), "ok": ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "requests_per_second": round(ok / measured, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1), "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
    }


async def timed_gets(port: int, headers: dict, paths: list[str], *, warmup: int = 3,
                     max_seconds: float = 20.0) -> dict:
    """Sequential GETs on one keep-alive connection; stops early after max_seconds (slow queries)."""
    http = HttpClient("127.0.0.1", port)
    times, statuses = [], {}
    try:
        for path in paths[:warmup]:
            await http.request("GET", path, headers)
        stop_at = time.perf_counter() + max_seconds
        for path in paths:
            if time.perf_counter() > stop_at and len(times) >= 10:
                break
            started = time.perf_counter()
            status, _body = await http.request("GET", path, headers)
            times.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        await http.close()
    return {"n": len(times), "statuses": {str(k): v for k, v in statuses.items()},
            "p50_ms": round(percentile(times, 50) * 1000, 1), "p95_ms": round(percentile(times, 95) * 1000, 1)}


class CeleryWorker:
    """A Celery worker on the bench's Redis database, running while the writes are measured, as in
    production: the reports' side effects (the outbox's tasks) are published to Redis and done by
    it, not run inside the request as with in-process Celery."""

    def __init__(self, env: dict):
        self.process = subprocess.Popen(
            [str(Path(PYTHON).parent / "celery"), "-A", "citygrid", "worker", "--pool", "solo", "--loglevel",
             "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(RESULTS / "celery.log", "w"),  # noqa: SIM115
            start_new_session=True)

    def stop(self) -> None:
        stop_process_group(self.process)


def redis_flush(url: str) -> None:
    """Empty the bench's own Redis database (messages left by an earlier, interrupted run)."""
    redis.Redis.from_url(url).flushdb()


class ConnectionPool:
    """Keep-alive connections for an open loop's sends: an idle one when there is one, a new one up
    to `limit`, else the send waits (and that wait counts in its latency)."""

    def __init__(self, port: int, limit: int):
        self.port = port
        self.idle: list[HttpClient] = []
        self.slots = asyncio.Semaphore(limit)

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
        async with self.slots:
            http = self.idle.pop() if self.idle else HttpClient("127.0.0.1", self.port)
            try:
                answer = await http.request(method, path, headers, body)
            except BaseException:
                await http.close()
                raise
            self.idle.append(http)
            return answer

    async def close(self) -> None:
        for http in self.idle:
            await http.close()
        self.idle.clear()


async def open_loop(send, *, rate: float, seconds: float, warmup: float, seed: int,
                    drain_seconds: float = 30.0) -> dict:
    """Sends at `rate` a second on average, spaced by exponential gaps (Poisson arrivals), each in a
    task of its own: the schedule never waits for an answer. A send's latency runs from the moment
    it was due, so a send that waited for a connection or for this loop counts that wait (no
    coordinated omission). `send(number)` returns True for a right answer. Sends still unanswered
    `drain_seconds` after the last one was due are cancelled and count as errors."""
    rng = random.Random(seed)
    latencies: list[float] = []
    lags: list[float] = []
    outcomes: dict[str, int] = {}
    answered = [0]  # right answers, the warm-up's included (for CPU per report over the whole window)
    tasks: set[asyncio.Task] = set()
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds

    async def one(number: int, due: float) -> None:
        lags.append(time.perf_counter() - due)
        try:
            outcome = "ok" if await send(number) else "wrong answer"
        except asyncio.CancelledError:
            outcome = "unanswered"
        except Exception as error:  # noqa: BLE001 - any failure of a send is an error of the run
            outcome = type(error).__name__
        answered[0] += outcome == "ok"
        if due >= measure_from:
            if outcome == "ok":
                latencies.append(time.perf_counter() - due)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1

    due, number = start, 0
    while True:
        due += rng.expovariate(rate)
        if due >= stop_at:
            break
        await asyncio.sleep(max(due - time.perf_counter(), 0))
        number += 1
        task = asyncio.create_task(one(number, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        _done, pending = await asyncio.wait(set(tasks), timeout=drain_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    sent = sum(outcomes.values())
    errors = sent - outcomes.get("ok", 0)
    return {
        "offered_per_second": round(rate, 1), "seconds": seconds, "sent": sent, "ok": outcomes.get("ok", 0),
        "errors": errors, "outcomes": outcomes, "ok_with_warmup": answered[0], "answered_per_second": round(outcomes.get("ok", 0) / seconds, 1),
        "p50_ms": _ms(latencies, 50), "p95_ms": _ms(latencies, 95), "p99_ms": _ms(latencies, 99),
        "send_lag_p99_ms": _ms(lags, 99),
    }


def _ms(values: list[float], q: float) -> float | None:
    return round(percentile(values, q) * 1000, 1) if values else None


class Operators:
    """`count` operators browsing while the intake is measured, each on a keep-alive connection of
    their own and signed in by a session: their queue page, then a case's page from the sample, an
    exponential pause (mean `think` seconds) after each page. Records each kind's latency."""

    def __init__(self, port: int, sessions: list[str], queue_path: str, case_ids: list[int], *,
                 think: float, seed: int):
        self.port, self.sessions, self.queue_path, self.case_ids = port, sessions, queue_path, case_ids
        self.think, self.seed = think, seed
        self.times: dict[str, list[float]] = {"queue page": [], "case page": []}
        self.statuses: dict[str, int] = {}
        self.tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self.tasks = [asyncio.create_task(self._browse(session, i)) for i, session in enumerate(self.sessions)]

    async def _browse(self, session: str, number: int) -> None:
        rng = random.Random(self.seed * 1000 + number)
        http = HttpClient("127.0.0.1", self.port)
        headers = {"Cookie": f"sessionid={session}", "Accept": "text/html"}
        try:
            await asyncio.sleep(rng.uniform(0, self.think))  # not all in the same millisecond
            while True:
                for kind, path in (("queue page", self.queue_path),
                                   ("case page", f"/cases/{rng.choice(self.case_ids)}/")):
                    started = time.perf_counter()
                    try:
                        status, _body = await http.request("GET", path, headers)
                    except (ConnectionError, OSError, asyncio.IncompleteReadError) as error:
                        status = type(error).__name__
                    self.times[kind].append(time.perf_counter() - started)
                    self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
                    await asyncio.sleep(rng.expovariate(1 / self.think))
        finally:
            await http.close()

    async def stop(self) -> dict:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        pages = sum(len(v) for v in self.times.values())
        return {"operators": len(self.sessions), "think_seconds": self.think, "pages": pages,
                "errors": pages - self.statuses.get("200", 0), "statuses": self.statuses,
                **{kind: {"p50_ms": _ms(v, 50), "p95_ms": _ms(v, 95)} for kind, v in self.times.items()}}
