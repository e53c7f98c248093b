"""The map's reads and API (grids.mapping, /api/grids/map/): the search finds a road, a community, a
place and a component; a point gives its grids and a proposed address; the basemap's box; the
region scope, Chinese 400s and constant query counts."""
from __future__ import annotations

import gzip
import json

import pytest
import shapely
from rest_framework.test import APIClient

from grids.importers.map_features import map_features_import_geojson
from grids.mapping import address_compose, basemap_features, map_search, point_describe
from grids.models import Component, MajorClass, MinorClass, Role, User

from .conftest import ORIGIN_LAT, ORIGIN_LON, SIDE

MAP = "/api/grids/map/"
MID_LAT = ORIGIN_LAT + SIDE  # the east-west line between the block's two rows of grids


def _feature(layer: str, geometry, **properties) -> dict:
    geojson = json.loads(shapely.to_geojson(geometry)) if not isinstance(geometry, dict) else geometry
    return {"type": "Feature", "geometry": geojson, "properties": {"layer": layer, **properties}}


@pytest.fixture
def map_data(grid_block, west_grid):
    """A road along the middle of the block, another in the west district, a landmark, a component."""
    map_features_import_geojson(data={"type": "FeatureCollection", "features": [
        _feature("road", shapely.LineString([(ORIGIN_LON, MID_LAT), (ORIGIN_LON + 2 * SIDE, MID_LAT)]),
                 name="芙蓉中路", kind="主干路", district_code="430102"),
        _feature("road", shapely.LineString([(ORIGIN_LON - 0.01, ORIGIN_LAT), (ORIGIN_LON - 0.009, ORIGIN_LAT)]),
                 name="芙蓉西路", district_code="430103"),
        _feature("place", shapely.Point(ORIGIN_LON + 1.5 * SIDE, ORIGIN_LAT + 0.5 * SIDE), name="东区人民医院",
                 kind="兴趣点", aliases=["东医", "区医院"], district_code="430102"),
        _feature("water", shapely.box(ORIGIN_LON, ORIGIN_LAT, ORIGIN_LON + SIDE / 4, ORIGIN_LAT + SIDE / 4),
                 name="月湖"),
        _feature("building", shapely.box(ORIGIN_LON + SIDE / 2, ORIGIN_LAT + SIDE / 2, ORIGIN_LON + 0.8 * SIDE,
                                         ORIGIN_LAT + 0.8 * SIDE)),
    ]})
    major = MajorClass.objects.create(edition="legacy4", kind="component", code="01", name="公用设施")
    minor = MinorClass.objects.create(major=major, edition="legacy4", kind="component", code="0101", name="上水井盖")
    grid = grid_block["430102001002002"]
    Component.objects.create(code="4301020101000042", minor=minor, lon=grid.center_lon, lat=grid.center_lat,
                             unit_grid=grid)
    return grid_block


@pytest.fixture
def city_operator(map_data):
    return User.objects.create_user(username="op", password="x", role=Role.OPERATOR)


@pytest.fixture
def west_operator(map_data, regions):
    return User.objects.create_user(username="op_west", password="x", role=Role.OPERATOR, region=regions["430103"])


@pytest.fixture
def api(city_operator) -> APIClient:
    client = APIClient()
    client.force_authenticate(city_operator)
    return client


# --- search -----------------------------------------------------------------------------------------

def test_search_finds_a_road_with_a_point_on_it(city_operator):
    hits = map_search(user=city_operator, query="芙蓉")
    roads = [h for h in hits if h.kind == "road"]
    assert [h.label for h in roads] == ["芙蓉中路", "芙蓉西路"]
    assert roads[0].lat == pytest.approx(MID_LAT) and ORIGIN_LON <= roads[0].lon <= ORIGIN_LON + 2 * SIDE


def test_search_finds_a_community_at_the_centre_of_its_grids(city_operator, map_data):
    (hit,) = [h for h in map_search(user=city_operator, query="东区2") if h.kind == "community"]
    assert hit.label == "东区2社区" and hit.code == "430102001002"
    assert hit.lon == pytest.approx(ORIGIN_LON + 1.5 * SIDE) and hit.lat == pytest.approx(ORIGIN_LAT + SIDE)


@pytest.mark.parametrize("query", ["人民医院", "东医", "区医院"])
def test_search_finds_a_place_by_name_or_alias(city_operator, query):
    (hit,) = [h for h in map_search(user=city_operator, query=query) if h.kind == "place"]
    assert hit.label == "东区人民医院" and hit.detail == "兴趣点"


