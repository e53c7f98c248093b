"""Importing unit grids from GeoJSON: a good import, then every error, each leaving nothing written."""
import json

import pytest
import shapely

from core.errors import ApplicationError
from grids.importers.unit_grids import unit_grids_import_geojson
from grids.locator import locate
from grids.models import GridIndexVersion, UnitGrid

from .conftest import ORIGIN_LAT, ORIGIN_LON, SIDE, geojson_polygon


def feature(code, geometry, community=None):
    return {"type": "Feature", "properties": {"code": code, "community_code": community or code[:12]},
            "geometry": geometry if isinstance(geometry, dict) else geojson_polygon(geometry)}


def box(col, row, side=SIDE):
    x, y = ORIGIN_LON + col * SIDE, ORIGIN_LAT + row * SIDE
    return shapely.box(x, y, x + side, y + side)


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def block():
    """The 2×2 block of conftest.grid_block, as GeoJSON features."""
    return [
        feature("430102001001001", box(0, 1)), feature("430102001001002", box(0, 0)),
        feature("430102001002001", box(1, 1)), feature("430102001002002", box(1, 0)),
    ]


@pytest.mark.django_db
def test_import_fills_the_derived_fields_and_bumps_the_index(regions):
    assert unit_grids_import_geojson(data=json.dumps(collection(*block())).encode()) == 4
    grid = UnitGrid.objects.get(code="430102001001002")
    assert (grid.community, grid.street, grid.district) == (
        regions["430102001001"], regions["430102001"], regions["430102"])
    # 0.001° x 0.001° at 28° N: about 98.3 m x 110.8 m.
    assert grid.area_m2 == pytest.approx(10_890, rel=0.01)
    assert (grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat) == pytest.approx(
        (112.0, 28.0, 112.001, 28.001))
    assert (grid.center_lon, grid.center_lat) == pytest.approx((112.0005, 28.0005))
    assert grid.geometry["type"] == "Polygon"
    assert GridIndexVersion.objects.get().version == 1
    assert locate(112.0015, 28.0015).unit_grid_code == "430102001002001"


@pytest.mark.django_db
def test_legacy_14_character_codes_and_multipolygons(regions):
    parts = shapely.MultiPolygon([box(0, 0, side=SIDE / 2), box(0.5, 0.5, side=SIDE / 2)])
    unit_grids_import_geojson(data=collection(feature("43010200100101", box(0, 1)), feature("43010200100102", parts)))
    assert UnitGrid.objects.get(code="43010200100102").area_m2 == pytest.approx(10_890 / 2, rel=0.01)


@pytest.mark.django_db
def test_update_existing_replaces_the_boundary(regions):
    unit_grids_import_geojson(data=collection(*block()))
    with pytest.raises(ApplicationError, match="已存在"):
        unit_grids_import_geojson(data=collection(feature("430102001001002", box(0, 0))))
    wider = shapely.box(ORIGIN_LON, ORIGIN_LAT - SIDE, ORIGIN_LON + SIDE, ORIGIN_LAT + SIDE)
    unit_grids_import_geojson(data=collection(feature("430102001001002", wider)), update_existing=True)
    assert UnitGrid.objects.get(code="430102001001002").area_m2 == pytest.approx(2 * 10_890, rel=0.01)
    assert UnitGrid.objects.count() == 4


def bowtie():
    x, y = ORIGIN_LON, ORIGIN_LAT
    return {"type": "Polygon", "coordinates": [[[x, y], [x + SIDE, y + SIDE], [x + SIDE, y], [x, y + SIDE], [x, y]]]}


def with_code(features, index, code):
    features[index]["properties"]["code"] = code
    return features


