"""The desk pages' layout and wording as a reader sees them: every page fits a 390×844 phone (wide
tables scroll inside their .table-wrap, the page itself never scrolls sideways), no multi-select
that needs Ctrl, Chinese text punctuated the Chinese way (no ASCII colon after a Chinese word),
and at 1366×768 the search's buttons each on one line."""
import re

import pytest

from .test_accessibility import DESK_PAGES

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
NOT_FOR_PHONES = {"/overview/wall/"}  # the 1920×1080 wall screen
# A Chinese character or closing bracket followed by an ASCII colon: "立案条件:" is wrong, "立案条件："
# is right. A colon between digits ("08:30") is a time, not punctuation.
ASCII_COLON_AFTER_CHINESE = re.compile(r"[\u3400-\u9fff）》」]\s?:(?!\d)")
# What sticks out sideways, for the failure message: the widest elements wider than the screen.
WIDEST = """() => [...document.querySelectorAll('main *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
               && !e.closest('.table-wrap, .map, .leaflet-container, .chart'))
  .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + [...e.classList].join('.')
                    + ' right=' + Math.round(e.getBoundingClientRect().right))"""


@pytest.mark.parametrize("role", list(DESK_PAGES))
def test_every_desk_page_fits_a_phone_and_is_punctuated_the_chinese_way(role, desk_city, login_page, live_server):
    page = login_page(role, viewport=PHONE)
    problems = []
    for path in DESK_PAGES[role]:
        if path in NOT_FOR_PHONES:
            continue
        url = path.format(**desk_city)
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None and response.ok, f"{role} {url}: HTTP {response and response.status}"
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 1:
            problems.append(f"{url}: the page scrolls {overflow}px sideways on a phone: {page.evaluate(WIDEST)}")
        if page.locator("main select[multiple]").count():
            problems.append(f"{url}: a <select multiple> (needs Ctrl to pick several)")
        text = page.inner_text("body")
        for match in ASCII_COLON_AFTER_CHINESE.finditer(text):
            problems.append(f"{url}: ASCII colon after Chinese text: …{text[max(0, match.start() - 12):match.end() + 8]}…")
    assert not problems, f"{role}:\n" + "\n".join(problems)


def test_the_search_buttons_stay_on_one_line_and_sources_are_ticked(desk_city, login_page, live_server):
    page = login_page("operator")
    page.goto(f"{live_server.url}/search/")
    line_height = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.filters .buttons .btn')).lineHeight)")
    for button in page.locator(".filters .buttons > *").all():
        box = button.bounding_box()
        assert box["height"] < 2 * line_height, f"{button.inner_text()!r} wraps: {box['height']}px tall"
    # Two sources ticked without Ctrl, and the search keeps both.
    page.check("input[name=source][value=collector]")
    page.check("input[name=source][value=hotline_12319]")
    with page.expect_navigation():
        page.click(".filters button[type=submit]")
    assert "source=collector" in page.url and "source=hotline_12319" in page.url
    assert page.is_checked("input[name=source][value=collector]")
    assert page.is_checked("input[name=source][value=hotline_12319]")
    numbers = page.locator("table.list tbody tr[data-row]").count()
    assert numbers == 6  # the five collector reports and the hotline call of desk_city


def test_favicon(live_server, browser):
    context = browser.new_context()
    try:
        response = context.request.get(f"{live_server.url}/favicon.ico")
        assert response.ok and response.headers["content-type"].startswith("image/svg+xml")
    finally:
        context.close()
