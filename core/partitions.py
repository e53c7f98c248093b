"""Monthly partitions of the history tables on PostgreSQL (declarative range partitioning): turning a
table into a partitioned one (in one go, or in batches while it stays in use), creating months
ahead, splitting rows out of the DEFAULT partition, detaching a month to the archive schema and
attaching it back. Months are the city's (settings.TIME_ZONE); a table is partitioned on its month
column, or, the case table, on an id that carries the month (CASE_ID_MONTH). SQLite has no
partitions. See docs/partitioning.md."""
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, OperationalError, connections, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

ARCHIVE_SCHEMA = "archive"
# How long dropping a partition waits for its table's lock (held by a long read) before leaving that
# month to the caller's row deletes: a DROP queued behind a read would hold up every later query.
DROP_LOCK_TIMEOUT = "5s"
# Months created ahead of the current one, by the migration and by the monthly beat task.
MONTHS_AHEAD = 3
COPY_BATCH = 50_000

# Records the ids of rows written to a table while it is being copied in batches, so that the
# final step (under a lock that still lets reads through) re-copies exactly those rows.
_CAPTURE_FUNCTION = """
CREATE OR REPLACE FUNCTION citygrid_partition_capture() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        EXECUTE format('INSERT INTO %I (id) VALUES ($1)', TG_TABLE_NAME || '__changes') USING OLD.id;
    ELSE
        EXECUTE format('INSERT INTO %I (id) VALUES ($1)', TG_TABLE_NAME || '__changes') USING NEW.id;
    END IF;
    RETURN NULL;
END
$$"""


# The case table is partitioned by its id (issue 24): a case's id carries the city month it was
# reported in, `YYYYMM * CASE_ID_MONTH + n` (n from one sequence, so ids stay unique and grow), and a
# month's partition holds the ids [YYYYMM * CASE_ID_MONTH, next YYYYMM * CASE_ID_MONTH). Ids below
# LEGACY_CASE_ID_END are the cases of a database converted from before (their month is unknown: they
# stay in DEFAULT). 10^9 cases a month, ids below 2^53 (JavaScript's exact integers) until 9007.
CASE_ID_MONTH = 10**9
LEGACY_CASE_ID_END = 200001 * CASE_ID_MONTH


def case_id_floor(moment: datetime) -> int:
    """The lowest id a case reported at `moment` can have: its month's first."""
    month = Month.of(moment)
    return (month.year * 100 + month.month) * CASE_ID_MONTH


def case_id_range(start: datetime, end: datetime) -> tuple[int, int]:
    """[low, high): every month-carrying id of a case reported in [start, end)."""
    last = Month.of(end - timedelta(microseconds=1)).next() if end > start else Month.of(start)
    return case_id_floor(start), (last.year * 100 + last.month) * CASE_ID_MONTH


# The tables partitioned on an id that carries a month, and the time column that month is of.
MONTH_ID_TABLES = {"cases_case": "reported_at"}


def _month_id(month: "Month") -> int:
    return (month.year * 100 + month.month) * CASE_ID_MONTH


def _bounds(column: str, month: "Month") -> tuple:
    """A month's partition bounds: its ids for a table partitioned on a month-carrying id, else
    its first and next month's first moment."""
    if column == "id":
        return _month_id(month), _month_id(month.next())
    return month.start, month.end


def _sql_value(value) -> str:
    return str(value) if isinstance(value, int) else _literal(value)


def _bounds_sql(column: str, month: "Month") -> str:
    low, high = _bounds(column, month)
    return f"FOR VALUES FROM ({_sql_value(low)}) TO ({_sql_value(high)})"


