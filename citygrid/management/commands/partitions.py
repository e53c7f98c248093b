"""`python manage.py partitions status|ensure|detach|attach|convert`: the monthly partitions of the
history tables on PostgreSQL (core.partitions, docs/partitioning.md)."""
from django.core.management.base import CommandError
from django.db import DatabaseError

from core.commands import BaseCommand
from core.partitions import (
    COPY_BATCH,
    MONTH_ID_TABLES,
    MONTHS_AHEAD,
    Month,
    PartitionError,
    attach,
    convert,
    detach,
    ensure,
    is_postgres,
    partitioned_tables,
    status,
)

# The tables the migrations partition (cases 0018 and 0023, patrol 0004) and their month column (the
# case table: its month-carrying id): what `convert` turns into partitioned tables in batches ahead
# of those migrations on a large database.
HISTORY_TABLES = {"cases_case": "id", "cases_caseevent": "created_at", "cases_casestep": "started_at",
                  "patrol_patrolpoint": "at"}


class Command(BaseCommand):
    help = "Monthly partitions of the history tables (PostgreSQL): status, ensure, detach, attach, convert."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        commands.add_parser("status", help="Months of each partitioned table; warns of rows in DEFAULT.")
        ensure_parser = commands.add_parser("ensure", help="Create months ahead; split rows out of DEFAULT.")
        ensure_parser.add_argument("--ahead", type=int, default=MONTHS_AHEAD)
        for name, text in (("detach", "Detach a month to the archive schema."),
                           ("attach", "Attach an archived month back.")):
            month_parser = commands.add_parser(name, help=text)
            month_parser.add_argument("year", type=int)
            month_parser.add_argument("month", type=int, choices=range(1, 13))
            month_parser.add_argument("--table", action="append", help="Only this table (repeatable).")
        convert_parser = commands.add_parser(
            "convert", help="Partition the history tables in batches, the tables staying in use.")
        convert_parser.add_argument("--table", action="append", choices=sorted(HISTORY_TABLES))
        convert_parser.add_argument("--batch-size", type=int, default=COPY_BATCH)

    def handle(self, *args, action: str, **options):
        if not is_postgres():
            raise CommandError("Partitions exist on PostgreSQL only; this database is not partitioned.")
        try:
            getattr(self, f"_{action}")(**options)
        except (PartitionError, DatabaseError) as error:
            raise CommandError(str(error).strip()) from error

    def _status(self, **options):
        for table in status():
            span = f"{table.months[0]} … {table.months[-1]}" if table.months else "none"
            self.stdout.write(f"{table.table} by {table.column}: {len(table.months)} months ({span})"
                              + (f", archived: {', '.join(map(str, table.archived))}" if table.archived else ""))
            if table.default_rows and table.table in MONTH_ID_TABLES:
                self.stderr.write(self.style.WARNING(
                    f"  {table.default_rows} rows in {table.table}_default (a month without its partition): "
                    "they stay there, as rows of other tables refer to them; create months ahead "
                    "(`partitions ensure --ahead N`) before loading cases of the future"))
            elif table.default_rows:
                self.stderr.write(self.style.WARNING(
                    f"  {table.default_rows} rows in {table.table}_default (a month without its partition): "
                    "run `partitions ensure` to split them out"))
            if missing := table.missing_ahead(MONTHS_AHEAD):
                self.stderr.write(self.style.WARNING(
                    f"  no partition yet for {', '.join(map(str, missing))}: run `partitions ensure`"))

    def _ensure(self, *, ahead: int, **options):
        created = ensure(ahead=ahead)
        self.stdout.write(self.style.SUCCESS(f"created {len(created)} partitions")
                          + ("".join(f"\n  {name}" for name in created)))

    def _tables(self, only: list[str] | None) -> list[str]:
        """The tables named, or by default the history tables: the case table only when named, as a
        month of cases is archived after what refers to it (docs/partitioning.md)."""
        tables = list(partitioned_tables())
        unknown = set(only or []) - set(tables)
        if unknown:
            raise CommandError(f"not partitioned: {', '.join(sorted(unknown))}")
        return only or [name for name in tables if name not in MONTH_ID_TABLES]

    def _detach(self, *, year: int, month: int, table: list[str] | None, **options):
        for name in self._tables(table):
            self.stdout.write(f"{name}: detached to {detach(name, Month(year, month))}")

    def _attach(self, *, year: int, month: int, table: list[str] | None, **options):
        for name in self._tables(table):
            self.stdout.write(f"{name}: attached {attach(name, Month(year, month))}")

    def _convert(self, *, table: list[str] | None, batch_size: int, **options):
        for name in table or HISTORY_TABLES:
            if not convert(name, HISTORY_TABLES[name], batch_size=batch_size, progress=self.stdout.write):
                self.stdout.write(f"{name}: already partitioned")
