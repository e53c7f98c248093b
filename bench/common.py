"""Helpers shared by the benchmark scripts: timestamped progress lines, percentiles, a process's
memory, and the gunicorn server they measure."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", flush=True)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of the values; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def memory_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    """A memory figure of a process from /proc/<pid>/status, in MB (0 when it has gone): VmRSS is
    its resident size now, VmHWM the peak of its own address space. (getrusage's ru_maxrss is no
    peak of the child's own: Linux carries the parent's peak into a child across fork and exec.)"""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def stop_process_group(process: subprocess.Popen, *, timeout: float = 30) -> None:
    """Stop a server started in its own process group (start_new_session=True): SIGTERM to the
    group, then SIGKILL if it has not exited within `timeout` seconds."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn on 127.0.0.1 with gthread workers, configured by bench/gunicorn_conf.py (the app
    preloaded and the locator's index built before the fork), for `clients` keep-alive clients.

    Each worker accepts at most its share of the clients' connections (--worker-connections): a
    keep-alive connection stays with the worker that accepted it, and without the cap the first
    worker to wake took all 32 of bench/run.py's clients and served them on one core (one process,
    one GIL) while the others idled."""

    def __init__(self, env: dict, *, workers: int, threads: int, port: int, clients: int, log_path: Path,
                 timeout: int = 60):
        self.port = port
        self.log_path = log_path
        share = -(-clients // workers) + 1  # ceil, plus one for a connection in passing
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "citygrid.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
             "--worker-connections", str(max(share, threads)), "--keep-alive", "30", "--timeout", str(timeout),
             "--backlog", "2048", "--log-level", "info", "--preload", "--config", str(ROOT / "bench" / "gunicorn_conf.py")],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log_path.open("w"), start_new_session=True)
        self.peak_rss_mb = 0.0
        deadline = time.time() + 90
        while time.time() < deadline and self.process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit(f"gunicorn did not start; see {log_path}")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def probe(self) -> None:
        """Record the workers' peak resident size so far."""
        for pid in self.workers():
            self.peak_rss_mb = max(self.peak_rss_mb, memory_mb(pid))

    def stop(self) -> None:
        stop_process_group(self.process)
