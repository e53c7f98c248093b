"""The scale-and-speed runner behind bench/run.py, a module a phase: history, moves, load, queries,
assess, memory (the measurements), phases (their order), verdicts and report; its paths here."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
BENCH_TEXT = "基准测试"  # the cases the benchmark reports itself start with this
EXPORT_ROWS = 100_000
