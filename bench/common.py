"""Helpers shared by the benchmark scripts: timestamped progress lines and percentiles."""
import time


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", flush=True)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of the values; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]
