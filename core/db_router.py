"""Read replicas: the reads that tolerate a few seconds' lag go to a streaming replica
(DATABASE_REPLICA_URLS, aliases replica_1, replica_2, …) when a view opts in with `replica_reads`;
every other read, every write, and the reads of a person who wrote in the last
REPLICA_STICKY_SECONDS (StickyPrimaryMiddleware's cookie) go to the primary.

A replica that cannot be reached is marked down for REPLICA_RETRY_SECONDS and its reads go to the
primary: `@replica_reads` on a function runs it again on the primary when its replica fails under it,
so nothing fails; the context-manager form (for a block that must not run twice) only routes. A
replica whose replay lags more than REPLICA_MAX_LAG_SECONDS gets no read either (its lag looked up
at most every REPLICA_LAG_CHECK_SECONDS per process).
"""
from __future__ import annotations

import contextvars
import functools
import itertools
import logging
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REPLICA_PREFIX = "replica_"
STICKY_COOKIE = "cg_primary_until"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# Inside replica_reads: the alias chosen for the block ("" until the first read picks one).
_block: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("replica_block", default=None)
# This request's person wrote recently (or the request itself writes): primary only.
_sticky: contextvars.ContextVar[bool] = contextvars.ContextVar("replica_sticky", default=False)

_down_until: dict[str, float] = {}
_down_lock = threading.Lock()
# alias → (time.monotonic() of the look-up, the lag it found): a process asks each replica at most
# every REPLICA_LAG_CHECK_SECONDS.
_lag_seen: dict[str, tuple[float, float | None]] = {}
_round_robin = itertools.count()


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


def replica_mark_down(alias: str) -> None:
    """Send no read to `alias` for REPLICA_RETRY_SECONDS, and drop its broken connection."""
    with _down_lock:
        _down_until[alias] = time.monotonic() + settings.REPLICA_RETRY_SECONDS
    logger.warning("read replica %s unreachable: its reads go to the primary for %ss",
                   alias, settings.REPLICA_RETRY_SECONDS)
    try:
        connections[alias].close()
    except Exception:  # closing a connection whose server is gone may fail too
        connections[alias].connection = None


def replica_marks_clear() -> None:
    with _down_lock:
        _down_until.clear()
        _lag_seen.clear()


def replica_lag_acceptable(alias: str) -> bool:
    """Whether `alias` is no more than REPLICA_MAX_LAG_SECONDS behind (0: no limit), from a look-up
    at most REPLICA_LAG_CHECK_SECONDS old. A standby whose lag cannot be told (not in recovery)
    passes; one that failed the look-up has been marked down."""
    limit = settings.REPLICA_MAX_LAG_SECONDS
    if limit <= 0:
        return True
    now = time.monotonic()
    with _down_lock:
        seen = _lag_seen.get(alias)
    if seen is None or now - seen[0] >= settings.REPLICA_LAG_CHECK_SECONDS:
        lag = replica_lag_seconds(alias)
        if alias not in replicas_up():
            return False
        if lag is not None and lag > limit and (seen is None or seen[1] is None or seen[1] <= limit):
            logger.warning("read replica %s lags %.1fs (over REPLICA_MAX_LAG_SECONDS=%s): its reads go "
                           "to the primary", alias, lag, limit)
        with _down_lock:
            _lag_seen[alias] = (now, lag)
    else:
        lag = seen[1]
    return lag is None or lag <= limit


def replicas_up() -> list[str]:
    now = time.monotonic()
    return [alias for alias in replica_aliases() if _down_until.get(alias, 0) <= now]


def _choose_replica() -> str | None:
    """A replica that answers and does not lag past REPLICA_MAX_LAG_SECONDS, connecting now if
    needed, or None for the primary. A connection that fails here marks its replica down, once, and
    the next one is tried; a lagging replica is passed over."""
    candidates = replicas_up()
    if not candidates:
        return None
    start = next(_round_robin)
    for offset in range(len(candidates)):
        alias = candidates[(start + offset) % len(candidates)]
        if _replica_answers(alias) and replica_lag_acceptable(alias):
            return alias
    return None


