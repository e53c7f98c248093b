"""Geometry helpers for the registry: GeoJSON polygons to shapely, areas in square metres on the
WGS-84 ellipsoid, a grid's label point. Pure functions; no database.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

# WGS-84 ellipsoid.
_A = 6378137.0
_E2 = 6.69437999014e-3


def metres_per_degree(lat: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude at `lat`, from the ellipsoid's radii of
    curvature (prime vertical N, meridian M)."""
    phi = math.radians(lat)
    w = 1.0 - _E2 * math.sin(phi) ** 2
    n = _A / math.sqrt(w)
    m = _A * (1.0 - _E2) / w**1.5
    return n * math.cos(phi) * math.pi / 180.0, m * math.pi / 180.0


def square_metres(geometry: BaseGeometry, *, at_lat: float | None = None) -> float:
    """Area in m² of a lon/lat geometry. A local equirectangular projection around the geometry's
    centroid (scale from the ellipsoid's radii at that latitude): for a unit grid of a few hundred
    metres the error is far below 0.01 %, which is all a grid's area is used for."""
    if geometry.is_empty:
        return 0.0
    lat = geometry.centroid.y if at_lat is None else at_lat
    per_lon, per_lat = metres_per_degree(lat)
    return float(geometry.area * per_lon * per_lat)


def square_metres_many(geometries: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """square_metres() for an array of geometries, each scaled at the latitude given beside it."""
    phi = np.radians(lats)
    w = 1.0 - _E2 * np.sin(phi) ** 2
    per_lon = _A / np.sqrt(w) * np.cos(phi) * np.pi / 180.0
    per_lat = _A * (1.0 - _E2) / w**1.5 * np.pi / 180.0
    return shapely.area(geometries) * per_lon * per_lat


def label_point(geometry: BaseGeometry) -> tuple[float, float]:
    """The centroid, or a point on the surface when the centroid falls outside (a concave or
    multi-part grid), so the stored centre always lies in the grid itself."""
    point = geometry.centroid
    if not geometry.covers(point):
        point = geometry.point_on_surface()
    return point.x, point.y


def polygon_from_geojson(value: Any) -> BaseGeometry:
    """A Polygon or MultiPolygon from a GeoJSON geometry object. Raises ValueError with a short
    Chinese reason (the caller adds which feature)."""
    from django.utils.translation import gettext as _

    if not isinstance(value, Mapping):
        raise ValueError(_("缺少几何对象（geometry）"))
    kind = value.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise ValueError(_("几何类型应为 Polygon 或 MultiPolygon，实际为 %(kind)s") % {"kind": kind})
    polygons = [value.get("coordinates")] if kind == "Polygon" else value.get("coordinates")
    if not isinstance(polygons, list) or not polygons:
        raise ValueError(_("坐标数组无法解析（coordinates 应为非空数组）"))
    for rings in polygons:
        if not isinstance(rings, list) or not rings:
            raise ValueError(_("坐标数组无法解析（多边形应至少有一个环）"))
        for ring in rings:
            # RFC 7946 §3.1.6: a linear ring has four or more positions, the first equal to the last.
            if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1]:
                raise ValueError(_("坐标数组无法解析（每个环至少4个坐标且首尾相同）"))
    try:
        geometry = shapely.geometry.shape(value)
    except Exception as exc:  # shapely raises several types for bad coordinate arrays
        raise ValueError(_("坐标数组无法解析（%(error)s）") % {"error": exc}) from None
    if geometry.is_empty:
        raise ValueError(_("几何为空"))
    coords = shapely.get_coordinates(geometry)
    if not np.isfinite(coords).all():
        raise ValueError(_("坐标含有非数值"))
    if (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
        raise ValueError(_("坐标超出经纬度范围（应为 WGS-84 经度、纬度）"))
    if not geometry.is_valid:
        raise ValueError(_("多边形无效：%(reason)s") % {"reason": shapely.is_valid_reason(geometry)})
    return geometry


_EARTH_RADIUS_M = 6371008.8  # mean radius: a great-circle distance within 0.5 % of the ellipsoid's


def metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def path_metres(lons: np.ndarray, lats: np.ndarray) -> float:
    """The length in metres of the path through the points in order (haversine per step)."""
    if len(lons) < 2:
        return 0.0
    phi = np.radians(lats)
    h = np.sin(np.diff(phi) / 2) ** 2 + np.cos(phi[:-1]) * np.cos(phi[1:]) * np.sin(np.radians(np.diff(lons)) / 2) ** 2
    return float(np.sum(2 * _EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))))
