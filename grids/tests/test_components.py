"""Importing census components (csv, xlsx, GeoJSON) and exporting them: every error names its row and
leaves nothing written."""
import csv
import datetime as dt
import io
import json

import openpyxl
import pytest

from core.errors import ApplicationError
from grids.importers.components import components_export, components_import
from grids.models import Component, ComponentStatus

HEADER = ["code", "minor_code", "lon", "lat", "status", "name", "owner_department", "competent_department",
          "maintainer_department", "surveyed_on", "data_source"]
GOOD = [
    ["4301020101000001", "0101", "112.0005", "28.0015", "完好", "上水井盖1", "SW01", "", "", "2025-05-01", "普查2025"],
    ["4301020102000001", "0102", "112.0015", "28.0005", "破损", "", "", "DQ-CG", "DQ-CG", "2025/05/02", "普查2025"],
    ["43010201001000001", "01001", "112.001", "28.001", "intact", "", "", "", "", "", ""],  # the shared corner
]


def csv_bytes(rows, header=HEADER):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@pytest.fixture
def census(classes, grid_block, west_grid, departments):
    return None


@pytest.mark.django_db
def test_csv_import(census, grid_block, departments):
    assert components_import(file=csv_bytes(GOOD), format="csv") == 3
    first = Component.objects.get(code="4301020101000001")
    assert first.unit_grid == grid_block["430102001001001"]
    assert (first.minor.edition, first.minor.code) == ("legacy4", "0101")
    assert first.owner_department == departments["water"] and first.surveyed_on == dt.date(2025, 5, 1)
    second = Component.objects.get(code="4301020102000001")
    assert second.status == ComponentStatus.DAMAGED and second.in_use
    assert second.competent_department == departments["district_um"]
    corner = Component.objects.get(code="43010201001000001")
    assert corner.unit_grid.code == "430102001001001" and corner.minor.edition == "std2026"


@pytest.mark.django_db
def test_xlsx_import_with_chinese_headers(census, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["部件标识码", "小类代码", "经度", "纬度", "状态", "普查日期"])
    sheet.append(["4301020101000001", "0101", 112.0005, 28.0015, "丢失", dt.datetime(2025, 5, 1)])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["4301020103000002", 103, 112.0015, 28.0015, "完好", None])  # the leading zero was lost
    path = tmp_path / "census.xlsx"
    workbook.save(path)
    assert components_import(file=path) == 2
    assert Component.objects.get(code="4301020101000001").status == ComponentStatus.LOST
    assert Component.objects.get(code="4301020103000002").minor.code == "0103"


@pytest.mark.django_db
def test_geojson_import(census):
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [112.0005, 28.0005]},
         "properties": {"code": "4301020101000009", "minor_code": "0101"}},
    ]}
    assert components_import(file=json.dumps(data).encode(), format="geojson") == 1


