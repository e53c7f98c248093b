"""Census updates (import_components --update): the plan shows added, changed (old → new) and
retired components before anything is saved; applied all or nothing; previous values in the history;
retired components stay for old cases."""
import io

import pytest
from django.core.management import CommandError, call_command

from grids.importers.census import census_apply, census_plan
from grids.importers.components import components_import
from grids.models import Component, ComponentHistory, ComponentStatus

from .test_components import GOOD, HEADER, csv_bytes

pytestmark = pytest.mark.django_db

CHANGED = ["4301020101000001", "0101", "112.0005", "28.0015", "破损", "上水井盖1", "SW01", "DQ-CG", "", "2026-05-01",
           "普查2026"]
RETIRE = ["4301020102000001", "", "", "", "注销", "", "", "", "", "", ""]
NEW = ["4301020101000002", "0101", "112.0006", "28.0016", "完好", "上水井盖2", "", "", "", "2026-05-01", "普查2026"]
SAME = GOOD[2]


@pytest.fixture
def registered(classes, grid_block, west_grid, departments):
    components_import(file=csv_bytes(GOOD), format="csv")


def test_the_plan_shows_every_change_and_writes_nothing(registered):
    plan = census_plan(file=csv_bytes([CHANGED, RETIRE, NEW, SAME]), format="csv")
    assert [c.code for c in plan.added] == [NEW[0]] and [c.code for c in plan.retired] == [RETIRE[0]]
    (component, changes), = plan.changed
    assert component.code == CHANGED[0] and plan.unchanged == 1
    assert changes["status"] == ("intact", "damaged")
    assert changes["competent_department_id"] == (None, "DQ-CG")
    assert changes["surveyed_on"] == ("2025-05-01", "2026-05-01")
    assert set(changes) == {"status", "competent_department_id", "surveyed_on", "data_source"}
    assert Component.objects.count() == 3 and not ComponentHistory.objects.exists()
    text = "\n".join(plan.lines())
    assert "新增 1，变更 1，注销 1，不变 1" in text and "状态: 完好 → 破损" in text


def test_apply_updates_retires_and_keeps_the_previous_values(registered):
    census_apply(plan=census_plan(file=csv_bytes([CHANGED, RETIRE, NEW, SAME]), format="csv"), source="2026.csv")
    changed = Component.objects.get(code=CHANGED[0])
    assert changed.status == ComponentStatus.DAMAGED and changed.competent_department.code == "DQ-CG"
    retired = Component.objects.get(code=RETIRE[0])  # kept, not deleted
    assert retired.status == ComponentStatus.RETIRED and not retired.in_use
    assert Component.objects.filter(code=NEW[0]).exists() and Component.objects.count() == 4
    history = {row.component.code: row for row in ComponentHistory.objects.select_related("component")}
    assert history[CHANGED[0]].previous["status"] == "intact" and history[CHANGED[0]].current["status"] == "damaged"
    assert history[RETIRE[0]].previous["status"] == "damaged" and history[RETIRE[0]].action == "retired"
    assert {row.update_id for row in history.values()}.__len__() == 1


def test_a_bad_row_refuses_the_whole_update(registered):
    bad = [*NEW[:2], "不是数字", *NEW[3:]]
    with pytest.raises(Exception, match="第 3 行"):
        census_plan(file=csv_bytes([CHANGED, bad]), format="csv")
    unknown = ["4301020101000099", "", "", "", "注销", "", "", "", "", "", ""]
    with pytest.raises(Exception, match="不存在，无法注销"):
        census_plan(file=csv_bytes([unknown]), format="csv")
    assert Component.objects.get(code=CHANGED[0]).status == ComponentStatus.INTACT


def test_apply_is_all_or_nothing(registered, monkeypatch):
    plan = census_plan(file=csv_bytes([CHANGED, RETIRE, NEW]), format="csv")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ComponentHistory.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        census_apply(plan=plan)
    assert Component.objects.count() == 3
    assert Component.objects.get(code=CHANGED[0]).status == ComponentStatus.INTACT
    assert Component.objects.get(code=RETIRE[0]).status == ComponentStatus.DAMAGED


def test_the_command_prints_the_plan_and_dry_run_saves_nothing(registered, tmp_path):
    path = tmp_path / "census.csv"
    path.write_bytes(csv_bytes([CHANGED, RETIRE, NEW]))
    out = io.StringIO()
    call_command("import_components", str(path), "--update", "--dry-run", stdout=out)
    assert "~ 4301020101000001" in out.getvalue() and "- 4301020102000001" in out.getvalue()
    assert "+ 4301020101000002" in out.getvalue() and "试运行" in out.getvalue()
    assert Component.objects.count() == 3
    call_command("import_components", str(path), "--update", stdout=io.StringIO())
    assert Component.objects.count() == 4 and ComponentHistory.objects.count() == 2
    with pytest.raises(CommandError, match="--update"):
        call_command("import_components", str(path), "--dry-run")


def test_plain_import_still_refuses_known_codes(registered):
    with pytest.raises(Exception, match="已存在"):
        components_import(file=csv_bytes([CHANGED], header=HEADER), format="csv")


def test_the_admin_previews_then_saves_the_same_plan(registered, admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = "/admin/grids/component/census-update/"
    assert "普查更新" in admin_client.get("/admin/grids/component/").content.decode()
    upload = SimpleUploadedFile("census.csv", csv_bytes([CHANGED, RETIRE, NEW]), content_type="text/csv")
    preview = admin_client.post(url, {"file": upload, "preview": "1"})
    text = preview.content.decode()
    assert preview.status_code == 200 and "状态: 完好 → 破损" in text and "- 4301020102000001" in text
    assert Component.objects.count() == 3  # nothing saved yet
    saved = admin_client.post(url, {"confirm": "1"})
    assert saved.status_code == 302
    assert Component.objects.count() == 4 and ComponentHistory.objects.count() == 2
    bad = SimpleUploadedFile("census.csv", csv_bytes([[*NEW[:2], "x", *NEW[3:]]]), content_type="text/csv")
    refused = admin_client.post(url, {"file": bad, "preview": "1"})
    assert refused.status_code == 400 and "第 2 行" in refused.content.decode()


def test_the_admin_refuses_a_plan_that_changed_since_the_preview(registered, admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = "/admin/grids/component/census-update/"
    admin_client.post(url, {"file": SimpleUploadedFile("c.csv", csv_bytes([CHANGED])), "preview": "1"})
    Component.objects.filter(code=CHANGED[0]).update(name="别人改过")
    refused = admin_client.post(url, {"confirm": "1"})
    assert refused.status_code == 400 and "重新预览" in refused.content.decode()
    assert not ComponentHistory.objects.exists()


def test_a_retired_component_takes_no_new_case(city):
    from cases.services import case_report
    from citygrid.testing import point_in
    from core.errors import ApplicationError

    x, y = point_in(0)
    components_import(file=f"code,minor_code,lon,lat\n4399010101000001,0101,{x},{y}\n".encode(), format="csv")
    census_apply(plan=census_plan(file=b"code,status\n4399010101000001,\xe6\xb3\xa8\xe9\x94\x80\n", format="csv"))
    with pytest.raises(ApplicationError, match="已在普查中注销"):
        case_report(actor=city.users["operator"], source="collector", minor_id=city.classes["manhole"].pk,
                    lon=x, lat=y, description="井盖缺失", component_code="4399010101000001")
