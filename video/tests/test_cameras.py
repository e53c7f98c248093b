"""The camera register: a camera is located in its unit grid when saved; a csv or xlsx file adds and
updates cameras all or nothing, every bad row named; the command and the admin use the same service."""
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from citygrid.testing import point_in
from core.errors import ApplicationError
from video import services
from video.models import Camera

pytestmark = pytest.mark.django_db


def _csv(*rows: str) -> bytes:
    return ("编码,名称,经度,纬度,权属部门编码,启用\n" + "\n".join(rows) + "\n").encode()


def test_a_file_adds_and_updates_cameras_located_in_their_grids(city):
    (x0, y0), (x2, y2) = point_in(0), point_in(2)
    counts = services.cameras_import(file=_csv(f"C1,东区路口,{x0},{y0},D-HW-1,是", f"C2,西区广场,{x2},{y2},,否"),
                                     name="cameras.csv")
    assert counts == {"added": 2, "updated": 0}
    east, west = Camera.objects.get(code="C1"), Camera.objects.get(code="C2")
    assert east.unit_grid == city.grids[0] and east.owner == city.departments["sanitation_a"] and east.is_active
    assert west.unit_grid == city.grids[2] and west.owner is None and not west.is_active
    counts = services.cameras_import(file=_csv(f"C1,东区路口（迁移）,{x2},{y2},,是"), name="cameras.csv")
    assert counts == {"added": 0, "updated": 1}
    east.refresh_from_db()
    assert east.unit_grid == city.grids[2] and east.name == "东区路口（迁移）"


def test_an_xlsx_register_is_read_too(city, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["摄像头编码", "名称", "经度", "纬度"])
    sheet.append(["C9", "东区桥头", *point_in(1)])
    buffer = io.BytesIO()
    book.save(buffer)
    assert services.cameras_import(file=buffer.getvalue(), name="cameras.xlsx")["added"] == 1
    assert Camera.objects.get(code="C9").unit_grid == city.grids[1]


@pytest.mark.parametrize(("row", "needle"), [
    ("C1,路口,东经,北纬,,是", "第 3 行：经纬度必须是数字"),
    ("C1,路口,100.0,10.0,,是", "第 3 行"),
    ("C1,路口,{x},{y},NOPE,是", "权属部门“NOPE”不存在"),
    ("C1,路口,{x},{y},,也许", "启用"),
    (",路口,{x},{y},,是", "缺少摄像头编码"),
    ("OK,路口,{x},{y},,是", "摄像头编码“OK”重复"),
])
def test_a_bad_row_is_named_and_nothing_is_saved(city, row, needle):
    x, y = point_in(0)
    with pytest.raises(ApplicationError, match=needle):
        services.cameras_import(file=_csv(f"OK,好的,{x},{y},,是", row.format(x=x, y=y)), name="c.csv")
    assert not Camera.objects.exists()


def test_the_command_imports_and_reports_errors_in_chinese(city, tmp_path):
    x, y = point_in(0)
    path = tmp_path / "cameras.csv"
    path.write_bytes(_csv(f"C1,东区路口,{x},{y},,是"))
    out = io.StringIO()
    call_command("import_cameras", str(path), stdout=out)
    assert "1 added" in out.getvalue() and Camera.objects.count() == 1
    path.write_bytes(_csv("C2,远方,1.0,1.0,,是"))
    with pytest.raises(CommandError, match="第 2 行"):
        call_command("import_cameras", str(path))


def test_the_admin_saves_a_camera_in_its_grid(city, admin_client):
    x, y = point_in(3)
    response = admin_client.post("/admin/video/camera/add/", {"code": "C7", "name": "西区路口", "lon": x, "lat": y,
                                                              "is_active": "on"})
    assert response.status_code == 302
    assert Camera.objects.get(code="C7").unit_grid == city.grids[3]


def test_the_admin_refuses_a_camera_outside_the_city(city, admin_client):
    response = admin_client.post("/admin/video/camera/add/", {"code": "C8", "name": "远方", "lon": 1.0, "lat": 1.0,
                                                              "is_active": "on"})
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert not Camera.objects.exists()
