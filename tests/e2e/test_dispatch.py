"""The dispatcher's moves in a real headless Chromium at 1366×768 (issue 21): a case redispatched (改派)
to another department before the first acted, then a joint dispatch (主办 + 协办) carried to its
closure through the pages: the assisting department reports its part, the lead reports handled,
the check passes, the shift leader closes. Screenshots to /tmp/h/shots/dispatch-*.png."""
import io
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image

from cases import services, workflow
from cases.models import Case, CaseAssist, Source, State
from citygrid.testing import point_in, tiny_city_build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/h/shots")


@pytest.fixture
def town(transactional_db):
    from cases.calendar import calendar_cache_clear

    calendar_cache_clear()
    return tiny_city_build()


def filed_case(town, description: str) -> Case:
    lon, lat = point_in(0)
    case = services.case_report(actor=town.users["operator"], source=Source.HOTLINE_12319,
                                minor_id=town.classes["garbage"].pk, lon=lon, lat=lat, description=description).case
    return workflow.case_file(actor=town.users["shift_leader"], case_id=case.pk)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, format="PNG")
    return buffer.getvalue()


def row(page, number: str):
    return page.locator(f"tr[data-row]:has-text('{number}')")


def submit_action(page, action: str) -> None:
    if page.locator(f"#action-{action}").get_attribute("open") is None:
        page.click(f"#action-{action} summary")
    with page.expect_navigation():
        page.click(f"#action-{action} button[type=submit]")
        if page.locator(f"#action-{action} form[data-confirm]").count():
            page.locator("dialog#confirm-move[open]").wait_for()
            page.keyboard.press("Enter")


def expect_done(page, text: str) -> None:
    messages = page.locator(".messages[role=status]")
    messages.wait_for()
    assert text in messages.inner_text(), messages.inner_text()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"dispatch-{name}.png"), full_page=False)


def test_redispatch_before_the_department_acts(town, login_page, live_server):
    east, west = town.departments["sanitation_a"], town.departments["sanitation_b"]
    case = filed_case(town, "E2E：改派的暴露垃圾")
    dispatcher = login_page("dispatcher")
    dispatcher.goto(f"{live_server.url}/cases/{case.pk}/")
    dispatcher.keyboard.press("d")
    dispatcher.select_option("#id_dispatch-department", str(east.pk))
    submit_action(dispatcher, "dispatch")
    expect_done(dispatcher, "派遣")

    # Sent to the wrong department: redispatched by keyboard (r) with a reason, before it acts.
    dispatcher.keyboard.press("r")
    assert dispatcher.locator("#action-redispatch").get_attribute("open") is not None
    options = dispatcher.locator("#id_redispatch-department option").all_inner_texts()
    assert east.name not in options and west.name in options  # not to the department it is with
    dispatcher.select_option("#id_redispatch-department", str(west.pk))
    dispatcher.fill("#id_redispatch-note", "位于西区，改派西区环卫所")
    shot(dispatcher, "redispatch-form")
    submit_action(dispatcher, "redispatch")
    expect_done(dispatcher, "改派")
    case.refresh_from_db()
    assert (case.state, case.department_id) == (State.DISPATCHED, west.pk)
    timeline = dispatcher.inner_text("ol.timeline")
    assert "改派" in timeline and "原部门：东区环卫所" in timeline and "位于西区" in timeline
    shot(dispatcher, "redispatch-done")

    # The first department no longer has it; the second does, and once it acts (a suspension
    # request) the dispatcher is no longer offered 改派 or 撤回.
    east_handler = login_page("handler_a")
    assert row(east_handler, case.number).count() == 0
    west_handler = login_page("handler_b")
    assert row(west_handler, case.number).count() == 1
    workflow.case_request_extension(actor=town.users["handler_b"], case_id=case.pk, note="需协调",
                                    requested_deadline=timezone.now() + timezone.timedelta(days=9))
    dispatcher.reload()
    assert dispatcher.locator("#action-redispatch").count() == 0
    assert dispatcher.locator("#action-withdraw").count() == 0


