"""Primary keys and case numbers for generated rows, handed out before the rows are written."""
import numpy as np
from django.db import connection, transaction

from ..models import CaseNumberSequence


class Ids:
    """Primary keys and case numbers handed out ahead of the rows: PostgreSQL sequences (nextval,
    so live intake running meanwhile never collides), elsewhere counters after the highest id."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"
        self.next: dict[str, int] = {}

    def take(self, model, n: int) -> np.ndarray:
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        table = model._meta.db_table
        if self.postgres:
            return self._block("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                               [table, n], n)
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
