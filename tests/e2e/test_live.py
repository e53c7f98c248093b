"""Live queues and the wall mode in a real headless Chromium: an operator's queue (1366×768) receives
a report a collector files through the API from another browser context, without a reload, keeping
the operator's selection, with the count in the tab title; a long list pages on in place; the wall
mode renders at 1920×1080 without navigation; a grid clicked on the overview map opens its cases."""
import re
from pathlib import Path

import pytest

from cases.models import Case, State
from cases.tests.helpers import case_build
from citygrid.testing import PASSWORD, point_in, tiny_city_build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/h/shots")


@pytest.fixture
def town(transactional_db, settings):
    from cases.calendar import calendar_cache_clear

    settings.LIVE_QUEUE_SECONDS = 1
    settings.WALL_REFRESH_SECONDS = 1
    calendar_cache_clear()
    SHOTS.mkdir(parents=True, exist_ok=True)
    return tiny_city_build()


def collector_reports(browser, live_server, town, description: str) -> dict:
    """A collector's phone: another browser context, a token from /api/auth/login/, a report."""
    context = browser.new_context()
    try:
        api = context.request
        login = api.post(f"{live_server.url}/api/auth/login/",
                         data={"username": "collector_a", "password": PASSWORD})
        assert login.ok, login.text()
        token = login.json()["token"]
        lon, lat = point_in(0, dx=0.2)
        response = api.post(f"{live_server.url}/api/cases/", headers={"Authorization": f"Token {token}"}, multipart={
            "minor_id": str(town.classes["garbage"].pk), "lon": str(lon), "lat": str(lat),
            "description": description, "source": "collector"})
        assert response.status == 201, response.text()
        return response.json()
    finally:
        context.close()


def test_the_operator_queue_receives_a_report_without_reload(town, browser, login_page, live_server):
    waiting = case_build(town, State.REPORTED)
    operator = login_page("operator")
    assert operator.url.endswith("/work/operator/")
    title = operator.title()
    assert not title.startswith("(")
    operator.keyboard.press("j")  # the operator is on the first case
    selected = operator.locator("tr[data-row].selected")
    assert waiting.number in selected.inner_text()
    operator.evaluate("window.__sameDocument = true")  # gone if the page reloads

    receipt = collector_reports(browser, live_server, town, "E2E：直播队列里的新上报")
    number = receipt["number"]

    new_row = operator.locator(f"#panel-intake tr[data-row]:has-text('{number}')")
    new_row.wait_for(timeout=10_000)
    operator.wait_for_function("() => document.title.startsWith('(1) ')", timeout=5_000)
    assert operator.evaluate("window.__sameDocument") is True
    assert "is-new" in (new_row.get_attribute("class") or "")
    assert operator.inner_text("#live-status").startswith("新到 1 件")
    assert operator.inner_text("[data-live-total=intake]") == "2"
    # The selection stayed on the case the operator was on, and j goes on from it.
    assert waiting.number in operator.locator("tr[data-row].selected").inner_text()
    operator.screenshot(path=str(SHOTS / "live-operator-new-report.png"))
    operator.keyboard.press("j")  # a key: the operator has seen it
    operator.wait_for_function("() => !document.title.startsWith('(')")
    assert operator.locator("tr[data-row].selected").count() == 1

    # The sound toggle: off by default, remembered.
    toggle = operator.locator("[data-live-sound]")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    operator.reload()
    assert operator.locator("[data-live-sound]").get_attribute("aria-pressed") == "true"


def test_a_long_list_says_how_many_more_and_pages_in_place(town, login_page, monkeypatch):
    import dataclasses

    from cases import views

    monkeypatch.setattr(views, "OPERATOR_PANELS", [
        dataclasses.replace(panel, per_page=3) if panel.name == "out" else panel for panel in views.OPERATOR_PANELS])
    for _i in range(7):
        case_build(town, State.VERIFYING)
    operator = login_page("operator")
    panel = operator.locator("#panel-out")
    assert "还有 4 条" in panel.inner_text()
    operator.evaluate("window.__sameDocument = true")
    panel.locator("a[rel=next]").click()
    operator.wait_for_function("() => document.querySelector('#panel-out').dataset.page === '2'")
    assert "第 4–6 条，共 7 条，还有 1 条" in operator.locator("#panel-out").inner_text()
    assert operator.evaluate("window.__sameDocument") is True
    assert operator.url.endswith("out_page=2")
    operator.locator("#panel-out").scroll_into_view_if_needed()
    operator.screenshot(path=str(SHOTS / "live-operator-pages.png"))


