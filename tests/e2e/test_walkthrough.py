"""What a walk through the demo city as its users found, pinned in a real headless Chromium: a move
confirmed while the live queue refreshes under it still goes through; the class picker shows no
class's rules once the typed text matches nothing; the wall's empty overdue list reads on one
line; the field app's case map stands on the city's basemap, not on a blank box; the intake
form's map sits beside its fields at 1366×768; a department's desk page fits a 390 px phone."""
import pytest

from cases.models import Case, State

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def town(transactional_db, settings):
    from cases.calendar import calendar_cache_clear
    from citygrid.testing import tiny_city_build

    settings.LIVE_QUEUE_SECONDS = 1  # the queue refreshes several times while the undo runs
    calendar_cache_clear()
    return tiny_city_build()


def test_a_confirmed_move_is_sent_though_the_live_queue_replaced_its_row(town, login_page, live_server):
    from cases.tests.helpers import case_build

    case = case_build(town, State.HANDLED, grid=0)
    operator = login_page("operator")
    operator.goto(f"{live_server.url}/work/operator/")
    row = operator.locator(f"tr[data-row]:has-text('{case.number}')")
    row.click()
    operator.keyboard.press("c")  # 下发核查: confirmed, then held five seconds for its undo
    operator.locator("dialog#confirm-move[open]").wait_for()
    old_panel = operator.locator("[data-live-panel]").first.element_handle()
    with operator.expect_navigation(timeout=20_000):
        operator.keyboard.press("Enter")
        # The panel holding the form is swapped for a fresh copy before the undo ends.
        operator.wait_for_function("(old) => !document.contains(old)", arg=old_panel, timeout=8_000)
    assert Case.objects.get(pk=case.pk).state == State.CHECKING
    assert f"案件 {case.number}：下发核查 已完成" in operator.locator(".messages").inner_text()


def test_the_class_picker_shows_no_rules_when_nothing_matches(town, login_page, live_server):
    operator = login_page("operator")
    operator.goto(f"{live_server.url}/cases/new/")
    combo = operator.locator("#id_minor_search")
    info = operator.locator("#id_minor_info")
    combo.click()
    combo.press_sequentially("0")  # matches: the first class's rules are shown
    assert "立案条件" in info.inner_text()
    combo.press_sequentially("zzzz")  # matches nothing
    assert info.inner_text().strip() == "没有匹配的小类"
    assert operator.input_value("#id_minor") == ""


def test_the_walls_empty_overdue_list_is_one_line(town, login_page, live_server):
    manager = login_page("manager", viewport={"width": 1920, "height": 1080})
    manager.goto(f"{live_server.url}/overview/wall/")
    empty = manager.locator(".wall-top li.empty")
    empty.wait_for()
    assert empty.inner_text() == "没有超期案件。"
    assert empty.bounding_box()["height"] < 48  # not a column one character wide


def test_the_field_case_map_draws_the_basemap(town, login_page, live_server):
    from cases.tests.helpers import case_build

    case = case_build(town, State.DISPATCHED, grid=0, department="sanitation_a")
    handler = login_page("handler_a", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    handler.goto(f"{live_server.url}/m/")
    handler.click(f"a[data-case='{case.number}']")
    handler.wait_for_selector("#case-map.leaflet-container")
    handler.wait_for_selector("#case-map[data-basemap]", timeout=15_000)  # maps.js drew the registry's geometry
    assert int(handler.get_attribute("#case-map", "data-basemap")) > 0


def test_the_intake_form_shows_its_map_beside_the_fields_at_1366(town, login_page, live_server):
    operator = login_page("operator")
    operator.goto(f"{live_server.url}/cases/new/")
    the_map = operator.locator("[data-map-picker] [data-map]").bounding_box()
    description = operator.locator("#id_description").bounding_box()
    submit = operator.locator("form button.btn-primary").bounding_box()
    assert the_map["x"] > description["x"] + description["width"]  # beside, not below
    assert the_map["y"] + the_map["height"] <= 768 and submit["y"] + submit["height"] <= 768  # no scrolling


def test_a_departments_desk_page_fits_a_phone(town, login_page, live_server):
    from grids.models import Department, User

    # A name line as long as the demo city's: "曾明艳 · 专业部门 · 东湖区市政设施维护所".
    User.objects.filter(username="handler_municipal").update(first_name="明艳", last_name="曾")
    Department.objects.filter(code="D-SZ").update(name="示范市东湖区市政设施维护管理所")
    handler = login_page("handler_municipal", viewport={"width": 390, "height": 844})
    handler.goto(f"{live_server.url}/work/department/")
    assert handler.evaluate("document.documentElement.scrollWidth") <= 390
    logout = handler.locator(".topbar-right form button").bounding_box()
    assert logout["x"] + logout["width"] <= 390  # 退出 reachable, not cut off at the edge