class PartitionError(RuntimeError):
    """A partition operation that cannot be done as asked (the message says why)."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime) -> "Month":
        local = timezone.localtime(moment, _city_zone())
        return cls(local.year, local.month)

    def next(self, months: int = 1) -> "Month":
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=_city_zone())

    @property
    def end(self) -> datetime:
        return self.next().start

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class PartitionStatus:
    table: str
    column: str
    months: list[Month]
    default_rows: int
    archived: list[Month]

    def missing_ahead(self, ahead: int) -> list[Month]:
        current = Month.of(timezone.now())
        return [current.next(i) for i in range(ahead + 1) if current.next(i) not in self.months]


def _city_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def partition_name(table: str, month: Month) -> str:
    return f"{table}_p{month.year:04d}_{month.month:02d}"


def default_name(table: str) -> str:
    return f"{table}_default"


def _month_of_name(table: str, name: str) -> Month | None:
    found = re.fullmatch(re.escape(table) + r"_p(\d{4})_(\d{2})", name)
    return Month(int(found[1]), int(found[2])) if found else None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(moment: datetime) -> str:
    return "'" + moment.isoformat() + "'"


def is_postgres(using: str = "default") -> bool:
    return connections[using].vendor == "postgresql"


def _fetch(cursor, sql: str, params=None) -> list[tuple]:
    cursor.execute(sql, params)
    return cursor.fetchall()


def partitioned_tables(using: str = "default") -> dict[str, str]:
    """The partitioned tables of the current schema and their partition key column."""
    with connections[using].cursor() as cursor:
        rows = _fetch(cursor, """
            SELECT c.relname, a.attname FROM pg_partitioned_table p
            JOIN pg_class c ON c.oid = p.partrelid
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = p.partattrs[0]
            WHERE c.relnamespace = current_schema()::regnamespace ORDER BY c.relname""")
    return dict(rows)


def is_partitioned(table: str, using: str = "default") -> bool:
    return table in partitioned_tables(using)


def _children(cursor, table: str) -> list[str]:
    return [row[0] for row in _fetch(cursor, """
        SELECT child.relname FROM pg_inherits i
        JOIN pg_class child ON child.oid = i.inhrelid JOIN pg_class parent ON parent.oid = i.inhparent
        WHERE parent.relname = %s AND parent.relnamespace = current_schema()::regnamespace""", [table])]


def _archived(cursor, table: str) -> list[Month]:
    names = [row[0] for row in _fetch(cursor, """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind = 'r' AND c.relname LIKE %s""", [ARCHIVE_SCHEMA, table + "_p%"])]
    return sorted(month for month in (_month_of_name(table, name) for name in names) if month)


def status(using: str = "default") -> list[PartitionStatus]:
    """Each partitioned table: its months, the rows waiting in DEFAULT (a month without its
    partition: `ensure` splits them out) and the months detached to the archive schema."""
    result = []
    with connections[using].cursor() as cursor:
        for table, column in partitioned_tables(using).items():
            children = _children(cursor, table)
            months = sorted(month for month in (_month_of_name(table, name) for name in children) if month)
            default_rows = 0
            if default_name(table) in children:
                # A month-carrying id table's plain ids belong in DEFAULT: only the others wait there.
                waiting = f" WHERE id >= {LEGACY_CASE_ID_END}" if column == "id" else ""
                default_rows = _fetch(cursor, f"SELECT count(*) FROM {_q(default_name(table))}{waiting}")[0][0]
            result.append(PartitionStatus(table, column, months, default_rows, _archived(cursor, table)))
    return result


def _create_month(cursor, table: str, column: str, month: Month) -> bool:
    """Create the month's partition; rows of that month already in DEFAULT move into it (DEFAULT is
    detached meanwhile, so that its rows may be deleted whatever its triggers: an ACCESS EXCLUSIVE
    lock of the table for as long as the move takes, usually an empty DEFAULT's instant)."""
    name, default = partition_name(table, month), default_name(table)
    if name in _children(cursor, table):
        return False
    bounds = _bounds_sql(column, month)
    has_default = default in _children(cursor, table)
    in_month = f"{_q(column)} >= %s AND {_q(column)} < %s"
    waiting = has_default and _fetch(
        cursor, f"SELECT EXISTS (SELECT 1 FROM {_q(default)} WHERE {in_month})", _bounds(column, month))[0][0]
    if not waiting:
        cursor.execute(f"CREATE TABLE {_q(name)} PARTITION OF {_q(table)} {bounds}")
        return True
    columns = ", ".join(_q(c) for c in _columns(cursor, table))
    if table in MONTH_ID_TABLES:
        # Its rows are referenced by foreign keys, so neither can DEFAULT be detached nor can they
        # be moved out: the month stays in DEFAULT (read, but not pruned), and `status` says so.
        # Cases are reported now, into the months created ahead: only a clock set far ahead or a
        # bulk load without ensure_span puts them there.
        logger.warning("%s: rows of %s wait in %s; the month is left unpartitioned", table, month, default)
        return False
    cursor.execute(f"ALTER TABLE {_q(table)} DETACH PARTITION {_q(default)}")
    cursor.execute(f"CREATE TABLE {_q(name)} PARTITION OF {_q(table)} {bounds}")
    cursor.execute(f"INSERT INTO {_q(name)} ({columns}) SELECT {columns} FROM {_q(default)} WHERE {in_month}",
                   _bounds(column, month))
    cursor.execute(f"DELETE FROM {_q(default)} WHERE {in_month}", _bounds(column, month))
    cursor.execute(f"ALTER TABLE {_q(table)} ATTACH PARTITION {_q(default)} DEFAULT")
    return True


