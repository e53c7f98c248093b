"""cases_generate, the entry point of manage.py generate_cases: batches of generated rows written
through the writer, with a progress bar and the run's figures."""
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction

from core.partitions import ensure_span

from ..models import Case
from .generator import Generator
from .text import TABLES
from .writer import PostgresLoad, orm_write, threaded_load


@dataclass
class GenerateResult:
    cases: int
    rows: dict[str, int]
    seconds: float
    load_seconds: float
    index_seconds: float
    analyze_seconds: float
    python_cpu_seconds: float = 0.0
    postgres_cpu_seconds: float | None = None  # the COPY backends (local server only)

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0




class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total: int, stream=None, enabled: bool = True):
        self.total, self.stream, self.enabled = total, stream or sys.stderr, enabled
        self.started = time.perf_counter()
        self.last_shown = 0.0

    def show(self, done: int, *, final: bool = False) -> None:
        now = time.perf_counter()
        if not self.enabled or (not final and now - self.last_shown < 0.5):
            return
        self.last_shown = now
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        width = 30
        filled = int(width * done / max(self.total, 1))
        eta = (self.total - done) / rate if rate else 0
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{self.total:,} cases "
                          f"{rate:,.0f}/s eta {eta:,.0f}s ")
        if final:
            self.stream.write("\n")
        self.stream.flush()


def cases_generate(*, count: int, months: int = 12, seed: int = 1, batch: int = 10_000,
                   until: datetime | None = None, rebuild_indexes: str = "auto", progress: bool = True,
                   edition: str | None = None, stream=None) -> GenerateResult:
    """Write `count` synthetic cases reported over the `months` before `until` (default: now), with
    their steps, tasks, requests and events, with the classes of one `edition` (default: the one
    that has the usual top classes). Deterministic for (seed, count, months, until, batch)
    on the same registry (and whatever the batch size). On PostgreSQL: COPY, formatted in this
    thread and fed to three writer connections that commit together (threaded_load);
    `rebuild_indexes` "auto" drops and rebuilds the secondary indexes when the load at least
    doubles the case table. Inside the caller's transaction (tests): its connection, no threads."""
    started = time.perf_counter()
    cpu_started = time.process_time()
    until = until or datetime.now(UTC).replace(second=0, microsecond=0)
    generator = Generator(count=count, months=months, seed=seed, until=until, batch=batch, edition=edition)
    bar = Progress(count, stream, progress)
    rows = {model._meta.db_table: 0 for model, _c in TABLES}
    postgres = connection.vendor == "postgresql"
    # The months of the history get their partitions first (docs/partitioning.md): rows written
    # into DEFAULT would be read by every month's query until `partitions ensure` moves them.
    ensure_span(generator.start, until)
    rebuild = False
    if postgres and rebuild_indexes != "never":
        with connection.cursor() as cursor:
            # Partitioned (docs/partitioning.md): its partitions' estimates, which autovacuum keeps
            # current, not the parent's, which only a manual ANALYZE sets.
            cursor.execute(
                "SELECT coalesce((SELECT sum(GREATEST(p.reltuples, 0)) FROM pg_partition_tree(t.oid) tree "
                "JOIN pg_class p ON p.oid = tree.relid WHERE tree.isleaf), GREATEST(t.reltuples, 0))::bigint "
                "FROM pg_class t WHERE t.oid = %s::regclass", [Case._meta.db_table])
            existing = cursor.fetchone()[0]
        rebuild = rebuild_indexes == "always" or count >= max(existing, 1)

    def batches():
        for number, first in enumerate(range(0, count, batch)):
            n = min(batch, count - first)
            yield n, generator.batch_frames(number, first, n)

    def formatted(frames):
        """[(table, columns, COPY text)] of one batch; counts the rows."""
        out = []
        for model, columns in TABLES:
            table = model._meta.db_table
            frame = frames.get(table)
            if frame:
                rows[table] += len(frame[columns[0][0]])
                out.append((table, columns, generator.text.rows(columns, frame)))
        return out

    index_seconds = 0.0
    postgres_cpu = None
    done = 0
    if not postgres:
        with transaction.atomic():
            for n, frames in batches():
                for model, columns in TABLES:
                    if frames.get(model._meta.db_table):
                        rows[model._meta.db_table] += orm_write(model, columns, frames[model._meta.db_table])
                done += n
                bar.show(done)
    elif connection.in_atomic_block:
        # Inside the caller's transaction (tests): its connection, no thread, indexes kept.
        load = PostgresLoad(connection, rebuild_indexes=False)
        load.begin()
        for n, frames in batches():
            for table, columns, data in formatted(frames):
                load.write(table, columns, data)
            done += n
            bar.show(done)
        load.end()
    else:
        load = threaded_load((formatted(frames) for _n, frames in batches()), batch, bar, rebuild)
        index_seconds = load.index_seconds
        postgres_cpu = load.cpu
    bar.show(count, final=True)
    load_seconds = time.perf_counter() - started
    analyze_seconds = 0.0
    if postgres and not connection.in_atomic_block:
        analyze_started = time.perf_counter()
        with connection.cursor() as cursor:
            for model, _columns in TABLES:
                cursor.execute(f"ANALYZE {model._meta.db_table}")
        analyze_seconds = time.perf_counter() - analyze_started
    return GenerateResult(cases=count, rows=rows, seconds=time.perf_counter() - started,
                          load_seconds=load_seconds, index_seconds=index_seconds, analyze_seconds=analyze_seconds,
                          python_cpu_seconds=time.process_time() - cpu_started, postgres_cpu_seconds=postgres_cpu)