BAD_ROWS = [
    # (name, the bad row, expected text)
    ("malformed code", ["43010201010000", "0101", "112.0005", "28.0005"], "格式错误"),
    ("unknown class", ["4301020188000001", "0188", "112.0005", "28.0005"], "部件小类“0188”不存在"),
    ("matter class", ["43010206001000001", "06001", "112.0005", "28.0005"], "部件小类“06001”不存在"),
    ("wrong class part", ["4301020102000009", "0101", "112.0005", "28.0005"], "分类部分“0102”"),
    ("wrong county", ["4301030101000009", "0101", "112.0005", "28.0005"], "县级代码“430103”"),
    ("17 digits for a legacy class", ["43010201010000009", "0101", "112.0005", "28.0005"], "应为16位"),
    ("outside every grid", ["4301020101000009", "0101", "113.5", "28.0005"], "坐标（经度 113.5, 纬度 28.0005）不在本市"),
    ("not a number", ["4301020101000009", "0101", "东经112", "28.0005"], "不是数值"),
    ("duplicate in file", GOOD[0][:4], "与第 2 行重复"),
    ("unknown status", ["4301020101000009", "0101", "112.0005", "28.0005", "很好"], "状态“很好”未知"),
    ("unknown department", ["4301020101000009", "0101", "112.0005", "28.0005", "", "", "XX99"], "权属单位编码“XX99”"),
    ("bad date", ["4301020101000009", "0101", "112.0005", "28.0005", "", "", "", "", "", "2025-13-40"], "日期"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "bad", "needle"), BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_bad_row_is_named_and_nothing_is_written(census, name, bad, needle):
    # Batches of two: the good rows before the bad one were already flushed, and must roll back.
    rows = GOOD + [bad]
    with pytest.raises(ApplicationError) as exc:
        components_import(file=csv_bytes(rows), format="csv", batch_size=2)
    assert exc.value.message.startswith("第 5 行：")
    assert needle in exc.value.message
    assert exc.value.extra["row"] == 5
    assert not Component.objects.exists()


@pytest.mark.django_db
def test_code_already_in_the_database(census):
    components_import(file=csv_bytes(GOOD[:1]), format="csv")
    with pytest.raises(ApplicationError) as exc:
        components_import(file=csv_bytes(GOOD[1:2] + GOOD[:1]), format="csv")
    assert exc.value.message == "第 3 行：部件标识码“4301020101000001”已存在"
    assert Component.objects.count() == 1


@pytest.mark.django_db
def test_component_in_the_other_district_needs_that_county(census, west_grid):
    row = ["4301030101000001", "0101", str(west_grid.center_lon), str(west_grid.center_lat)]
    assert components_import(file=csv_bytes([row]), format="csv") == 1
    assert Component.objects.get().unit_grid == west_grid


@pytest.mark.django_db
def test_geojson_feature_errors_name_the_feature(census):
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [112.0005, 28.0005]},
         "properties": {"code": "4301020101000009", "minor_code": "0101"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [100.0, 28.0005]},
         "properties": {"code": "4301020101000010", "minor_code": "0101"}},
    ]}
    with pytest.raises(ApplicationError) as exc:
        components_import(file=json.dumps(data).encode(), format="geojson")
    assert exc.value.message.startswith("第 2 个要素：") and exc.value.extra["feature"] == 2
    assert not Component.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "fmt", "needle"),
    [
        (b"", "csv", "缺少表头"),
        (b"code,minor_code,lon,lat\n", "csv", "没有任何部件"),
        (b"\xff\xfe\x00c", "csv", "UTF-8"),
        (b"not a zip", "xlsx", "xlsx 文件无法读取"),
        (b"{", "geojson", "GeoJSON 格式错误"),
        (b"x", "shp", "不支持的文件格式"),
    ],
)
def test_unreadable_files(census, data, fmt, needle):
    with pytest.raises(ApplicationError) as exc:
        components_import(file=data, format=fmt)
    assert needle in exc.value.message


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_round_trips_through_import(census, fmt, tmp_path):
    components_import(file=csv_bytes(GOOD), format="csv")
    path = tmp_path / f"components.{fmt}"
    path.write_bytes(b"".join(components_export(queryset=Component.objects.all(), format=fmt)))
    before = list(Component.objects.order_by("code").values_list(
        "code", "minor_id", "lon", "lat", "status", "in_use", "unit_grid_id", "owner_department_id",
        "competent_department_id", "maintainer_department_id", "surveyed_on", "data_source"))
    Component.objects.all().delete()
    assert components_import(file=path) == 3
    after = list(Component.objects.order_by("code").values_list(
        "code", "minor_id", "lon", "lat", "status", "in_use", "unit_grid_id", "owner_department_id",
        "competent_department_id", "maintainer_department_id", "surveyed_on", "data_source"))
    assert after == before


@pytest.mark.django_db
def test_export_is_a_stream_with_constant_queries(census, django_assert_max_num_queries):
    components_import(file=csv_bytes(GOOD), format="csv")
    with django_assert_max_num_queries(2):
        chunks = list(components_export(queryset=Component.objects.all(), format="csv"))
    text = b"".join(chunks).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["code", "minor_code", "lon", "lat"]
    assert [r[0] for r in rows[1:]] == sorted(row[0] for row in GOOD)
    with pytest.raises(ApplicationError):
        components_export(queryset=Component.objects.all(), format="pdf")


@pytest.mark.django_db
@pytest.mark.parametrize("batch_size", [2, 1000], ids=["repeat in a later batch", "repeat in the same batch"])
def test_a_code_repeated_in_the_file_names_its_first_row(census, tmp_path, batch_size):
    path = tmp_path / "census.csv"
    path.write_bytes(csv_bytes(GOOD + [GOOD[1][:4]]))
    with pytest.raises(ApplicationError) as exc:
        components_import(file=str(path), batch_size=batch_size)
    assert exc.value.message == f"第 5 行：部件标识码“{GOOD[1][0]}”与第 3 行重复"
    assert not Component.objects.exists()


class _Stream(io.RawIOBase):
    """An upload read once, front to back (a pipe): it cannot seek back to its start."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self._data.read(len(buffer))
        buffer[:len(chunk)] = chunk
        return len(chunk)


@pytest.mark.django_db
def test_a_repeat_in_a_file_that_cannot_be_read_again_is_still_refused(census):
    stream = io.BufferedReader(_Stream(csv_bytes(GOOD + [GOOD[0][:4]])))
    with pytest.raises(ApplicationError) as exc:
        components_import(file=stream, format="csv", batch_size=2)
    assert exc.value.message == f"第 5 行：部件标识码“{GOOD[0][0]}”已存在或在文件中重复"
    assert not Component.objects.exists()


@pytest.mark.django_db
def test_a_repeat_in_an_open_file_is_found_from_where_the_file_was_handed_over(census):
    """An upload positioned after a preamble: the file is read again from there, not from byte 0."""
    upload = io.BytesIO(b"preamble, not csv\n" + csv_bytes(GOOD + [GOOD[0][:4]]))
    upload.seek(len(b"preamble, not csv\n"))
    with pytest.raises(ApplicationError) as exc:
        components_import(file=upload, format="csv", batch_size=2)
    assert exc.value.message == f"第 5 行：部件标识码“{GOOD[0][0]}”与第 2 行重复"
    assert not Component.objects.exists()
