"""Peak memory of the streaming commands: the case search's Excel export in a process of its own, and
every export, import and the assessment at two sizes, judged flat in N."""
import csv
import json
import subprocess
import tempfile
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
from openpyxl import load_workbook

from bench.common import log
from bench.runner import EXPORT_ROWS, PYTHON, RESULTS, ROOT
from bench.runner.database import run_measured, scalar
from grids.models import Component, Region, RegionLevel


def measure_export(env: dict, rows: int) -> dict:
    """bench/export.py in a child process: the case search's Excel export of `rows` cases, its
    peak resident memory, and the file read back to count its data rows."""
    path = RESULTS / f"export-{rows}.xlsx"
    process = subprocess.run([PYTHON, str(ROOT / "bench" / "export.py"), "--rows", str(rows), "--out", str(path)],
                             env=env, cwd=ROOT, capture_output=True, text=True)
    if process.returncode:
        raise SystemExit(f"bench/export.py failed ({process.returncode}):\n{process.stdout}\n{process.stderr}")
    result = json.loads(process.stdout.strip().splitlines()[-1])
    result["data_rows_in_file"] = xlsx_data_rows(path)
    workbook = load_workbook(path, read_only=True)  # and a spreadsheet reader opens it: its first rows
    result["first_rows_read"] = len(list(workbook.active.iter_rows(max_row=3, values_only=True)))
    workbook.close()
    path.unlink()
    return result


def xlsx_data_rows(path: Path, piece_bytes: int = 1 << 20) -> int:
    """The rows below the header of the workbook's sheet: its `<row` elements counted in the
    inflated XML, read in pieces (far cheaper than a parse or openpyxl's reader: bench/README.md)."""
    rows, tail = 0, b""
    with zipfile.ZipFile(path) as package, package.open("xl/worksheets/sheet1.xml") as sheet:
        while piece := sheet.read(piece_bytes):
            piece = tail + piece
            rows += piece.count(b"<row ")
            tail = piece[-4:]  # a marker cut by the piece's end is counted in the next
    return rows - 1


def _pair(name: str, small: dict, large: dict) -> dict:
    ratio = round(large["peak_rss_mb"] / small["peak_rss_mb"], 2) if small["peak_rss_mb"] else None
    log(f"memory: {name}: {small['rows']:,} rows {small['peak_rss_mb']:.0f} MB, "
        f"{large['rows']:,} rows {large['peak_rss_mb']:.0f} MB ({ratio}x)")
    return {"small": small, "large": large, "ratio": ratio}


def _measured_command(args: list[str], env: dict, rows: int, label: str) -> dict:
    seconds, peak, _output = run_measured(args, env, label=label)
    return {"rows": rows, "peak_rss_mb": round(peak, 1), "seconds": round(seconds, 1)}


IMPORTED_SOURCE = "基准测试导入"  # the data_source of the components the memory phase imports (removed again)
IMPORT_CODE_OFFSET = 900_000  # added to each exported code's serial: codes no census of the demo city has


def import_file(exported: Path, rows: int, out: Path) -> None:
    """The first `rows` components of an export, as new ones: serials moved past the census's own,
    the source marked, so the import creates every row and the phase can remove them again."""
    with exported.open(encoding="utf-8-sig", newline="") as source, out.open("w", encoding="utf-8", newline="") as sink:
        reader, writer = csv.DictReader(source), None
        for number, row in enumerate(reader):
            if number == rows:
                break
            if writer is None:
                writer = csv.DictWriter(sink, fieldnames=reader.fieldnames)
                writer.writeheader()
            code = row["code"]
            row["code"] = f"{code[:10]}{int(code[10:]) + IMPORT_CODE_OFFSET:06d}"
            row["data_source"] = IMPORTED_SOURCE
            writer.writerow(row)


def imported_remove(env: dict) -> int:
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        return conn.execute("DELETE FROM grids_component WHERE data_source = %s", [IMPORTED_SOURCE]).rowcount


def measure_memory_flat(env: dict, *, export_large: dict, month: str) -> dict:
    """Peak resident memory of each streaming command at two sizes, each in a process of its own
    (issue 7: memory flat in N, the larger at most 20 % above the smaller): the case search's
    Excel export (a tenth of EXPORT_ROWS against the export phase's own), the components' export
    in csv and xlsx (one district against the city), their import (10,000 against 100,000 new
    components, removed again) and the assessment (one week of the month against the month: the
    same objects, a quarter of the cases)."""
    pairs = {}
    pairs["case search Excel export"] = _pair("case search Excel export", measure_export(env, EXPORT_ROWS // 10),
                                              export_large)
    district = (Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code").values_list("code", flat=True)
                .first())
    in_district = Component.objects.filter(unit_grid__district__code=district).count()
    everything = Component.objects.count()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for fmt in ("csv", "xlsx"):
            out = folder / f"components.{fmt}"
            small = _measured_command(["export_components", str(out), "--district", district], env, in_district,
                                      f"export_components {fmt} (one district)")
            large = _measured_command(["export_components", str(out)], env, everything,
                                      f"export_components {fmt} (the city)")
            pairs[f"components export ({fmt})"] = _pair(f"components export ({fmt})", small, large)
        (folder / "components.csv").unlink()
        _measured_command(["export_components", str(folder / "components.csv")], env, everything, "export_components")
        measured = {}
        for rows in (10_000, 100_000):
            path = folder / f"import-{rows}.csv"
            import_file(folder / "components.csv", rows, path)
            imported_remove(env)
            try:
                measured[rows] = _measured_command(["import_components", str(path)], env, rows,
                                                   f"import_components ({rows:,})")
            finally:
                imported_remove(env)
        pairs["components import (csv)"] = _pair("components import (csv)", measured[10_000], measured[100_000])
    first = datetime.strptime(f"{month}-01", "%Y-%m-%d")
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    year, week, _day = monday.isocalendar()
    cases_in = {label: scalar(env, "SELECT count(*) FROM cases_case WHERE reported_at >= %s AND reported_at < %s",
                              bounds) for label, bounds in
                {"week": [monday, monday + timedelta(days=7)],
                 "month": [first, (first + timedelta(days=32)).replace(day=1)]}.items()}
    small = _measured_command(["assess", "--period", f"{year}-W{week:02d}", "--limit", "1"], env, cases_in["week"],
                              "assess (a week)")
    large = _measured_command(["assess", "--period", month, "--limit", "1"], env, cases_in["month"],
                              "assess (the month)")
    pairs["assessment"] = _pair("assessment", small, large)
    return pairs
