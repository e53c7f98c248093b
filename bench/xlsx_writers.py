"""Our streaming .xlsx writer (core.xlsx) against XlsxWriter's constant-memory mode on the case
search's export shape: N rows of 14 columns (text, numbers, date-times), each writer in a process
of its own, so that peak memory is its own. Prints seconds, peak resident MB and file size.

    .venv/bin/python bench/xlsx_writers.py --rows 100000 --repeat 3
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

HEADERS = ["案件编号", "来源", "类型", "大类", "小类", "状态", "紧急程度", "问题描述", "地址", "区", "街道",
           "处置部门", "上报时间", "时限"]


def rows(count: int):
    start = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    for index in range(count):
        at = start + timedelta(minutes=index)
        yield [f"2026{index:08d}", "监督员上报", "事件", "市容环境", "暴露垃圾", "处置中", "一般",
               f"人行道上有暴露垃圾，第{index}处，请尽快清理", f"东风路{index % 500}号", "东区", "东街道",
               "东区环卫所", at, at + timedelta(hours=4)]


def write_ours(path: str, count: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citygrid.settings")
    django.setup()
    from core.xlsx import xlsx_write

    with open(path, "wb") as target:
        xlsx_write(target, title="案件", headers=HEADERS, rows=rows(count))


def write_xlsxwriter(path: str, count: int) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "remove_timezone": True})
    sheet = workbook.add_worksheet("案件")
    bold = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(0, 0, HEADERS, bold)
    sheet.freeze_panes(1, 0)
    for number, row in enumerate(rows(count), start=1):
        for column, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write_datetime(number, column, value, when)
            else:
                sheet.write(number, column, value)
    workbook.close()


def child(writer: str, count: int) -> None:
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
        began = time.perf_counter()
        {"ours": write_ours, "xlsxwriter": write_xlsxwriter}[writer](handle.name, count)
        seconds = time.perf_counter() - began
        size = os.path.getsize(handle.name)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{writer}\t{seconds:.2f}\t{peak_mb:.0f}\t{size / 2**20:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child")
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child, arguments.rows)
        return
    print(f"{arguments.rows:,} rows x {len(HEADERS)} columns; each run in a process of its own, in turns")
    print("writer\tseconds\tpeak MB\tfile MB")
    for _ in range(arguments.repeat):
        for writer in ("ours", "xlsxwriter"):
            subprocess.run([sys.executable, __file__, "--child", writer, "--rows", str(arguments.rows)], check=True)


if __name__ == "__main__":
    main()
