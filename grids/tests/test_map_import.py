"""Importing roads, places and basemap areas (grids.importers.map_features, manage.py import_map):
a good file, a bad file that writes nothing, the Chinese messages, --replace; and the demo city's map."""
from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from core.errors import ApplicationError
from grids.importers.map_features import map_features_import_geojson
from grids.models import BasemapFeature, Place, Road

ROAD = {"type": "Feature", "properties": {"layer": "road", "name": "解放西路", "kind": "次干路", "district_code": "430102"},
        "geometry": {"type": "LineString", "coordinates": [[112.0, 28.0], [112.01, 28.0]]}}
PLACE = {"type": "Feature", "properties": {"layer": "地标", "name": "市图书馆", "aliases": "图书馆、省图"},
         "geometry": {"type": "Point", "coordinates": [112.005, 28.001]}}
LAKE = {"type": "Feature", "properties": {"layer": "water", "name": "月湖"},
        "geometry": {"type": "Polygon", "coordinates": [[[112, 28], [112.001, 28], [112.001, 28.001], [112, 28]]]}}


def _collection(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def test_a_good_file_writes_every_layer(regions):
    counts = map_features_import_geojson(data=json.dumps(_collection(ROAD, PLACE, LAKE)))
    assert counts == {"road": 1, "place": 1, "water": 1}
    road = Road.objects.get()
    assert (road.name, road.kind, road.district.code) == ("解放西路", "secondary", "430102")
    assert (road.min_lon, road.max_lon, road.min_lat, road.max_lat) == (112.0, 112.01, 28.0, 28.0)
    place = Place.objects.get()
    assert (place.kind, place.aliases, place.lon, place.lat) == ("landmark", "图书馆、省图", 112.005, 28.001)
    assert BasemapFeature.objects.get().kind == "water"


@pytest.mark.parametrize(("bad", "message"), [
    ({**ROAD, "properties": {**ROAD["properties"], "name": ""}}, "第 3 个要素：缺少名称"),
    ({**ROAD, "properties": {**ROAD["properties"], "layer": "rail"}}, "第 3 个要素：图层（properties.layer）应为"),
    ({**ROAD, "properties": {**ROAD["properties"], "kind": "高速"}}, "道路等级“高速”无效"),
    ({**ROAD, "properties": {**ROAD["properties"], "district_code": "999999"}}, "区县代码“999999”不存在"),
    ({**ROAD, "geometry": {"type": "Point", "coordinates": [112, 28]}}, "应为 LineString 或 MultiLineString"),
    ({**ROAD, "geometry": {"type": "LineString", "coordinates": [[112, 28]]}}, "线至少需要两个坐标"),
    ({**PLACE, "geometry": {"type": "Point", "coordinates": [500, 28]}}, "坐标超出经纬度范围"),
    ({**PLACE, "properties": {**PLACE["properties"], "kind": "商场"}}, "地名类型“商场”无效"),
    ({**LAKE, "geometry": {"type": "Polygon", "coordinates": [[[112, 28], [112.001, 28]]]}}, "每个环至少4个坐标"),
])
def test_a_bad_feature_writes_nothing_and_says_which(regions, bad, message):
    with pytest.raises(ApplicationError) as error:
        map_features_import_geojson(data=_collection(ROAD, PLACE, bad))
    assert message in error.value.message
    assert not Road.objects.exists() and not Place.objects.exists() and not BasemapFeature.objects.exists()


@pytest.mark.parametrize(("data", "message"), [
    ("{not json", "GeoJSON 格式错误"), ({"type": "Feature"}, "应为含 features 数组的 FeatureCollection"),
    (_collection(), "没有任何要素"),
])
def test_a_file_that_is_not_a_collection_is_refused(db, data, message):
    with pytest.raises(ApplicationError, match=message):
        map_features_import_geojson(data=data)


def test_replace_reloads_only_the_layers_in_the_file(regions):
    map_features_import_geojson(data=_collection(ROAD, PLACE, LAKE))
    map_features_import_geojson(data=_collection(ROAD), replace=True)
    assert Road.objects.count() == 1 and Place.objects.count() == 1 and BasemapFeature.objects.count() == 1
    map_features_import_geojson(data=_collection(ROAD))
    assert Road.objects.count() == 2


def test_command_imports_and_reports_errors_in_chinese(regions, tmp_path):
    good = tmp_path / "map.geojson"
    good.write_text(json.dumps(_collection(ROAD, PLACE)), encoding="utf-8")
    call_command("import_map", str(good))
    assert Road.objects.count() == 1
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(_collection(PLACE, {**ROAD, "properties": {"layer": "road"}})), encoding="utf-8")
    with pytest.raises(CommandError, match="第 2 个要素：缺少名称"):
        call_command("import_map", str(bad))
    assert Place.objects.count() == 1
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("import_map", str(tmp_path / "missing.geojson"))


def test_the_demo_city_has_roads_places_and_a_basemap_inside_it(db):
    from grids.demo import demo_city_build
    from grids.mapping import point_describe

    summary = demo_city_build(seed=7, scale=0.3, component_scale=0.01)
    assert summary.counts["roads"] == Road.objects.count() >= 8
    assert summary.counts["places"] == Place.objects.count() >= 20
    assert {"block", "building", "water", "green"} <= set(BasemapFeature.objects.values_list("kind", flat=True))
    assert len(set(Road.objects.values_list("name", flat=True))) == Road.objects.count()
    # Every place lies in a unit grid, and most get an address on a road.
    addresses = [point_describe(lon=p.lon, lat=p.lat).address for p in Place.objects.all()]
    assert sum("附近" in a for a in addresses) >= len(addresses) * 0.8


def test_the_admin_lists_and_opens_roads_places_and_basemap_areas(regions, client, django_user_model):
    map_features_import_geojson(data=_collection(ROAD, PLACE, LAKE))
    admin = django_user_model.objects.create_superuser("map-admin", password="x")
    client.force_login(admin)
    for model, obj in (("road", Road.objects.get()), ("place", Place.objects.get()),
                       ("basemapfeature", BasemapFeature.objects.get())):
        listing = client.get(f"/admin/grids/{model}/?district={regions['430102'].pk}" if model != "basemapfeature"
                             else f"/admin/grids/{model}/")
        assert listing.status_code == 200
        assert client.get(f"/admin/grids/{model}/{obj.pk}/change/").status_code == 200
    assert "解放西路" in client.get("/admin/grids/road/?q=解放").content.decode()
