"""The run's results: the JSON file bench/results/run-<scale>.json and the table printed at the end."""
import json

from bench.runner import RESULTS, ROOT


def print_table(r: dict) -> None:
    print()
    print(f"citygrid benchmark — {r['scale']:,} cases, {r['city']['unit_grids']:,} unit grids, "
          f"{r['machine']['cpus']} cores ({r['machine'].get('effective_cores')} effective, one-core loop "
          f"{r['machine'].get('loop_seconds')} s), load average {r['machine']['load_average']}")
    print(f"{'target':<52} {'measured':>12}  result")
    for row in r["targets"]:
        verdict = "pending" if row["met"] is None else ("met" if row["met"] else "NOT MET")
        measured = "—" if row["measured"] is None else f"{row['measured']:,}"
        print(f"{row['target']:<52} {measured:>12}  {verdict}")
        if row.get("reason"):
            print(f"    why: {row['reason']}")
    print()
    for name, q in r.get("queues", {}).items():
        print(f"  {name:<40} p50 {q['p50_ms']:>7} ms  p95 {q['p95_ms']:>7} ms")
    if "locator" in r:
        print(f"  locator: {r['locator']['lookups_per_second']:,} lookups/s")
    if "intake" in r:
        i = r["intake"]
        print(f"  intake, open loop: {i['offered_per_second']}/s offered beside {i['operators']['operators']} operators"
              f" → p50 {i['p50_ms']} p99 {i['p99_ms']} ms, {i['errors']} errors; highest within p99 "
              f"{i['max_rate_within_p99']}/s; {i['cpu']['intake']['cpu_ms_per_report']} CPU-ms a report, floor "
              f"{i['cpu']['floor']['cpu_ms_per_report']} ({i['cpu']['ratio_to_floor']}x)")
    for name, pair in r.get("memory_flat", {}).items():
        small, large = pair["small"], pair["large"]
        print(f"  peak RSS, {name + ':':<34} {small['rows']:>9,} rows {small['peak_rss_mb']:>6.0f} MB  "
              f"{large['rows']:>9,} rows {large['peak_rss_mb']:>6.0f} MB")
    print()


def results_write(results: dict) -> None:
    """The results as bench/results/run-<scale>.json, and the table on stdout."""
    out = RESULTS / f"run-{results['scale']}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    print_table(results)
    print(f"wrote {out.relative_to(ROOT)}")
