"""core.xlsx: the workbooks it writes read back, value by value and style by style, in openpyxl
(the reader the imports use) in both its modes."""
import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.safestring import mark_safe
from openpyxl import load_workbook

from core import xlsx
from core.errors import ApplicationError


class Colour(TextChoices):
    RED = "red", "红"


def _workbook(read_only: bool = False, **kwargs):
    spool = xlsx.xlsx_file(**{"title": "案件", "headers": ["编号", "时间"], "rows": [], **kwargs})
    return load_workbook(io.BytesIO(spool.read()), read_only=read_only)


@pytest.mark.parametrize("read_only", [False, True])
def test_values_read_back_as_their_types(read_only, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    rows = [
        ["A-1", 7, 1.25, Decimal("2.50"), True, False, None, ""],
        [mark_safe("<b>粗</b> & 细"), Colour.RED, datetime(2026, 11, 3, 1, 2, 3, tzinfo=UTC),
         datetime(2026, 11, 3, 9, 0), date(2026, 1, 2), -3, 0, "跨\n行"],
    ]
    sheet = _workbook(read_only, rows=rows, headers=list("ABCDEFGH")).active
    got = list(sheet.iter_rows(values_only=True))
    assert got[0] == tuple("ABCDEFGH")
    assert got[1] == ("A-1", 7, 1.25, 2.5, True, False, None, None)
    # an aware time as Shanghai's wall clock; a date as a date (openpyxl gives it at midnight)
    assert got[2] == ("<b>粗</b> & 细", "red", datetime(2026, 11, 3, 9, 2, 3), datetime(2026, 11, 3, 9, 0),
                      datetime(2026, 1, 2), -3, 0, "跨\n行")


def test_note_row_bold_frozen_header_and_widths():
    workbook = _workbook(note="2026-11 区县排名", rows=[["x", "y"]])
    sheet = workbook.active
    assert sheet.title == "案件"
    assert [c.value for c in sheet[1]][:1] == ["2026-11 区县排名"]
    assert [c.value for c in sheet[2]] == ["编号", "时间"]
    assert all(c.font.b for c in sheet[2]) and not sheet["A3"].font.b
    assert sheet.freeze_panes == "A3"  # the rows scroll under the header
    assert sheet.column_dimensions["A"].width == 10  # at least ten wide
    assert sheet.max_row == 3


def test_header_width_counts_wide_characters_twice():
    sheet = _workbook(headers=["综合指标值（按来源统计）", "id"]).active
    assert sheet.column_dimensions["A"].width == 12 * 2 + 2
    assert sheet.column_dimensions["B"].width == 10


def test_sheet_title_cleaned_and_cut_to_excels_limit():
    assert _workbook(title="2026/11 [区县]: 排名*").active.title == "2026_11 _区县__ 排名_"
    assert _workbook(title="长" * 40).active.title == "长" * 31
    assert _workbook(title="'东区\x01环卫所'").active.title == "东区环卫所"  # from the database: anything
    assert _workbook(title="").active.title == "Sheet"
    assert _workbook(title="History").active.title == "Sheet"  # a name Excel keeps for itself


def test_characters_xml_cannot_carry_are_dropped_and_long_text_cut():
    rows = [["a\x00b\x07c\x1fd\tz", "长" * (xlsx.CELL_TEXT_MAX + 10)]]
    got = list(_workbook(rows=rows).active.iter_rows(min_row=2, values_only=True))
    assert got == [("abcd\tz", "长" * xlsx.CELL_TEXT_MAX)]


def test_rows_longer_than_the_header_get_their_columns():
    row = list(range(30))
    got = list(_workbook(rows=[row]).active.iter_rows(min_row=2, values_only=True))
    assert got == [tuple(row)]
    assert xlsx._column_letters(25) == "Z" and xlsx._column_letters(26) == "AA" and xlsx._column_letters(702) == "AAA"


def test_every_part_is_well_formed_xml_and_the_sheet_is_written_in_pieces(monkeypatch):
    monkeypatch.setattr(xlsx, "FLUSH_CHARS", 200)  # many flushes: the pieces must join into one document
    rows = ([n, f"第{n}行 <&>", datetime(2026, 11, 1, n % 24)] for n in range(2_000))
    target = io.BytesIO()
    assert xlsx.xlsx_write(target, title="t", headers=["n", "text", "at"], rows=rows) == 2_000
    package = zipfile.ZipFile(target)
    assert set(package.namelist()) == {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml",
                                       "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml"}
    for name in package.namelist():
        ElementTree.fromstring(package.read(name))
    got = list(load_workbook(target, read_only=True).active.iter_rows(min_row=2, values_only=True))
    assert len(got) == 2_000 and got[1999] == (1999, "第1999行 <&>", datetime(2026, 11, 1, 1999 % 24))


def test_more_rows_than_a_sheet_holds_is_refused(monkeypatch):
    monkeypatch.setattr(xlsx, "SHEET_MAX_ROWS", 5)
    with pytest.raises(ApplicationError, match="超过 Excel 工作表的行数上限（5 行）"):
        xlsx.xlsx_file(title="t", headers=["n"], rows=([n] for n in range(10)))
    assert xlsx.xlsx_write(io.BytesIO(), title="t", headers=["n"], rows=([n] for n in range(4))) == 4


def test_not_a_number_written_as_text():
    rows = [[float("nan"), float("inf"), Decimal("NaN"), Decimal("sNaN"), Decimal("-Infinity")]]
    got = list(_workbook(rows=rows, headers=list("ABCDE")).active.iter_rows(min_row=2, values_only=True))
    assert got == [("nan", "inf", "NaN", "sNaN", "-Infinity")]


def test_aware_times_shown_in_the_current_time_zone():
    moment = datetime(2026, 11, 3, 1, 2, 3, tzinfo=UTC)
    with timezone.override("UTC"):
        utc = list(_workbook(rows=[[moment]]).active.iter_rows(min_row=2, values_only=True))
    with timezone.override("Asia/Shanghai"):
        shanghai = list(_workbook(rows=[[moment]]).active.iter_rows(min_row=2, values_only=True))
    assert utc == [(datetime(2026, 11, 3, 1, 2, 3), None)]
    assert shanghai == [(datetime(2026, 11, 3, 9, 2, 3), None)]


def test_a_small_sheet_gets_plain_zip_headers():
    """ZIP64 headers only where a part needs them: some readers (Excel among them, reportedly)
    refuse ZIP64 where the sizes do not call for it."""
    target = io.BytesIO()
    xlsx.xlsx_write(target, title="t", headers=["n"], rows=([n] for n in range(100)))
    info = zipfile.ZipFile(target).getinfo("xl/worksheets/sheet1.xml")
    local_header = target.getvalue()[info.header_offset:info.header_offset + 30]
    assert local_header[:4] == b"PK\x03\x04"
    assert int.from_bytes(local_header[4:6], "little") == 20  # 45 is the version that needs ZIP64


def test_the_sheet_states_its_extent_so_a_reader_need_not_scan_it():
    rows = [["a", 1], ["b", 2, "wider"], []]
    package = zipfile.ZipFile(xlsx.xlsx_file(title="t", headers=["x", "y"], note="说明", rows=rows))
    sheet = ElementTree.fromstring(package.read("xl/worksheets/sheet1.xml"))
    dimension = sheet.find(f"{{{xlsx.NS_MAIN}}}dimension")
    assert dimension is not None and dimension.get("ref") == "A1:C5"  # note, header, three rows; three wide
    assert load_workbook(package.fp, read_only=True).active.max_row == 5
