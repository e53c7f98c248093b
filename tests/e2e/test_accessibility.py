"""Every desk page, as each desk role sees it at 1366×768, checked by axe-core (vendored under
tests/e2e/vendor, served to the tests only) against WCAG 2.0/2.1 levels A and AA: no violation.

A new page joins by adding its URL to DESK_PAGES (role → paths, "{case}" and friends filled in from
the desk_city fixture of conftest.py). Admin pages are Django's and are not checked."""
import pytest

from .conftest import axe_report, axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Paths per role. Placeholders are the keys of the desk_city fixture (tests/e2e/conftest.py): {case}
# a case in handling (dispatched to 东区环卫所, urged, an extension asked), {filed} a filed case,
# {closed} a closed hotline case and {closed_number} its number, {collector} a collector's id,
# {month} this month's label, {department} and {grid} an assessed department and unit grid.
COMMON = ["/search/", "/search/?q=垃圾", "/cases/{case}/", "/cases/{filed}/", "/cases/{closed}/"]
COMMAND_CENTER = [*COMMON, "/overview/", "/overview/wall/", "/hotline/", "/hotline/?case={closed_number}",
                  "/patrol/", "/patrol/table/", "/patrol/collectors/{collector}/", "/video/", "/video/accuracy/",
                  "/supervision/reviews/"]
ASSESSMENT = [
    "/assessment/", "/assessment/schedule/", "/assessment/{month}/",
    "/assessment/{month}/ranking/department/", "/assessment/{month}/ranking/region/?level=grid",
    "/assessment/{month}/ranking/collector/",
    "/assessment/{month}/object/department/district/{department}/",
    "/assessment/{month}/drill/region/grid/{grid}/reports/",
    "/assessment/{month}/distribution/", "/assessment/{month}/hotspots/", "/assessment/{month}/leaders/",
    "/assessment/{month}/bulletin/",
]
DESK_PAGES: dict[str, list[str]] = {
    "operator": ["/work/operator/", "/cases/new/", *COMMAND_CENTER],
    "shift_leader": ["/work/shift-leader/", *COMMAND_CENTER],
    "dispatcher": ["/work/dispatcher/", *COMMAND_CENTER],
    "handler_a": ["/work/department/", "/search/", "/cases/{case}/", "/assessment/{month}/",
                  "/assessment/{month}/ranking/department/",
                  "/assessment/{month}/object/department/district/{department}/",
                  "/assessment/{month}/drill/department/district/{department}/filed/",
                  "/assessment/{month}/bulletin/", "/supervision/letters/"],
    "hotline_agent": ["/hotline/", "/hotline/?phone=13812345678&case={closed_number}", "/hotline/callbacks/",
                      "/search/", "/cases/{closed}/"],
    "manager": [*COMMAND_CENTER, *ASSESSMENT],
}


@pytest.mark.parametrize("role", list(DESK_PAGES))
def test_every_desk_page_has_no_wcag_a_or_aa_violation(role, desk_city, login_page, live_server):
    page = login_page(role, bypass_csp=True)
    failures, checked = [], 0
    for path in DESK_PAGES[role]:
        url = path.format(**desk_city)
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None and response.ok, f"{role} {url}: HTTP {response and response.status}"
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page)
        checked += 1
        if violations:
            failures.append(axe_report(f"{role} {url}", violations))
    assert checked == len(DESK_PAGES[role])
    assert not failures, "\n\n".join(failures)


def test_the_checker_sees_a_violation(browser):
    """The injected axe-core really runs: light grey text on white and a control inside role="img"
    are reported, with the elements named."""
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.set_content('<html lang="zh-CN"><head><title>t</title></head><body><main><h1>t</h1>'
                         '<p style="color:#bbb;background:#fff">浅灰文字</p>'
                         '<div role="img" aria-label="地图"><a href="#x">放大</a></div></main></body></html>')
        report = axe_report("sample", axe_violations(page))
    finally:
        context.close()
    assert "color-contrast" in report and "nested-interactive" in report and "浅灰文字" in report