CASES = [
    # (name, data or a function of the block's features, expected text, feature number)
    ("malformed json", b'{"type": "FeatureCollection", "features": [', "GeoJSON 格式错误", None),
    ("not a collection", {"type": "Feature"}, "FeatureCollection", None),
    ("empty", {"type": "FeatureCollection", "features": []}, "没有任何要素", None),
    ("not a feature", lambda f: f[:2] + [{"type": "Point"}] + f[3:], "不是 GeoJSON Feature", 3),
    ("point geometry", lambda f: f[:1] + [feature("430102001001002", {"type": "Point", "coordinates": [112, 28]})],
     "Polygon 或 MultiPolygon", 2),
    ("invalid polygon", lambda f: f[:3] + [feature("430102001002002", bowtie())], "多边形无效", 4),
    ("unclosed ring", lambda f: f[:1] + [feature("430102001001002", {"type": "Polygon", "coordinates": [
        [[112, 28], [112.001, 28], [112.001, 28.001]]]})], "坐标数组无法解析", 2),
    ("lat/lon swapped", lambda f: f[:1] + [feature("430102001001002", shapely.box(28, 112, 28.001, 112.001))],
     "超出经纬度范围", 2),
    ("malformed code", lambda f: with_code(f, 1, "43010200100100X"), "格式错误", 2),
    ("13-digit code", lambda f: with_code(f, 2, "4301020010020"), "格式错误", 3),
    ("duplicate code", lambda f: with_code(f, 3, "430102001002001"), "与第 3 个要素重复", 4),
    ("prefix mismatch", lambda f: f[:3] + [feature("430102001002002", box(1, 0), community="430102001001")],
     "前12位", 4),
    ("unknown community", lambda f: f[:3] + [feature("430102001009002", box(1, 0))], "“430102001009”不存在", 4),
    ("overlap", lambda f: f[:3] + [feature("430102001002002", box(0.5, 0))], "重叠约", 2),
    ("gap", None, "空隙", 1),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "data", "needle", "number"), CASES, ids=[c[0] for c in CASES])
def test_import_errors_name_the_feature_and_write_nothing(regions, name, data, needle, number):
    if name == "gap":
        # A ring of eight grids around a missing ninth: the hole is a gap.
        data = collection(*[feature(f"4301020010010{n:02d}", box(col, row))
                            for n, (col, row) in enumerate(((c, r) for r in (2, 1, 0) for c in (0, 1, 2)), start=1)
                            if (col, row) != (1, 1)])
    elif callable(data):
        data = collection(*data(block()))
    with pytest.raises(ApplicationError) as exc:
        unit_grids_import_geojson(data=data)
    assert needle in exc.value.message
    if number is not None:
        assert exc.value.message.startswith(f"第 {number} 个要素")
        assert exc.value.extra["feature"] == number
    assert not UnitGrid.objects.exists()
    assert not GridIndexVersion.objects.exists()


@pytest.mark.django_db
def test_overlap_with_a_stored_grid_is_named(regions):
    unit_grids_import_geojson(data=collection(feature("430102001001001", box(0, 0))))
    with pytest.raises(ApplicationError) as exc:
        unit_grids_import_geojson(data=collection(feature("430102001001002", box(0.2, 0.2))))
    assert "已有网格“430102001001001”" in exc.value.message
    assert UnitGrid.objects.count() == 1


@pytest.mark.django_db
def test_touching_neighbours_and_tiny_slivers_are_not_errors(regions):
    unit_grids_import_geojson(data=collection(feature("430102001001001", box(0, 0))))
    # Shares an edge with the stored grid, and overlaps it by a 1 mm sliver (about 0.1 m², under 1 m²).
    sliver = shapely.box(ORIGIN_LON + SIDE - 1e-8, ORIGIN_LAT, ORIGIN_LON + 2 * SIDE, ORIGIN_LAT + SIDE)
    unit_grids_import_geojson(data=collection(feature("430102001001002", box(0, 1)),
                                              feature("430102001001003", sliver)))
    assert UnitGrid.objects.count() == 3


@pytest.mark.django_db
def test_a_hole_closed_by_a_stored_grid_is_not_a_gap(regions):
    unit_grids_import_geojson(data=collection(feature("430102001001005", box(1, 1))))
    ring = [feature(f"4301020010010{n:02d}", box(col, row))
            for n, (col, row) in enumerate(((c, r) for r in (2, 1, 0) for c in (0, 1, 2)), start=1) if (col, row) != (1, 1)]
    ring = [f for f in ring if f["properties"]["code"] != "430102001001005"]
    assert unit_grids_import_geojson(data=collection(*ring)) == 8
