"""The generated rows' columns, and their PostgreSQL COPY text built column-wise with numpy (digits by
arithmetic, timestamps through day and second tables); the same values as Python objects for the ORM."""
import json
from datetime import UTC, date, datetime, timedelta

import numpy as np

from core.pgcopy import copy_unescaped

from ..models import Case, CaseEvent, CaseRequest, CaseStep, Task
from .mix import NULL, STATE_CODES, STEP_CODES

# (attname, type) per table, in COPY column order. Types: int (NULL = -1), ts (epoch seconds), bool
# (-1/0/1), float, bytes (escaped UTF-8), state, step (codes), json (bytes), null.
CASE_COLUMNS = [
    ("id", "int"), ("number", "bytes"), ("source", "bytes"), ("kind", "bytes"), ("minor_id", "int"),
    ("component_id", "int"), ("lon", "float"), ("lat", "float"), ("address", "bytes"), ("unit_grid_id", "int"),
    ("community_id", "int"), ("street_id", "int"), ("district_id", "int"), ("responsibility_grid_id", "int"),
    ("description", "bytes"), ("urgency", "bytes"), ("reporter_id", "int"), ("reporter_name", "bytes"),
    ("reporter_phone", "bytes"), ("idempotency_key", "null"), ("state", "state"), ("department_id", "int"),
    ("suggested_department_id", "int"), ("ownership_unknown", "bool"), ("verified", "bool"),
    ("duplicate_of_id", "null"), ("merged_into_id", "null"), ("current_step", "step"), ("current_deadline", "ts"),
    ("current_step_started_at", "ts"), ("reported_at", "ts"), ("filed_at", "ts"), ("dispatched_at", "ts"),
    ("handle_deadline", "ts"), ("handled_at", "ts"), ("handled_on_time", "bool"), ("closed_at", "ts"),
    ("closed_on_time", "bool"), ("voided_at", "ts"), ("rework_count", "int"), ("return_count", "int"),
    ("extension_count", "int"), ("suspension_count", "int"), ("urge_count", "int"), ("updated_at", "ts"),
]
STEP_COLUMNS = [("case_id", "int"), ("kind", "step"), ("department_id", "int"), ("started_at", "ts"),
                ("deadline", "ts"), ("completed_at", "ts"), ("on_time", "bool"), ("overdue_marked_at", "ts"),
                ("completed_by_id", "int"), ("work_minutes", "int")]
TASK_COLUMNS = [("id", "int"), ("case_id", "int"), ("kind", "bytes"), ("responsibility_grid_id", "int"),
                ("created_by_id", "int"), ("created_at", "ts"), ("deadline", "ts"), ("completed_at", "ts"),
                ("completed_by_id", "int"), ("result", "bool"), ("note", "bytes")]
REQUEST_COLUMNS = [("id", "int"), ("case_id", "int"), ("kind", "bytes"), ("status", "bytes"), ("reason", "bytes"),
                   ("requested_deadline", "ts"), ("requested_by_id", "int"), ("requested_at", "ts"),
                   ("decided_by_id", "int"), ("decided_at", "ts"), ("decision_note", "bytes")]
EVENT_COLUMNS = [("case_id", "int"), ("action", "bytes"), ("from_state", "state"), ("to_state", "state"),
                 ("actor_id", "int"), ("created_at", "ts"), ("note", "bytes"), ("payload", "json")]
TABLES = [(Case, CASE_COLUMNS), (CaseStep, STEP_COLUMNS), (Task, TASK_COLUMNS), (CaseRequest, REQUEST_COLUMNS),
          (CaseEvent, EVENT_COLUMNS)]

STATE_BYTES = np.array([s.encode() for s in STATE_CODES] + [b""], dtype="S")  # index -1 → blank
STEP_BYTES = np.array([s.encode() for s in STEP_CODES] + [b""], dtype="S")  # index -1 → blank
BOOL_TEXT = np.array([b"f", b"t", b"\\N"], dtype="S")
BOOL_JSON = np.array([b"false", b"true", b"null"], dtype="S")
TAB, NEWLINE = 9, 10


def _matrix(values: np.ndarray) -> np.ndarray:
    """An S array as an (n, width) uint8 matrix, NUL-padded."""
    values = np.ascontiguousarray(values)
    return values.view(np.uint8).reshape(len(values), values.dtype.itemsize)


def const_matrix(text: bytes, n: int) -> np.ndarray:
    return np.broadcast_to(np.frombuffer(text, dtype=np.uint8), (n, len(text)))


