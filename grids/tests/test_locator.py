"""The locator: inside, on shared edges and corners (smallest code wins), outside, rebuilds."""
import math

import pytest
import shapely

from grids.locator import (
    GridIndex,
    Location,
    OutsideCityError,
    grid_index,
    grid_index_bump,
    grid_index_reset,
    locate,
)
from grids.models import GridIndexVersion

from .conftest import ORIGIN_LAT, ORIGIN_LON, SIDE, unit_grid_create

NW, SW, NE, SE = "430102001001001", "430102001001002", "430102001002001", "430102001002002"


def test_strictly_inside(grid_block, responsibility_grid, regions):
    location = locate(ORIGIN_LON + 0.0003, ORIGIN_LAT + SIDE + 0.0007)
    assert location == Location(
        unit_grid_id=grid_block[NW].pk, unit_grid_code=NW, community_id=regions["430102001001"].pk,
        street_id=regions["430102001"].pk, district_id=regions["430102"].pk,
        responsibility_grid_id=responsibility_grid.pk,
    )
    assert locate(ORIGIN_LON + 0.0015, ORIGIN_LAT + 0.0005).unit_grid_code == SE
    assert locate(ORIGIN_LON + 0.0015, ORIGIN_LAT + 0.0005).responsibility_grid_id is None


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (ORIGIN_LON + SIDE, ORIGIN_LAT + SIDE, NW),  # the corner shared by all four
        (ORIGIN_LON + 0.0005, ORIGIN_LAT + SIDE, NW),  # edge NW | SW
        (ORIGIN_LON + SIDE, ORIGIN_LAT + 0.0005, SW),  # edge SW | SE
        (ORIGIN_LON + SIDE, ORIGIN_LAT + 0.0015, NW),  # edge NW | NE
        (ORIGIN_LON + 0.0015, ORIGIN_LAT + SIDE, NE),  # edge NE | SE
        (ORIGIN_LON + SIDE, ORIGIN_LAT, SW),  # corner on the outer border shared by SW and SE
        (ORIGIN_LON, ORIGIN_LAT, SW),  # outer corner, one grid only
        (ORIGIN_LON + 2 * SIDE, ORIGIN_LAT + 2 * SIDE, NE),
    ],
)
def test_boundary_points_belong_to_the_smallest_code(grid_block, lon, lat, expected):
    assert locate(lon, lat).unit_grid_code == expected


def test_boundary_rule_does_not_depend_on_build_order(grid_block):
    rows = [(code, shapely.geometry.shape(g.geometry), g.pk, g.community_id, g.street_id, g.district_id, None)
            for code, g in grid_block.items()]
    for ordering in (rows, rows[::-1], rows[1:] + rows[:1]):
        index = GridIndex(ordering)
        assert index.locate(ORIGIN_LON + SIDE, ORIGIN_LAT + SIDE).unit_grid_code == NW
        assert index.locate(ORIGIN_LON + SIDE, ORIGIN_LAT + 0.0005).unit_grid_code == SW


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (ORIGIN_LON - 0.0001, ORIGIN_LAT + 0.0005),  # just west of the block
        (ORIGIN_LON + 0.0005, ORIGIN_LAT + 2 * SIDE + 1e-9),  # a hair north of it
        (116.4, 39.9),
        (math.nan, 28.0),
        (112.0005, math.inf),
        (200.0, 28.0),
        (112.0005, -95.0),
    ],
)
def test_outside_every_grid_is_a_clear_error(grid_block, lon, lat):
    with pytest.raises(OutsideCityError) as exc:
        locate(lon, lat)
    assert exc.value.status_code == 400
    assert f"经度 {lon}" in exc.value.message and f"纬度 {lat}" in exc.value.message
    assert "不在本市任何单元网格内" in exc.value.message


def test_empty_city_locates_nothing(db):
    with pytest.raises(OutsideCityError):
        locate(112.0, 28.0)


