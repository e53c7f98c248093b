"""The Content-Security-Policy in a real headless Chromium: the main pages (login, operator queue,
case page with its Leaflet map, overview, hotline desk, API docs) load without a single policy
violation, and the map, the basemap tiles from MAP_TILE_URL, htmx polling and the former inline
handlers (language switch) still work under it."""
import re

import pytest

from citygrid.testing import PASSWORD, point_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Recorded in every document before its own scripts run (Playwright's init scripts are not
# subject to the page's policy).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__csp.push(event.violatedDirective + " blocked " + (event.blockedURI || "inline") +
                    " at " + (event.sourceFile || location.pathname) + ":" + event.lineNumber);
});
"""


@pytest.fixture
def town(transactional_db):
    from cases.calendar import calendar_cache_clear
    from citygrid.testing import tiny_city_build

    calendar_cache_clear()
    return tiny_city_build()


@pytest.fixture
def tiles_elsewhere(live_server, settings):
    """Basemap tiles from another origin (the live server under its other loopback name), so that
    they load only if the policy's img-src names the tile host."""
    other = live_server.url.replace("localhost", "127.0.0.1") if "localhost" in live_server.url \
        else live_server.url.replace("127.0.0.1", "localhost")
    settings.MAP_TILE_URL = other + "/static/citygrid/favicon.svg?z={z}&x={x}&y={y}"
    return other


