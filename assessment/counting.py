"""All the counters of a computation, on one snapshot of the cases, on two PostgreSQL connections.

The counters are counted in passes (assessment.passes: one aggregate query per source table, for
every object type that counts from it), independent of each other and each a single PostgreSQL
backend's work, so on a machine with several cores they run side by side: the caller's
transaction exports its snapshot (pg_export_snapshot) and each worker thread opens a read-only
REPEATABLE READ transaction on exactly that snapshot (SET TRANSACTION SNAPSHOT), then takes passes
from a queue. Every number therefore comes from the same instant of the database, as it would
from one connection. Each object type is handed back as soon as its last pass is counted, so the
caller scores and writes it while the other passes are still counting.

Serial, on the caller's connection, when parallel counting cannot see what the caller sees: off
PostgreSQL, and inside a transaction the caller opened before the computation (a test's, or a
service calling in with uncommitted cases), because an exported snapshot shows only committed rows.
"""
import queue
import re
import threading
from collections import defaultdict
from collections.abc import Iterator

from django.db import connection, connections, transaction

from .passes import Pass, counters_assemble, pass_count, passes_plan
from .periods import Window

# Two connections: the machines we plan for have two cores, and a third backend would only share them.
WORKERS = 2
# The order the passes are taken in: the regions' three first (cases, events, returned handlings),
# because their results are the most to score and write (about 190,000 of a month's 210,000
# snapshots) and that work overlaps the remaining passes only once they are counted; then the
# largest of the rest (the clocked steps of the three positions), the small ones last.
PASS_ORDER = ["case", "event", "handle_step", "step", "case_grid", "task_done", "task_grid", "task_sent"]


def _ordered(plan: list[Pass]) -> list[Pass]:
    return sorted(plan, key=lambda p: PASS_ORDER.index(p.source) if p.source in PASS_ORDER else len(PASS_ORDER))


class _Assembly:
    """Collects the passes' answers and hands each object type over once its last pass is in."""

    def __init__(self, jobs: dict[str, list[str | None]], plan: list[Pass], extra: dict[str, list[str]]):
        self.jobs = jobs
        self.extra = extra
        self.waiting = {kind: {p.source for p in plan if kind in p.types} for kind in jobs}
        self.partials: dict[str, list[dict]] = defaultdict(list)

    def add(self, source: str | None, counted: dict[str, dict]) -> Iterator[tuple[str, dict]]:
        for kind, partial in counted.items():
            self.partials[kind].append(partial)
            self.waiting[kind].discard(source)
        for kind in [kind for kind, sources in self.waiting.items() if not sources]:
            del self.waiting[kind]
            yield kind, counters_assemble(kind, self.jobs[kind], self.partials.pop(kind, []), self.extra.get(kind, ()))


def counters_stream(jobs: dict[str, list[str | None]], window: Window, *, parallel: bool,
                    extra: dict[str, list[str]] | None = None) -> Iterator[tuple[str, dict]]:
    """(object type, {level: {object id: counters}}) for every type in `jobs` ({type: its levels}),
    each as soon as its passes are counted, with the filtered counters of `extra` ({type: keys}).
    Iterate inside the computation's transaction; `parallel` says that transaction is the
    outermost one."""
    extra = extra or {}
    plan = _ordered(passes_plan(jobs, extra))
    assembly = _Assembly(jobs, plan, extra)
    workers = min(WORKERS, len(plan))
    if not parallel or workers < 2 or connection.vendor != "postgresql":
        yield from assembly.add(None, {})  # a type without counters, if any
        for each in plan:
            yield from assembly.add(each.source, pass_count(each, window))
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
    if not re.fullmatch(r"[0-9A-Fa-f-]+", snapshot):  # it is spliced into SET TRANSACTION SNAPSHOT
        raise ValueError(f"unexpected snapshot id {snapshot!r}")
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for each in plan:
        pending.put(each)
    done: queue.SimpleQueue = queue.SimpleQueue()  # (pass, counted) or (None, error); None when a worker ends
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
                        each = pending.get_nowait()
                    except queue.Empty:
                        break
                    done.put((each, pass_count(each, window)))
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
        yield from assembly.add(None, {})
        while running:
            item = done.get()
            if item is None:
                running -= 1
                continue
            each, result = item
            if each is None:
                raise result
            yield from assembly.add(each.source, result)
    finally:
        stop.set()  # on an error here or in a worker, the others stop after their current pass
        for thread in threads:
            thread.join()
