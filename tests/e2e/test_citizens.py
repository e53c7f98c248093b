"""Issue 23 in headless Chromium: a special survey from its creation to its report (a collector
on a 390×844 phone reports a finding in one grid and records another as having no problem), and a
citizen's public report earning points once filed, read on the citizen's own statement, then paid.
Screenshots go to CITIZENS_SCREENSHOTS (default /tmp/h/shots)."""
import io
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone

from cases.models import Case, State
from citygrid.testing import point_in

from .test_field import RECORD_VIOLATIONS, fits_the_phone, photo, until, wait_for
from .test_workbench import expect_done, submit_action

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("CITIZENS_SCREENSHOTS", "/tmp/h/shots"))
PHONE = {"width": 390, "height": 844}


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"citizens-{name}.png"), full_page=True)


@pytest.fixture
def town(transactional_db):
    from cases.calendar import calendar_cache_clear
    from citygrid.testing import tiny_city_build

    calendar_cache_clear()
    return tiny_city_build()


@pytest.fixture
def phone_page(browser, live_server):
    from citygrid.testing import PASSWORD

    contexts = []

    def make(username: str | None, lon: float = 0, lat: float = 0):
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", permissions=["geolocation"],
                                      geolocation={"longitude": lon, "latitude": lat, "accuracy": 8})
        context.set_default_timeout(15_000)
        context.add_init_script(RECORD_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        if username:
            page.goto(f"{live_server.url}/m/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            with page.expect_navigation():
                page.click("button[type=submit]")
            page.wait_for_selector("#view[data-screen]")
        return page

    yield make
    for context in contexts:
        context.close()


def test_a_survey_from_creation_to_its_report(town, login_page, phone_page, live_server):
    from surveys.models import Outcome, Survey, SurveyFinding

    today = timezone.localdate()
    manhole = town.classes["manhole"]
    leader = login_page("shift_leader")
    leader.goto(f"{live_server.url}/surveys/")
    with leader.expect_navigation():
        leader.click("#survey-new")
    leader.fill("#id_name", "井盖专项普查")
    leader.fill("#id_starts_on", today.isoformat())
    leader.fill("#id_ends_on", (today + timedelta(days=7)).isoformat())
    leader.select_option("#id_minors", [str(manhole.pk)])
    for grid in town.grids[:2]:
        leader.check(f"input[name=grids][value='{grid.pk}']")
    leader.check(f"input[name=collectors][value='{town.users['collector_a'].pk}']")
    shot(leader, "survey-new")
    with leader.expect_navigation():
        leader.click("#survey-create")
    survey = Survey.objects.get()
    assert leader.url.endswith(f"/surveys/{survey.pk}/")
    tasks = {task.unit_grid_id: task for task in survey.tasks.all()}
    assert set(tasks) == {town.grids[0].pk, town.grids[1].pk}

    # The collector, standing in grid 0, finds the survey's grids at the head of the tasks screen.
    lon, lat = point_in(0, dx=0.4)
    phone = phone_page("collector_a", lon, lat)
    phone.evaluate("location.hash = '#tasks'")
    phone.wait_for_selector("#survey-tasks [data-survey-task]")
    assert phone.locator("#survey-tasks li").count() == 2
    fits_the_phone(phone, "survey-tasks")
    shot(phone, "survey-phone-tasks")
    phone.click(f"[data-survey-task='{tasks[town.grids[0].pk].pk}']")
    phone.wait_for_selector("#view[data-screen='survey'] #survey-map .leaflet-overlay-pane > *")
    assert "上水井盖" in phone.inner_text("#view")
    shot(phone, "survey-phone-grid")
    phone.click("#survey-finding")
    phone.wait_for_selector("#view[data-screen='report'] #survey-banner")
    phone.set_input_files("#report-photos", files=[photo("orange")])
    phone.wait_for_selector(".thumb img")
    until(phone, "document.getElementById('position-text').textContent.indexOf('±') >= 0")
    phone.click("#class-frequent button:has-text('上水井盖')")  # the survey's class, offered first
    phone.fill("#report-description", "井盖破损下沉")
    assert phone.locator("#report-self").count() == 0 or not phone.locator("#report-self").is_visible()
    fits_the_phone(phone, "survey-report")
    shot(phone, "survey-phone-report")
    phone.click("#report-submit")
    finding = wait_for(lambda: SurveyFinding.objects.select_related("case").first(), what="the finding")
    assert (finding.task_id, finding.case.minor_id) == (tasks[town.grids[0].pk].pk, manhole.pk)
    phone.wait_for_selector("#view[data-screen='survey']")

    # Grid 1 has none.
    phone.evaluate("location.hash = '#tasks'")
    phone.wait_for_selector(f"[data-survey-task='{tasks[town.grids[1].pk].pk}']")
    phone.click(f"[data-survey-task='{tasks[town.grids[1].pk].pk}']")
    phone.click("#survey-no-problem")
    wait_for(lambda: survey.tasks.filter(outcome=Outcome.NO_PROBLEM).exists(), what="the no-problem grid")

    # The shift leader follows the progress on the map, ends the survey and reads its report.
    leader.goto(f"{live_server.url}/surveys/{survey.pk}/")
    leader.wait_for_selector("#survey-map .leaflet-overlay-pane > *")
    assert "已完成 2/2 个网格" in leader.inner_text("#survey-progress")
    assert leader.locator("#by-grid tr[data-outcome='found']").count() == 1
    shot(leader, "survey-progress")
    with leader.expect_navigation():
        leader.click("#survey-close")
    assert leader.url.endswith(f"/surveys/{survey.pk}/report/")
    assert "上水井盖" in leader.inner_text("#report-by-class")
    by_grid = leader.inner_text("#report-by-grid")
    assert town.grids[0].code in by_grid and "无问题" in by_grid
    shot(leader, "survey-report")
    with leader.expect_download() as download:
        leader.click("#survey-export")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert [town.grids[0].code, "发现问题", "上水井盖", 1] in rows


def test_a_public_report_earns_points_on_the_citizens_statement(town, login_page, phone_page, live_server):
    from rewards.models import RewardEntry, RewardScheme, Unit

    RewardScheme.objects.create(name="有奖举报", unit=Unit.POINTS, sources=["public"], default_amount=Decimal("10"),
                                daily_cap=Decimal("50"))
    # The citizen reports through the public channel's API (as the WeChat page does).
    citizen = phone_page(None)
    lon, lat = point_in(2, dx=0.3)
    answer = citizen.request.post(f"{live_server.url}/api/hotline/public/reports/", data={
        "minor_id": town.classes["garbage"].pk, "lon": lon, "lat": lat, "description": "小区门口垃圾堆放",
        "contact_name": "张三", "contact_phone": "13812341234"})
    assert answer.status == 201, answer.text()
    case = Case.objects.get(source="public")

    # 值班长 files it (the reward follows through the outbox).
    leader = login_page("shift_leader")
    leader.goto(f"{live_server.url}/cases/{case.pk}/")
    leader.click("#action-file summary")
    leader.select_option("#id_file-urgency", "normal")
    leader.fill("#id_file-filing_condition", "垃圾堆放属实")
    submit_action(leader, "file")
    expect_done(leader, "立案")
    assert Case.objects.get(pk=case.pk).state == State.FILED
    entry = wait_for(lambda: RewardEntry.objects.filter(case=case).first(), what="the award")
    assert entry.amount == Decimal("10")

    # The citizen reads their statement from the public progress page, the phone masked.
    citizen.goto(f"{live_server.url}/hotline/status/")
    with citizen.expect_navigation():
        citizen.click("a:has-text('我的举报奖励')")
    citizen.fill("#my-phone", "13812341234")
    citizen.fill("#my-case", case.number)
    with citizen.expect_navigation():
        citizen.click("button:has-text('查询')")
    assert citizen.inner_text("#statement-phone") == "138****1234"
    assert "13812341234" not in citizen.content()
    assert citizen.inner_text("#balance-points") == "10"
    assert case.number in citizen.inner_text("#statement-entries")
    assert citizen.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(citizen, "reward-statement")

    # The manager makes the month's payout register, exports it and marks it paid.
    manager = login_page("manager")
    manager.goto(f"{live_server.url}/rewards/payouts/")
    assert "138****1234" in manager.inner_text("#pending")
    with manager.expect_navigation():
        manager.click("#payouts-create")
    manager.check("#payouts input[name=payout_ids]")
    with manager.expect_navigation():
        manager.click("#payouts-paid")
    assert "已发放" in manager.inner_text("#payouts")
    shot(manager, "reward-payouts")
    manager.goto(f"{live_server.url}/rewards/")
    shot(manager, "reward-citizens")
