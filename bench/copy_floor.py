"""The floor of generate_cases (issue 24: "generate_cases ≤ 1.5× the floor of COPYing the same rows
into the same tables"): the rows a generate_cases run just wrote, COPYed out to files, the tables
emptied, and the same rows COPYed back in by the generator's own loader (cases.generate.writer:
three connections that commit together, foreign-key triggers skipped, secondary indexes dropped
and rebuilt as generate_cases decides), then ANALYZE as it does. What is left to generate_cases
above this is making and formatting the rows, and reserving their ids. The rows are the same to the
id: a case's carries its reported month (cases.months; the generator takes the month's base plus a
block of the case id sequence), and the generator writes no idempotency key, so no cases_casekey
row. Prints one JSON line. bench/run.py runs it on the history of its small generate_cases run; by
hand, on a bench database holding only generated cases (it empties and refills the case tables):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/citygrid_bench .venv/bin/python bench/copy_floor.py
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citygrid.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
BATCH = 10_000  # generate_cases' default batch: the loader's queues hold this many cases' rows


def _chunks(path: Path, parts: int):
    """The file's text in `parts` blocks of whole lines."""
    size = path.stat().st_size
    step = max(size // max(parts, 1), 1)
    with path.open("rb") as f:
        while block := f.read(step):
            block += f.readline()
            yield block


def main() -> None:
    import django

    django.setup()
    from django.db import connection

    from cases.generate.run import Progress
    from cases.generate.text import TABLES
    from cases.generate.writer import threaded_load

    tables = [(model._meta.db_table, columns) for model, columns in TABLES]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        cases = cursor.fetchone()[0]
    batches = max(-(-cases // BATCH), 1)
    with tempfile.TemporaryDirectory(prefix="copy_floor-") as scratch:
        rows = {}
        with connection.cursor() as cursor:
            for table, columns in tables:
                path = Path(scratch) / table
                names = ", ".join(f'"{name}"' for name, _kind in columns)
                with path.open("wb") as out, cursor.cursor.copy(f"COPY (SELECT {names} FROM {table}) TO STDOUT") as copy:
                    for data in copy:
                        out.write(data)
                cursor.execute(f"SELECT count(*) FROM {table}")
                rows[table] = cursor.fetchone()[0]
            cursor.execute(f"TRUNCATE {', '.join(table for table, _c in tables)} CASCADE")
            # As generate_cases decides on an empty table ("auto": the load at least doubles it).
            rebuild = True

        def payloads():
            readers = [(table, columns, _chunks(Path(scratch) / table, batches)) for table, columns in tables]
            while True:
                part = [(table, columns, block) for table, columns, reader in readers
                        if (block := next(reader, None))]
                if not part:
                    return
                yield part

        started, cpu_started = time.perf_counter(), time.process_time()
        load = threaded_load(payloads(), BATCH, Progress(cases, None, False), rebuild)
        load_seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            for table, _columns in tables:
                cursor.execute(f"ANALYZE {table}")
        seconds = time.perf_counter() - started
    print(json.dumps({
        "cases": cases, "rows": rows, "seconds": round(seconds, 2), "load_seconds": round(load_seconds, 2),
        "index_seconds": round(load.index_seconds, 2), "python_cpu_seconds": round(time.process_time() - cpu_started, 2),
        "postgres_cpu_seconds": None if load.cpu is None else round(load.cpu, 2),
    }))


if __name__ == "__main__":
    main()
