"""End-to-end fixtures: the machine's Debian Chromium driven by Playwright against pytest-django's
live server. Never `playwright install`: the browser is /usr/bin/chromium (apt)."""
import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
# itself (building data, checking results) would otherwise be refused as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


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


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


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
    for context in contexts:
        context.close()


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
