"""The workbench in a real headless Chromium: every role logs in and one case travels from the
report to its closure through the pages alone, with a return (回退) and a rework (返工) on the way;
a department cannot open another department's case; the overview refreshes itself."""
import io
import re

import pytest
from PIL import Image

from cases.models import Case, State
from citygrid.testing import point_in, tiny_city_build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def town(transactional_db):
    from cases.calendar import calendar_cache_clear

    calendar_cache_clear()
    return tiny_city_build()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, format="PNG")
    return buffer.getvalue()


def row(page, number: str):
    return page.locator(f"tr[data-row]:has-text('{number}')")


def confirm(page) -> None:
    """Answer the confirmation of a move that cannot be undone (cases/_confirm.html) with Enter."""
    page.locator("dialog#confirm-move[open]").wait_for()
    page.keyboard.press("Enter")


def submit_action(page, action: str) -> None:
    with page.expect_navigation():
        page.click(f"#action-{action} button[type=submit]")
        if page.locator(f"#action-{action} form[data-confirm]").count():
            confirm(page)


def expect_done(page, text: str) -> None:
    messages = page.locator(".messages[role=status]")  # the flash messages, not the calendar banner
    messages.wait_for()
    assert text in messages.inner_text(), messages.inner_text()


def test_one_case_from_report_to_closure_through_the_pages(town, login_page, live_server):
    garbage = town.classes["garbage"]
    east, west = town.departments["sanitation_a"], town.departments["sanitation_b"]
    description = "E2E：人民路口暴露垃圾"

    # 受理员 registers a hotline report and sends it for verification from the queue, by keyboard.
    operator = login_page("operator")
    assert operator.url.endswith("/work/operator/")
    operator.keyboard.press("n")
    operator.wait_for_url(re.compile(r"/cases/new/$"))
    lon, lat = point_in(0)
    operator.select_option("#id_source", "hotline_12319")
    operator.fill("#id_minor_search", garbage.name)  # the class picker over the select
    operator.keyboard.press("Enter")
    assert operator.input_value("#id_minor") == str(garbage.pk)
    operator.fill("#id_description", description)
    operator.fill("#id_address", "人民路与解放路口")
    operator.fill("#id_lon", str(lon))
    operator.fill("#id_lat", str(lat))
    with operator.expect_navigation():
        operator.click("form button.btn-primary")
    case = Case.objects.get(description=description)
    number = case.number
    assert operator.url.endswith(f"/cases/{case.pk}/")
    assert number in operator.inner_text("h1")

    operator.goto(f"{live_server.url}/work/operator/")
    assert row(operator, number).count() == 1
    operator.keyboard.press("j")
    assert "selected" in (row(operator, number).get_attribute("class") or "")
    with operator.expect_navigation():
        operator.keyboard.press("v")  # 下发核实
        confirm(operator)  # then held 5 s with an undo before it is sent
    expect_done(operator, "下发核实")
    assert Case.objects.get(pk=case.pk).state == State.VERIFYING

    # 监督员 answers the verify task.
    collector = login_page("collector_a")
    assert collector.url.endswith("/work/collector/")
    with collector.expect_navigation():
        row(collector, number).locator("a.btn").click()
    assert collector.locator("#action-verify").get_attribute("open") is not None
    collector.check("input[name='verify-is_true'][value='1']")
    collector.fill("#id_verify-note", "现场属实")
    submit_action(collector, "verify")
    expect_done(collector, "核实反馈")

    # The operator sees the result come back.
    operator.goto(f"{live_server.url}/work/operator/")
    assert "现场属实" in operator.inner_text("#panel-results")

    # 值班长 files it.
    leader = login_page("shift_leader")
    assert leader.url.endswith("/work/shift-leader/")
    with leader.expect_navigation():
        row(leader, number).locator("a[data-key='f']").click()
    leader.select_option("#id_file-urgency", "normal")
    leader.fill("#id_file-filing_condition", "暴露垃圾面积大于1平方米")
    submit_action(leader, "file")
    expect_done(leader, "立案")
    assert Case.objects.get(pk=case.pk).state == State.FILED

    # 派遣员 sees the suggested department, but sends it to the wrong one.
    dispatcher = login_page("dispatcher")
    assert "东区环卫所" in row(dispatcher, number).inner_text()
    dispatcher.keyboard.press("j")
    with dispatcher.expect_navigation():
        dispatcher.keyboard.press("Enter")  # opens the selected case
    assert dispatcher.url.endswith(f"/cases/{case.pk}/")
    dispatcher.keyboard.press("d")  # opens the dispatch form and focuses its first field
    assert dispatcher.locator("#action-dispatch").get_attribute("open") is not None
    assert dispatcher.evaluate("document.activeElement.id") == "id_dispatch-department"
    assert dispatcher.locator("#id_dispatch-department").input_value() == str(east.pk)
    dispatcher.select_option("#id_dispatch-department", str(west.pk))
    submit_action(dispatcher, "dispatch")
    expect_done(dispatcher, "派遣")

    # The wrong department returns it with a reason (回退).
    west_handler = login_page("handler_b")
    assert west_handler.url.endswith("/work/department/")
    with west_handler.expect_navigation():
        row(west_handler, number).locator("a[data-key='r']").click()
    west_handler.select_option("#id_return-reason_code", "not_our_duty")
    west_handler.fill("#id_return-note", "不在本所辖区，请改派东区环卫所")
    submit_action(west_handler, "return")
    expect_done(west_handler, "回退")
    assert west_handler.url.endswith("/work/department/")  # the case has left the department's scope
    assert Case.objects.get(pk=case.pk).state == State.FILED

    # The dispatcher sees the return and its reason, and re-dispatches to the suggested department.
    dispatcher.goto(f"{live_server.url}/work/dispatcher/")
    returned = row(dispatcher, number).inner_text()
    assert "部门回退" in returned and "不在本所辖区" in returned
    with dispatcher.expect_navigation():
        row(dispatcher, number).locator("a[data-key='d']").click()
    submit_action(dispatcher, "dispatch")  # the suggestion is preselected
    assert Case.objects.get(pk=case.pk).department_id == east.pk

    # 专业部门 reports it handled, with a photo.
    east_handler = login_page("handler_a")
    inbox_row = row(east_handler, number)
    assert "light-" in inbox_row.inner_html()
    with east_handler.expect_navigation():
        inbox_row.locator("a[data-key='h']").click()
    east_handler.fill("#id_report_handled-note", "已清运")
    east_handler.set_input_files("#id_report_handled-photos",
                                 files=[{"name": "after.png", "mimeType": "image/png", "buffer": png_bytes()}])
    submit_action(east_handler, "report_handled")
    expect_done(east_handler, "处置反馈")
    assert Case.objects.get(pk=case.pk).state == State.HANDLED

    # The other department still cannot open it.
    response = west_handler.goto(f"{live_server.url}/cases/{case.pk}/")
    assert response.status == 404

    # The operator sends the check task (keyboard again), the collector fails the check: rework.
    operator.goto(f"{live_server.url}/work/operator/")
    operator.keyboard.press("j")
    with operator.expect_navigation():
        operator.keyboard.press("c")  # 下发核查
        confirm(operator)
    expect_done(operator, "下发核查")
    collector.goto(f"{live_server.url}/work/collector/")
    with collector.expect_navigation():
        row(collector, number).locator("a.btn").click()
    collector.keyboard.press("w")  # opens 核查未通过（返工） and focuses its reason
    collector.keyboard.type("仍有残留垃圾")
    submit_action(collector, "check_fail")
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.rework_count == 1 and case.return_count == 1

    # Rework: handled again, checked again, passed.
    east_handler.goto(f"{live_server.url}/work/department/")
    assert "仍有残留垃圾" in row(east_handler, number).inner_text()
    with east_handler.expect_navigation():
        row(east_handler, number).locator("a[data-key='h']").click()
    east_handler.fill("#id_report_handled-note", "已彻底清理并冲洗")
    east_handler.set_input_files("#id_report_handled-photos",
                                 files=[{"name": "after2.png", "mimeType": "image/png", "buffer": png_bytes()}])
    submit_action(east_handler, "report_handled")
    operator.goto(f"{live_server.url}/work/operator/")
    with operator.expect_navigation():
        row(operator, number).locator("button[data-key='c']").click()
        confirm(operator)
    collector.goto(f"{live_server.url}/work/collector/")
    with collector.expect_navigation():
        row(collector, number).locator("a.btn").click()
    submit_action(collector, "check_pass")
    assert Case.objects.get(pk=case.pk).state == State.CHECKED

    # 值班长 closes it from the queue.
    leader.goto(f"{live_server.url}/work/shift-leader/")
    leader.keyboard.press("j")
    with leader.expect_navigation():
        leader.keyboard.press("c")  # 结案
        confirm(leader)
    expect_done(leader, "结案")
    case.refresh_from_db()
    assert case.state == State.CLOSED

    # The whole story is on the case page, with who did what.
    leader.goto(f"{live_server.url}/cases/{case.pk}/")
    timeline = leader.inner_text("ol.timeline")
    for label in ("上报", "下发核实", "核实反馈", "立案", "派遣", "回退", "处置反馈", "下发核查",
                  "核查未通过（返工）", "核查通过", "结案"):
        assert label in timeline, label
    assert "不在本所辖区" in timeline and "handler_b" in timeline
    # A closed case offers the shift leader only the reopening after a dissatisfied callback.
    assert leader.locator("details.action").evaluate_all("els => els.map(e => e.id)") == ["action-reopen"]


