"""The machine a run is measured on (one core's speed, the cores it delivers) and the CPU its
processes use: the web workers' and the database backends' over a window."""
import multiprocessing
import os
import platform
import time
from pathlib import Path

import psycopg


def _spin(_=None) -> float:
    """Seconds for a fixed pure-Python loop (5 million additions)."""
    started = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i
    return time.perf_counter() - started


def core_speed() -> tuple[float, float]:
    """(seconds for the loop on one core, effective cores). The loop alone tells how fast a core
    is right now (a shared VM's host slows and speeds up over a day: compare runs by it); then once
    on every core at the same time, for how many cores' worth of work the machine delivers (its
    vCPUs can give less than their number). Every concurrent figure, and every reason given for a
    missed rate, is read against these."""
    alone = min(_spin() for _ in range(3))
    n = os.cpu_count() or 1
    with multiprocessing.get_context("fork").Pool(n) as pool:
        together = pool.map(_spin, range(n))
    return round(alone, 3), round(n * alone / (sum(together) / n), 2)


def machine() -> dict:
    load = os.getloadavg()
    loop_seconds, cores = core_speed()
    return {"loop_seconds": loop_seconds, "effective_cores": cores,
        "cpus": os.cpu_count(), "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "python": platform.python_version(), "platform": platform.platform(), "load_average": [round(x, 2) for x in load],
    }


def process_cpu(pids) -> float:
    """user + system CPU seconds of local processes (from /proc; vanished ones count 0)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
    return total


def backend_pids(env: dict) -> list[int]:
    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    with psycopg.connect(env["BENCH_ADMIN_URL"], autocommit=True) as conn:
        return [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid != pg_backend_pid()", [name])]


class CpuMeter:
    """CPU used by the web workers and the database's server processes over a window: with the
    machine shared, requests per CPU-second tell what two idle cores would serve."""

    def __init__(self, env: dict, server=None):
        self.env, self.server = env, server
        self.pids: set[int] = set()
        self.start: dict[int, float] = {}

    def _sample(self) -> dict[int, float]:
        pids = set(backend_pids(self.env)) | (set(self.server.workers()) if self.server else set())
        self.pids |= pids
        return {pid: process_cpu([pid]) for pid in self.pids}

    def begin(self) -> None:
        self.start = self._sample()

    def end(self) -> dict:
        now = self._sample()
        web = set(self.server.workers()) if self.server else set()
        used = {pid: now[pid] - self.start.get(pid, 0.0) for pid in now}
        return {"web_cpu_seconds": round(sum(v for p, v in used.items() if p in web), 2),
                "db_cpu_seconds": round(sum(v for p, v in used.items() if p not in web), 2)}
