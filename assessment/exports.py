"""Excel export of any assessment table: openpyxl in write-only mode (rows streamed to a temporary
file, constant memory whatever the row count), then the file streamed to the browser."""
import re
import tempfile
from collections.abc import Iterable
from decimal import Decimal

from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

SHEET_TITLE_BAD = re.compile(r"[\\/*?:\[\]]")


def _cell_value(value):
    if isinstance(value, Decimal):
        return float(value)
    if value is None:
        return ""
    if isinstance(value, int | float | str):
        return value
    return str(value)


def xlsx_response(*, filename: str, title: str, headers: list[str], rows: Iterable[Iterable],
                  note: str = "") -> FileResponse:
    """An .xlsx with a header row (and an optional note row above it) and the rows as given."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=SHEET_TITLE_BAD.sub("_", title)[:31] or "Sheet")
    bold = Font(bold=True)
    if note:
        sheet.append([note])
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=str(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_cell_value(value) for value in row])
    spool = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
