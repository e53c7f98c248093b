"""PostgreSQL COPY ... FROM STDIN for bulk writes: its text format (escapes, NULL, booleans, values by
type) and one writer, `copy_rows`, used by the assessment's results and the case generator."""
import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db import connection as default_connection

# COPY's text format: the characters that must be escaped (NULL is \N, booleans t and f).
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_escaped(value: str) -> str:
    return value.translate(COPY_ESCAPES)


def copy_escaped_bytes(text: str) -> bytes:
    """Text for a COPY field as UTF-8 (the generator's byte arrays)."""
    return text.translate(COPY_ESCAPES).encode()


def copy_unescaped(raw: bytes) -> str:
    """A field read back from COPY text (the generator writes its rows through the ORM elsewhere)."""
    return raw.decode().replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r").replace("\\\\", "\\")


def copy_json(value) -> str:
    return json.dumps(value, ensure_ascii=False).translate(COPY_ESCAPES)


# By exact type, one dict look-up per value (a chain of isinstance tests cost more than the rest
# of a month's formatting); other types through copy_value's tests.
COPY_FORMATS = {
    type(None): lambda _value: "\\N", bool: lambda value: "t" if value else "f", int: str, Decimal: str,
    str: copy_escaped, datetime: datetime.isoformat, dict: copy_json, list: copy_json,
}


def copy_value(value) -> str:
    format_ = COPY_FORMATS.get(type(value))
    if format_ is not None:
        return format_(value)
    if isinstance(value, str):  # lazy translations, str subclasses
        return copy_escaped(str(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return copy_json(value)
    return str(value)


def copy_text(values: tuple) -> str:
    """One row's values, tab-separated (a line without its newline)."""
    return "\t".join(map(copy_value, values))


def copy_statement(model, columns: Iterable[str], conn=None) -> str:
    """COPY <the model's table> (<the columns of these attribute names>) FROM STDIN."""
    conn = conn or default_connection
    names = ", ".join(conn.ops.quote_name(model._meta.get_field(c).column) for c in columns)
    return f"COPY {conn.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN"


def copy_rows(model, columns: Iterable[str], blocks: Iterable[str | bytes], *, conn=None) -> None:
    """COPY blocks of text (whole lines: tab-separated values in `columns` order, each ending in a
    newline) into the model's table, on `conn` (default: this thread's default connection). On
    PostgreSQL several times faster than multi-row INSERTs (no SQL text to build and parse)."""
    conn = conn or default_connection
    with conn.cursor() as cursor, cursor.cursor.copy(copy_statement(model, columns, conn)) as copy:
        for block in blocks:
            copy.write(block)


def copy_lines(model, columns: Iterable[str], lines: Iterable[str], *, chunk: int = 5000, conn=None) -> None:
    """copy_rows of lines without their newlines, sent `chunk` lines at a time."""

    def blocks():
        block = []
        for line in lines:
            block.append(line)
            if len(block) >= chunk:
                yield "\n".join(block) + "\n"
                block = []
        if block:
            yield "\n".join(block) + "\n"

    copy_rows(model, columns, blocks(), conn=conn)