class Watched:
    """A logged-in page that records CSP violations (the DOM event and the console errors)."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        page.on("console", lambda message: self.console.append(message.text) if message.type == "error" else None)
        page.add_init_script(RECORD_VIOLATIONS)

    def violations(self) -> list[str]:
        events = self.page.evaluate("window.__csp || []")
        console = [text for text in self.console if "Content Security Policy" in text]
        return events + console

    def visit(self, url: str):
        response = self.page.goto(url)
        assert response.status == 200, (url, response.status)
        self.page.wait_for_load_state("networkidle")
        assert self.violations() == [], url
        return response


@pytest.fixture
def watched(browser, live_server):
    contexts = []

    def make(username: str | None = None) -> Watched:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        context.set_default_timeout(15_000)
        contexts.append(context)
        watched = Watched(context.new_page())
        watched.visit(f"{live_server.url}/accounts/login/")
        if username:
            watched.page.fill("#id_username", username)
            watched.page.fill("#id_password", PASSWORD)
            with watched.page.expect_navigation():
                watched.page.click("button[type=submit]")
            assert "/accounts/login/" not in watched.page.url, f"login failed for {username}"
            assert watched.violations() == []
        return watched

    yield make
    for context in contexts:
        context.close()


def test_policy_header_reaches_the_browser(town, watched, live_server):
    login = watched()
    response = login.page.goto(f"{live_server.url}/accounts/login/")
    policy = response.headers["content-security-policy"]
    # Parsed: django-csp writes the directives in an order of its own (a set's).
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"] and "unsafe-inline" not in policy
    # And it is enforced: a script injected inline is refused and reported.
    login.page.evaluate("""() => { const s = document.createElement("script");
                                   s.textContent = "window.__ran = true"; document.body.appendChild(s); }""")
    assert login.page.evaluate("window.__ran === undefined")
    assert any("script-src" in line for line in login.violations())


def test_main_pages_load_without_violations_and_still_work(town, watched, live_server, tiles_elsewhere,
                                                           monkeypatch):
    from cases import services, views

    monkeypatch.setattr(views, "OVERVIEW_REFRESH_SECONDS", 1)

    lon, lat = point_in(0)
    case = services.case_report(actor=town.users["collector_a"], source="collector",
                                minor_id=town.classes["garbage"].pk, lon=lon, lat=lat, description="E2E：路口垃圾").case

    # Operator queue, then the case page: the Leaflet map draws the grid and the case, with tiles
    # from the tile host of MAP_TILE_URL.
    operator = watched("operator")
    operator.visit(f"{live_server.url}/work/operator/")
    assert operator.page.locator("tr[data-row]").count() == 1
    operator.visit(f"{live_server.url}/cases/{case.pk}/")
    case_map = operator.page.locator("#case-map.leaflet-container")
    case_map.wait_for()
    operator.page.wait_for_selector("#case-map img.leaflet-tile-loaded")
    assert operator.page.locator(f"#case-map img.leaflet-tile[src^='{tiles_elsewhere}']").count() > 0
    assert operator.page.locator("#case-map .leaflet-overlay-pane canvas, #case-map .leaflet-overlay-pane svg").count()
    assert operator.violations() == []

    # The overview: map, intake bars (width from data-pct, set by app.js) and htmx polling.
    operator.visit(f"{live_server.url}/overview/")
    operator.page.locator("#overview-map.leaflet-container").wait_for()
    operator.page.wait_for_function(
        "() => document.querySelectorAll('#overview-map .leaflet-overlay-pane canvas, "
        "#overview-map .leaflet-overlay-pane path').length > 0")
    fill = operator.page.locator(".bar .fill[data-pct='100']").first
    assert fill.evaluate("element => element.style.width") == "100%"
    with operator.page.expect_response(
            lambda r: "/overview/" in r.url and r.request.headers.get("hx-request") == "true"):
        pass  # polling every second (OVERVIEW_REFRESH_SECONDS patched)
    operator.page.wait_for_timeout(300)  # the swap settles
    assert operator.page.locator("#overview-live .bar .fill[data-pct='100']").first.evaluate(
        "element => element.style.width") == "100%"
    assert operator.violations() == []

    # The language switch (formerly onchange=) submits by itself.
    with operator.page.expect_navigation():
        operator.page.select_option("#lang-select", "en")
    assert operator.page.locator("html").get_attribute("lang") == "en"
    assert operator.violations() == []

    # Hotline desk: clicking the map fills the call's coordinates.
    agent = watched("hotline_agent")
    agent.visit(f"{live_server.url}/hotline/")
    agent.page.locator("#call-map.leaflet-container").wait_for()
    agent.page.locator("#call-map").click(position={"x": 120, "y": 80})
    assert re.fullmatch(r"-?\d+\.\d{6}", agent.page.input_value("#id_lon"))
    assert re.fullmatch(r"-?\d+\.\d{6}", agent.page.input_value("#id_lat"))
    assert agent.violations() == []


def test_admin_and_api_docs_render_under_their_policies(town, watched, live_server):
    from grids.models import User

    superuser = User.objects.create_superuser("docs-admin", password=PASSWORD)
    admin = watched("docs-admin")
    for path in ("/admin/", "/admin/cases/case/", f"/admin/grids/user/{superuser.pk}/change/",
                 "/admin/hotline/apikey/add/"):
        admin.visit(f"{live_server.url}{path}")
    admin.visit(f"{live_server.url}/api/docs/")
    admin.page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    assert admin.violations() == []
    admin.page.goto(f"{live_server.url}/api/redoc/")
    admin.page.wait_for_selector(".redoc-wrap .api-content", timeout=30_000)
    # Redoc's footer logo is fetched from its CDN: refused, as it should be on the intranet.
    assert [v for v in admin.violations() if "cdn.redoc.ly" not in v] == [], admin.violations()


def test_assessment_charts_and_their_tooltips(town, watched, live_server):
    """ECharts (SVG renderer) draws and shows its hover tooltip without a violation."""
    from django.utils import timezone

    from assessment.models import IndicatorCatalogue
    from assessment.services import (
        DEFAULT_CATALOGUE_NAME,
        assessment_compute,
        catalogue_activate,
        catalogue_install_default,
    )
    from cases import services

    catalogue = IndicatorCatalogue.objects.filter(name=DEFAULT_CATALOGUE_NAME).first()
    if catalogue is None:
        catalogue_install_default(activate=True)
    elif not catalogue.is_active:
        catalogue_activate(catalogue=catalogue)
    lon, lat = point_in(0)
    services.case_report(actor=town.users["collector_a"], source="collector", minor_id=town.classes["garbage"].pk,
                         lon=lon, lat=lat, description="E2E：考核")
    label = timezone.localdate().strftime("%Y-%m")
    assessment_compute(period=label)
    manager = watched("manager")
    manager.visit(f"{live_server.url}/assessment/{label}/")
    charts = manager.page.locator("[data-echarts] svg")
    charts.first.wait_for()
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        for fraction in (0.3, 0.5, 0.7):
            manager.page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.6)
            manager.page.wait_for_timeout(150)
    assert manager.violations() == []
