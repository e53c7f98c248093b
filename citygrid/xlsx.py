"""Excel (.xlsx) output for every export of the project: openpyxl's write-only mode appends rows to
a temporary file as they come, so memory stays flat whatever the row count; the finished file is
then streamed to the browser (a zip can only be closed once every row is in)."""
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_TITLE_BAD = re.compile(r"[\\/*?:\[\]]")


def cell_value(value: Any):
    """A value Excel shows as such: numbers and text as they are, blanks for None, decimals as
    floats, dates as dates, aware datetimes as local wall-clock times (Excel has no time zones), the
    rest as text."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value
    return str(value)


def xlsx_file(*, title: str, headers: Sequence[str], rows: Iterable[Iterable], note: str = "") -> IO[bytes]:
    """The workbook in a temporary file, rewound: an optional note row, a bold header row, the rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=SHEET_TITLE_BAD.sub("_", title)[:31] or "Sheet")
    if note:
        sheet.append([note])
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=str(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([cell_value(value) for value in row])
    spool = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(spool)
    spool.seek(0)
    return spool


def xlsx_response(*, filename: str, title: str, headers: Sequence[str], rows: Iterable[Iterable],
                  note: str = "") -> FileResponse:
    """The workbook as a download."""
    return FileResponse(xlsx_file(title=title, headers=headers, rows=rows, note=note), as_attachment=True,
                        filename=filename, content_type=CONTENT_TYPE)


def xlsx_chunks(*, title: str, headers: Sequence[str], rows: Iterable[Iterable],
                chunk_bytes: int = 256 * 1024) -> Iterator[bytes]:
    """The workbook as bytes, chunk by chunk (for a file on disk or a streaming response)."""
    with xlsx_file(title=title, headers=headers, rows=rows) as spool:
        while chunk := spool.read(chunk_bytes):
            yield chunk
