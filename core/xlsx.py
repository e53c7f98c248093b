"""Excel (.xlsx) output for every export of the project: our own streaming SpreadsheetML writer
(xlsx_write), a string per row, so memory stays flat whatever the row count; openpyxl reads the
files back in the tests and reads the imports (grids.importers.tabular).

Kept over XlsxWriter's constant-memory mode because it is about three times faster on the case
export's shape, both flat in memory (`bench/xlsx_writers.py`; figures in bench/README.md)."""
import math
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_TITLE_BAD = re.compile(r"[\\/*?:\[\]]")
# Characters XML 1.0 cannot carry (C0 controls but tab and newlines, lone surrogates, U+FFFE/FFFF):
# dropped, as Excel would refuse the file.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
CELL_TEXT_MAX = 32_767  # Excel's limits: the characters of one cell, the rows of a sheet
SHEET_MAX_ROWS = 1_048_576
COLUMN_WIDTH_MAX = 255
EXCEL_EPOCH = datetime(1899, 12, 30)  # serial day 0 in the 1900 date system (past 1900-03-01)
DAY = timedelta(days=1)
FLUSH_CHARS = 256 * 1024

# Cell styles (styles.xml's cellXfs, by index): 0 plain, 1 bold (the header), 2 a date, 3 a date and time.
STYLE_BOLD, STYLE_DATE, STYLE_DATETIME = 1, 2, 3

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '</Types>'
)
PACKAGE_RELS_XML = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{NS_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{NS_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK_RELS_XML = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{NS_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{NS_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{NS_REL}/styles" Target="styles.xml"/></Relationships>'
)
STYLES_XML = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{NS_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def _column_letters(index: int) -> str:
    """A, B, … Z, AA, … for the 0-based column index."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _text(value: str) -> str:
    if len(value) > CELL_TEXT_MAX:
        value = value[:CELL_TEXT_MAX]
    return escape(XML_ILLEGAL.sub("", value))


def _cell(ref: str, value: Any, zone: tzinfo) -> str:
    """One cell's XML. A blank is an empty cell, so that a row read back is as wide as written. Numbers
    and text as they are, decimals as floats, dates as dates, aware datetimes as wall-clock times
    in `zone` (Excel has no time zones), anything else as its text."""
    kind = type(value)
    if kind is str:
        if not value:
            return f'<c r="{ref}"/>'
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'
    if value is None:
        return f'<c r="{ref}"/>'
    if kind is int:
        return f'<c r="{ref}"><v>{value}</v></c>'
    if kind is datetime:
        if value.tzinfo is not None:
            value = value.astimezone(zone).replace(tzinfo=None)
        return f'<c r="{ref}" s="{STYLE_DATETIME}"><v>{(value - EXCEL_EPOCH) / DAY!r}</v></c>'
    if kind is bool:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if kind is float or kind is Decimal:
        if not (math.isfinite(value) if kind is float else value.is_finite()):
            return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'  # Excel has no NaN nor infinity
        return f'<c r="{ref}"><v>{float(value)!r}</v></c>'
    if kind is date:
        return f'<c r="{ref}" s="{STYLE_DATE}"><v>{(value - EXCEL_EPOCH.date()).days}</v></c>'
    # Subclasses (SafeString, a TextChoices member, …) as their base type; anything else as text.
    if isinstance(value, str):
        return _cell(ref, str.__str__(value), zone)  # an exact str
    if isinstance(value, int | float | Decimal):
        return _cell(ref, int(value) if isinstance(value, int) else float(value), zone)
    if isinstance(value, datetime):
        return _cell(ref, datetime.combine(value.date(), value.timetz()), zone)
    if isinstance(value, date):
        return _cell(ref, date(value.year, value.month, value.day), zone)
    return _cell(ref, str(value), zone)


def _display_width(text: str) -> int:
    """Columns a header takes: two for a wide (CJK) character, one for the rest."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _sheet_head(headers: Sequence[str], header_row: int, dimension: str) -> str:
    """The sheet's opening: its extent (which spares a reader a pass over every row to find it),
    the header row frozen at the top, each column as wide as its header."""
    widths = "".join(f'<col min="{n}" max="{n}" width="{min(COLUMN_WIDTH_MAX, max(10, _display_width(str(h)) + 2))}" customWidth="1"/>'
                     for n, h in enumerate(headers, start=1))
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS_MAIN}">'
        f'<dimension ref="{dimension}"/>'
        f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{header_row}" topLeftCell="A{header_row + 1}" '
        f'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        f'{f"<cols>{widths}</cols>" if widths else ""}<sheetData>'
    )


def _rows_xml(out: IO[bytes], headers: Sequence[str], rows: Iterable[Iterable], note: str,
              header_row: int) -> tuple[int, int]:
    """The note, header and data rows' XML into `out`, in pieces of about FLUSH_CHARS; returns
    (the last row's number, the widest row's cell count)."""
    zone = timezone.get_current_timezone()
    letters: list[str] = [_column_letters(n) for n in range(max(len(headers), 1))]
    pending = []
    if note:
        pending.append(f'<row r="1">{_cell("A1", str(note), zone)}</row>')
    header_cells = "".join(
        f'<c r="{letters[n]}{header_row}" t="inlineStr" s="{STYLE_BOLD}"><is><t>{_text(str(h))}</t></is></c>'
        for n, h in enumerate(headers))
    pending.append(f'<row r="{header_row}">{header_cells}</row>')
    number, width, size = header_row, max(len(headers), 1), 0
    for row in rows:
        number += 1
        if number > SHEET_MAX_ROWS:
            raise ApplicationError(_("超过 Excel 工作表的行数上限（%(rows)s 行），请缩小范围或导出为 csv")
                                   % {"rows": f"{SHEET_MAX_ROWS:,}"})
        values = list(row)
        if len(values) > width:
            width = len(values)
            letters.extend(_column_letters(n) for n in range(len(letters), width))
        cells = "".join(_cell(f"{letters[n]}{number}", value, zone) for n, value in enumerate(values))
        line = f'<row r="{number}">{cells}</row>'
        pending.append(line)
        size += len(line)
        if size >= FLUSH_CHARS:
            out.write("".join(pending).encode())
            pending, size = [], 0
    out.write("".join(pending).encode())
    return number, width


def xlsx_write(target: IO[bytes], *, title: str, headers: Sequence[str], rows: Iterable[Iterable],
               note: str = "") -> int:
    """Write the workbook to a binary file: an optional note row, a bold header row, the rows.
    Returns the number of data rows.

    An .xlsx file is a zip of XML parts (ECMA-376 SpreadsheetML). The rows' XML goes to a temporary
    file first, since the sheet's extent, which comes before them, is known only after the last
    (the extent spares a reader a pass over every row). Text is inline (`t="inlineStr"`: no
    shared-string table held in memory), dates and times Excel serial numbers in a date style.
    openpyxl's write-only mode, used before, spent most of an export building and serialising an
    element per cell (figures in bench/README.md)."""
    sheet_name = _sheet_name(title)
    header_row = 2 if note else 1
    with tempfile.TemporaryFile() as rows_xml:
        last_row, width = _rows_xml(rows_xml, headers, rows, note, header_row)
        head = _sheet_head(headers, header_row, f"A1:{_column_letters(width - 1)}{last_row}").encode()
        tail = b"</sheetData></worksheet>"
        member = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=timezone.localtime().timetuple()[:6])
        member.compress_type = zipfile.ZIP_DEFLATED
        # Its size told in advance: zipfile writes ZIP64 headers only for a sheet that needs them.
        member.file_size = len(head) + rows_xml.tell() + len(tail)
        rows_xml.seek(0)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as package:
            package.writestr("[Content_Types].xml", CONTENT_TYPES_XML)
            package.writestr("_rels/.rels", PACKAGE_RELS_XML)
            package.writestr("xl/workbook.xml", (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><sheets>'
                f'<sheet name={quoteattr(sheet_name)} sheetId="1" r:id="rId1"/></sheets></workbook>'))
            package.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS_XML)
            package.writestr("xl/styles.xml", STYLES_XML)
            with package.open(member, "w") as sheet:
                sheet.write(head)
                shutil.copyfileobj(rows_xml, sheet, 1024 * 1024)
                sheet.write(tail)
    return last_row - header_row


def _sheet_name(title: str) -> str:
    """A name Excel takes for a sheet: without the characters it forbids (and those XML cannot
    carry), not starting or ending with an apostrophe, at most 31 characters, not "History"."""
    name = SHEET_TITLE_BAD.sub("_", XML_ILLEGAL.sub("", title)).strip("'")[:31].strip("'")
    return "Sheet" if not name or name.lower() == "history" else name


def xlsx_file(*, title: str, headers: Sequence[str], rows: Iterable[Iterable], note: str = "") -> IO[bytes]:
    """The workbook in a temporary file, rewound."""
    spool = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        xlsx_write(spool, title=title, headers=headers, rows=rows, note=note)
    except BaseException:
        spool.close()
        raise
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