def test_search_finds_a_component_and_unit_grids_by_code(city_operator, map_data):
    hits = map_search(user=city_operator, query="43010201010000")
    assert [(h.kind, h.code) for h in hits] == [("component", "4301020101000042")]
    assert hits[0].lon == pytest.approx(map_data["430102001002002"].center_lon)
    grid_hits = map_search(user=city_operator, query="430102001002")
    assert [h.code for h in grid_hits] == ["430102001002001", "430102001002002"]


@pytest.mark.parametrize(("query", "kind", "labels"), [
    ("frzl", "road", ["芙蓉中路"]),  # initials
    ("FuRong", "road", ["芙蓉中路", "芙蓉西路"]),  # full pinyin, any case
    ("zhonglu", "road", ["芙蓉中路"]),
    ("dq2", "community", ["东区2社区"]),
    ("renminyiyuan", "place", ["东区人民医院"]),
    ("dy", "place", ["东区人民医院"]),  # the initials of an alias, 东医
])
def test_search_matches_names_and_aliases_by_pinyin(city_operator, query, kind, labels):
    assert [h.label for h in map_search(user=city_operator, query=query) if h.kind == kind] == labels


def test_search_pinyin_follows_a_renamed_road_and_needs_two_letters(city_operator):
    from grids.models import Road

    road = Road.objects.get(name="芙蓉西路")
    road.name = "湘江路"
    road.save(update_fields=["name"])
    assert [h.label for h in map_search(user=city_operator, query="xjl")] == ["湘江路"]
    assert map_search(user=city_operator, query="frxl") == []
    assert [h for h in map_search(user=city_operator, query="f") if h.kind == "road"] == []  # no pinyin for one letter


def test_search_keeps_to_the_users_region(west_operator):
    assert [h.label for h in map_search(user=west_operator, query="芙蓉")] == ["芙蓉西路"]
    assert map_search(user=west_operator, query="医院") == []
    assert map_search(user=west_operator, query="4301020") == []


def test_search_api_types_its_results(api):
    response = api.get(f"{MAP}search/", {"q": "芙蓉"})
    assert response.status_code == 200, response.content
    first = response.json()["results"][0]
    assert first["kind"] == "road" and first["kind_label"] == "道路" and first["label"] == "芙蓉中路"
    assert set(first) == {"kind", "kind_label", "label", "detail", "code", "lon", "lat"}