def _replica_answers(alias: str) -> bool:
    connection = connections[alias]
    try:
        # Django checks an open connection once per request (CONN_HEALTH_CHECKS) and closes it if
        # dead; ensure_connection then connects, raising at once if the server is gone.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except OperationalError:
        replica_mark_down(alias)
        return False
    return True


def _use_primary() -> bool:
    return (_sticky.get() or not replica_aliases()
            or connections[DEFAULT_DB_ALIAS].in_atomic_block)  # a transaction reads its own writes


@contextmanager
def _replica_block():
    chosen: list[str] = []
    token = _block.set(chosen)
    try:
        yield chosen
    finally:
        _block.reset(token)


def replica_reads(func: Callable | None = None):
    """`@replica_reads` on a view (or any function that only reads): its reads go to a replica; if
    the replica fails under it, the replica is marked down and the function runs again on the
    primary (reads only: running twice is safe). `with replica_reads():` routes a block the same way
    without the second run (the failure still marks the replica down for the next requests)."""
    if func is None:
        return _ReplicaBlock()

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if _block.get() is not None:  # nested: the outer block decides
            return func(*args, **kwargs)
        with _replica_block() as chosen:
            try:
                return func(*args, **kwargs)
            except OperationalError:
                if not chosen or not chosen[0]:
                    raise
                replica_mark_down(chosen[0])
        return func(*args, **kwargs)

    return wrapper


class _ReplicaBlock:
    def __enter__(self):
        self._token = _block.set([])
        return self

    def __exit__(self, exc_type, exc, tb):
        chosen = _block.get()
        if exc_type is not None and issubclass(exc_type, OperationalError) and chosen and chosen[0]:
            replica_mark_down(chosen[0])
        _block.reset(self._token)
        return False


class ReplicaRouter:
    """DATABASE_ROUTERS entry: reads inside replica_reads to a replica, the rest to the primary;
    migrations on the primary only (a replica copies its schema)."""

    def db_for_read(self, model, **hints):
        chosen = _block.get()
        if chosen is None or _use_primary():
            return None
        if not chosen:
            chosen.append(_choose_replica() or "")
        return chosen[0] or None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every alias holds the same data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class StickyPrimaryMiddleware:
    """A person who writes reads from the primary for REPLICA_STICKY_SECONDS after: every request
    that may write (not GET/HEAD/OPTIONS) sets a cookie with that moment; a request that carries an
    unexpired one reads from the primary. With no replica configured it does nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_aliases():
            return self.get_response(request)
        writes = request.method not in SAFE_METHODS
        token = _sticky.set(writes or _cookie_unexpired(request.COOKIES.get(STICKY_COOKIE)))
        try:
            response = self.get_response(request)
        finally:
            _sticky.reset(token)
        if writes:
            seconds = settings.REPLICA_STICKY_SECONDS
            response.set_cookie(STICKY_COOKIE, f"{time.time() + seconds:.0f}", max_age=int(seconds) + 1,
                                httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        return response


def _cookie_unexpired(value: str | None) -> bool:
    try:
        return value is not None and float(value) > time.time()
    except ValueError:
        return False


def replica_lag_seconds(alias: str) -> float | None:
    """How far `alias` is behind its primary: 0 when it has replayed all it received, else the age
    of the last transaction it replayed; None when it is not a standby or cannot be reached. (After
    a long idle spell of the primary that age overstates the lag of its first new transaction, for
    as long as that one takes to replay: a lagging verdict errs toward the primary.) Asked on the
    driver's cursor, so a test's query capture of the replica sees only the application's reads."""
    connection = connections[alias]
    try:
        connection.ensure_connection()
        with connection.wrap_database_errors, connection.connection.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL"
                " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
                " ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END")
            (lag,) = cursor.fetchone()
    except OperationalError:
        replica_mark_down(alias)
        return None
    return None if lag is None else float(lag)
