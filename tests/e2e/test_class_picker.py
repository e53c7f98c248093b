"""The class picker in a real headless Chromium: an operator at 1366×768 types "jdc" on the intake
form, picks 机动车乱停放 of the active edition by keyboard, sees its filing condition and time
limit, and the case is filed under it; the other edition only when asked; without JavaScript the
plain select still works. Screenshots go to PICKER_SCREENSHOTS when it is set."""
import os
from pathlib import Path

import pytest

from cases.models import Case
from cases.tests.test_class_picker import parking_classes
from citygrid.testing import point_in, tiny_city_build

from .conftest import axe_report, axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("PICKER_SCREENSHOTS", "")


@pytest.fixture
def town(transactional_db, settings):
    from cases.calendar import calendar_cache_clear

    calendar_cache_clear()
    settings.CLASS_EDITION = "std2026"
    town = tiny_city_build()
    parking_classes(town)
    return town


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"picker-{name}.png"))


def options(page) -> list[str]:
    return [" ".join(text.split()) for text in page.locator("#id_minor_listbox [role=option]").all_inner_texts()]


def test_operator_picks_by_pinyin_initials_with_the_keyboard(town, login_page, live_server):
    parking = town.classes["parking"]
    page = login_page("operator", bypass_csp=True)  # bypass_csp: axe-core is injected inline
    page.goto(f"{live_server.url}/cases/new/")
    combo = page.locator("#id_minor_search")
    assert combo.get_attribute("role") == "combobox"
    assert page.locator("label[for=id_minor_search]").inner_text().startswith("小类")
    assert not page.locator("#id_minor").is_visible()  # the select is still in the form, hidden

    combo.click()
    combo.press_sequentially("jdc")
    assert options(page) == ["09009 机动车乱停放 管理事项 · 09 交通秩序"]  # not 0505, the other edition
    assert combo.get_attribute("aria-expanded") == "true"
    assert combo.get_attribute("aria-activedescendant") == f"id_minor_opt{parking.pk}"
    shot(page, "typed")
    inside = [v for v in axe_violations(page) if any(".class-picker" in n["target"] or "id_minor" in n["target"]
                                                      for n in v["nodes"])]
    assert not inside, axe_report("class picker, list open", inside)

    combo.press("Escape")  # closes the list, keeps the text
    assert page.locator("#id_minor_listbox").is_hidden()
    assert combo.input_value() == "jdc"
    combo.press("ArrowDown")  # opens again on the first match
    assert page.locator(f"#id_minor_opt{parking.pk}").get_attribute("aria-selected") == "true"
    combo.press("Enter")  # picks; does not send the form
    assert "/cases/new/" in page.url
    assert combo.input_value() == "09009 机动车乱停放"
    assert page.input_value("#id_minor") == str(parking.pk)
    info = page.locator("#id_minor_info")
    assert "机动车占用人行道、绿地停放" in info.inner_text()
    assert "一般 2 工作日" in info.inner_text() and "紧急 1 工作日" in info.inner_text()
    assert "车辆已驶离或已处罚" in info.inner_text()
    shot(page, "picked")

    lon, lat = point_in(0)
    page.fill("#id_description", "E2E：人行道上停满汽车")
    page.fill("#id_lon", str(lon))
    page.fill("#id_lat", str(lat))
    with page.expect_navigation():
        page.click("form button.btn-primary")
    case = Case.objects.get(description="E2E：人行道上停满汽车")
    assert case.minor_id == parking.pk
    assert page.url.endswith(f"/cases/{case.pk}/")


