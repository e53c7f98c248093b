"""Importing the map's registry data from one GeoJSON FeatureCollection, all or nothing: roads
(lines), places (points) and the offline basemap's areas (blocks, buildings, water, green).
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any

import shapely
from django.db import transaction
from django.utils.translation import gettext as _

from core.pinyin import pinyin_search_text
from grids.geometry import polygon_from_geojson
from grids.models import BasemapFeature, BasemapKind, Place, PlaceKind, Region, RegionLevel, Road, RoadKind

from .tabular import BATCH_SIZE, feature_error
from .unit_grids import _code_text, _geojson_collection

ROAD_LAYER = "road"
PLACE_LAYER = "place"
LAYERS = (ROAD_LAYER, PLACE_LAYER, *BasemapKind.values)
# The Chinese words a city's own export may carry instead of our codes.
_LAYER_WORDS = {"道路": ROAD_LAYER, "地名": PLACE_LAYER, "地标": PLACE_LAYER, "街区": BasemapKind.BLOCK,
                "建筑": BasemapKind.BUILDING, "水域": BasemapKind.WATER, "绿地": BasemapKind.GREEN}
_ROAD_KIND_WORDS = {str(label): value for value, label in RoadKind.choices} | {
    "主干道": RoadKind.ARTERIAL, "次干道": RoadKind.SECONDARY}
_PLACE_KIND_WORDS = {"小区": PlaceKind.COMMUNITY, "社区": PlaceKind.COMMUNITY, "地标": PlaceKind.LANDMARK,
                     "兴趣点": PlaceKind.POI, "POI": PlaceKind.POI}
_ALIAS_SEPARATORS = ("、", "，", ",", ";", "；", "|")


def _choice(value: Any, choices: list[str], words: dict[str, str], default: str) -> str | None:
    text = _code_text(value)
    if not text:
        return default
    if text in choices:
        return text
    return words.get(text)


def _line_from_geojson(value: Any) -> shapely.geometry.base.BaseGeometry:
    if not isinstance(value, dict) or value.get("type") not in ("LineString", "MultiLineString"):
        kind = value.get("type") if isinstance(value, dict) else None
        raise ValueError(_("几何类型应为 LineString 或 MultiLineString，实际为 %(kind)s") % {"kind": kind})
    coordinates = value.get("coordinates")
    parts = [coordinates] if value["type"] == "LineString" else coordinates
    if not isinstance(parts, list) or not parts or any(not isinstance(part, list) or len(part) < 2 for part in parts):
        raise ValueError(_("线至少需要两个坐标"))
    try:
        line = shapely.geometry.shape(value)
    except Exception as exc:  # shapely raises several types for bad coordinate arrays
        raise ValueError(_("坐标数组无法解析（%(error)s）") % {"error": exc}) from None
    coords = shapely.get_coordinates(line)
    if line.is_empty or len(coords) < 2:
        raise ValueError(_("线至少需要两个坐标"))
    _coordinates_check(coords)
    return line


def _point_from_geojson(value: Any) -> tuple[float, float]:
    if not isinstance(value, dict) or value.get("type") != "Point":
        kind = value.get("type") if isinstance(value, dict) else None
        raise ValueError(_("几何类型应为 Point，实际为 %(kind)s") % {"kind": kind})
    coordinates = value.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        raise ValueError(_("点坐标应为 [经度, 纬度]"))
    try:
        lon, lat = float(coordinates[0]), float(coordinates[1])
    except (TypeError, ValueError):
        raise ValueError(_("点坐标应为 [经度, 纬度]")) from None
    _coordinates_check([[lon, lat]])
    return lon, lat


def _coordinates_check(coords) -> None:
    for lon, lat in (tuple(c[:2]) for c in coords):
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise ValueError(_("坐标含有非数值"))
        if abs(lon) > 180 or abs(lat) > 90:
            raise ValueError(_("坐标超出经纬度范围（应为 WGS-84 经度、纬度）"))


def map_features_import_geojson(*, data: bytes | str | dict, replace: bool = False) -> dict[str, int]:
    """Import roads, places and basemap areas from a GeoJSON FeatureCollection. Each feature's
    `properties.layer` is `road` (LineString/MultiLineString; `name`, optional `kind` arterial /
    secondary / branch, optional `district_code`), `place` (Point; `name`, optional `kind`
    community / landmark / poi, `aliases` as a list or a 、-separated string, `district_code`) or
    one of `block`, `building`, `water`, `green` (Polygon/MultiPolygon, optional `name`); Chinese
    words (道路, 地标, 水域…) are accepted as well.

    All or nothing: any bad feature stops the import with a message naming it. With `replace`, the
    rows of every layer the file contains are deleted first (in the same transaction), so a city
    can reload its roads without duplicating them. Returns the count written per layer.
    """
    features = _geojson_collection(data)
    district_codes: set[str] = set()
    parsed: list[tuple[int, str, dict[str, Any], Any]] = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise feature_error(number, _("不是 GeoJSON Feature 对象"))
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raise feature_error(number, _("properties 应为对象"))
        layer = _choice(properties.get("layer"), list(LAYERS), _LAYER_WORDS, "")
        if not layer:
            raise feature_error(number, _("图层（properties.layer）应为 %(layers)s 之一，实际为“%(value)s”")
                                % {"layers": "、".join(LAYERS), "value": _code_text(properties.get("layer"))})
        name = _code_text(properties.get("name"))
        if layer in (ROAD_LAYER, PLACE_LAYER) and not name:
            raise feature_error(number, _("缺少名称（properties.name）"))
        if len(name) > 100 or (layer == ROAD_LAYER and len(name) > 64):
            raise feature_error(number, _("名称“%(name)s”过长") % {"name": name[:20]})
        district_code = _code_text(properties.get("district_code"))
        if district_code:
            district_codes.add(district_code)
        try:
            if layer == ROAD_LAYER:
                shape = _line_from_geojson(feature.get("geometry"))
            elif layer == PLACE_LAYER:
                shape = _point_from_geojson(feature.get("geometry"))
            else:
                shape = polygon_from_geojson(feature.get("geometry"))
        except ValueError as exc:
            raise feature_error(number, _("“%(name)s”的%(reason)s") % {"name": name or layer, "reason": exc}) from None
        parsed.append((number, layer, properties, shape))

    districts = dict(Region.objects.filter(code__in=district_codes, level=RegionLevel.DISTRICT)
                     .values_list("code", "pk"))
    roads: list[Road] = []
    places: list[Place] = []
    areas: list[BasemapFeature] = []
    for number, layer, properties, shape in parsed:
        name = _code_text(properties.get("name"))
        district_code = _code_text(properties.get("district_code"))
        if district_code and district_code not in districts:
            raise feature_error(number, _("区县代码“%(code)s”不存在") % {"code": district_code})
        district_id = districts.get(district_code)
        if layer == ROAD_LAYER:
            kind = _choice(properties.get("kind"), RoadKind.values, _ROAD_KIND_WORDS, RoadKind.BRANCH)
            if kind is None:
                raise feature_error(number, _("道路等级“%(kind)s”无效，应为主干路、次干路或支路")
                                    % {"kind": _code_text(properties.get("kind"))})
            min_lon, min_lat, max_lon, max_lat = shape.bounds
            roads.append(Road(name=name, kind=kind, district_id=district_id, geometry=shapely.geometry.mapping(shape),
                              min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat,
                              name_pinyin=pinyin_search_text(name)))
        elif layer == PLACE_LAYER:
            kind = _choice(properties.get("kind"), PlaceKind.values, _PLACE_KIND_WORDS, PlaceKind.LANDMARK)
            if kind is None:
                raise feature_error(number, _("地名类型“%(kind)s”无效，应为小区、地标或兴趣点")
                                    % {"kind": _code_text(properties.get("kind"))})
            aliases = _aliases(properties.get("aliases"))
            if len(aliases) > 200:
                raise feature_error(number, _("别名过长（不超过200字）"))
            lon, lat = shape
            places.append(Place(name=name, kind=kind, aliases=aliases, lon=lon, lat=lat, district_id=district_id,
                                name_pinyin=pinyin_search_text(name, aliases)))
        else:
            min_lon, min_lat, max_lon, max_lat = shape.bounds
            areas.append(BasemapFeature(kind=layer, name=name, geometry=shapely.geometry.mapping(shape),
                                        min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat))

    with transaction.atomic():
        if replace:
            if roads:
                Road.objects.all().delete()
            if places:
                Place.objects.all().delete()
            kinds = {area.kind for area in areas}
            if kinds:
                BasemapFeature.objects.filter(kind__in=kinds).delete()
        Road.objects.bulk_create(roads, batch_size=BATCH_SIZE)
        Place.objects.bulk_create(places, batch_size=BATCH_SIZE)
        BasemapFeature.objects.bulk_create(areas, batch_size=BATCH_SIZE)
    counts = Counter({ROAD_LAYER: len(roads), PLACE_LAYER: len(places)})
    counts.update(area.kind for area in areas)
    return dict(counts)


def _aliases(value: Any) -> str:
    if isinstance(value, list):
        items = [_code_text(v) for v in value]
    else:
        text = _code_text(value)
        for separator in _ALIAS_SEPARATORS:
            text = text.replace(separator, "、")
        items = text.split("、")
    return "、".join(item for item in items if item)
