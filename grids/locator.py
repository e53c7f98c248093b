"""The locator: from a WGS-84 point to its unit grid, community, street, district and responsibility
grid, answered by an in-memory spatial index (a uniform bucket grid over prepared shapely polygons)
that every process keeps and rebuilds when GridIndexVersion changes.
"""
from __future__ import annotations

import bisect
import ctypes
import math
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from core.errors import ApplicationError

__all__ = [
    "GridIndex",
    "GridRow",
    "Location",
    "OutsideCityError",
    "grid_index",
    "grid_index_bump",
    "grid_index_reset",
    "locate",
]


@dataclass(frozen=True)
class Location:
    unit_grid_id: int
    unit_grid_code: str
    community_id: int
    street_id: int
    district_id: int
    responsibility_grid_id: int | None


class OutsideCityError(ApplicationError):
    """The point lies in no unit grid (outside the city, in a gap, or not a valid coordinate)."""

    status_code = 400

    def __init__(self, lon: Any, lat: Any):
        message = _("坐标（经度 %(lon)s, 纬度 %(lat)s）不在本市任何单元网格内") % {"lon": lon, "lat": lat}
        super().__init__(message, extra={"lon": _jsonable(lon), "lat": _jsonable(lat)})
        self.lon = lon
        self.lat = lat


