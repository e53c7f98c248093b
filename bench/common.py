"""Helpers shared by the benchmark scripts: timestamped progress lines, percentiles, and stopping
the servers they start."""
import os
import signal
import subprocess
import time


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", flush=True)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of the values; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def stop_process_group(process: subprocess.Popen, *, timeout: float = 30) -> None:
    """Stop a server started in its own process group (start_new_session=True): SIGTERM to the
    group, then SIGKILL if it has not exited within `timeout` seconds."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