def ensure(ahead: int = MONTHS_AHEAD, using: str = "default") -> list[str]:
    """Create the partitions of this month and `ahead` months after it, and of every month whose
    rows wait in DEFAULT (moving them). Safe to run again: returns the partitions it created."""
    current = Month.of(timezone.now())
    return _ensure_months([current.next(i) for i in range(ahead + 1)], using)


def ensure_span(start: datetime, end: datetime, using: str = "default", tables: list[str] | None = None) -> list[str]:
    """The partitions of every month from `start` to `end` (of `tables`, by default all): a bulk load
    of history (generate_cases) writes into its months instead of DEFAULT. Nothing on SQLite."""
    if not is_postgres(using):
        return []
    months, month = [], Month.of(start)
    while month <= Month.of(end):
        months.append(month)
        month = month.next()
    return _ensure_months(months, using, tables)


def _ensure_months(months: list[Month], using: str, tables: list[str] | None = None) -> list[str]:
    created = []
    for table, column in partitioned_tables(using).items():
        if tables is not None and table not in tables:
            continue
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            waiting = []
            if default_name(table) in _children(cursor, table) and column == "id":
                waiting = [Month(int(n) // 100, int(n) % 100) for (n,) in _fetch(
                    cursor, f"SELECT DISTINCT id / {CASE_ID_MONTH} FROM {_q(default_name(table))} "
                            f"WHERE id >= {LEGACY_CASE_ID_END}")]
            elif default_name(table) in _children(cursor, table):
                waiting = [Month(int(y), int(m)) for y, m in _fetch(
                    cursor, f"SELECT DISTINCT extract(year FROM {_q(column)} AT TIME ZONE %s), "
                            f"extract(month FROM {_q(column)} AT TIME ZONE %s) FROM {_q(default_name(table))}",
                    [settings.TIME_ZONE, settings.TIME_ZONE])]
            for month in sorted({*waiting, *months}):
                if _create_month(cursor, table, column, month):
                    created.append(partition_name(table, month))
    return created


def detach(table: str, month: Month, using: str = "default") -> str:
    """Detach a month's partition and move it to the archive schema (its rows leave every query of
    the application; `attach` brings them back). Returns the archived table's qualified name."""
    name = partition_name(table, month)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        if table not in partitioned_tables(using):
            raise PartitionError(f"{table} is not partitioned")
        if name not in _children(cursor, table):
            raise PartitionError(f"{table} has no partition for {month}")
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(ARCHIVE_SCHEMA)}")
        try:
            with transaction.atomic(using=using):
                cursor.execute(f"ALTER TABLE {_q(table)} DETACH PARTITION {_q(name)}")
        except IntegrityError as error:
            raise PartitionError(
                f"{name} is still referenced by rows of other tables ({str(error).splitlines()[0]}): "
                "archive or delete what refers to its rows first (docs/partitioning.md)") from error
        cursor.execute(f"ALTER TABLE {_q(name)} SET SCHEMA {_q(ARCHIVE_SCHEMA)}")
    return f"{ARCHIVE_SCHEMA}.{name}"


def attach(table: str, month: Month, using: str = "default") -> str:
    """Bring an archived month back as the table's partition (PostgreSQL checks its rows belong to
    the month; a month's rows that arrived meanwhile in DEFAULT must be split out first)."""
    name = partition_name(table, month)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        if month not in _archived(cursor, table):
            raise PartitionError(f"{ARCHIVE_SCHEMA}.{name} does not exist")
        if name in _children(cursor, table):
            raise PartitionError(f"{table} already has a partition for {month}")
        schema = _fetch(cursor, "SELECT current_schema()")[0][0]
        cursor.execute(f"ALTER TABLE {_q(ARCHIVE_SCHEMA)}.{_q(name)} SET SCHEMA {_q(schema)}")
        column = partitioned_tables(using)[table]
        cursor.execute(f"ALTER TABLE {_q(table)} ATTACH PARTITION {_q(name)} {_bounds_sql(column, month)}")
    return name


