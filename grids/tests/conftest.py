"""Fixtures of the registry's tests: a small region tree (one city, two districts) and a 2×2 block of
0.001° unit grids over two communities, built directly with the ORM."""
from __future__ import annotations

import pytest
import shapely

from grids.importers.classification import classification_load
from grids.locator import grid_index_bump, grid_index_reset
from grids.models import (
    Department,
    DepartmentLevel,
    Region,
    RegionLevel,
    ResponsibilityGrid,
    UnitGrid,
)

ORIGIN_LON, ORIGIN_LAT, SIDE = 112.0, 28.0, 0.001


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    """The process-wide index must not carry grids from one test into the next."""
    grid_index_reset()
    yield
    grid_index_reset()


def geojson_polygon(geometry: shapely.Geometry) -> dict:
    """A GeoJSON geometry with lists (what json.loads gives), not shapely's tuples."""
    import json

    return json.loads(shapely.to_geojson(geometry))


def unit_grid_create(code: str, community: Region, geometry: shapely.Geometry, **extra) -> UnitGrid:
    minx, miny, maxx, maxy = geometry.bounds
    center = geometry.centroid
    return UnitGrid.objects.create(
        code=code, community=community, street=community.parent, district=community.parent.parent,
        geometry=geojson_polygon(geometry), area_m2=10_000, min_lon=minx, min_lat=miny, max_lon=maxx, max_lat=maxy,
        center_lon=center.x, center_lat=center.y, **extra,
    )


@pytest.fixture
def regions(db) -> dict[str, Region]:
    """city 430100 → districts 430102, 430103 → streets → communities (codes as keys)."""
    city = Region.objects.create(code="430100", name="示范市", level=RegionLevel.CITY)
    made = {"430100": city}
    for district_code, district_name in (("430102", "东区"), ("430103", "西区")):
        district = Region.objects.create(code=district_code, name=district_name, level=RegionLevel.DISTRICT,
                                         parent=city)
        street = Region.objects.create(code=f"{district_code}001", name=f"{district_name}一街道",
                                       level=RegionLevel.STREET, parent=district)
        made[district.code], made[street.code] = district, street
        for n in (1, 2):
            community = Region.objects.create(code=f"{street.code}00{n}", name=f"{district_name}{n}社区",
                                              level=RegionLevel.COMMUNITY, parent=street)
            made[community.code] = community
    return made


@pytest.fixture
def responsibility_grid(regions) -> ResponsibilityGrid:
    return ResponsibilityGrid.objects.create(code="R-430102-01", name="东区一号责任网格", district=regions["430102"])


@pytest.fixture
def grid_block(regions, responsibility_grid) -> dict[str, UnitGrid]:
    """Four 0.001° squares with their shared corner at (112.001, 28.001):

        NW 430102001001001 | NE 430102001002001      community 430102001001 = west column,
        -------------------+-------------------      community 430102001002 = east column;
        SW 430102001001002 | SE 430102001002002      numbered west→east, north→south.
    """
    west, east = regions["430102001001"], regions["430102001002"]
    cells = {
        "430102001001001": (west, ORIGIN_LON, ORIGIN_LAT + SIDE),
        "430102001001002": (west, ORIGIN_LON, ORIGIN_LAT),
        "430102001002001": (east, ORIGIN_LON + SIDE, ORIGIN_LAT + SIDE),
        "430102001002002": (east, ORIGIN_LON + SIDE, ORIGIN_LAT),
    }
    grids = {
        code: unit_grid_create(code, community, shapely.box(x, y, x + SIDE, y + SIDE),
                               responsibility_grid=responsibility_grid if code.endswith("001001") else None)
        for code, (community, x, y) in cells.items()
    }
    grid_index_bump()
    return grids


@pytest.fixture
def west_grid(regions) -> UnitGrid:
    """One grid of district 430103, far west of the block (for county checks)."""
    grid = unit_grid_create("430103001001001", regions["430103001001"],
                            shapely.box(ORIGIN_LON - 0.01, ORIGIN_LAT, ORIGIN_LON - 0.01 + SIDE, ORIGIN_LAT + SIDE))
    grid_index_bump()
    return grid


@pytest.fixture
def departments(regions) -> dict[str, Department]:
    city, district = regions["430100"], regions["430102"]
    street = regions["430102001"]
    return {
        "water": Department.objects.create(code="SW01", name="市自来水公司", level=DepartmentLevel.CITY, region=city),
        "city_um": Department.objects.create(code="CG01", name="市城管局", level=DepartmentLevel.CITY, region=city),
        "district_um": Department.objects.create(code="DQ-CG", name="东区城管执法局", level=DepartmentLevel.DISTRICT,
                                                 region=district),
        "street_office": Department.objects.create(code="DQ-JD1", name="东区一街道办事处",
                                                   level=DepartmentLevel.STREET, region=street),
        "community_keeper": Department.objects.create(code="DQ-JD1-WY", name="一社区物业服务中心",
                                                      level=DepartmentLevel.STREET, region=street),
    }


@pytest.fixture
def classes(db):
    """Both national editions, as load_classes would load them."""
    classification_load()