def test_joint_dispatch_through_to_close(town, login_page, live_server):
    east, municipal = town.departments["sanitation_a"], town.departments["municipal"]
    case = filed_case(town, "E2E：垃圾压住井盖")
    number = case.number

    # 派遣员: 联合派遣, the east sanitation office leads, the municipal office assists.
    dispatcher = login_page("dispatcher")
    dispatcher.goto(f"{live_server.url}/cases/{case.pk}/")
    dispatcher.keyboard.press("j")
    assert dispatcher.locator("#action-joint_dispatch").get_attribute("open") is not None
    dispatcher.select_option("#id_joint_dispatch-department", str(east.pk))
    dispatcher.check(f"input[name='joint_dispatch-assisting'][value='{municipal.pk}']")
    dispatcher.fill("#id_joint_dispatch-note", "垃圾压住井盖，需市政复位")
    shot(dispatcher, "joint-form")
    submit_action(dispatcher, "joint_dispatch")
    expect_done(dispatcher, "联合派遣")
    assert CaseAssist.objects.filter(case=case, department=municipal, completed_at__isnull=True).exists()

    # The lead's inbox marks it 主办; reporting handled first is refused, naming the assisting office.
    lead = login_page("handler_a")
    assert "主办" in row(lead, number).inner_text()
    shot(lead, "lead-inbox")
    with lead.expect_navigation():
        row(lead, number).locator("a[data-key='h']").click()
    lead.fill("#id_report_handled-note", "已清运")
    lead.set_input_files("#id_report_handled-photos",
                         files=[{"name": "after.png", "mimeType": "image/png", "buffer": png_bytes()}])
    submit_action(lead, "report_handled")
    assert "市政设施管理处" in lead.inner_text("#action-report_handled")
    assert Case.objects.get(pk=case.pk).state == State.DISPATCHED

    # The assisting office sees it marked 协办 with its own deadline, and reports its part done.
    assisting = login_page("handler_municipal")
    assisting_row = row(assisting, number)
    assert "协办" in assisting_row.inner_text() and "协办时限" in assisting_row.inner_text()
    shot(assisting, "assist-inbox")
    with assisting.expect_navigation():
        assisting_row.locator("a[data-key='k']").click()
    assert assisting.locator("#action-return").count() == 0  # the lead's moves are not offered
    assisting.fill("#id_assist_done-note", "井盖已复位")
    submit_action(assisting, "assist_done")
    expect_done(assisting, "协办完成")

    # Now the lead's report goes through.
    lead.goto(f"{live_server.url}/cases/{case.pk}/")
    lead.keyboard.press("h")
    lead.fill("#id_report_handled-note", "已清运，井盖由市政复位")
    lead.set_input_files("#id_report_handled-photos",
                         files=[{"name": "after.png", "mimeType": "image/png", "buffer": png_bytes()}])
    submit_action(lead, "report_handled")
    expect_done(lead, "处置反馈")
    assert Case.objects.get(pk=case.pk).state == State.HANDLED

    # Check and close through the pages.
    operator = login_page("operator")
    operator.goto(f"{live_server.url}/cases/{case.pk}/")
    submit_action(operator, "send_check")
    collector = login_page("collector_a")
    collector.goto(f"{live_server.url}/cases/{case.pk}/")
    submit_action(collector, "check_pass")
    leader = login_page("shift_leader")
    leader.goto(f"{live_server.url}/cases/{case.pk}/")
    submit_action(leader, "close")
    expect_done(leader, "结案")
    assert Case.objects.get(pk=case.pk).state == State.CLOSED
    assists = leader.inner_text("#h-assists + p + ul") if leader.locator("#h-assists").count() else ""
    assert "市政设施管理处" in assists and "已完成" in assists
    timeline = leader.inner_text("ol.timeline")
    for label in ("联合派遣", "协办完成", "处置反馈", "核查通过", "结案"):
        assert label in timeline, label
    shot(leader, "joint-closed")