def drop_months_before(table: str, moment: datetime, using: str = "default") -> list[str]:
    """Drop the partitions of `table` whose whole month lies before `moment` (a retention's cutoff):
    no row-by-row delete, no dead rows, no WAL beyond the catalog's. Each drop is its own short
    transaction; one that cannot have its lock within DROP_LOCK_TIMEOUT is left (logged) for the
    caller's deletes. Returns the partitions dropped; nothing on SQLite or a plain table."""
    if not is_postgres(using) or table not in partitioned_tables(using):
        return []
    connection = connections[using]
    with connection.cursor() as cursor:
        names = _children(cursor, table)
    months = sorted(month for month in (_month_of_name(table, name) for name in names) if month)
    dropped = []
    for month in (month for month in months if month.end <= moment):
        name = partition_name(table, month)
        try:
            with transaction.atomic(using=using), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'")
                cursor.execute(f"DROP TABLE {_q(name)}")
        except OperationalError as error:
            logger.warning("partition %s not dropped, its rows are deleted instead: %s", name, error)
            continue
        dropped.append(name)
    return dropped


# --- converting a plain table ---------------------------------------------------------------------

def _columns(cursor, table: str) -> list[str]:
    return [row[0] for row in _fetch(cursor, """
        SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped
        ORDER BY attnum""", [table])]


def _new(table: str) -> str:
    return f"{table}__new"


