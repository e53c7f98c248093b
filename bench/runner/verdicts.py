"""The targets of issue 7 and their verdicts: each judged from a run's results, met or not, and for
a missed one the reason the run's own figures give."""
import re

from bench.runner import EXPORT_ROWS

TARGETS = {
    "intake_offered_rps": 100, "intake_p99_ms": 150, "intake_floor_ratio": 2, "transitions_per_s": 500, "queue_p95_ms": 50,
    "detail_p95_ms": 30, "assessment_s": 10, "assessment_floor_ratio": 1.5, "worker_rss_mb": 300,
    "generate_cases_per_s": 50_000, "generate_rss_ratio": 1.2, "runner_minutes": 15, "export_rss_mb": 500,
    "flat_rss_ratio": 1.2, "move_floor_ratio": 2, "generate_floor_ratio": 1.5,
}
T_INTAKE_RATE = TARGETS["intake_offered_rps"]


def _figure(results: dict, path: str):
    value = results
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _generate_cpu(r: dict) -> tuple[float, float] | None:
    """(python, PostgreSQL) CPU seconds of the full generate_cases run, from its last output line."""
    match = re.search(r"python ([\d.]+) s, postgres COPY backends ([\d.]+) s",
                      _figure(r, "generate.full.output") or "")
    return (float(match[1]), float(match[2])) if match else None


def _cpu_bound(rate_name: str, cpu_ms: float | None, target: float, r: dict) -> str:
    """The reason a rate is missed when the work is CPU-bound: what the measured CPU per request
    allows on the cores this machine delivers."""
    cores = _figure(r, "machine.effective_cores") or r["machine"]["cpus"]
    if not cpu_ms:
        return "no CPU figure measured"
    return (f"CPU-bound: {cpu_ms} CPU-ms per {rate_name} (web + database) on {cores} effective cores "
            f"allows at most {cores * 1000 / cpu_ms:,.0f}/s; {target:,}/s needs at most "
            f"{cores * 1000 / target:.1f} CPU-ms each")


def _intake_figure(r: dict, key: str, none_held):
    """An open-loop figure; when the run measured the intake but no report was answered in time (no
    p99) or no rate held (no highest rate), the bound that stands for it: the drain limit of 10 s,
    or 0 reports/s."""
    if "intake" not in r:
        return None
    value = r["intake"].get(key)
    return none_held if value is None else value


def _reason_intake_latency(r: dict) -> str:
    """The open loop's p99 missed: how busy the window kept the cores, and whether the client fell
    behind its own schedule."""
    i = r["intake"]
    cores = _figure(r, "machine.effective_cores") or r["machine"]["cpus"]
    cpu_ms = i["cpu"]["intake"]["cpu_ms_per_report"]
    return (f"at {i['offered_per_second']}/s offered the web workers and the database used {i['window_cpu_cores']} "
            f"of {cores} effective cores (the reports alone {i['offered_per_second'] * cpu_ms / 1000:.2f} at "
            f"{cpu_ms} CPU-ms each, the rest the {i['operators']['operators']} operators' "
            f"{i['operators']['pages']:,} pages); the answers waited for the CPU ("
            + (f"p50 {i['p50_ms']} ms" if i["p50_ms"] is not None else "none within 10 s") + "); "
            f"the client's own lag behind its schedule, p99 {i['send_lag_p99_ms']} ms")


def _reason_intake_rate(r: dict) -> str:
    steps = ", ".join(f"{s['offered_per_second']}/s → p99 {s['p99_ms']} ms ({s['errors']} errors)"
                      for s in r["intake"]["steps"])
    return (f"the steps: {steps}; "
            + _cpu_bound("report", _figure(r, "intake.cpu.intake.cpu_ms_per_report"), T_INTAKE_RATE, r))


def _reason_intake_floor(r: dict) -> str:
    """What the intake spends beyond its floor, by side: web worker (Python) and database."""
    cpu = r["intake"]["cpu"]
    real, floor = cpu["intake"], cpu["floor"]
    return (f"at {cpu['offered_per_second']}/s the intake took {real['cpu_ms_per_report']} CPU-ms a report "
            f"(web {real['web_cpu_ms_per_report']}, database {real['db_cpu_ms_per_report']}), the floor "
            f"{floor['cpu_ms_per_report']} (web {floor['web_cpu_ms_per_report']}, database "
            f"{floor['db_cpu_ms_per_report']}): {real['web_cpu_ms_per_report'] - floor['web_cpu_ms_per_report']:.1f} "
            f"CPU-ms more Python (token, serializer, look-ups, ORM, outbox publish) and "
            f"{real['db_cpu_ms_per_report'] - floor['db_cpu_ms_per_report']:.1f} more in the database")


