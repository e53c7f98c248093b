"""A census update in a real headless Chromium: the administrator (1366×768) uploads a census file in
admin › 部件 › 普查更新, reads the preview (changed field by field, added, retired), saves it, and the
register and its history hold the update. Screenshot in /tmp/h/shots/ (or CENSUS_SHOTS)."""
import os
from pathlib import Path

import pytest

from citygrid.testing import PASSWORD, point_in, tiny_city_build
from grids.importers.components import components_import
from grids.models import Component, ComponentHistory, ComponentStatus, Role, User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("CENSUS_SHOTS", "/tmp/h/shots"))
HEADER = "code,minor_code,lon,lat,status,name\n"


def test_a_census_file_updates_and_retires_components(login_page, tmp_path):
    tiny_city_build()
    User.objects.create_superuser(username="root", password=PASSWORD, role=Role.ADMIN)
    (x0, y0), (x1, y1) = point_in(0), point_in(1)
    components_import(file=(HEADER + f"4399010101000001,0101,{x0},{y0},完好,井盖甲\n"
                                      f"4399010101000002,0101,{x1},{y1},完好,井盖乙\n").encode(), format="csv")
    census = tmp_path / "普查2026.csv"
    census.write_text(HEADER + f"4399010101000001,0101,{x0},{y0},破损,井盖甲\n"
                               f"4399010101000002,,,,注销,\n"
                               f"4399010101000003,0101,{x1},{y0},完好,井盖丙\n", encoding="utf-8")

    page = login_page("root")
    page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + "/admin/grids/component/")
    page.click("text=普查更新")
    page.set_input_files("input[name=file]", str(census))
    page.click("input[name=preview]")
    plan = page.locator("#census-plan").inner_text()
    assert "新增 1，变更 1，注销 1" in plan and "状态: 完好 → 破损" in plan
    assert "- 4399010101000002" in plan and "+ 4399010101000003" in plan
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "census-preview.png"))
    assert Component.objects.count() == 2  # the preview saved nothing
    page.click("input[name=confirm]")
    page.wait_for_load_state()
    assert page.url.endswith("/admin/grids/component/") and "新增 1" in page.locator("body").inner_text()

    assert Component.objects.get(code="4399010101000001").status == ComponentStatus.DAMAGED
    retired = Component.objects.get(code="4399010101000002")
    assert retired.status == ComponentStatus.RETIRED and not retired.in_use
    assert Component.objects.count() == 3
    assert set(ComponentHistory.objects.values_list("action", flat=True)) == {"changed", "retired"}
