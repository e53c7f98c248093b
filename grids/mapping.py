"""Reads for the map: the place search (roads, communities, places, components, unit grids), what a
point is (its grids and a readable address, "nearest road + community") and the offline basemap's
features in a bounding box. Each answers in a fixed number of queries, whatever the data's size.

The search matches names by substring and, for what is typed in Latin letters, by pinyin: the
initials ("frzl") or the full pinyin ("furong"), from the keys stored beside each name
(`name_pinyin`, core.pinyin; filled on save, by the importers and by migration grids/0005), so
the pinyin costs no query of its own: the same three queries as before. Measured on the demo
city (`seed_demo`: 19 roads, 95 places, 60 communities; PostgreSQL 15, a 2-core machine under a
load of ~25), 15 searches each, median (min): "人民" 31.5 (18.7) ms, "renmin" 39.2 (12.0) ms,
"rmyy" 37.9 (12.2) ms, "shequ" 50.1 (24.5) ms: the Latin queries cost what the Chinese one
does. Filling the keys of the demo city's 174 names (migration grids/0005) took 0.7 s, most of it
pypinyin loading its dictionaries.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.db.models import Avg, Q
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.pinyin import pinyin_key

from .geometry import metres_per_degree
from .locator import locate
from .models import (
    BasemapFeature,
    BasemapKind,
    Component,
    Place,
    PlaceKind,
    Region,
    RegionLevel,
    Road,
    UnitGrid,
    User,
)

SEARCH_LIMIT_PER_KIND = 6
SEARCH_MAX_LENGTH = 40
# A Latin query of at least this many letters also matches the names' pinyin (one letter would
# match nearly every name's initials).
SEARCH_PINYIN_MIN = 2
# A road farther than this from the point does not name the address (the community alone does).
ADDRESS_ROAD_RADIUS_M = 250.0
# A place this close is added to the address as a landmark ("近 XX").
ADDRESS_PLACE_RADIUS_M = 120.0
# The basemap answers a box of at most this many degrees on a side (about 30 km), and leaves the
# building footprints out above BUILDINGS_MAX_SPAN (the map is zoomed too far out to show them).
BASEMAP_MAX_SPAN = 0.3
BUILDINGS_MAX_SPAN = 0.05
BASEMAP_MAX_PER_LAYER = 20_000


# --- search ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchHit:
    kind: str  # road, community, place, component, unit_grid
    label: str
    detail: str
    lon: float
    lat: float
    code: str = ""


def _scope_prefix(user: User) -> str:
    """The region code every result must fall under ("" = the whole city). Region codes are prefixes
    of their children's and of the unit grids' codes."""
    if user.is_city_level or user.region is None:
        return ""
    return user.region.code


def map_search(*, user: User, query: str, limit: int = SEARCH_LIMIT_PER_KIND) -> list[SearchHit]:
    """What the map's search box offers for `query`: roads, communities, registered places (by name
    or alias, or their pinyin: initials or full, for a query in Latin letters), components and unit
    grids by code prefix, each with a point to move to. Limited to the user's region. Two queries
    for a number (components, unit grids), three otherwise (roads, communities, places)."""
    text = " ".join(str(query or "").split())
    if not text:
        raise ApplicationError(_("请输入要查找的地名、道路、社区或部件编码。"), extra={"field": "q"})
    if len(text) > SEARCH_MAX_LENGTH:
        raise ApplicationError(_("查找内容不能超过 %(n)d 个字。") % {"n": SEARCH_MAX_LENGTH}, extra={"field": "q"})
    prefix = _scope_prefix(user)
    district_prefix = prefix[:6]
    hits: list[SearchHit] = []

    if text.isascii() and text.isdigit():
        if len(text) >= 4:
            components = Component.objects.filter(code__startswith=text)
            grids = UnitGrid.objects.filter(code__startswith=text)
            if prefix:
                components = components.filter(unit_grid__code__startswith=prefix)
                grids = grids.filter(code__startswith=prefix)
            for code, name, minor_name, lon, lat, grid_code in components.order_by("code").values_list(
                    "code", "name", "minor__name", "lon", "lat", "unit_grid__code")[:limit]:
                hits.append(SearchHit("component", f"{code} {name or minor_name}",
                                      _("部件 · 网格 %(grid)s") % {"grid": grid_code}, lon, lat, code))
            for code, community, lon, lat in grids.order_by("code").values_list(
                    "code", "community__name", "center_lon", "center_lat")[:limit]:
                hits.append(SearchHit("unit_grid", code, _("单元网格 · %(community)s") % {"community": community},
                                      lon, lat, code))
        return hits

    key = pinyin_key(text) if text.isascii() else ""
    by_pinyin = Q(name_pinyin__contains=key) if len(key) >= SEARCH_PINYIN_MIN else Q(pk__in=[])
    roads = Road.objects.filter(Q(name__icontains=text) | by_pinyin)
    places = Place.objects.filter(Q(name__icontains=text) | Q(aliases__icontains=text) | by_pinyin)
    communities = Region.objects.filter(Q(name__icontains=text) | by_pinyin, level=RegionLevel.COMMUNITY)
    if prefix:
        roads = roads.filter(Q(district__code=district_prefix) | Q(district__isnull=True))
        places = places.filter(Q(district__code=district_prefix) | Q(district__isnull=True))
        communities = communities.filter(code__startswith=prefix)

    for name, district, geometry in _shortest_names_first(
            roads.values_list("name", "district__name", "geometry"), limit):
        lon, lat = _line_middle(geometry)
        hits.append(SearchHit("road", name, _("道路 · %(district)s") % {"district": district or "—"}, lon, lat))
    for code, name, street, lon, lat in (
            communities.annotate(lon=Avg("unit_grids__center_lon"), lat=Avg("unit_grids__center_lat"))
            .filter(lon__isnull=False).order_by("code")
            .values_list("code", "name", "parent__name", "lon", "lat")[:limit]):
        hits.append(SearchHit("community", name, _("社区 · %(street)s") % {"street": street}, lon, lat, code))
    for name, kind_label, lon, lat in _shortest_names_first(
            places.values_list("name", "kind", "lon", "lat"), limit):
        hits.append(SearchHit("place", name, _place_kind_label(kind_label), lon, lat))
    return hits


def _shortest_names_first(rows, limit: int) -> list[tuple]:
    """The rows whose name (first column) matches most closely: the shortest names, one per name.
    At most 50 rows are read, in one query."""
    seen: dict[str, tuple] = {}
    for row in rows.order_by("name")[:50]:
        seen.setdefault(row[0], row)
    return sorted(seen.values(), key=lambda row: (len(row[0]), row[0]))[:limit]


def _line_middle(geometry: dict[str, Any]) -> tuple[float, float]:
    """The point halfway along a road's line (of its longest part)."""
    shape = shapely.geometry.shape(geometry)
    if shape.geom_type == "MultiLineString":
        shape = max(shape.geoms, key=lambda part: part.length)
    point = shape.interpolate(0.5, normalized=True)
    return round(point.x, 7), round(point.y, 7)