def test_the_wall_mode_at_1920(town, browser, live_server):
    for grid in (0, 0, 1, 2):
        case_build(town, State.REPORTED, grid=grid)
    late = case_build(town, State.FILED, grid=3, department=None)
    Case.objects.filter(pk=late.pk).update(current_deadline="2020-01-01T00:00:00Z")
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        errors = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "manager")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{live_server.url}/overview/")
        with page.expect_navigation():
            page.click("text=大屏模式")
        assert page.url.endswith("/overview/wall/")
        assert page.locator("nav.mainnav").count() == 0 and page.locator("header.topbar").count() == 0
        assert page.inner_text("[data-figure=intake]") == "5"
        assert page.inner_text("[data-figure=overdue]") == "1"
        assert late.number in page.inner_text("#wall-overdue")
        page.wait_for_selector("#overview-map[data-loaded='4']")
        page.wait_for_selector("#wall-trend-chart[data-drawn='5'] canvas")
        # Everything fits the screen: no scrolling on a wall.
        assert page.evaluate("document.documentElement.scrollHeight <= 1080 && document.documentElement.scrollWidth <= 1920")
        # It refreshes itself: a new report shows up in the figures.
        case_build(town, State.REPORTED, grid=1)
        page.wait_for_function("() => document.querySelector('[data-figure=intake]').textContent === '6'", timeout=10_000)
        page.wait_for_selector("#wall-trend-chart[data-drawn='6']")
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / "wall-1920.png"))
        assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    finally:
        context.close()


def test_a_grid_clicked_on_the_overview_map_opens_its_cases(town, login_page, live_server):
    ours = [case_build(town, State.REPORTED, grid=0) for _i in range(2)]
    other = case_build(town, State.REPORTED, grid=1)
    manager = login_page("manager")
    manager.goto(f"{live_server.url}/overview/")
    manager.wait_for_selector("#overview-map[data-loaded='2']")
    code = town.grids[0].code
    # Click the middle of the grid's polygon on the canvas.
    point = manager.evaluate("""(code) => {
        const el = document.getElementById('overview-map');
        let found = null;
        el.cgMap.eachLayer(l => { if (l.feature && l.feature.properties.code === code) found = l; });
        const c = el.cgMap.latLngToContainerPoint(found.getBounds().getCenter());
        const r = el.getBoundingClientRect();
        return {x: r.left + c.x, y: r.top + c.y};
    }""", code)
    with manager.expect_navigation():
        manager.mouse.click(point["x"], point["y"])
    assert re.search(rf"/search/\?.*unit_grid={code}", manager.url), manager.url
    text = manager.inner_text("table.list")
    assert all(case.number in text for case in ours) and other.number not in text
    manager.screenshot(path=str(SHOTS / "live-grid-cases.png"))
    # The same grids as links under the map, for the keyboard.
    manager.go_back()
    link = manager.locator("[data-grid-list-for=overview-map] a", has_text=code)
    assert link.count() == 1


def test_a_hidden_tab_asks_nothing_and_asks_at_once_when_shown(town, login_page, settings):
    settings.LIVE_QUEUE_SECONDS = 4
    operator = login_page("operator")
    asked = []
    operator.on("request", lambda request: asked.append(request.url) if "part=" in request.url else None)
    operator.wait_for_timeout(4_500)
    assert asked, "the panels poll while the tab is shown"
    operator.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    operator.wait_for_timeout(300)  # a request already under way may finish
    asked.clear()
    operator.wait_for_timeout(5_000)
    assert asked == []
    operator.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    operator.wait_for_timeout(600)  # every panel asks at once, not at its next tick (4 s)
    assert {re.search(r"part=(\w+)", url).group(1) for url in asked} == {"intake", "to_check", "results", "out"}
