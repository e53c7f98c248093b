"""The scale runner's verdicts (bench/run.py, issue 7): every target is judged from the run's
figures, and a missed one carries the reason those figures give. The runner itself is not run
here (it builds a city of a million cases); its judging is plain arithmetic over its JSON."""
import pytest

from bench.runner.memory import xlsx_data_rows
from bench.runner.verdicts import TARGETS, targets_judge
from core.xlsx import xlsx_write


def results(**overrides) -> dict:
    """A run's results, shaped as bench/run.py writes them, every target met unless overridden."""
    r = {
        "machine": {"cpus": 2, "effective_cores": 1.6},
        "intake": {"requests_per_second": 320.0, "p99_ms": 120.0, "cpu_ms_per_request": 5.0, "clients": 32},
        "transitions": {"transitions_per_second": 600.0, "cpu_ms_per_write": 3.0},
        "queues": {"operator queue (city)": {"p50_ms": 10.0, "p95_ms": 20.0, "cpu_ms_per_request": 12.0},
                   "search: text": {"p50_ms": 20.0, "p95_ms": 40.0, "cpu_ms_per_request": 30.0,
                                    "web_cpu_ms_per_request": 26.0}},
        "detail": {"api": {"p95_ms": 20.0, "cpu_ms_per_request": 15.0},
                   "page": {"p95_ms": 25.0, "cpu_ms_per_request": 20.0}},
        "assessment": {"seconds": 8.0, "ratio_to_floor": 2.0, "sql_floor_seconds": 4.0, "snapshots": 1000,
                       "counting_connections": 2, "floor_check": {"counts_compared": 5000, "differences": []}},
        "web_worker_peak_rss_mb": 200.0,
        "generate": {"full": {"cases": 1_000_000, "seconds": 10.0, "peak_rss_mb": 400.0,
                              "output": "cpu: python 8.0 s, postgres COPY backends 12.0 s = 50,000 cases per CPU-second"},
                     "small": {"cases": 100_000, "seconds": 1.0, "peak_rss_mb": 380.0}},
        "export": {"peak_rss_mb": 250.0},
        "explain": [{"query": "operator queue (city)", "execution_ms": 1.5},
                    {"query": "search: text", "execution_ms": 12.0},
                    {"query": "case detail API (operator)", "execution_ms": 0.8}],
        "runner_minutes": 7.0,
    }
    for path, value in overrides.items():
        *parents, leaf = path.split("__")
        node = r
        for key in parents:
            node = node[key]
        node[leaf] = value
    return r


def verdicts(r: dict) -> dict[str, dict]:
    return {row["target"].split(" (")[0]: row for row in targets_judge(r)}


def test_every_target_met_has_no_reason():
    judged = targets_judge(results())
    assert len(judged) == 14
    assert all(row["met"] is True for row in judged), [row for row in judged if not row["met"]]
    assert not any("reason" in row for row in judged)


def test_a_missed_rate_names_the_cpu_it_costs_against_the_cores_measured():
    row = verdicts(results(intake__requests_per_second=25.0, intake__cpu_ms_per_request=44.0))["intake ≥ 300 reports/s"]
    assert row["met"] is False and row["measured"] == 25.0
    # 1.6 effective cores at 44 CPU-ms a report: at most 36 reports/s; 300/s needs ≤ 5.3 CPU-ms.
    assert "44.0 CPU-ms per report" in row["reason"]
    assert "at most 36/s" in row["reason"] and "at most 5.3 CPU-ms" in row["reason"]


def test_missed_latency_targets_give_their_own_figures():
    r = results(intake__requests_per_second=25.0, intake__p99_ms=1700.0)
    r["queues"]["search: text"]["p95_ms"] = 150.0
    v = verdicts(r)
    assert "32 clients at 25.0/s wait 1,280 ms" in v["intake p99 ≤ 150 ms"]["reason"]
    queue = v["queue and search p95 ≤ 50 ms"]
    assert queue["met"] is False and queue["measured"] == 150.0
    assert queue["target"].endswith("(worst: search: text)")
    assert queue["reason"].startswith("1 of 2 lists above 50 ms: search: text p95 150.0 ms (SQL 12.0 ms, Python 26.0 CPU-ms)")


def test_generate_reason_splits_python_from_postgres():
    row = verdicts(results(generate__full__seconds=200.0))["generate_cases ≥ 50,000 cases/s"]
    assert row["met"] is False and row["measured"] == 5000
    assert "60% of its 20 CPU-seconds are PostgreSQL's" in row["reason"]


def test_memory_targets_judge_the_export_and_the_generation_ratio():
    v = verdicts(results(export__peak_rss_mb=TARGETS["export_rss_mb"] + 1, generate__small__peak_rss_mb=300.0))
    assert v["Excel export of 100,000 cases < 500 MB resident"]["met"] is False
    assert v["generate_cases peak RSS: larger ≤ 1.2 x smaller"]["measured"] == 1.33
    assert v["generate_cases peak RSS: larger ≤ 1.2 x smaller"]["met"] is False


def test_a_phase_not_run_is_pending_not_met_or_missed():
    r = results()
    del r["export"]
    row = verdicts(r)["Excel export of 100,000 cases < 500 MB resident"]
    assert row["met"] is None and row["measured"] is None and "reason" not in row


def test_counts_differing_from_the_sql_floor_are_a_missed_target_with_examples():
    r = results()
    r["assessment"]["floor_check"]["differences"] = ["dispatcher  3 dispatched: floor 10, stored 11"]
    row = verdicts(r)["assessment's counts = the SQL floor's"]
    assert row["met"] is False and row["measured"] == 1
    assert "dispatcher  3 dispatched: floor 10, stored 11" in row["reason"]


def test_each_streaming_command_is_judged_flat_in_n_from_its_two_sizes():
    r = results()
    r["memory_flat"] = {
        "components import (csv)": {"small": {"rows": 10_000, "peak_rss_mb": 100.0},
                                    "large": {"rows": 100_000, "peak_rss_mb": 130.0}, "ratio": 1.3},
        "assessment": {"small": {"rows": 250_000, "peak_rss_mb": 200.0},
                       "large": {"rows": 1_000_000, "peak_rss_mb": 210.0}, "ratio": 1.05},
    }
    judged = {row["target"]: row for row in targets_judge(r)}
    grown = judged["memory flat in N, components import (csv): larger ≤ 1.2 x"]
    assert (grown["met"], grown["measured"]) == (False, 1.3)
    assert grown["reason"] == "10,000 rows took 100.0 MB, 100,000 took 130.0 MB"
    flat = judged["memory flat in N, assessment: larger ≤ 1.2 x"]
    assert flat["met"] is True and "reason" not in flat


@pytest.mark.parametrize("piece_bytes", [7, 1 << 20], ids=["markers cut between pieces", "one piece"])
def test_the_export_check_counts_the_data_rows_of_the_file(tmp_path, piece_bytes):
    path = tmp_path / "export.xlsx"
    with path.open("wb") as target:
        xlsx_write(target, title="案件", headers=["编号", "描述"], rows=([n, f"第{n}行"] for n in range(1234)))
    assert xlsx_data_rows(path, piece_bytes) == 1234