class TextFormat:
    """Columns → PostgreSQL COPY text, vectorised. Every cell becomes a NUL-padded byte matrix
    (digits by arithmetic, timestamps through day and second tables, strings as they are); a row
    is the matrices side by side with tabs, and the NULs are squeezed out at the end (no text
    here contains a NUL byte)."""

    def __init__(self, first: date, last: date):
        self.epoch_day0 = (first - date(1970, 1, 1)).days
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        self.day_text = _matrix(np.array([d.isoformat().encode() + b" " for d in days], dtype="S"))
        self.day_iso = _matrix(np.array([d.isoformat().encode() + b"T" for d in days], dtype="S"))
        seconds = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}".encode() for s in range(86400)]
        self.second_text = _matrix(np.array([s + b"+00" for s in seconds], dtype="S"))
        self.second_iso = _matrix(np.array([s + b"+00:00" for s in seconds], dtype="S"))
        self.null = np.frombuffer(b"\\N", dtype=np.uint8)

    @staticmethod
    def digits(values: np.ndarray, *, minimum: int = 1) -> np.ndarray:
        """Non-negative integers as decimal digits, leading zeros as NULs."""
        top = int(values.max(initial=0))
        width = max(len(str(top)), minimum)
        powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
        out = (values[:, None] // powers % 10 + 48).astype(np.uint8)
        out[:, :-1][values[:, None] < powers[:-1]] = 0
        return out

    def _time(self, t: np.ndarray, days: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        safe = np.where(t == NULL, 0, t)
        day = np.clip(safe // 86400 - self.epoch_day0, 0, len(days) - 1)
        return np.hstack([days[day], seconds[safe % 86400]])

    def cell(self, kind: str, values, n: int) -> np.ndarray:
        if kind in ("int", "json_int"):
            values = np.asarray(values)
            null = values == NULL
            out = self.digits(np.where(null, 0, values), minimum=4 if kind == "json_int" else 2)
            if null.any():
                out[null] = 0
                out[null, : 4 if kind == "json_int" else 2] = np.frombuffer(
                    b"null" if kind == "json_int" else b"\\N", dtype=np.uint8)
            return out
        if kind in ("ts", "iso"):
            out = self._time(values, *((self.day_text, self.second_text) if kind == "ts"
                                       else (self.day_iso, self.second_iso)))
            null = values == NULL
            if null.any():
                out[null] = 0
                out[null, :2] = self.null
            return out
        if kind == "float":  # 7 decimals: a centimetre
            scaled = np.round(np.abs(values) * 1e7).astype(np.int64)
            sign = np.where(values < 0, 45, 0).astype(np.uint8)[:, None]
            fraction = self.digits(scaled % 10**7 + 10**7)[:, 1:]
            return np.hstack([sign, self.digits(scaled // 10**7), const_matrix(b".", n), fraction])
        if kind == "bool":
            return _matrix(BOOL_TEXT[np.where(values == NULL, 2, values)])
        if kind == "json_bool":
            return _matrix(BOOL_JSON[np.where(values == NULL, 2, values)])
        if kind == "state":
            return _matrix(STATE_BYTES[values])
        if kind == "step":
            return _matrix(STEP_BYTES[values])
        if kind == "null":
            return const_matrix(b"\\N", n)
        values = np.asarray(values)
        return values if values.ndim == 2 else _matrix(values)  # bytes, json: escaped S arrays or matrices

    def rows(self, columns: list[tuple[str, str]], frame: dict) -> bytes:
        n = len(frame[columns[0][0]])
        if not n:
            return b""
        tab = const_matrix(bytes([TAB]), n)
        cells = []
        for name, kind in columns:
            cells += [self.cell(kind, frame.get(name), n), tab]
        cells[-1] = const_matrix(bytes([NEWLINE]), n)
        flat = np.hstack(cells).ravel()
        return flat[flat != 0].tobytes()

    def iso(self, t: np.ndarray) -> np.ndarray:
        """ISO 8601 text of instants as an S array (for payloads built outside a row)."""
        matrix = np.ascontiguousarray(self._time(t, self.day_iso, self.second_iso))
        return matrix.view(f"S{matrix.shape[1]}").ravel()


def python_value(kind: str, value):
    """One cell of a column as the ORM takes it (the rows are written by bulk_create elsewhere)."""
    if kind == "int":
        return None if value == NULL else int(value)
    if kind == "ts":
        return None if value == NULL else datetime.fromtimestamp(int(value), UTC)
    if kind == "bool":
        return None if value == NULL else bool(value)
    if kind == "float":
        return float(value)
    if kind == "state":
        return "" if value == NULL else STATE_CODES[value]
    if kind == "step":
        return "" if value == NULL else STEP_CODES[value]
    if kind == "null":
        return None
    if kind == "json":  # a row of a byte matrix
        return json.loads(copy_unescaped(value[value != 0].tobytes()))
    return copy_unescaped(bytes(value))