def test_other_roles_land_somewhere_useful(town, login_page):
    manager = login_page("manager")
    assert manager.url.endswith("/overview/")
    assert manager.locator("#overview-map").count() == 1
    agent = login_page("hotline_agent")
    assert "/accounts/login/" not in agent.url and agent.locator("main").count() == 1


def test_department_cannot_open_another_departments_case(town, login_page, live_server):
    from cases import services, workflow

    u = town.users
    lon, lat = point_in(0)
    case = services.case_report(actor=u["collector_a"], source="collector", minor_id=town.classes["garbage"].pk,
                                lon=lon, lat=lat, description="只属于东区").case
    workflow.case_propose_file(actor=u["operator"], case_id=case.pk)
    workflow.case_file(actor=u["shift_leader"], case_id=case.pk)
    workflow.case_dispatch(actor=u["dispatcher"], case_id=case.pk, department_id=town.departments["sanitation_a"].pk)

    west = login_page("handler_b")
    assert case.number not in west.inner_text("main")
    response = west.goto(f"{live_server.url}/cases/{case.pk}/")
    assert response.status == 404
    west.goto(f"{live_server.url}/search/?number={case.number}")
    assert case.number not in west.inner_text("main")

    east = login_page("handler_a")
    response = east.goto(f"{live_server.url}/cases/{case.pk}/")
    assert response.status == 200 and case.number in east.inner_text("h1")


def test_overview_refreshes_itself(town, login_page, monkeypatch):
    from cases import services, views

    monkeypatch.setattr(views, "OVERVIEW_REFRESH_SECONDS", 1)
    manager = login_page("manager")
    total = manager.locator("#overview-live .tile .n").first
    assert total.inner_text() == "0"
    lon, lat = point_in(2)
    services.case_report(actor=None, source="public", minor_id=town.classes["garbage"].pk, lon=lon, lat=lat,
                         description="公众上报")
    manager.wait_for_function(
        "() => document.querySelector('#overview-live .tile .n').textContent.trim() === '1'", timeout=10_000)
    assert manager.url.endswith("/overview/")  # refreshed in place, no reload