def _reason_queue(r: dict) -> str:
    """Each list above the target: its SQL time (the EXPLAIN ANALYZE of its statements) against
    the CPU its web worker spent per request."""
    sql: dict[str, float] = {}
    for row in r.get("explain", []):
        sql[row["query"].strip()] = sql.get(row["query"].strip(), 0.0) + (row.get("execution_ms") or 0.0)
    slow = sorted(((name, q) for name, q in r.get("queues", {}).items() if q["p95_ms"] > TARGETS["queue_p95_ms"]),
                  key=lambda item: -item[1]["p95_ms"])
    parts = []
    for name, q in slow:
        key = next((k for k in sql if k.replace(" ", "") == name.replace(" ", "")), None)
        where = f"SQL {sql[key]:.1f} ms, " if key is not None else ""
        parts.append(f"{name} p95 {q['p95_ms']} ms ({where}Python {q.get('web_cpu_ms_per_request', '?')} CPU-ms)")
    return (f"{len(slow)} of {len(r.get('queues', {}))} lists above {TARGETS['queue_p95_ms']} ms: " + "; ".join(parts)
            + ". Where the SQL is small, the time is Django and DRF building the page in Python")


def _reason_detail(kind: str, r: dict) -> str:
    cpu_ms = _figure(r, f"detail.{kind}.cpu_ms_per_request")
    reason = f"{cpu_ms} CPU-ms per request (web + database)"
    if cpu_ms and cpu_ms > TARGETS["detail_p95_ms"]:
        reason += f", more than the {TARGETS['detail_p95_ms']} ms target on its own"
    sql = [row["execution_ms"] for row in r.get("explain", [])
           if row["query"].startswith("case detail") and row.get("execution_ms") is not None]
    if kind == "api" and sql:
        reason += f"; its main statement runs in {sql[0]:.1f} ms (EXPLAIN ANALYZE)"
    return reason + ": the rest is Python (Django's middleware, authentication, the ORM, the rendering)"


def _reason_assessment_time(r: dict) -> str:
    a = r.get("assessment", {})
    return (f"its one-query SQL floor alone takes {a.get('sql_floor_seconds')} s on this machine; the assessment "
            f"counts on {a.get('counting_connections', 2)} connections and then scores and writes "
            f"{a.get('snapshots') or 0:,} snapshots")


def _reason_generate(r: dict) -> str:
    cpu = _generate_cpu(r)
    if not cpu:
        return "no CPU breakdown in generate_cases' output"
    python, postgres = cpu
    cases = _figure(r, "generate.full.cases")
    return (f"{postgres / (python + postgres):.0%} of its {python + postgres:,.0f} CPU-seconds are PostgreSQL's "
            f"(COPY of about 16 rows per case into the case, step, event, task and request tables, then the "
            f"index builds): {cases / (python + postgres):,.0f} cases per CPU-second")


def _reason_move_floor(r: dict) -> str:
    """Each move's CPU against the floor of its writes: what the workflow adds (reads, checks, the ORM)."""
    m = r["move_floor"]
    moves = "; ".join(f"{name} {v['cpu_ms']} vs {v['floor_cpu_ms']} ms ({v['writes']} writes)"
                      for name, v in m["moves"].items())
    return (f"a loop of {len(m['moves'])} moves takes {m['cpu_ms_per_loop']} CPU-ms (process + database) where "
            f"its writes alone take {m['floor_cpu_ms_per_loop']}: {moves}. The rest is the lock, the reads and "
            "checks, and the ORM compiling each statement")


def _reason_generate_floor(r: dict) -> str:
    f = r["generate"]["copy_floor"]
    if "error" in f:
        return f"the floor failed: {f['error']}"
    return (f"{f['cases']:,} cases: generate_cases {f['generate_cpu_seconds']} CPU-s ({f['generate_seconds']} s), "
            f"COPYing its rows {f['cpu_seconds']} CPU-s ({f['seconds']} s, of which index builds "
            f"{f['index_seconds']} s): the rest is making and formatting the rows in Python")


