"""HTTP load on the gunicorn under test: a minimal keep-alive client, the intake's concurrent clients,
timed sequential GETs; and the Celery worker and Redis databases that run beside it."""
import asyncio
import os
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
                length, close = 0, False
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
