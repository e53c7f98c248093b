"""Importing unit grids from a GeoJSON FeatureCollection, all or nothing: codes, communities,
polygons, overlaps and gaps checked against the file and the grids already stored.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from grids.codes import unit_grid_code_validate
from grids.geometry import label_point, polygon_from_geojson, square_metres_many
from grids.locator import grid_index_bump
from grids.models import Region, RegionLevel, UnitGrid

from .tabular import BATCH_SIZE, feature_error


@dataclass
class _GridFeature:
    number: int
    code: str
    community_code: str
    geometry: Any
    geojson: dict[str, Any]


def _geojson_collection(data: bytes | str | dict) -> list[Any]:
    if isinstance(data, (bytes, bytearray, str)):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApplicationError(_("GeoJSON 格式错误：%(error)s") % {"error": exc}) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
        data.get("features"), list
    ):
        raise ApplicationError(_("GeoJSON 格式错误：应为含 features 数组的 FeatureCollection"))
    if not data["features"]:
        raise ApplicationError(_("GeoJSON 中没有任何要素"))
    return data["features"]


def _code_text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    return str(value).strip()


def _grid_features_parse(features: list[Any]) -> list[_GridFeature]:
    parsed: list[_GridFeature] = []
    first_seen: dict[str, int] = {}
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise feature_error(number, _("不是 GeoJSON Feature 对象"))
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raise feature_error(number, _("properties 应为对象"))
        code = _code_text(properties.get("code"))
        community_code = _code_text(properties.get("community_code", properties.get("community")))
        if not community_code:
            raise feature_error(number, _("缺少社区代码（properties.community_code）"), code=code)
        try:
            unit_grid_code_validate(code, community_code=community_code)
        except ValidationError as exc:
            raise feature_error(number, exc.messages[0], code=code) from None
        if code in first_seen:
            raise feature_error(number, _("网格代码“%(code)s”与第 %(other)d 个要素重复")
                                 % {"code": code, "other": first_seen[code]}, code=code)
        first_seen[code] = number
        try:
            geometry = polygon_from_geojson(feature.get("geometry"))
        except ValueError as exc:
            raise feature_error(number, _("网格“%(code)s”的%(reason)s") % {"code": code, "reason": exc},
                                 code=code) from None
        geojson = {"type": feature["geometry"]["type"], "coordinates": feature["geometry"]["coordinates"]}
        parsed.append(_GridFeature(number, code, community_code, geometry, geojson))
    return parsed


def unit_grids_import_geojson(
    *,
    data: bytes | str | dict,
    update_existing: bool = False,
    overlap_tolerance_m2: float = 1.0,
    gap_tolerance_m2: float = 1.0,
) -> int:
    """Import unit grids from a GeoJSON FeatureCollection of Polygon/MultiPolygon features with
    properties `code` (15 characters, or 14 in legacy data) and `community_code` (12 digits, the
    first 12 characters of the code). Returns the number of grids written.

    Checked, all or nothing: the GeoJSON's shape, each polygon's validity, code format, duplicates
    (in the file; in the database unless `update_existing`), the code's community prefix, unknown
    communities, overlaps (intersection larger than `overlap_tolerance_m2`, against the other
    features and the grids already stored) and gaps. A gap is a hole of the union of the imported
    grids together with the stored grids around them, i.e. an interior ring of that union touching
    an imported grid, larger than `gap_tolerance_m2`. The outer edge of the union is the city's (or
    the import's) border and is not a gap.

    Area is in m² on the WGS-84 ellipsoid (local projection at each grid's centroid, see
    grids.geometry); the centre is the centroid, or a point on the surface when the centroid falls
    outside. Street and district come from the community's parents. The grid index version is
    bumped in the same transaction.
    """
    features = _grid_features_parse(_geojson_collection(data))
    with transaction.atomic():
        written = _unit_grids_write(features, update_existing=update_existing,
                                    overlap_tolerance_m2=overlap_tolerance_m2, gap_tolerance_m2=gap_tolerance_m2)
        grid_index_bump()
    return written


def _unit_grids_write(features: list[_GridFeature], *, update_existing: bool, overlap_tolerance_m2: float,
                      gap_tolerance_m2: float) -> int:
    by_code = {f.code: f for f in features}

    communities = {
        r.code: r for r in Region.objects.filter(code__in={f.community_code for f in features},
                                                  level=RegionLevel.COMMUNITY).select_related("parent__parent")
    }
    for f in features:
        community = communities.get(f.community_code)
        if community is None:
            raise feature_error(f.number, _("网格“%(code)s”的社区代码“%(community)s”不存在")
                                 % {"code": f.code, "community": f.community_code}, code=f.code)
        street = community.parent
        if street is None or street.level != RegionLevel.STREET or street.parent is None \
                or street.parent.level != RegionLevel.DISTRICT:
            raise feature_error(f.number, _("社区“%(community)s”不在“区/县—街道—社区”的区划树中")
                                 % {"community": f.community_code}, code=f.code)

    stored = {g.code: g for g in UnitGrid.objects.filter(code__in=by_code)}
    if stored and not update_existing:
        first = min((by_code[c] for c in stored), key=lambda f: f.number)
        raise feature_error(first.number, _("网格代码“%(code)s”已存在") % {"code": first.code}, code=first.code)

    geometries = np.array([f.geometry for f in features], dtype=object)
    neighbours = _stored_neighbours(geometries, exclude=set(by_code))
    _overlaps_check(features, geometries, neighbours, overlap_tolerance_m2)
    _gaps_check(features, geometries, neighbours, gap_tolerance_m2)

    bounds = shapely.bounds(geometries)
    centers = [label_point(g) for g in geometries]
    areas = square_metres_many(geometries, np.array([c[1] for c in centers]))
    new, changed = [], []
    for f, box, center, area in zip(features, bounds.tolist(), centers, areas.tolist(), strict=True):
        community = communities[f.community_code]
        grid = stored.get(f.code) or UnitGrid(code=f.code)
        grid.community = community
        grid.street = community.parent
        grid.district = community.parent.parent
        grid.geometry = f.geojson
        grid.area_m2 = round(area, 2)
        grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat = box
        grid.center_lon, grid.center_lat = center
        (changed if grid.pk else new).append(grid)
    UnitGrid.objects.bulk_create(new, batch_size=BATCH_SIZE)
    # bulk_update does not touch auto_now fields; set updated_at so the locator's fingerprint moves too.
    now = timezone.now()
    for grid in changed:
        grid.updated_at = now
    UnitGrid.objects.bulk_update(
        changed, ["community", "street", "district", "geometry", "area_m2", "min_lon", "min_lat", "max_lon",
                  "max_lat", "center_lon", "center_lat", "updated_at"], batch_size=500)
    return len(features)


def _stored_neighbours(geometries: np.ndarray, *, exclude: set[str]) -> list[tuple[str, Any]]:
    """Stored grids whose bounding box meets the import's extent (not the ones being replaced)."""
    minx, miny, maxx, maxy = shapely.total_bounds(geometries)
    pad = 1e-6
    rows = (UnitGrid.objects.filter(min_lon__lte=maxx + pad, max_lon__gte=minx - pad,
                                    min_lat__lte=maxy + pad, max_lat__gte=miny - pad)
            .exclude(code__in=exclude).values_list("code", "geometry"))
    return [(code, shapely.geometry.shape(geometry)) for code, geometry in rows.iterator(chunk_size=2000)]