def targets_judge(r: dict) -> list[dict]:
    """Each target with its measured figure, met or not, and for a missed one the reason as this
    run's own measurements show it (CPU per request against the cores the machine delivers, SQL
    time from the plans, the SQL floor)."""
    T = TARGETS
    queues = r.get("queues", {})
    worst_queue = max(queues.items(), key=lambda kv: kv[1]["p95_ms"], default=(None, None))[0]
    full, small = _figure(r, "generate.full") or {}, _figure(r, "generate.small") or {}
    rate = round(full["cases"] / full["seconds"]) if full else None
    rss_ratio = round(full["peak_rss_mb"] / small["peak_rss_mb"], 2) if full and small else None
    check = _figure(r, "assessment.floor_check")
    differences = len(check["differences"]) if check else None
    filtered = _figure(r, "assessment.filtered.floor_check")
    filtered_differences = len(filtered["differences"]) if filtered else None
    passes = (_figure(r, "assessment.passes"), _figure(r, "assessment.filtered.passes"))
    extra_passes = passes[1] - passes[0] if None not in passes else None
    rows = [
        ("intake, open loop at 100/s offered: p99 ≤ 150 ms", _intake_figure(r, "p99_ms", 10_000.0),
         lambda v: v <= T["intake_p99_ms"], lambda: _reason_intake_latency(r)),
        ("intake, open loop at 100/s offered: errors", _figure(r, "intake.errors"), lambda v: v == 0,
         lambda: f"answers other than 201 with the case number: {r['intake']['outcomes']}"),
        ("intake: highest offered rate with p99 ≤ 150 ms ≥ 100/s", _intake_figure(r, "max_rate_within_p99", 0),
         lambda v: v >= T["intake_offered_rps"], lambda: _reason_intake_rate(r)),
        ("intake CPU per report ≤ 2 x its floor", _figure(r, "intake.cpu.ratio_to_floor"),
         lambda v: v <= T["intake_floor_ratio"], lambda: _reason_intake_floor(r)),
        ("transitions ≥ 500/s", _figure(r, "transitions.transitions_per_second"),
         lambda v: v >= T["transitions_per_s"],
         lambda: _cpu_bound("write", _figure(r, "transitions.cpu_ms_per_write"), T["transitions_per_s"], r)),
        (f"queue and search p95 ≤ 50 ms (worst: {worst_queue})", max((q["p95_ms"] for q in queues.values()),
                                                                     default=None),
         lambda v: v <= T["queue_p95_ms"], lambda: _reason_queue(r)),
        ("detail API p95 ≤ 30 ms", _figure(r, "detail.api.p95_ms"), lambda v: v <= T["detail_p95_ms"],
         lambda: _reason_detail("api", r)),
        ("detail page p95 ≤ 30 ms", _figure(r, "detail.page.p95_ms"), lambda v: v <= T["detail_p95_ms"],
         lambda: _reason_detail("page", r)),
        ("assessment of the month ≤ 10 s", _figure(r, "assessment.seconds"), lambda v: v <= T["assessment_s"],
         lambda: _reason_assessment_time(r)),
        ("assessment ≤ 1.5 x SQL floor", _figure(r, "assessment.ratio_to_floor"),
         lambda v: v <= T["assessment_floor_ratio"],
         lambda: "the floor counts the same in one query; the assessment also scores, ranks and writes every "
                 f"snapshot and composite, with {_figure(r, 'machine.effective_cores')} effective cores to overlap "
                 "them"),
        ("assessment's counts = the SQL floor's (differences)", differences, lambda v: v == 0,
         lambda: "e.g. " + "; ".join(r["assessment"]["floor_check"]["differences"][:3])),
        ("assessment's filtered counts = the SQL floor's (differences)", filtered_differences, lambda v: v == 0,
         lambda: "e.g. " + "; ".join(r["assessment"]["filtered"]["floor_check"]["differences"][:3])),
        ("filtered catalogue: passes more than the default's", extra_passes, lambda v: v <= 0,
         lambda: f"{r['assessment']['filtered']['passes']} passes against {r['assessment']['passes']}"),
        ("a move of the loop: CPU ≤ 2 x the floor of its writes", _figure(r, "move_floor.ratio_to_floor"),
         lambda v: v <= T["move_floor_ratio"], lambda: _reason_move_floor(r)),
        ("generate_cases ≤ 1.5 x the floor of COPYing its rows (CPU)", _figure(r, "generate.copy_floor.cpu_ratio_to_floor"),
         lambda v: v <= T["generate_floor_ratio"], lambda: _reason_generate_floor(r)),
        ("web worker RSS < 300 MB", r.get("web_worker_peak_rss_mb"), lambda v: v < T["worker_rss_mb"], None),
        ("generate_cases ≥ 50,000 cases/s", rate, lambda v: v >= T["generate_cases_per_s"],
         lambda: _reason_generate(r)),
        ("generate_cases peak RSS: larger ≤ 1.2 x smaller", rss_ratio, lambda v: v <= T["generate_rss_ratio"], None),
        (f"Excel export of {EXPORT_ROWS:,} cases < 500 MB resident", _figure(r, "export.peak_rss_mb"),
         lambda v: v < T["export_rss_mb"], None),
        *[(f"memory flat in N, {name}: larger ≤ 1.2 x", pair["ratio"],
           lambda v: v <= T["flat_rss_ratio"],
           lambda pair=pair: f"{pair['small']['rows']:,} rows took {pair['small']['peak_rss_mb']} MB, "
                             f"{pair['large']['rows']:,} took {pair['large']['peak_rss_mb']} MB")
          for name, pair in r.get("memory_flat", {}).items()],
        ("runner < 15 minutes", r.get("runner_minutes"), lambda v: v < T["runner_minutes"],
         lambda: f"generate_cases took {(full.get('seconds', 0) + small.get('seconds', 0)) / 60:.1f} of its "
                 f"minutes ({full.get('cases', 0):,} and {small.get('cases', 0):,} cases)"),
    ]
    judged = []
    for name, value, check, reason in rows:
        row = {"target": name, "measured": value, "met": None if value is None else bool(check(value))}
        if row["met"] is False:
            row["reason"] = reason() if reason else "not analysed"
        judged.append(row)
    return judged