def _jsonable(value: Any) -> Any:
    """NaN and infinities are not JSON; the API would choke on them in `extra`."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


# A row the index is built from: (code, polygon, unit_grid_id, community_id, street_id, district_id,
# responsibility_grid_id). The polygon is a shapely Polygon/MultiPolygon or a GeoJSON mapping.
GridRow = tuple[str, "BaseGeometry | Mapping[str, Any]", int, int, int, int, "int | None"]

# Cell boxes are grown by this much (degrees, about 0.1 mm) before they are compared with the grids,
# so that the rounding of the cell arithmetic in locate() can never put a point in a cell whose
# precomputed answer does not hold for it.
_CELL_MARGIN = 1e-9


class GridIndex:
    """An immutable point-in-polygon index over unit grids.

    The extent is cut into square cells of about a quarter of a typical grid's side. A cell that
    lies (with a margin) strictly inside one grid's interior answers at once; every other cell keeps
    the grids that touch it, sorted by code, and a point there is tested exactly against each in
    turn (GEOS robust predicates on prepared polygons).

    Boundary rule: a point on an edge or a vertex shared by several grids belongs to the grid with
    the smallest code among those whose closed polygon covers the point. Every point of the union
    of the grids therefore has exactly one answer, and the same one in every process.
    """

    def __init__(self, rows: Iterable[GridRow], *, cells_per_grid_side: float = 4.0, max_cells: int = 4_000_000):
        build_started = time.perf_counter()
        parsed = [(str(row[0]), _as_geometry(row[1]), row[2:]) for row in rows]
        parsed.sort(key=lambda item: item[0])
        self._codes = [code for code, _geom, _ids in parsed]
        if len(set(self._codes)) != len(self._codes):
            raise ValueError("unit grid codes must be unique")
        self._geometries = np.array([geom for _code, geom, _ids in parsed], dtype=object)
        self._locations = [
            Location(unit_grid_id=ids[0], unit_grid_code=code, community_id=ids[1], street_id=ids[2],
                     district_id=ids[3], responsibility_grid_id=ids[4])
            for code, _geom, ids in parsed
        ]
        count = len(parsed)
        self._bounds: list[tuple[float, float, float, float]] = []
        self._bounds_array = np.empty((0, 4))
        self._cells: list[int | tuple[int, ...] | None] = []
        self._nx = self._ny = 0
        self._x0 = self._y0 = self._x1 = self._y1 = 0.0
        self._inv_cell = 1.0
        if count:
            shapely.prepare(self._geometries)
            bounds = shapely.bounds(self._geometries)
            # GEOS builds a prepared polygon's point-location index lazily, at its first point query
            # inside the envelope, and that first query is not thread-safe. Run it here, once, so
            # threads only ever read the index.
            shapely.intersects_xy(self._geometries, (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2)
            self._bounds = [tuple(b) for b in bounds.tolist()]
            self._bounds_array = bounds
            self._build_cells(bounds, cells_per_grid_side, max_cells)
        self.build_seconds = time.perf_counter() - build_started

    def _build_cells(self, bounds: np.ndarray, cells_per_grid_side: float, max_cells: int) -> None:
        x0, y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        x1, y1 = float(bounds[:, 2].max()), float(bounds[:, 3].max())
        sides = np.concatenate([bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]])
        typical_side = float(np.median(sides)) or max(x1 - x0, y1 - y0, 1e-6)
        cell = typical_side / cells_per_grid_side
        # A sparse city (districts far apart) must not explode the cell count.
        while ((x1 - x0) / cell + 1) * ((y1 - y0) / cell + 1) > max_cells:
            cell *= 1.5
        nx = int((x1 - x0) / cell) + 1
        ny = int((y1 - y0) / cell) + 1

        ix, iy = np.meshgrid(np.arange(nx), np.arange(ny))
        ix, iy = ix.ravel(), iy.ravel()  # cell number = iy * nx + ix
        boxes = shapely.box(x0 + ix * cell - _CELL_MARGIN, y0 + iy * cell - _CELL_MARGIN,
                            x0 + (ix + 1) * cell + _CELL_MARGIN, y0 + (iy + 1) * cell + _CELL_MARGIN)
        tree = shapely.STRtree(self._geometries)
        cell_of_pair, grid_of_pair = tree.query(boxes, predicate="intersects")
        cells: list[int | tuple[int, ...] | None] = [None] * (nx * ny)
        if len(cell_of_pair):
            # Pairs come sorted by cell; grid numbers are code order, so sorting within a cell sorts
            # the candidates by code.
            order = np.lexsort((grid_of_pair, cell_of_pair))
            cell_of_pair, grid_of_pair = cell_of_pair[order], grid_of_pair[order]
            starts = np.flatnonzero(np.r_[True, cell_of_pair[1:] != cell_of_pair[:-1]])
            ends = np.r_[starts[1:], len(cell_of_pair)]
            single = starts[(ends - starts) == 1]
            inside = shapely.contains_properly(self._geometries[grid_of_pair[single]],
                                               boxes[cell_of_pair[single]])
            for pos in single[inside].tolist():
                cells[int(cell_of_pair[pos])] = int(grid_of_pair[pos])
            interior_cells = set(cell_of_pair[single[inside]].tolist())
            grid_list = grid_of_pair.tolist()
            for start, end, cell_number in zip(starts.tolist(), ends.tolist(),
                                               cell_of_pair[starts].tolist(), strict=True):
                if cell_number not in interior_cells:
                    cells[cell_number] = tuple(grid_list[start:end])
        self._cells = cells
        self._nx, self._ny = nx, ny
        self._x0, self._y0, self._x1, self._y1 = x0, y0, x1, y1
        self._inv_cell = 1.0 / cell

    def __len__(self) -> int:
        return len(self._codes)

    @property
    def stats(self) -> dict[str, Any]:
        interior = sum(1 for c in self._cells if type(c) is int)
        mixed = [c for c in self._cells if type(c) is tuple]
        return {
            "grids": len(self),
            "cells": len(self._cells),
            "interior_cells": interior,
            "boundary_cells": len(mixed),
            "mean_candidates": (sum(len(c) for c in mixed) / len(mixed)) if mixed else 0.0,
            "build_seconds": self.build_seconds,
        }

    def locate(self, lon: float, lat: float) -> Location:
        """The unit grid covering the point; OutsideCityError when none does."""
        try:
            x = float(lon)
            y = float(lat)
        except (TypeError, ValueError):
            raise OutsideCityError(lon, lat) from None
        # Written so that NaN fails every comparison and lands in the error branch.
        if not (self._x0 <= x <= self._x1 and self._y0 <= y <= self._y1):
            raise OutsideCityError(lon, lat)
        ix = int((x - self._x0) * self._inv_cell)
        iy = int((y - self._y0) * self._inv_cell)
        if ix >= self._nx:
            ix = self._nx - 1
        if iy >= self._ny:
            iy = self._ny - 1
        found = self._cells[iy * self._nx + ix]
        if type(found) is int:
            return self._locations[found]
        if found is not None:
            bounds = self._bounds
            geometries = self._geometries
            for grid in found:
                minx, miny, maxx, maxy = bounds[grid]
                if minx <= x <= maxx and miny <= y <= maxy and shapely.intersects_xy(geometries[grid], x, y):
                    return self._locations[grid]
        raise OutsideCityError(lon, lat)

    def near(self, lon: float, lat: float, degrees: float, *, limit: int,
             exclude: str = "") -> list[tuple[str, BaseGeometry]]:
        """(code, polygon) of up to `limit` grids whose bounds reach within `degrees` of the point,
        in code order, without `exclude`: the neighbourhood a map draws, from memory rather than a
        scan of the grid table (20,000 bounding boxes compared in one numpy expression)."""
        if not self._codes:
            return []
        bounds = self._bounds_array
        hits = np.flatnonzero((bounds[:, 0] <= lon + degrees) & (bounds[:, 2] >= lon - degrees)
                              & (bounds[:, 1] <= lat + degrees) & (bounds[:, 3] >= lat - degrees))
        found = [(self._codes[i], self._geometries[i]) for i in hits.tolist() if self._codes[i] != exclude]
        return found[:limit]

    def geometry(self, code: str) -> BaseGeometry:
        """The polygon of one grid (for tests and diagnostics)."""
        pos = bisect.bisect_left(self._codes, code)
        if pos == len(self._codes) or self._codes[pos] != code:
            raise KeyError(code)
        return self._geometries[pos]

    @classmethod
    def from_database(cls) -> GridIndex:
        from grids.models import UnitGrid

        rows = UnitGrid.objects.values_list("code", "geometry", "pk", "community_id", "street_id",
                                            "district_id", "responsibility_grid_id").iterator(chunk_size=2000)
        return cls(rows)


def _as_geometry(value: BaseGeometry | Mapping[str, Any]) -> BaseGeometry:
    if isinstance(value, BaseGeometry):
        return value
    return shapely.geometry.shape(value)


# ---------------------------------------------------------------------------------------------------
# The process-wide index.
#
# Every process (web worker, Celery worker) keeps one index. It asks the database for the grids'
# token at most every LOCATOR_VERSION_CHECK_SECONDS and rebuilds when the token differs. The token is
# GridIndexVersion's (version, changed_at) plus a fingerprint of the unit grid table (count, highest
# id, latest updated_at): the version is the contract (services call grid_index_bump()), the
# fingerprint catches a grid saved without a bump (an admin edit, a test factory), and changed_at
# tells two bumps apart even when a rolled-back transaction let the counter repeat a value.
# One query, every few seconds.

_lock = threading.Lock()
_index: GridIndex | None = None
_index_token: tuple[Any, ...] | None = None
_next_check = 0.0


def _current_token() -> tuple[Any, ...]:
    from grids.models import GridIndexVersion, UnitGrid

    qn = connection.ops.quote_name
    version_table, version_pk = qn(GridIndexVersion._meta.db_table), qn(GridIndexVersion._meta.pk.column)
    grid_table, grid_pk = qn(UnitGrid._meta.db_table), qn(UnitGrid._meta.pk.column)
    first_version = f"FROM {version_table} ORDER BY {version_pk} LIMIT 1"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT version {first_version}), (SELECT changed_at {first_version}), "
            f"COUNT(*), MAX({grid_pk}), MAX(updated_at) FROM {grid_table}"
        )
        return tuple(cursor.fetchone())


def grid_index() -> GridIndex:
    """The process-wide index, rebuilt lazily when the grids' version has changed."""
    global _index, _index_token, _next_check
    now = time.monotonic()
    index = _index
    if index is not None and now < _next_check:
        return index
    with _lock:
        now = time.monotonic()
        if _index is not None and now < _next_check:
            return _index
        token = _current_token()
        if _index is None or token != _index_token:
            _index = GridIndex.from_database()
            _index_token = token
            _release_free_memory()
        _next_check = now + float(getattr(settings, "LOCATOR_VERSION_CHECK_SECONDS", 5))
        return _index