@pytest.mark.parametrize(("params", "message"), [
    ({}, "请输入要查找的"),
    ({"q": "   "}, "请输入要查找的"),
    ({"q": "路" * 41}, "不能超过 40 个字"),
])
def test_search_api_refuses_bad_input_in_chinese(api, params, message):
    response = api.get(f"{MAP}search/", params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_search_api_query_count_is_constant(api, django_assert_max_num_queries, map_data):
    for n in range(5):
        map_features_import_geojson(data={"type": "FeatureCollection", "features": [
            _feature("road", shapely.LineString([(ORIGIN_LON, ORIGIN_LAT), (ORIGIN_LON + SIDE, ORIGIN_LAT)]),
                     name=f"芙蓉{n}巷")]})
    with django_assert_max_num_queries(3):  # roads, communities, places
        by_name = api.get(f"{MAP}search/", {"q": "芙蓉"})
    with django_assert_max_num_queries(3):  # the same three, by pinyin
        by_pinyin = api.get(f"{MAP}search/", {"q": "furong"})
    assert by_pinyin.json()["results"] == by_name.json()["results"] and len(by_name.json()["results"]) == 6
    with django_assert_max_num_queries(2):  # components, unit grids
        assert api.get(f"{MAP}search/", {"q": "4301020"}).status_code == 200


# --- a point ----------------------------------------------------------------------------------------

def test_point_gives_grids_and_the_nearest_road_and_community(map_data, responsibility_grid):
    point = point_describe(lon=ORIGIN_LON + 0.5 * SIDE, lat=MID_LAT + 0.2 * SIDE)
    assert point.unit_grid.code == "430102001001001"
    assert point.unit_grid.responsibility_grid == responsibility_grid
    assert point.road == "芙蓉中路" and point.road_metres == pytest.approx(22.2, abs=0.5)
    assert point.address == "芙蓉中路附近，东区1社区"


def test_point_near_a_place_names_it_too(map_data):
    point = point_describe(lon=ORIGIN_LON + 1.5 * SIDE, lat=ORIGIN_LAT + 0.6 * SIDE)
    assert point.place == "东区人民医院"
    assert point.address == "芙蓉中路附近（近东区人民医院），东区2社区"


def test_point_far_from_roads_falls_back_to_street_and_community(map_data, west_grid):
    point = point_describe(lon=ORIGIN_LON - 0.0095, lat=ORIGIN_LAT + 0.9 * SIDE)
    assert point.road == "芙蓉西路"  # about 100 m away: still within the radius
    assert address_compose(road="", place="", community="东区1社区", street="东区一街道") == "东区一街道东区1社区"


def test_point_api_returns_everything_the_form_shows(api, responsibility_grid):
    response = api.get(f"{MAP}point/", {"lon": ORIGIN_LON + 0.5 * SIDE, "lat": MID_LAT + 0.2 * SIDE})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["unit_grid"] == "430102001001001"
    assert body["community"] == {"code": "430102001001", "name": "东区1社区"}
    assert body["street"]["name"] == "东区一街道" and body["district"]["name"] == "东区"
    assert body["responsibility_grid"] == {"code": responsibility_grid.code, "name": responsibility_grid.name}
    assert body["address"] == "芙蓉中路附近，东区1社区"


@pytest.mark.parametrize(("params", "message"), [
    ({"lon": "100.0", "lat": "20.0"}, "不在本市"),
    ({"lon": "abc", "lat": "28"}, "经度应为数字"),
    ({"lon": "112"}, "请提供纬度"),
])
def test_point_api_refuses_bad_input_in_chinese(api, params, message):
    response = api.get(f"{MAP}point/", params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_point_api_query_count_is_constant(api, django_assert_max_num_queries):
    params = {"lon": ORIGIN_LON + 0.5 * SIDE, "lat": MID_LAT + 0.2 * SIDE}
    api.get(f"{MAP}point/", params)  # builds the locator's index
    # The locator's version check (every call in the tests' settings), the grid with its regions and
    # responsibility grid, the roads around, the places around.
    with django_assert_max_num_queries(4):
        assert api.get(f"{MAP}point/", params).status_code == 200


def test_map_api_needs_a_signed_in_user(map_data):
    client = APIClient()
    for url in (f"{MAP}search/?q=芙蓉", f"{MAP}point/?lon=112&lat=28", f"{MAP}basemap/?bbox=112,28,112.1,28.1"):
        assert client.get(url).status_code in (401, 403)


# --- the basemap ------------------------------------------------------------------------------------

def test_basemap_gives_every_layer_in_the_box_bottom_to_top(map_data):
    collection = basemap_features(bbox=(ORIGIN_LON, ORIGIN_LAT, ORIGIN_LON + 0.002, ORIGIN_LAT + 0.002))
    layers = [f["properties"]["layer"] for f in collection["features"]]
    assert layers == ["water", "building", "road", "grid", "grid", "grid", "grid"]
    far = basemap_features(bbox=(ORIGIN_LON + 1, ORIGIN_LAT + 1, ORIGIN_LON + 1.01, ORIGIN_LAT + 1.01))
    assert far["features"] == []


def test_basemap_leaves_buildings_out_when_zoomed_far_out(map_data):
    collection = basemap_features(bbox=(ORIGIN_LON - 0.1, ORIGIN_LAT - 0.1, ORIGIN_LON + 0.1, ORIGIN_LAT + 0.1))
    assert "building" not in {f["properties"]["layer"] for f in collection["features"]}


def test_basemap_api_is_cacheable(api, django_assert_max_num_queries):
    url = f"{MAP}basemap/?bbox={ORIGIN_LON},{ORIGIN_LAT},{ORIGIN_LON + 0.002},{ORIGIN_LAT + 0.002}"
    with django_assert_max_num_queries(3):  # areas, roads, grids
        response = api.get(url, HTTP_ACCEPT="application/geo+json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/geo+json")
    assert "max-age=" in response["Cache-Control"] and response["ETag"]
    assert len(json.loads(response.content)["features"]) == 7
    again = api.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    zipped = api.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert zipped["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.content)) == json.loads(response.content)


@pytest.mark.parametrize(("bbox", "message"), [
    ("", "四个数"), ("1,2,3", "四个数"), ("a,b,c,d", "四个数"), ("112,28,111,29", "最小值应小于最大值"),
    ("100,20,110,30", "范围过大"), ("nan,1,2,3", "四个数"),
])
def test_basemap_api_refuses_bad_boxes_in_chinese(api, bbox, message):
    response = api.get(f"{MAP}basemap/", {"bbox": bbox})
    assert response.status_code == 400
    assert message in response.json()["detail"]
