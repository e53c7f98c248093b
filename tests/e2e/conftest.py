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
    the login form. Every context is closed at the end of the test."""
    from citygrid.testing import PASSWORD

    contexts = []

    def make(username: str, *, password: str = PASSWORD):
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
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