def _overlaps_check(features: list[_GridFeature], geometries: np.ndarray, neighbours: list[tuple[str, Any]],
                    tolerance_m2: float) -> None:
    everything = np.concatenate([geometries, np.array([g for _c, g in neighbours], dtype=object)])
    tree = shapely.STRtree(everything)
    mine, other = tree.query(geometries, predicate="intersects")
    keep = (other > mine)  # each imported pair once; pairs with stored grids have other >= len(features)
    mine, other = mine[keep], other[keep]
    if not len(mine):
        return
    shared = shapely.intersection(everything[mine], everything[other])
    areas = square_metres_many(shared, shapely.get_y(shapely.centroid(everything[mine])))
    bad = np.flatnonzero(areas > tolerance_m2)
    if not len(bad):
        return
    # Report the overlap that involves the earliest feature, so the message is deterministic.
    first = bad[np.lexsort((other[bad], mine[bad]))[0]]
    f = features[int(mine[first])]
    j = int(other[first])
    if j < len(features):
        with_what = _("第 %(other)d 个要素（网格“%(code)s”）") % {"other": features[j].number, "code": features[j].code}
    else:
        with_what = _("已有网格“%(code)s”") % {"code": neighbours[j - len(features)][0]}
    raise feature_error(
        f.number, _("网格“%(code)s”与%(other)s重叠约 %(area).1f 平方米")
        % {"code": f.code, "other": with_what, "area": float(areas[first])},
        code=f.code,
    )


def _gaps_check(features: list[_GridFeature], geometries: np.ndarray, neighbours: list[tuple[str, Any]],
                tolerance_m2: float) -> None:
    everything = list(geometries) + [g for _c, g in neighbours]
    union = shapely.union_all(everything)
    holes = [shapely.Polygon(ring) for part in shapely.get_parts(union) for ring in part.interiors]
    if not holes:
        return
    hole_array = np.array(holes, dtype=object)
    areas = square_metres_many(hole_array, shapely.get_y(shapely.centroid(hole_array)))
    tree = shapely.STRtree(geometries)
    gaps: list[tuple[int, float, Any]] = []
    for hole, area in zip(holes, areas.tolist(), strict=True):
        if area <= tolerance_m2:
            continue
        touching = tree.query(hole, predicate="intersects")
        if len(touching):
            gaps.append((int(touching.min()), area, hole))
    if not gaps:
        return
    index, area, hole = min(gaps, key=lambda g: g[0])
    f = features[index]
    point = hole.point_on_surface()
    raise feature_error(
        f.number,
        _("网格“%(code)s”旁有约 %(area).1f 平方米的空隙（未被任何网格覆盖，例如经度 %(lon).6f, 纬度 %(lat).6f 处）")
        % {"code": f.code, "area": area, "lon": point.x, "lat": point.y},
        code=f.code, gap=[point.x, point.y],
    )

