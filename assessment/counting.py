"""All the counters of a computation, on one snapshot of the cases, on two PostgreSQL connections.

The counters of the object types are independent aggregates over the same month, each a single
PostgreSQL backend's work, so on a machine with several cores they run side by side: the caller's
transaction exports its snapshot (pg_export_snapshot) and each worker thread opens a read-only
REPEATABLE READ transaction on exactly that snapshot (SET TRANSACTION SNAPSHOT), then takes object
types from a queue, largest first. Every number therefore comes from the same instant of the
database, as it would from one connection. Each type is handed back as soon as it is counted, so
the caller scores and writes it while the others are still counting.

Serial, on the caller's connection, when parallel counting cannot see what the caller sees: off
PostgreSQL, and inside a transaction the caller opened before the computation (a test's, or a
service calling in with uncommitted cases), because an exported snapshot shows only committed rows.
"""
import queue
import re
import threading
from collections.abc import Iterator

from django.db import connection, connections, transaction

from .counters import counters_compute, region_counters
from .models import ObjectType
from .periods import Window

# Two connections: the machines we plan for have two cores, and a third backend would only share them.
WORKERS = 2
# Slowest first, so that the last one to start is a short one (seconds at a million cases).
COST_ORDER = [ObjectType.REGION, ObjectType.DISPATCHER, ObjectType.COLLECTOR, ObjectType.DEPARTMENT,
              ObjectType.SHIFT_LEADER, ObjectType.OPERATOR]


def counters_of_type(object_type: str, levels: list[str], window: Window) -> dict[str | None, dict]:
    """{level: {object id: counters}} of one object type (level None for types without levels)."""
    if object_type == ObjectType.REGION:
        return region_counters(levels=levels, window=window)
    return {None: counters_compute(object_type=object_type, level=None, window=window)}


def counters_stream(jobs: dict[str, list[str]], window: Window, *, parallel: bool) -> Iterator[tuple[str, dict]]:
    """(object type, {level: {object id: counters}}) for every type in `jobs` ({type: its levels}),
    each as soon as it is counted. Iterate inside the computation's transaction; `parallel` says
    that transaction is the outermost one."""
    workers = min(WORKERS, len(jobs))
    if not parallel or workers < 2 or connection.vendor != "postgresql":
        for kind, levels in jobs.items():
            yield kind, counters_of_type(kind, levels, window)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
    if not re.fullmatch(r"[0-9A-Fa-f-]+", snapshot):  # it is spliced into SET TRANSACTION SNAPSHOT
        raise ValueError(f"unexpected snapshot id {snapshot!r}")
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for kind in sorted(jobs, key=lambda k: COST_ORDER.index(k) if k in COST_ORDER else len(COST_ORDER)):
        pending.put(kind)
    done: queue.SimpleQueue = queue.SimpleQueue()  # (kind, counted) or (None, error); None when a worker ends
    stop = threading.Event()

    def work() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:  # this thread's own connection
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '64MB'")
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
                while not stop.is_set():
                    try:
                        kind = pending.get_nowait()
                    except queue.Empty:
                        break
                    done.put((kind, counters_of_type(kind, jobs[kind], window)))
        except BaseException as error:  # noqa: BLE001 — raised again in the caller's thread
            done.put((None, error))
        finally:
            connections["default"].close()
            done.put(None)

    threads = [threading.Thread(target=work, name=f"assessment-counters-{n}", daemon=True) for n in range(workers)]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            item = done.get()
            if item is None:
                running -= 1
                continue
            kind, result = item
            if kind is None:
                raise result
            yield kind, result
    finally:
        stop.set()  # on an error here or in a worker, the others stop after their current type
        for thread in threads:
            thread.join()
