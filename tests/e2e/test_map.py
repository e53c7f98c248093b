"""The map picker in a real headless Chromium: the operator at 1366×768 locates a report on the
intake form by searching a road and by clicking (and by the keyboard) and files it in the right
grid; the hotline desk's map draws the offline basemap, not a blank box; no WCAG A/AA violation in
the picker. Screenshots go to /tmp/h/shots/ (or MAP_SHOTS)."""
import io
import os
from pathlib import Path

import pytest
from PIL import Image

from cases.models import Case
from citygrid.testing import BASE_LAT, BASE_LON, STEP, tiny_city_build
from grids.importers.map_features import map_features_import_geojson
from grids.locator import locate

from .conftest import axe_report, axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("MAP_SHOTS", "/tmp/h/shots"))
ROAD_LAT = BASE_LAT + STEP * 0.5


@pytest.fixture
def town(transactional_db):
    from cases.calendar import calendar_cache_clear

    calendar_cache_clear()
    town = tiny_city_build()
    line = [[BASE_LON + STEP * 0.2, ROAD_LAT], [BASE_LON + STEP * 3.2, ROAD_LAT]]  # its middle: grid 1
    square = [[BASE_LON + STEP * 2.6, BASE_LAT + STEP * 0.1], [BASE_LON + STEP * 2.9, BASE_LAT + STEP * 0.1],
              [BASE_LON + STEP * 2.9, BASE_LAT + STEP * 0.35], [BASE_LON + STEP * 2.6, BASE_LAT + STEP * 0.35]]
    map_features_import_geojson(data={"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"layer": "road", "name": "解放路", "kind": "主干路"},
         "geometry": {"type": "LineString", "coordinates": line}},
        {"type": "Feature", "properties": {"layer": "place", "name": "西区人民医院", "aliases": "西医"},
         "geometry": {"type": "Point", "coordinates": [BASE_LON + STEP * 3.6, BASE_LAT + STEP * 0.8]}},
        {"type": "Feature", "properties": {"layer": "water", "name": "月湖"},
         "geometry": {"type": "Polygon", "coordinates": [[*square, square[0]]]}},
    ]})
    return town


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"map-{name}.png"))


def _fill_the_rest(page, town, description: str) -> None:
    page.select_option("#id_source", "hotline_12319")
    # The class field may be the plain <select> or the type-ahead over it: set the form's value.
    page.eval_on_selector("#id_minor", "(el, v) => { el.value = v; }", str(town.classes["garbage"].pk))
    page.fill("#id_description", description)


def _picker_violations(page) -> list[dict]:
    return [v for v in axe_violations(page)
            if any("map-picker" in n["target"] or "call-map" in n["target"] or "leaflet" in n["target"]
                   for n in v["nodes"])]


def test_operator_locates_by_search_and_files_in_the_right_grid(town, login_page, live_server):
    page = login_page("operator", bypass_csp=True)  # bypass only so that axe can be injected
    page.goto(f"{live_server.url}/cases/new/")
    page.locator("#map-picker[data-basemap]").wait_for()
    _fill_the_rest(page, town, "E2E 地图：解放路边暴露垃圾")

    page.fill("#map-picker-q", "解放")
    option = page.locator("#map-picker-results [role=option]").first
    option.wait_for()
    assert "解放路" in option.inner_text() and "道路" in option.inner_text()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expected = town.grids[1]
    page.wait_for_function("code => document.querySelector('#map-picker-box').dataset.located === code",
                           arg=expected.code)
    facts = page.inner_text(".map-picker-facts")
    assert "东街道 东社区" in facts and "责任网格1" in facts
    assert page.input_value("#id_unit_grid") == expected.code
    assert page.input_value("#id_address") == "解放路附近，东社区"
    lon, lat = float(page.input_value("#id_lon")), float(page.input_value("#id_lat"))
    assert lat == pytest.approx(ROAD_LAT, abs=1e-6)
    _shot(page, "intake-search")
    violations = _picker_violations(page)
    assert violations == [], axe_report("intake map picker", violations)

    with page.expect_navigation():
        page.click("form button.btn-primary")
    case = Case.objects.get(description="E2E 地图：解放路边暴露垃圾")
    assert case.unit_grid.code == expected.code and case.address == "解放路附近，东社区"
    assert (case.lon, case.lat) == (pytest.approx(lon), pytest.approx(lat))


