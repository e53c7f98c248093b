"""End-to-end fixtures: the machine's Debian Chromium driven by Playwright against pytest-django's
live server. Never `playwright install`: the browser is /usr/bin/chromium (apt)."""
import logging
import os
import subprocess
import threading
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
# itself (building data, checking results) would otherwise be refused as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# A switch Chromium ignores, naming this run's browsers so that a hung one can be killed (contexts_close).
BROWSER_MARK = f"--citygrid-e2e-run={os.getpid()}"
CLOSE_SECONDS = 60


def pytest_collection_modifyitems(config, items):
    reason = None
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install -y chromium chromium-driver)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "python package playwright is not installed (pip install -e '.[dev]')"
    if reason:
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            if "e2e" in item.keywords:
                item.add_marker(skip)


class RelaunchedBrowser:
    """The run's Chromium, launched again when the last one went away: a browser killed because it
    hung (contexts_close) costs the test that hung it, not every test after it."""

    def __init__(self, playwright):
        self._playwright, self._current = playwright, None

    def _live(self):
        if self._current is None or not self._current.is_connected():
            self._current = self._playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, BROWSER_MARK], headless=True)
        return self._current

    def __getattr__(self, name):
        return getattr(self._live(), name)

    def close(self) -> None:
        if self._current is not None and self._current.is_connected():
            self._current.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = RelaunchedBrowser(playwright)
        yield browser
        browser.close()


def contexts_close(contexts) -> None:
    """Close a test's browser contexts. Once in a CI run (2026-12-07) Chromium never answered a
    context's close, and Playwright waits for that answer without a timeout: the whole run hung
    for 20 minutes. After CLOSE_SECONDS the browser is killed instead (the next test launches a new
    one) and the test, which had passed, is not failed for it."""
    from playwright.sync_api import Error as PlaywrightError

    watchdog = threading.Timer(CLOSE_SECONDS, subprocess.run, args=(["pkill", "-f", "--", BROWSER_MARK],))
    watchdog.start()
    try:
        for context in contexts:
            try:
                context.close()
            except PlaywrightError:
                if not watchdog.finished.is_set():
                    raise
                logging.getLogger(__name__).warning("Chromium did not close a context in %s s: killed",
                                                    CLOSE_SECONDS)
                return
    finally:
        watchdog.cancel()


@pytest.fixture
def login_page(browser, live_server):
    """login_page("operator") → a Playwright page of a fresh browser context, logged in through
    the login form; login_page("operator", viewport=…) for another size. Every context is closed
    at the end of the test."""
    from citygrid.testing import PASSWORD

    contexts = []

    def make(username: str, *, password: str = PASSWORD, **context_options):
        # context_options go to new_context: another viewport, or bypass_csp=True for a test that
        # injects its own script (the accessibility checker) into pages under the site's CSP.
        options = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN",
                   "timezone_id": "Asia/Shanghai", **context_options}
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert "/accounts/login/" not in page.url, f"login failed for {username}"
        return page

    yield make
    contexts_close(contexts)


# --- accessibility: axe-core, vendored for the tests only (tests/e2e/vendor/README.md) ----------------

AXE_SCRIPT = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now, against WCAG 2.0/2.1 levels A and AA; returns its
    violations. The page's context needs bypass_csp=True: the script is added inline."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,"
        " nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html, summary: n.failureSummary}))})))",
        WCAG_A_AA)


def axe_report(where: str, violations: list[dict], *, nodes_per_rule: int = 6) -> str:
    """The violations as a reader fixing them wants them: rule, impact, count, then each element's
    selector, its HTML and what axe says is wrong with it."""
    lines = [f"{where}: {len(violations)} WCAG A/AA rule(s) violated"]
    for violation in violations:
        nodes = violation["nodes"]
        lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']} "
                     f"({len(nodes)} element(s)) {violation['helpUrl']}")
        for node in nodes[:nodes_per_rule]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    - {node['target']}  {node['html'][:140]}")
            lines.append(f"      {summary[:300]}")
        if len(nodes) > nodes_per_rule:
            lines.append(f"    … and {len(nodes) - nodes_per_rule} more")
    return "\n".join(lines)


# --- a city with something on every desk page ---------------------------------------------------

@pytest.fixture
def desk_city(transactional_db, settings):
    """The tiny city with cases in several states, a hotline call carried to closure with its
    callback due, and this month's assessment computed."""
    from datetime import timedelta

    from django.utils import timezone

    from assessment.catalogue import DEFAULT_CATALOGUE_NAME
    from assessment.models import IndicatorCatalogue
    from assessment.services import assessment_compute, catalogue_activate, catalogue_install_default
    from cases import services, workflow
    from cases.calendar import calendar_cache_clear
    from cases.models import Source
    from citygrid.testing import point_in, tiny_city_build
    from hotline import services as hotline_services
    from hotline.models import Channel

    settings.HOTLINE_AUTO_FEEDBACK = False
    calendar_cache_clear()
    town = tiny_city_build()
    users, east = town.users, town.departments["sanitation_a"]

    def report(index: int, **extra):
        lon, lat = point_in(index % 4, 0.3 + 0.1 * index, 0.5)
        return services.case_report(actor=users["collector_a"], source=Source.COLLECTOR,
                                    minor_id=town.classes["garbage"].pk, lon=lon, lat=lat,
                                    description=f"路边有暴露垃圾 {index}", address="人民路", **extra).case

    for index in range(3):  # the operator's queue
        report(index)
    filed = report(3)
    workflow.case_propose_file(actor=users["operator"], case_id=filed.pk)
    workflow.case_file(actor=users["shift_leader"], case_id=filed.pk)
    handling = report(4)
    workflow.case_file(actor=users["shift_leader"], case_id=handling.pk)
    workflow.case_dispatch(actor=users["dispatcher"], case_id=handling.pk, department_id=east.pk)
    workflow.case_urge(actor=users["dispatcher"], case_id=handling.pk, note="请尽快处置")
    workflow.case_request_extension(actor=users["handler_a"], case_id=handling.pk, note="需协调管线单位",
                                    requested_deadline=timezone.now() + timedelta(days=5))

    lon, lat = point_in(1, 0.95, 0.95)  # far enough from the reports not to join one of them
    call = hotline_services.call_log(actor=users["hotline_agent"], channel=Channel.HOTLINE_12319,
                                     phone="13812345678", caller_name="张三", content="小区门口有一堆垃圾没人清",
                                     minor_id=town.classes["garbage"].pk, lon=lon, lat=lat, transfer_number="")
    closed = call.case
    for username, move, extra in [
        ("shift_leader", workflow.case_file, {}),
        ("dispatcher", workflow.case_dispatch, {"department_id": east.pk}),
        ("handler_a", workflow.case_report_handled, {"note": "已清运"}),
        ("operator", workflow.case_send_check, {}),
        ("collector_a", workflow.case_check_pass, {}),
        ("shift_leader", workflow.case_close, {}),
    ]:
        closed = move(actor=users[username], case_id=closed.pk, **extra)
    hotline_services.closure_followups_create()

    catalogue = IndicatorCatalogue.objects.filter(name=DEFAULT_CATALOGUE_NAME).first()
    if catalogue is None:
        catalogue_install_default(activate=True)
    elif not catalogue.is_active:
        catalogue_activate(catalogue=catalogue)
    month = timezone.localtime().strftime("%Y-%m")
    assessment_compute(period=month)
    return {
        "case": handling.pk, "filed": filed.pk, "closed": closed.pk, "closed_number": closed.number,
        "collector": users["collector_a"].pk, "month": month, "department": east.pk, "grid": town.grids[0].pk,
    }