def _place_kind_label(kind: str) -> str:
    try:
        return str(PlaceKind(kind).label)
    except ValueError:
        return kind


# --- a point --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PointDescription:
    lon: float
    lat: float
    unit_grid: UnitGrid
    road: str
    road_metres: float | None
    place: str
    address: str


def point_describe(*, lon: float, lat: float) -> PointDescription:
    """The unit grid (with its community, street, district and responsibility grid) covering the
    point, the nearest road within ADDRESS_ROAD_RADIUS_M, the nearest place within
    ADDRESS_PLACE_RADIUS_M and the address they make: "XX路附近，XX社区". OutsideCityError (400)
    when the point is in no grid. Three queries (grid, roads around, places around), plus the
    locator's occasional version check."""
    location = locate(lon, lat)
    grid = (UnitGrid.objects.select_related("community", "street", "district", "responsibility_grid")
            .get(pk=location.unit_grid_id))
    per_lon, per_lat = metres_per_degree(lat)
    dlon, dlat = ADDRESS_ROAD_RADIUS_M / per_lon, ADDRESS_ROAD_RADIUS_M / per_lat
    road_rows = Road.objects.filter(min_lon__lte=lon + dlon, max_lon__gte=lon - dlon,
                                    min_lat__lte=lat + dlat, max_lat__gte=lat - dlat).values_list("name", "geometry")
    road, road_metres = "", None
    for name, geometry in road_rows[:200]:
        metres = _metres_to_line(geometry, lon, lat, per_lon, per_lat)
        if metres <= ADDRESS_ROAD_RADIUS_M and (road_metres is None or metres < road_metres):
            road, road_metres = name, metres
    pdlon, pdlat = ADDRESS_PLACE_RADIUS_M / per_lon, ADDRESS_PLACE_RADIUS_M / per_lat
    place, place_metres = "", math.inf
    for name, plon, plat in Place.objects.filter(lon__range=(lon - pdlon, lon + pdlon),
                                                 lat__range=(lat - pdlat, lat + pdlat)).values_list(
            "name", "lon", "lat")[:200]:
        metres = math.hypot((plon - lon) * per_lon, (plat - lat) * per_lat)
        if metres <= ADDRESS_PLACE_RADIUS_M and metres < place_metres:
            place, place_metres = name, metres
    return PointDescription(lon=lon, lat=lat, unit_grid=grid, road=road,
                            road_metres=None if road_metres is None else round(road_metres, 1), place=place,
                            address=address_compose(road=road, place=place, community=grid.community.name,
                                                    street=grid.street.name))


