"""A department's people open their own assessment in a real headless Chromium at 1366×768: the
overview leads with their department's result, the department ranking shows their row and rank
alone, a number opens the cases behind it; screenshots in /tmp/h/shots/assess-*.png."""
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/h/shots")
LABEL = "2026-10"


@pytest.fixture
def october(transactional_db):
    from assessment.models import Composite
    from assessment.services import assessment_compute, catalogue_install_default
    from assessment.tests import scenario
    from cases.calendar import calendar_cache_clear
    from citygrid.testing import tiny_city_build

    calendar_cache_clear()
    town = tiny_city_build()
    from assessment.catalogue import DEFAULT_CATALOGUE_NAME
    from assessment.models import IndicatorCatalogue
    from assessment.services import catalogue_activate

    existing = IndicatorCatalogue.objects.filter(name=DEFAULT_CATALOGUE_NAME).first()
    catalogue_activate(catalogue=existing) if existing else catalogue_install_default(activate=True)
    scenario.build_october(town)
    assessment_compute(period=LABEL)
    return Composite.objects.get(period__label=LABEL, object_type="department",
                                 object_id=town.departments["sanitation_a"].pk)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"assess-{name}.png"), full_page=False)


def test_a_department_reads_its_own_assessment(october, login_page, live_server):
    page = login_page("handler_a")
    page.goto(f"{live_server.url}/assessment/")
    assert f"/assessment/{LABEL}/" in page.url
    headline = page.locator(".headline-score")
    assert f"{october.score:.2f}" in headline.inner_text()
    assert "查看范围：本部门" in page.content() and "重新计算" not in page.content()
    shot(page, "department-overview")

    page.click("nav.assess-nav >> text=专业部门")
    rows = page.locator("table.ranking tbody tr")
    assert rows.count() == 1
    assert october.object_name in rows.first.inner_text()
    assert f"{october.rank}/{october.ranked_count}" in rows.first.inner_text().replace(" ", "")
    shot(page, "department-ranking")

    rows.first.locator("a").first.click()
    page.wait_for_load_state()
    assert october.object_name in page.locator("h1").inner_text()
    page.locator("table.list a").first.click()
    page.wait_for_load_state()
    assert "/drill/department/" in page.url
    shot(page, "department-drill")
