"""What a second walk of the demo found on the desk, pinned in a real headless Chromium at 1366×768:
a move confirmed and then left within its undo is still sent; the joint dispatch form groups its
departments and filters them; a queue's place names never break inside a name; the wall's road
names are labels on the map, not tooltip boxes."""
import pytest

from cases.models import Case, State
from citygrid.testing import BASE_LAT, BASE_LON, STEP

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def town(transactional_db):
    from cases.calendar import calendar_cache_clear
    from citygrid.testing import tiny_city_build

    calendar_cache_clear()
    return tiny_city_build()


def _state_becomes(case_id: int, state: str, *, seconds: float = 4.0) -> str:
    """The case's state once it is `state`, or whatever it is after `seconds` (less than the undo's
    five: a move still held by the undo would arrive later and not count)."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        current = Case.objects.get(pk=case_id).state
        if current == state or time.monotonic() > deadline:
            return current
        time.sleep(0.1)


def _confirm_verify_from_the_queue(operator, live_server, case) -> None:
    operator.goto(f"{live_server.url}/work/operator/")
    operator.locator(f"tr[data-row]:has-text('{case.number}')").click()
    operator.keyboard.press("v")  # 下发核实: confirmed, then held five seconds for its undo
    operator.locator("dialog#confirm-move[open]").wait_for()
    operator.keyboard.press("Enter")
    operator.locator("[data-undo-bar]:not([hidden])").wait_for()


def test_leaving_the_page_during_the_undo_sends_the_move(town, login_page, live_server):
    from cases.tests.helpers import case_build

    case = case_build(town, State.REPORTED, grid=0)
    operator = login_page("operator")
    _confirm_verify_from_the_queue(operator, live_server, case)
    operator.goto(f"{live_server.url}/search/")  # another page, at once
    assert _state_becomes(case.pk, State.VERIFYING) == State.VERIFYING


def test_hiding_the_tab_during_the_undo_sends_the_move_and_shows_it_on_return(town, login_page, live_server):
    from cases.tests.helpers import case_build

    case = case_build(town, State.REPORTED, grid=0)
    operator = login_page("operator")
    _confirm_verify_from_the_queue(operator, live_server, case)
    hide = ("state => { Object.defineProperty(document, 'visibilityState', {value: state, configurable: true});"
            " document.dispatchEvent(new Event('visibilitychange')); }")
    operator.evaluate(hide, "hidden")
    assert _state_becomes(case.pk, State.VERIFYING) == State.VERIFYING
    with operator.expect_navigation():  # back in view: the page reloads to show what happened
        operator.evaluate(hide, "visible")
    assert f"案件 {case.number}：下发核实 已完成" in operator.locator(".messages").inner_text()


def test_an_undone_move_is_not_sent_when_leaving(town, login_page, live_server):
    from cases.tests.helpers import case_build

    case = case_build(town, State.REPORTED, grid=0)
    operator = login_page("operator")
    _confirm_verify_from_the_queue(operator, live_server, case)
    operator.keyboard.press("Escape")  # 撤销
    operator.goto(f"{live_server.url}/search/")
    assert _state_becomes(case.pk, State.VERIFYING, seconds=2) == State.REPORTED


def test_the_joint_dispatch_form_groups_and_filters_its_departments(town, login_page, live_server):
    from cases.tests.helpers import case_build

    case = case_build(town, State.FILED, grid=0, department=None)
    dispatcher = login_page("dispatcher")
    dispatcher.goto(f"{live_server.url}/cases/{case.pk}/")
    dispatcher.keyboard.press("j")  # 联合派遣
    box = dispatcher.locator("#action-joint_dispatch .check-groups")
    legends = box.locator("fieldset > legend").all_inner_texts()
    assert legends == ["市级部门", "东区", "西区"], legends
    city = box.locator("fieldset").first
    assert "市政设施管理处" in city.inner_text() and "东区环卫所" not in city.inner_text()
    # Typing filters the names; a group left empty hides; a ticked name stays.
    dispatcher.check(f"input[name='joint_dispatch-assisting'][value='{town.departments['municipal'].pk}']")
    box.locator("[data-check-filter]").fill("西区")
    visible = box.locator("label:visible").all_inner_texts()
    assert [name.strip() for name in visible] == ["市政设施管理处", "西区环卫所"], visible
    assert box.locator("fieldset:visible > legend").all_inner_texts() == ["市级部门", "西区"]
    box.locator("[data-check-filter]").press("Enter")  # does not send the form
    assert Case.objects.get(pk=case.pk).state == State.FILED
    box.locator("[data-check-filter]").fill("没有这个部门")
    assert box.locator("[data-check-filter-empty]").is_hidden()  # the ticked one still shows
    dispatcher.uncheck(f"input[name='joint_dispatch-assisting'][value='{town.departments['municipal'].pk}']")
    box.locator("[data-check-filter]").fill("没有这个部门 ")
    assert box.locator("[data-check-filter-empty]").is_visible()


def test_the_joint_dispatch_departments_stand_in_columns_at_1366(town, login_page, live_server):
    from cases.tests.helpers import case_build
    from grids.models import Department, DepartmentLevel

    for index in range(12):
        Department.objects.create(code=f"D-CITY-{index:02d}", name=f"测试市第{index}管理处", level=DepartmentLevel.CITY,
                                  region=town.city)
    case = case_build(town, State.FILED, grid=0, department=None)
    dispatcher = login_page("dispatcher")
    dispatcher.goto(f"{live_server.url}/cases/{case.pk}/")
    dispatcher.keyboard.press("j")
    lefts = dispatcher.locator("#action-joint_dispatch fieldset").first.locator("label").evaluate_all(
        "els => els.map(el => Math.round(el.getBoundingClientRect().left))")
    assert len(lefts) == 13 and len(set(lefts)) >= 2, lefts  # side by side, not one long column


def test_a_queues_place_names_never_break_inside_a_name(town, login_page, live_server):
    from cases.tests.helpers import case_build
    from grids.models import Region

    Region.objects.filter(pk=town.grids[0].street_id).update(name="文化街道")
    for _ in range(3):
        case = case_build(town, State.REPORTED, grid=0)
        Case.objects.filter(pk=case.pk).update(
            address="文化街道幸福小区东门对面的人行道上", description="人行道上有大量暴露垃圾，" * 6)
    operator = login_page("operator")
    operator.goto(f"{live_server.url}/work/operator/")
    names = operator.locator("td.place .place-name")
    assert names.count() == 6 and "文化街道" in names.all_inner_texts()
    # Each name sits on one line box: "文化街 / 道" would give two.
    lines = names.evaluate_all("els => els.map(el => el.getClientRects().length)")
    assert lines == [1] * 6, lines
    assert operator.locator("td.place").first.evaluate("el => getComputedStyle(el).wordBreak") == "keep-all"


def test_the_walls_road_names_are_map_labels(town, login_page, live_server):
    from cases.tests.helpers import case_build
    from grids.importers.map_features import map_features_import_geojson

    case_build(town, State.REPORTED, grid=1)  # the map shows the grids with open cases

    lat = BASE_LAT + STEP * 0.5
    map_features_import_geojson(data={"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"layer": "road", "name": "解放路", "kind": "主干路"},
         "geometry": {"type": "LineString",
                      "coordinates": [[BASE_LON + STEP * k / 10, lat] for k in range(41)]}}]})
    manager = login_page("manager", viewport={"width": 1920, "height": 1080})
    manager.goto(f"{live_server.url}/overview/wall/")
    label = manager.locator(".wall-map-box .road-label")
    for _ in range(6):  # names are drawn from zoom 15 on
        if label.count() or manager.locator(".leaflet-control-zoom-in.leaflet-disabled").count():
            break
        manager.click(".wall-map-box .leaflet-control-zoom-in")
        manager.wait_for_timeout(700)
    label.first.wait_for()
    assert "解放路" in label.first.inner_text()
    style = label.first.evaluate("el => { const s = getComputedStyle(el), b = getComputedStyle(el, '::before');"
                                 " return [s.backgroundColor, s.borderTopWidth, s.boxShadow, b.display]; }")
    assert style == ["rgba(0, 0, 0, 0)", "0px", "none", "none"], style