def test_index_from_plain_tuples_with_geojson_and_holes():
    donut = shapely.Polygon([(0, 0), (3, 0), (3, 3), (0, 3)], [[(1, 1), (2, 1), (2, 2), (1, 2)]])
    rows = [
        ("100000000000001", shapely.geometry.mapping(donut), 1, 10, 100, 1000, 7),
        ("100000000000002", {"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]]},
         2, 10, 100, 1000, None),
        ("100000000000003", shapely.MultiPolygon([shapely.box(5, 0, 6, 1), shapely.box(7, 0, 8, 1)]), 3, 11, 100, 1000,
         None),
    ]
    index = GridIndex(rows)
    assert index.locate(0.5, 0.5).unit_grid_code == "100000000000001"
    assert index.locate(0.5, 0.5).responsibility_grid_id == 7
    assert index.locate(1.5, 1.5).unit_grid_code == "100000000000002"
    assert index.locate(1.0, 1.5).unit_grid_code == "100000000000001"  # on the hole's ring: smaller code
    assert index.locate(7.5, 0.5).community_id == 11
    with pytest.raises(OutsideCityError):
        index.locate(6.5, 0.5)  # between the two parts of the multipolygon


def test_rebuild_after_bump(grid_block, regions, settings):
    settings.LOCATOR_VERSION_CHECK_SECONDS = 3600
    point = (ORIGIN_LON + 2 * SIDE + 0.0005, ORIGIN_LAT + 0.0005)
    with pytest.raises(OutsideCityError):
        locate(*point)
    unit_grid_create("430102001002003", regions["430102001002"],
                     shapely.box(ORIGIN_LON + 2 * SIDE, ORIGIN_LAT, ORIGIN_LON + 3 * SIDE, ORIGIN_LAT + SIDE))
    # Within the check interval the process keeps its index ...
    with pytest.raises(OutsideCityError):
        locate(*point)
    # ... until grid_index_bump() (called by every service that changes grids).
    before = GridIndexVersion.objects.get().version
    grid_index_bump()
    assert GridIndexVersion.objects.get().version == before + 1
    assert locate(*point).unit_grid_code == "430102001002003"


def test_bump_creates_the_version_row(db):
    assert not GridIndexVersion.objects.exists()
    grid_index_bump()
    grid_index_bump()
    assert list(GridIndexVersion.objects.values_list("version", flat=True)) == [2]


def test_index_is_shared_until_the_version_changes(grid_block, settings, django_assert_num_queries):
    settings.LOCATOR_VERSION_CHECK_SECONDS = 3600
    first = grid_index()
    with django_assert_num_queries(0):
        assert grid_index() is first
        locate(ORIGIN_LON + 0.0005, ORIGIN_LAT + 0.0005)
    grid_index_reset()
    assert grid_index() is not first


def test_changes_without_bump_are_seen_at_the_next_check(grid_block, regions, settings):
    settings.LOCATOR_VERSION_CHECK_SECONDS = 0
    point = (ORIGIN_LON - SIDE + 0.0005, ORIGIN_LAT + 0.0005)
    with pytest.raises(OutsideCityError):
        locate(*point)
    unit_grid_create("430102001001003", regions["430102001001"],
                     shapely.box(ORIGIN_LON - SIDE, ORIGIN_LAT, ORIGIN_LON, ORIGIN_LAT + SIDE))
    assert locate(*point).unit_grid_code == "430102001001003"


def test_irregular_tiling_matches_brute_force():
    """Jittered quadrilaterals: every answer is the smallest code among the covering grids."""
    import random

    rnd = random.Random(3)
    n = 12
    vertex = {(i, j): (i + (rnd.uniform(-0.3, 0.3) if 0 < i < n else 0), j + (rnd.uniform(-0.3, 0.3) if 0 < j < n else 0))
              for i in range(n + 1) for j in range(n + 1)}
    polygons, rows = [], []
    for i in range(n):
        for j in range(n):
            poly = shapely.Polygon([vertex[i, j], vertex[i + 1, j], vertex[i + 1, j + 1], vertex[i, j + 1]])
            code = f"{i * n + j:015d}"
            polygons.append((code, poly))
            rows.append((code, poly, i * n + j, 1, 1, 1, None))
    index = GridIndex(rows)
    points = [(rnd.uniform(0, n), rnd.uniform(0, n)) for _ in range(3000)] + list(vertex.values())
    for x, y in points:
        expected = min(code for code, poly in polygons if poly.intersects(shapely.Point(x, y)))
        assert index.locate(x, y).unit_grid_code == expected


def test_near_lists_the_grids_whose_bounds_reach_the_box_in_code_order(grid_block):
    index = GridIndex.from_database()
    inside_sw = (ORIGIN_LON + 0.0005, ORIGIN_LAT + 0.0005)
    assert [code for code, _p in index.near(*inside_sw, 0.0001, limit=10)] == [SW]
    assert [code for code, _p in index.near(*inside_sw, 0.0001, limit=10, exclude=SW)] == []
    # Reaching over the edges: all four, but the excluded one, at most `limit`.
    assert [code for code, _p in index.near(*inside_sw, SIDE, limit=10, exclude=SW)] == [NW, NE, SE]
    assert [code for code, _p in index.near(*inside_sw, SIDE, limit=2)] == [NW, SW]
    polygon = dict(index.near(*inside_sw, 0.0001, limit=1))[SW]
    assert polygon.equals(index.geometry(SW)) and polygon.contains(shapely.Point(*inside_sw))
    assert GridIndex([]).near(*inside_sw, 1, limit=5) == []
