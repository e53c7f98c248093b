"""Primary keys and case numbers for generated rows, handed out before the rows are written."""
from datetime import UTC, datetime

import numpy as np
from django.db import connection, transaction

from core.partitions import Month, case_id_floor

from ..models import Case, CaseNumberSequence

# The one sequence every case id takes its n from (cases.months.case_id_new).
CASE_ID_SEQUENCE = "cases_case_id_seq"


class Ids:
    """Primary keys and case numbers handed out ahead of the rows: PostgreSQL sequences (nextval,
    so live intake running meanwhile never collides), elsewhere counters after the highest id."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"
        self.next: dict[str, int] = {}
        self.sequence: dict[str, str] = {}

    def take(self, model, n: int) -> np.ndarray:
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        table = model._meta.db_table
        if self.postgres:
            if table not in self.sequence:  # named once: pg_get_serial_sequence per value costs 5× the nextval
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                    self.sequence[table] = cursor.fetchone()[0]
            return self._block("SELECT nextval(%s) FROM generate_series(1, %s)", [self.sequence[table], n], n)
        if table not in self.next:
            self.next[table] = (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        start = self.next[table]
        self.next[table] += n
        return np.arange(start, start + n, dtype=np.int64)

    @staticmethod
    def _block(sql: str, params: list, n: int) -> np.ndarray:
        """n values of a sequence; usually one contiguous block, so only its ends travel."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT min(v), max(v) FROM ({sql}) AS taken(v)", params)
            low, high = cursor.fetchone()
            if high - low + 1 == n:
                return np.arange(low, high + 1, dtype=np.int64)
            # Live intake took values meanwhile: ours are scattered, and all of them are needed.
            cursor.execute(f"SELECT v FROM ({sql}) AS taken(v)", params)  # a fresh set
            return np.sort(np.array([row[0] for row in cursor.fetchall()], dtype=np.int64))

    def case_ids(self, reported: np.ndarray) -> np.ndarray:
        """The ids of cases reported at `reported` (epoch seconds). On PostgreSQL each is its city
        month's base plus a value of the case id sequence, as cases.months.case_id_new computes it in
        the intake's INSERT (docs/partitioning.md): the values reserved in one round trip, so ids stay
        unique beside the live intake and grow with `reported`. Elsewhere plain ids."""
        n = len(reported)
        if not self.postgres or n == 0:
            return self.take(Case, n)
        values = self._block("SELECT nextval(%s) FROM generate_series(1, %s)", [CASE_ID_SEQUENCE, n], n)
        return month_id_floors(reported) + values

    def numbers(self, year: int, n: int) -> np.ndarray:
        """The next n case numbers of the year (cases.services.case_number_next, in bulk)."""
        if self.postgres:
            name = f"case_number_{year}"
            if name not in self.next:
                with connection.cursor() as cursor:
                    cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name}")
                self.next[name] = 0
            values = self._block("SELECT nextval(%s) FROM generate_series(1, %s)", [name, n], n)
        else:
            with transaction.atomic():
                sequence, _created = CaseNumberSequence.objects.select_for_update().get_or_create(year=year)
                start = sequence.last + 1
                sequence.last += n
                sequence.save(update_fields=["last"])
            values = np.arange(start, start + n, dtype=np.int64)
        return np.strings.add(str(year).encode(), np.strings.zfill(values.astype("S8"), 8))


def month_id_floors(reported: np.ndarray) -> np.ndarray:
    """core.partitions.case_id_floor of each instant (epoch seconds), vectorised: the city months
    from the earliest to the latest, each instant placed among their starts."""
    month, last = (Month.of(datetime.fromtimestamp(int(t), UTC)) for t in (reported.min(), reported.max()))
    starts, floors = [], [case_id_floor(month.start)]
    while month < last:
        month = month.next()
        starts.append(int(month.start.timestamp()))
        floors.append(case_id_floor(month.start))
    month_of = np.searchsorted(np.array(starts, dtype=np.int64), reported, side="right")
    return np.array(floors, dtype=np.int64)[month_of]