def _metres_to_line(geometry: dict[str, Any], lon: float, lat: float, per_lon: float, per_lat: float) -> float:
    """Metres from the point to a GeoJSON LineString/MultiLineString: every segment at once in a local
    metric frame around the point (a degree east and a degree north weigh what they measure there)."""
    parts = [geometry["coordinates"]] if geometry["type"] == "LineString" else geometry["coordinates"]
    best = math.inf
    for part in parts:
        xy = (np.asarray(part, dtype=float)[:, :2] - (lon, lat)) * (per_lon, per_lat)
        if len(xy) == 1:
            best = min(best, float(np.hypot(*xy[0])))
            continue
        a, b = xy[:-1], xy[1:]
        ab = b - a
        length2 = np.einsum("ij,ij->i", ab, ab)
        t = np.clip(np.divide(-np.einsum("ij,ij->i", a, ab), length2, out=np.zeros_like(length2),
                              where=length2 > 0), 0.0, 1.0)
        nearest = a + ab * t[:, None]
        best = min(best, float(np.sqrt(np.einsum("ij,ij->i", nearest, nearest)).min()))
    return best


def address_compose(*, road: str, place: str, community: str, street: str) -> str:
    """The proposed address: "XX路附近（近XX），XX社区"; without a road, "XX街道XX社区"."""
    if road and place:
        return _("%(road)s附近（近%(place)s），%(community)s") % {"road": road, "place": place, "community": community}
    if road:
        return _("%(road)s附近，%(community)s") % {"road": road, "community": community}
    if place:
        return _("%(place)s附近，%(community)s") % {"place": place, "community": community}
    return f"{street}{community}"


# --- the basemap ------------------------------------------------------------------------------------

def bbox_parse(raw: str) -> tuple[float, float, float, float]:
    """"min_lon,min_lat,max_lon,max_lat" → four floats; ApplicationError (400, Chinese) otherwise."""
    parts = str(raw or "").split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ApplicationError(_("范围参数 bbox 应为“最小经度,最小纬度,最大经度,最大纬度”四个数。"),
                               extra={"field": "bbox"})
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise ApplicationError(_("范围参数 bbox 无效：最小值应小于最大值，且在经纬度范围内。"), extra={"field": "bbox"})
    if max_lon - min_lon > BASEMAP_MAX_SPAN or max_lat - min_lat > BASEMAP_MAX_SPAN:
        raise ApplicationError(_("范围过大：每边不超过 %(span)s 度，请放大地图。") % {"span": BASEMAP_MAX_SPAN},
                               extra={"field": "bbox"})
    return min_lon, min_lat, max_lon, max_lat


def basemap_features(*, bbox: tuple[float, float, float, float]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of what the offline basemap draws in the box, bottom to top:
    blocks, green, water, buildings (only in a small box), roads, unit grids. Each feature's
    `properties.layer` says which; grids carry their code, roads and named areas their name. Three
    queries, each a bounding-box range scan."""
    min_lon, min_lat, max_lon, max_lat = bbox

    def in_box(queryset):
        return queryset.filter(min_lon__lte=max_lon, max_lon__gte=min_lon, min_lat__lte=max_lat, max_lat__gte=min_lat)

    features: list[dict[str, Any]] = []
    areas = in_box(BasemapFeature.objects.all())
    if max_lon - min_lon > BUILDINGS_MAX_SPAN or max_lat - min_lat > BUILDINGS_MAX_SPAN:
        areas = areas.exclude(kind=BasemapKind.BUILDING)
    order = {BasemapKind.BLOCK: 0, BasemapKind.GREEN: 1, BasemapKind.WATER: 2, BasemapKind.BUILDING: 3}
    rows = sorted(areas.values_list("kind", "name", "geometry", "pk")[:BASEMAP_MAX_PER_LAYER],
                  key=lambda row: (order.get(row[0], 9), row[3]))
    for kind, name, geometry, _pk in rows:
        features.append({"type": "Feature", "geometry": geometry, "properties": {"layer": kind, "name": name}})
    for name, kind, geometry in in_box(Road.objects.all()).order_by("kind", "pk").values_list(
            "name", "kind", "geometry")[:BASEMAP_MAX_PER_LAYER]:
        features.append({"type": "Feature", "geometry": geometry,
                         "properties": {"layer": "road", "name": name, "kind": kind}})
    for code, geometry in in_box(UnitGrid.objects.all()).order_by("code").values_list(
            "code", "geometry")[:BASEMAP_MAX_PER_LAYER]:
        features.append({"type": "Feature", "geometry": geometry, "properties": {"layer": "grid", "code": code}})
    return {"type": "FeatureCollection", "features": features}


def city_extent() -> tuple[float, float, float, float] | None:
    """The bounding box of all unit grids (one aggregate query), for a map's first view."""
    from django.db.models import Max, Min

    box = UnitGrid.objects.aggregate(a=Min("min_lon"), b=Min("min_lat"), c=Max("max_lon"), d=Max("max_lat"))
    if box["a"] is None:
        return None
    return box["a"], box["b"], box["c"], box["d"]
