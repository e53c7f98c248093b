"""Issued bulletins in a real headless Chromium at 1366×768: the manager opens the list, then a
bulletin as issued (第 N 期) and its print layout; a department's person reads only their own line.
Screenshots in /tmp/h/shots/assess-bulletin-*.png."""
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/h/shots")
LABEL = "2026-10"


@pytest.fixture
def issued(transactional_db):
    from assessment.bulletins import bulletin_issue
    from assessment.catalogue import DEFAULT_CATALOGUE_NAME
    from assessment.models import IndicatorCatalogue, Period
    from assessment.services import assessment_compute, catalogue_activate, catalogue_install_default
    from assessment.tests import scenario
    from cases.calendar import calendar_cache_clear
    from citygrid.testing import tiny_city_build

    calendar_cache_clear()
    town = tiny_city_build()
    existing = IndicatorCatalogue.objects.filter(name=DEFAULT_CATALOGUE_NAME).first()
    catalogue_activate(catalogue=existing) if existing else catalogue_install_default(activate=True)
    scenario.build_october(town)
    assessment_compute(period=LABEL)
    return bulletin_issue(period=Period.objects.get(label=LABEL))


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"assess-bulletin-{name}.png"), full_page=False)


def test_issued_bulletins_read_as_issued(issued, login_page, live_server):
    page = login_page("manager")
    page.goto(f"{live_server.url}/assessment/bulletins/")
    assert "2026 年第 1 期" in page.locator("table.list").inner_text()
    shot(page, "list")
    page.click("text=月度通报（2026-10）")
    page.wait_for_load_state()
    assert "2026 年第 1 期" in page.locator(".bulletin-number").inner_text()
    assert page.locator("table.bulletin-headline").is_visible()
    shot(page, "issued")
    page.emulate_media(media="print")
    assert not page.locator(".assess-actions").is_visible()
    shot(page, "print")


def test_a_department_reads_its_own_line(issued, login_page, live_server):
    page = login_page("handler_a")
    page.goto(f"{live_server.url}/assessment/bulletins/{issued.pk}/")
    rows = page.locator("table.ranking tbody tr")
    assert rows.count() == 1
    shot(page, "department")