def _prepare(cursor, table: str, column: str, *, capture: bool) -> None:
    """Create `<table>__new`, partitioned by month on `column`, with the table's columns, defaults,
    checks, foreign keys, indexes (named `<index>__new` until the swap) and a primary key
    (id, column); its months from the table's first to MONTHS_AHEAD ahead, and DEFAULT."""
    new = _new(table)
    # What an interrupted conversion left behind: it starts over.
    cursor.execute(f"DROP TRIGGER IF EXISTS citygrid_partition_capture ON {_q(table)}")
    cursor.execute(f"DROP TABLE IF EXISTS {_q(new)}")
    cursor.execute(f"DROP TABLE IF EXISTS {_q(table + '__changes')}")
    cursor.execute(f"DROP SEQUENCE IF EXISTS {_q(new + '_id_seq')}")
    for index_name, definition in _fetch(cursor, """
            SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = %s::regclass AND NOT x.indisprimary""", [table]):
        if "UNIQUE" in definition.split(" ON ")[0]:
            raise PartitionError(f"{table}: the unique index {index_name} would not include the partition key")
    cursor.execute(f"CREATE TABLE {_q(new)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                   f"INCLUDING STORAGE) PARTITION BY RANGE ({_q(column)})")
    # PostgreSQL 15 has no identity column on a partitioned table: a sequence of our own, OWNED BY
    # the id column after the swap (what Django's sequence reset looks for).
    cursor.execute(f"CREATE SEQUENCE {_q(new + '_id_seq')} AS bigint")
    if column == "id":
        _month_id_columns(cursor, table, new)
    else:
        cursor.execute(f"ALTER TABLE {_q(new)} ALTER COLUMN id SET DEFAULT nextval('{new}_id_seq'::regclass)")
        cursor.execute(f"ALTER TABLE {_q(new)} ADD CONSTRAINT {_q(new + '_pkey')} PRIMARY KEY (id, {_q(column)})")
    for name, definition in _fetch(cursor, """
            SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = %s::regclass AND contype = 'f' AND conparentid = 0""", [table]):
        # (conparentid = 0: a key to a partitioned table, not its clones to each partition.)
        # A key to the table itself (a case's duplicate_of) points at the new table from the start.
        definition = re.sub(r"REFERENCES (\S+\.)?" + re.escape(table) + r"\(", f"REFERENCES {_q(new)}(", definition)
        cursor.execute(f"ALTER TABLE {_q(new)} ADD CONSTRAINT {_q(name)} {definition}")
    current = Month.of(timezone.now())
    if column == "id":
        # Rows from before ids carried their month stay in DEFAULT; months of those that do.
        first = _fetch(cursor, f"SELECT min(id) FROM {_q(table)} WHERE id >= {LEGACY_CASE_ID_END}")[0][0]
        month = min(Month(first // CASE_ID_MONTH // 100, first // CASE_ID_MONTH % 100), current) if first else current
    else:
        first = _fetch(cursor, f"SELECT min({_q(column)}) FROM {_q(table)}")[0][0]
        month = min(Month.of(first), current) if first else current
    while month <= current.next(MONTHS_AHEAD):
        cursor.execute(f"CREATE TABLE {_q(partition_name(table, month))} PARTITION OF {_q(new)} "
                       f"{_bounds_sql(column, month)}")
        month = month.next()
    cursor.execute(f"CREATE TABLE {_q(default_name(table))} PARTITION OF {_q(new)} DEFAULT")
    for index_name, definition in _fetch(cursor, """
            SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = %s::regclass AND NOT x.indisprimary""", [table]):
        head, tail = definition.split(" ON ", 1)
        tail = re.sub(r'^(ONLY )?(\S+\.)?"?' + re.escape(table) + '"? ', f"{_q(new)} ", tail)
        cursor.execute(f"CREATE INDEX {_q(index_name + '__new')} ON {tail}")
    if capture:
        cursor.execute(f"CREATE UNLOGGED TABLE {_q(table + '__changes')} (id bigint NOT NULL)")
        cursor.execute(_CAPTURE_FUNCTION)
        cursor.execute(f"CREATE TRIGGER citygrid_partition_capture AFTER INSERT OR UPDATE OR DELETE ON {_q(table)} "
                       "FOR EACH ROW EXECUTE FUNCTION citygrid_partition_capture()")


def _month_id_columns(cursor, table: str, new: str) -> None:
    """A table partitioned on its month-carrying id: the primary key is the id alone (foreign keys
    keep pointing at it), a new row's id defaults to this month's base plus the sequence (the
    application gives the month of the row's time column instead: cases.months), and a check keeps
    every month-carrying id in its row's month."""
    month_column = MONTH_ID_TABLES[table]
    local = f"{_q(month_column)} AT TIME ZONE '{settings.TIME_ZONE}'"
    cursor.execute(f"ALTER TABLE {_q(new)} ALTER COLUMN id SET DEFAULT "
                   f"to_char(now() AT TIME ZONE '{settings.TIME_ZONE}', 'YYYYMM')::bigint * {CASE_ID_MONTH} "
                   f"+ nextval('{new}_id_seq'::regclass)")
    cursor.execute(f"ALTER TABLE {_q(new)} ADD CONSTRAINT {_q(new + '_pkey')} PRIMARY KEY (id)")
    cursor.execute(f"ALTER TABLE {_q(new)} ADD CONSTRAINT {_q(table + '_id_month_check')} CHECK ("
                   f"id < {LEGACY_CASE_ID_END} OR id / {CASE_ID_MONTH} = "
                   f"(extract(year FROM {local}) * 100 + extract(month FROM {local}))::bigint)")


def _referencing_keys(cursor, table: str) -> list[tuple[str, str, str]]:
    """The foreign keys of other tables that point at `table` (declared ones: a partition's clone
    goes with its parent's): (table, name, definition)."""
    return _fetch(cursor, """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE confrelid = %s::regclass AND contype = 'f' AND conparentid = 0 AND conrelid <> confrelid""",
                  [table])


def _swap_referencing_keys(cursor, table: str, drop_and_readd: Callable[[], None]) -> None:
    """Drop the foreign keys that point at `table`, run the swap, and declare them again: by name
    they now point at the table that took the name (each is checked against its rows anew)."""
    keys = _referencing_keys(cursor, table)
    for referencing, name, _definition in keys:
        cursor.execute(f"ALTER TABLE {referencing} DROP CONSTRAINT {_q(name)}")
    drop_and_readd()
    for referencing, name, definition in keys:
        cursor.execute(f"ALTER TABLE {referencing} ADD CONSTRAINT {_q(name)} {definition}")


def _copy(cursor, table: str, columns: str, low: int, high: int) -> int:
    cursor.execute(f"INSERT INTO {_q(_new(table))} ({columns}) SELECT {columns} FROM {_q(table)} "
                   "WHERE id > %s AND id <= %s", [low, high])
    return cursor.rowcount


def _finish(cursor, table: str, copied_up_to: int) -> None:
    """Under a lock that lets reads through (EXCLUSIVE): copy the rows written since the batches,
    carry the triggers and the sequence over, drop the old table and give the new one its names."""
    new = _new(table)
    columns = ", ".join(_q(c) for c in _columns(cursor, table))
    cursor.execute(f"LOCK TABLE {_q(table)} IN EXCLUSIVE MODE")
    changes = _q(table + "__changes")
    has_changes = _fetch(cursor, "SELECT to_regclass(%s) IS NOT NULL", [table + "__changes"])[0][0]
    if has_changes:
        cursor.execute(f"DELETE FROM {_q(new)} WHERE id IN (SELECT id FROM {changes})")
        cursor.execute(f"INSERT INTO {_q(new)} ({columns}) SELECT {columns} FROM {_q(table)} "
                       f"WHERE id <= %s AND id IN (SELECT id FROM {changes})", [copied_up_to])
        cursor.execute(f"DROP TRIGGER citygrid_partition_capture ON {_q(table)}")
        cursor.execute(f"DROP TABLE {changes}")
    cursor.execute(f"INSERT INTO {_q(new)} ({columns}) SELECT {columns} FROM {_q(table)} WHERE id > %s",
                   [copied_up_to])
    for (definition,) in _fetch(cursor, """
            SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal""",
                                [table]):
        head, tail = definition.split(" ON ", 1)
        tail = re.sub(r'^(\S+\.)?"?' + re.escape(table) + '"? ', f"{_q(new)} ", tail)
        cursor.execute(f"{head} ON {tail}")
    old_sequence = _fetch(cursor, "SELECT pg_get_serial_sequence(%s, 'id')", [table])[0][0]
    if table in MONTH_ID_TABLES:
        # The sequence gives the part of an id below its month: past every plain id and every
        # month-carrying id's part, so that neither kind can repeat.
        cursor.execute(f"SELECT setval(%s, coalesce((SELECT max(CASE WHEN id >= {LEGACY_CASE_ID_END} "
                       f"THEN id %% {CASE_ID_MONTH} ELSE id END) FROM {_q(new)}), 0) + 1, false)",
                       [new + "_id_seq"])
    elif old_sequence:
        last_value, is_called = _fetch(cursor, f"SELECT last_value, is_called FROM {old_sequence}")[0]
        cursor.execute("SELECT setval(%s, %s, %s)", [new + "_id_seq", last_value, is_called])
    else:
        cursor.execute(f"SELECT setval(%s, coalesce((SELECT max(id) FROM {_q(new)}), 0) + 1, false)",
                       [new + "_id_seq"])
    indexes = [row[0] for row in _fetch(cursor, """
        SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = %s::regclass AND NOT x.indisprimary""", [table])]
    # Deferred foreign key checks of rows written earlier in this transaction must run before
    # their table can go (PostgreSQL refuses to drop a table with pending trigger events).
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def swap():
        cursor.execute(f"DROP TABLE {_q(table)}")
        cursor.execute(f"ALTER TABLE {_q(new)} RENAME TO {_q(table)}")
        cursor.execute(f"ALTER INDEX {_q(new + '_pkey')} RENAME TO {_q(table + '_pkey')}")

    _swap_referencing_keys(cursor, table, swap)
    for index_name in indexes:
        cursor.execute(f"ALTER INDEX {_q(index_name + '__new')} RENAME TO {_q(index_name)}")
    cursor.execute(f"ALTER SEQUENCE {_q(new + '_id_seq')} RENAME TO {_q(table + '_id_seq')}")
    cursor.execute(f"ALTER SEQUENCE {_q(table + '_id_seq')} OWNED BY {_q(table)}.id")
    cursor.execute(f"ANALYZE {_q(table)}")


def convert(table: str, column: str, *, schema_editor=None, using: str = "default",
            batch_size: int = COPY_BATCH, progress: Callable[[str], None] | None = None) -> bool:
    """Turn `table` into a table partitioned by month on `column`; False if it already is one.

    From a migration (`schema_editor` given) everything runs in the migration's transaction, the
    old table locked in EXCLUSIVE mode while its rows are copied: reads go on, writes wait. From
    the command (no schema editor) each batch is its own transaction and the table stays writable:
    a trigger records the rows written meanwhile, and only the last step (copying those) holds the
    EXCLUSIVE lock."""
    connection = schema_editor.connection if schema_editor else connections[using]
    if connection.vendor != "postgresql" or is_partitioned(table, connection.alias):
        return False
    say = progress or (lambda message: None)
    batched = schema_editor is None
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        _prepare(cursor, table, column, capture=batched)
        if not batched:
            cursor.execute(f"LOCK TABLE {_q(table)} IN EXCLUSIVE MODE")
        columns = ", ".join(_q(c) for c in _columns(cursor, table))
        high = _fetch(cursor, f"SELECT coalesce(max(id), 0) FROM {_q(table)}")[0][0]
    low = 0
    while low < high:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            # Batches of `batch_size` rows by id (ids may be sparse: month-carrying ones are).
            upper = _fetch(cursor, f"SELECT max(id) FROM (SELECT id FROM {_q(table)} WHERE id > %s AND id <= %s "
                                   f"ORDER BY id LIMIT %s) batch", [low, high, batch_size])[0][0] or high
            copied = _copy(cursor, table, columns, low, upper)
        low = upper
        say(f"{table}: copied {copied} rows up to id {low} of {high}")
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        _finish(cursor, table, high)
    say(f"{table}: partitioned by month on {column}")
    return True


def unconvert(table: str, *, schema_editor=None, using: str = "default") -> None:
    """The migrations' way back: the partitioned table's rows into a plain table of the same shape
    (identity id, the same indexes, triggers and foreign keys)."""
    connection = schema_editor.connection if schema_editor else connections[using]
    if connection.vendor != "postgresql" or not is_partitioned(table, connection.alias):
        return
    with connection.cursor() as cursor:
        plain = f"{table}__plain"
        cursor.execute(f"CREATE TABLE {_q(plain)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        columns = ", ".join(_q(c) for c in _columns(cursor, table))
        cursor.execute(f"ALTER TABLE {_q(plain)} ALTER COLUMN id DROP DEFAULT")
        own_keys = []
        cursor.execute(f"INSERT INTO {_q(plain)} ({columns}) SELECT {columns} FROM {_q(table)}")
        for name, definition in _fetch(cursor, """
                SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                WHERE conrelid = %s::regclass AND contype = 'f' AND conparentid = 0""", [table]):
            if re.search(r"REFERENCES (\S+\.)?" + re.escape(table) + r"\(", definition):
                own_keys.append((name, definition))  # to the table itself: once it has its key
                continue
            cursor.execute(f"ALTER TABLE {_q(plain)} ADD CONSTRAINT {_q(name)} {definition}")
        triggers = [row[0] for row in _fetch(cursor, """
            SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal
            AND tgparentid = 0""", [table])]
        indexes = _fetch(cursor, """
            SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = %s::regclass AND NOT x.indisprimary""", [table])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {_q(plain)} DROP CONSTRAINT IF EXISTS {_q(table + '_id_month_check')}")
        keys = _referencing_keys(cursor, table)
        for referencing, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {referencing} DROP CONSTRAINT {_q(name)}")
        cursor.execute(f"DROP TABLE {_q(table)}")
        cursor.execute(f"ALTER TABLE {_q(plain)} RENAME TO {_q(table)}")
        cursor.execute(f"ALTER TABLE {_q(table)} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY")
        highest = (f"max(CASE WHEN id >= {LEGACY_CASE_ID_END} THEN id %% {CASE_ID_MONTH} ELSE id END)"
                   if table in MONTH_ID_TABLES else "max(id)")
        cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                       f"coalesce((SELECT {highest} FROM {_q(table)}), 0) + 1, false)", [table])
        cursor.execute(f"ALTER TABLE {_q(table)} ADD PRIMARY KEY (id)")
        for name, definition in own_keys:
            cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
        for referencing, name, definition in keys:
            cursor.execute(f"ALTER TABLE {referencing} ADD CONSTRAINT {_q(name)} {definition}")
        for _name, definition in indexes:
            cursor.execute(definition.replace(" ON ONLY ", " ON "))
        for definition in triggers:
            cursor.execute(definition)