def _release_free_memory() -> None:
    """Give the memory freed after a build back to the operating system. Building parses every
    polygon's GeoJSON and makes a box and a tree over the cells; glibc keeps the freed blocks in the
    process, where they counted in every web worker's resident size (311 MB instead of 201 at
    20,000 grids). Nothing happens where the C library is not glibc."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def grid_index_reset() -> None:
    """Forget this process's index: the next grid_index() rebuilds it from the database. For tests,
    and for code that changed grids without grid_index_bump()."""
    global _index, _index_token, _next_check
    with _lock:
        _index = None
        _index_token = None
        _next_check = 0.0


def _check_now() -> None:
    global _next_check
    _next_check = 0.0


def grid_index_bump() -> None:
    """Tell every process that the unit grids changed. Call it inside the transaction that changed
    them, so the new version becomes visible together with the new grids; this process re-checks at
    its next lookup, the others within LOCATOR_VERSION_CHECK_SECONDS."""
    from django.db.models import F

    from grids.models import GridIndexVersion

    pk = GridIndexVersion.objects.order_by("pk").values_list("pk", flat=True).first()
    if pk is None:
        row, created = GridIndexVersion.objects.get_or_create(pk=1, defaults={"version": 1})
        if created:
            _after_bump()
            return
        pk = row.pk
    GridIndexVersion.objects.filter(pk=pk).update(version=F("version") + 1, changed_at=timezone.now())
    _after_bump()


def _after_bump() -> None:
    # Now, so that the rest of this transaction already locates against the new grids, and again on
    # commit, in case a lookup in between cached the index before the transaction's last writes.
    _check_now()
    transaction.on_commit(_check_now)


def locate(lon: float, lat: float) -> Location:
    """Locate a WGS-84 point with the process-wide index; OutsideCityError if it is in no grid."""
    return grid_index().locate(lon, lat)
