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
    print(f"  locator: {r['locator']['lookups_per_second']:,} lookups/s")
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