def test_operator_locates_by_click_and_keyboard(town, login_page, live_server):
    page = login_page("operator")
    page.goto(f"{live_server.url}/cases/new/")
    page.locator("#map-picker[data-basemap]").wait_for()
    _fill_the_rest(page, town, "E2E 地图：点击定位")
    page.fill("#id_address", "")

    # Click somewhere on the map: whatever point it is, the grid shown and filed is the locator's.
    page.fill("#map-picker-q", "西医")
    page.locator("#map-picker-results [role=option]").first.wait_for()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#map-picker-box').dataset.located")
    box = page.locator("#map-picker").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 - 80, box["y"] + box["height"] / 2 + 20)
    page.wait_for_function("lon => document.querySelector('#id_lon').value !== lon", arg=str(BASE_LON + STEP * 3.6))
    lon, lat = float(page.input_value("#id_lon")), float(page.input_value("#id_lat"))
    clicked = locate(lon, lat).unit_grid_code
    page.wait_for_function("code => document.querySelector('#map-picker-box').dataset.located === code", arg=clicked)
    assert page.input_value("#id_unit_grid") == clicked
    assert page.input_value("#id_address").endswith("社区")

    # The marker moves with the arrow keys (Shift: 25 m a press): 4 presses west cross a 100 m grid.
    page.focus("#map-picker .leaflet-marker-icon")
    for _ in range(4):
        page.keyboard.press("Shift+ArrowLeft")
    page.wait_for_function("lon => parseFloat(document.querySelector('#id_lon').value) < lon - 0.0009", arg=lon)
    moved = locate(float(page.input_value("#id_lon")), float(page.input_value("#id_lat"))).unit_grid_code
    assert moved != clicked
    page.wait_for_function("code => document.querySelector('#map-picker-box').dataset.located === code", arg=moved)

    # An address the operator typed is theirs: moving the marker no longer replaces it.
    page.fill("#id_address", "解放路 88 号门前")
    page.focus("#map-picker .leaflet-marker-icon")
    page.keyboard.press("ArrowUp")
    page.wait_for_timeout(600)
    assert page.input_value("#id_address") == "解放路 88 号门前"
    _shot(page, "intake-click")

    with page.expect_navigation():
        page.click("form button.btn-primary")
    case = Case.objects.get(description="E2E 地图：点击定位")
    assert case.unit_grid.code == moved


def test_hotline_map_draws_the_basemap(town, login_page, live_server):
    page = login_page("hotline_agent", bypass_csp=True)
    page.goto(f"{live_server.url}/hotline/")
    page.locator("#call-map[data-basemap]").wait_for()
    assert int(page.get_attribute("#call-map", "data-basemap")) >= 6  # water, road, 4 grids
    page.wait_for_timeout(300)
    picture = Image.open(io.BytesIO(page.locator("#call-map").screenshot())).convert("RGB")
    colours = {colour for _count, colour in picture.getcolors(maxcolors=1 << 20)}
    assert len(colours) > 20, "the map is a blank box"
    water = (0xAA, 0xD3, 0xF2)
    assert any(sum(abs(a - b) for a, b in zip(c, water, strict=True)) < 12 for c in colours), "no water drawn"
    assert "解放路" in page.locator("#call-map .road-label").first.inner_text()
    page.locator("#call-map").click()
    page.wait_for_function("() => document.querySelector('#call-map-box').dataset.located")
    assert page.input_value("#id_address").endswith("社区")
    _shot(page, "hotline")
    violations = _picker_violations(page)
    assert violations == [], axe_report("hotline map picker", violations)


def test_the_demo_city_looks_like_a_city(transactional_db, login_page, live_server):
    """Screenshots of the offline basemap over the demo city (not an assertion of taste: that the
    blocks, water and roads are drawn, and a compound found by name is located in its community)."""
    from cases.calendar import calendar_cache_clear
    from grids.demo import DEMO_PASSWORD, demo_city_build
    from grids.models import Place, PlaceKind

    calendar_cache_clear()
    demo_city_build(seed=7, scale=0.3, component_scale=0.01)
    compound = Place.objects.filter(kind=PlaceKind.COMMUNITY).order_by("pk").first()
    page = login_page("operator", password=DEMO_PASSWORD)
    page.goto(f"{live_server.url}/cases/new/")
    page.locator("#map-picker[data-basemap]").wait_for()
    page.fill("#map-picker-q", compound.name)
    page.locator("#map-picker-results [role=option]").first.wait_for()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#map-picker-box').dataset.located")
    community = locate(compound.lon, compound.lat).community_id
    from grids.models import Region

    assert Region.objects.get(pk=community).name in page.inner_text(".map-picker-facts")
    page.locator("#map-picker .leaflet-control-zoom-out").click()
    page.wait_for_timeout(800)
    page.locator("#map-picker-box").scroll_into_view_if_needed()
    _shot(page, "demo-intake")
    assert page.locator("#map-picker .road-label").count() >= 2

    # The overview map fits its view to the grids with open cases: report a few.
    from cases import services
    from grids.models import MinorClass, UnitGrid, User

    operator = User.objects.get(username="operator")
    minor = MinorClass.objects.filter(edition="legacy4", kind="event").order_by("code").first()
    for grid in UnitGrid.objects.order_by("code")[::15]:
        services.case_report(actor=operator, source="hotline_12319", minor_id=minor.pk, lon=grid.center_lon,
                             lat=grid.center_lat, description=f"E2E 地图 {grid.code}", urgency="normal",
                             address="", component_code="", reporter_name="", reporter_phone="", photos=[])
    page.goto(f"{live_server.url}/overview/")
    page.locator("#overview-map[data-basemap]").wait_for()
    page.wait_for_timeout(500)
    _shot(page, "demo-overview")

    case = Case.objects.order_by("pk").first()
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.locator("#case-map[data-basemap]").wait_for()
    page.locator("#case-map").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    _shot(page, "demo-case")