def test_the_other_edition_when_asked_and_the_most_used_first(town, login_page, live_server):
    from cases import services

    lon, lat = point_in(1)
    services.case_report(actor=town.users["hotline_agent"], source="hotline_12319",
                         minor_id=town.classes["bikes"].pk, lon=lon, lat=lat, description="单车堆在路口")
    page = login_page("hotline_agent")
    page.goto(f"{live_server.url}/hotline/")
    combo = page.locator("#id_minor_id_search")
    combo.click()
    combo.press_sequentially("ltf")
    listbox = "#id_minor_id_listbox [role=option]"
    texts = [" ".join(t.split()) for t in page.locator(listbox).all_inner_texts()]
    assert [t.split()[0] for t in texts] == ["09010", "09009"], texts  # the agent's own class first
    assert "常用" in texts[0]
    combo.press("Tab")  # closes the list; the next stop is the edition toggle
    assert page.evaluate("document.activeElement.id") == "id_minor_id_other"
    page.keyboard.press("Space")  # ticked: the list again, with the other edition after
    assert page.evaluate("document.activeElement.id") == "id_minor_id_search"
    texts = [" ".join(t.split()) for t in page.locator(listbox).all_inner_texts()]
    assert [t.split()[0] for t in texts] == ["09010", "09009", "0505"], texts
    shot(page, "other-edition")
    combo.press("ArrowDown")
    combo.press("ArrowDown")  # 09010 (the first match, active) → 09009 → 0505
    assert combo.get_attribute("aria-activedescendant") == f"id_minor_id_opt{town.classes['parking_legacy'].pk}"
    combo.press("Enter")
    assert page.input_value("#id_minor_id") == str(town.classes["parking_legacy"].pk)
    assert "占用人行道停放" in page.locator("#id_minor_id_info").inner_text()


def test_without_javascript_the_select_still_works(town, browser, live_server):
    from django.conf import settings
    from django.test import Client

    parking = town.classes["parking"]
    client = Client()
    client.force_login(town.users["operator"])  # the login form itself is not what is tested here
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1366, "height": 768})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/cases/new/")
    assert page.locator("#id_minor_search").count() == 0
    page.select_option("#id_minor", str(parking.pk))
    lon, lat = point_in(0)
    page.fill("#id_description", "E2E：没有脚本")
    page.fill("#id_lon", str(lon))
    page.fill("#id_lat", str(lat))
    with page.expect_navigation():
        page.click("form button.btn-primary")
    assert Case.objects.get(description="E2E：没有脚本").minor_id == parking.pk
    context.close()


def test_shift_leader_files_under_the_picked_class_of_the_case_edition(town, login_page, live_server):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from cases.tests.helpers import report

    case = report(town, by="operator", cls="parking_legacy", description="E2E：待立案")
    legacy_vending = town.classes["vending"]
    page = login_page("shift_leader")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.locator("#action-file summary").click()
    combo = page.locator("#id_file-minor_search")
    assert combo.input_value() == "0505 机动车乱停放"  # the case's class, prefilled
    assert "占用人行道停放" in page.locator("#id_file-minor_info").inner_text()
    assert page.locator("#id_file-minor_other").count() == 0  # 立案 stays in the case's edition
    combo.fill("")
    combo.press_sequentially("wzjy")  # 无照经营游商
    combo.press("Enter")
    assert page.input_value("#id_file-minor") == str(legacy_vending.pk)
    assert page.input_value("#id_file-filing_condition") == ""  # 无照经营游商 has no condition written
    combo.fill("")
    combo.press_sequentially("0505")
    combo.press("Enter")
    assert page.input_value("#id_file-filing_condition") == "占用人行道停放"
    page.click("#action-file button[type=submit]")
    ok = page.locator("#confirm-move[open] [data-confirm-ok]")  # irreversible moves are confirmed
    try:
        ok.wait_for(timeout=3_000)
        ok.click()
    except PlaywrightTimeout:
        pass
    for _ in range(150):  # the move may wait out a short undo delay
        case.refresh_from_db()
        if case.state == "filed":
            break
        page.wait_for_timeout(100)
    assert (case.state, case.minor_id) == ("filed", town.classes["parking_legacy"].pk)
    shot(page, "file-form")
