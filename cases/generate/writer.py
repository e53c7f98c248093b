"""Writing generated rows: on PostgreSQL COPY (core.pgcopy) on three connections that commit
together, with foreign-key triggers skipped and secondary indexes rebuilt where allowed; elsewhere
bulk_create."""
import os
import queue
import threading
import time

import numpy as np
from django.db import connections, transaction

from core.pgcopy import copy_rows

from ..models import Case, CaseEvent, CaseRequest, CaseStep, Task
from .mix import NULL
from .text import TABLES, python_value


class PostgresLoad:
    """One transaction of COPYs. Foreign keys are consistent by construction, so where the role
    may (a superuser) their per-row triggers are skipped (session_replication_role = replica):
    checking 40 references per case would cost more than writing it. Indexes other than primary
    keys and unique constraints can be dropped for the load and rebuilt at the end (sorted builds
    are several times cheaper than row-by-row inserts), inside the same transaction, so a failure
    leaves the tables as they were; the tables are locked meanwhile."""

    def __init__(self, conn, *, rebuild_indexes: bool, tables: list[str] | None = None):
        self.conn = conn
        self.rebuild_indexes = rebuild_indexes
        self.tables = tables or [model._meta.db_table for model, _columns in TABLES]
        self.index_definitions: list[str] = []
        self.index_seconds = 0.0
        self.triggers_skipped = False

    def begin(self) -> None:
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.backend_pid = cursor.fetchone()[0]
            self.backend_cpu_start = backend_cpu_seconds(self.backend_pid)
            try:
                with transaction.atomic(using=self.conn.alias):
                    cursor.execute("SET LOCAL session_replication_role = replica")
                self.triggers_skipped = True
            except Exception:  # not a superuser: the checks run, deferred to the commit
                self.triggers_skipped = False
            if self.rebuild_indexes:
                tables = self.tables
                cursor.execute(
                    "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                    "JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(%s) AND NOT i.indisprimary "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)", [tables])
                indexes = cursor.fetchall()
                # A partitioned table's index reads "ON ONLY <table>" (the parent alone): recreated as
                # it reads, its partitions would have none.
                self.index_definitions = [definition.replace(" ON ONLY ", " ON ") for _name, definition in indexes]
                for name, _definition in indexes:
                    cursor.execute(f"DROP INDEX {name}")

    def write(self, table: str, columns: list[tuple[str, str]], data: bytes) -> None:
        if not data:
            return
        model = next(m for m, _c in TABLES if m._meta.db_table == table)
        copy_rows(model, [attname for attname, _kind in columns], [data], conn=self.conn)

    def backend_cpu(self) -> float | None:
        """CPU seconds the server process of this load has used so far (a local server only)."""
        now = backend_cpu_seconds(getattr(self, "backend_pid", None))
        return None if now is None or self.backend_cpu_start is None else now - self.backend_cpu_start

    def end(self) -> None:
        """Back to checked foreign keys for the rest of the caller's transaction."""
        if self.triggers_skipped:
            with self.conn.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")

    def finish(self) -> None:
        if self.index_definitions:
            started = time.perf_counter()
            with self.conn.cursor() as cursor:
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                for definition in self.index_definitions:
                    cursor.execute(definition)
            self.index_seconds = time.perf_counter() - started


def backend_cpu_seconds(pid: int | None) -> float | None:
    """user + system CPU of a local process, from /proc (None where it cannot be read)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return None


def orm_write(model, columns: list[tuple[str, str]], frame: dict) -> int:
    n = len(frame[columns[0][0]])
    values = [[python_value(kind, value) for value in (frame[name] if kind == "json" else
                                                        np.broadcast_to(frame.get(name, NULL), (n,)))]
              for name, kind in columns]
    names = [name for name, _kind in columns]
    model.objects.bulk_create([model(**dict(zip(names, row, strict=True))) for row in zip(*values, strict=True)],
                              batch_size=1000)
    return n




# Tables written by each COPY connection: about the same volume each (events are the biggest).
WRITER_GROUPS = [[Case, Task, CaseRequest], [CaseStep], [CaseEvent]]


def threaded_load(payloads, batch: int, bar, rebuild: bool) -> PostgresLoad:
    """Format in this thread; COPY in one thread per group of tables, each with its own connection
    and transaction, so PostgreSQL ingests the batch on several backends while Python builds the
    next one. The writers commit together: each waits at a barrier after its last COPY (and index
    rebuild), and a failure in any breaks the barrier and rolls all of them back. Each queue holds
    two batches, so memory stays flat whatever the count."""
    groups = [[model._meta.db_table for model in group] for group in WRITER_GROUPS]
    queues = [queue.Queue(maxsize=2) for _group in groups]
    barrier = threading.Barrier(len(groups))
    failure: list[BaseException] = []
    loads: list[PostgresLoad] = []
    written = [0] * len(groups)

    def writer(number: int) -> None:
        conn = connections["default"]  # this thread's own connection
        pending = queues[number]
        ended = False  # this writer took its end-of-data None: nothing more will come to drain
        try:
            with transaction.atomic():
                load = PostgresLoad(conn, rebuild_indexes=rebuild, tables=groups[number])
                loads.append(load)
                load.begin()
                while True:
                    item = pending.get()
                    if item is None:
                        ended = True
                        break
                    for table, columns, data in item:
                        load.write(table, columns, data)
                    written[number] += batch
                    del item
                load.finish()
                load.cpu = load.backend_cpu()
                barrier.wait()  # everyone wrote everything: commit together
        except BaseException as error:  # noqa: BLE001 — handed to the main thread
            if not isinstance(error, threading.BrokenBarrierError):
                failure.append(error)
            barrier.abort()
            while not ended:  # drain so the producer never blocks, up to its None
                try:
                    ended = pending.get_nowait() is None
                except queue.Empty:
                    time.sleep(0.01)
        finally:
            conn.close()

    threads = [threading.Thread(target=writer, args=(i,), name=f"generate_cases-copy-{i}", daemon=True)
               for i in range(len(groups))]
    for thread in threads:
        thread.start()
    try:
        for payload in payloads:
            for number, group in enumerate(groups):
                part = [item for item in payload if item[0] in group]
                while not failure:
                    try:
                        queues[number].put(part, timeout=0.5)
                        break
                    except queue.Full:
                        bar.show(min(min(written), bar.total))
            del payload
            if failure:
                break
            bar.show(min(min(written), bar.total))
    finally:
        for number, thread in enumerate(threads):
            while thread.is_alive():  # the writer (or its drain loop, after a failure) stops at None
                try:
                    queues[number].put(None, timeout=0.5)
                    break
                except queue.Full:
                    continue
        for thread in threads:
            thread.join()
    if failure:
        raise failure[0]
    combined = PostgresLoad(None, rebuild_indexes=rebuild)
    combined.index_seconds = max((load.index_seconds for load in loads), default=0.0)
    combined.triggers_skipped = all(load.triggers_skipped for load in loads)
    cpus = [getattr(load, "cpu", None) for load in loads]
    combined.cpu = None if None in cpus or not cpus else sum(cpus)
    return combined
