"""The demo city generator (grids.demo) and manage.py seed_demo: same seed, same city; the unit grids
tile without gaps or overlaps; component codes valid and inside their grids; logins usable."""
from __future__ import annotations

import hashlib
import json
from io import StringIO

import pytest
import shapely
from django.core.management import call_command
from django.db import transaction
from shapely.ops import unary_union

from grids.codes import component_code_validate, unit_grid_code_validate
from grids.demo import (
    CITY_CODE,
    DEMO_PASSWORD,
    DemoCityExistsError,
    Lattice,
    demo_city_build,
    demo_city_layout,
    demo_sizes,
)
from grids.locator import grid_index_reset, locate
from grids.models import (
    Component,
    Department,
    MinorClass,
    OwnershipRule,
    Region,
    RegionLevel,
    ResponsibilityGrid,
    Role,
    UnitGrid,
    User,
)
from grids.selectors import ownership_resolve

SMALL = 0.05


@pytest.fixture
def small_city(db):
    grid_index_reset()
    summary = demo_city_build(seed=11, scale=SMALL)
    yield summary
    grid_index_reset()


def _fingerprint() -> str:
    """A hash of everything the demo generates, by codes (never by primary keys)."""
    parts = {
        "regions": list(Region.objects.order_by("code").values_list("code", "name", "level", "parent__code")),
        "grids": [
            (code, community, rg, json.dumps(geometry, sort_keys=True), area, box, centre)
            for code, community, rg, geometry, area, *box_centre in UnitGrid.objects.order_by("code").values_list(
                "code", "community__code", "responsibility_grid__code", "geometry", "area_m2", "min_lon", "min_lat",
                "max_lon", "max_lat", "center_lon", "center_lat")
            for box, centre in [(box_centre[:4], box_centre[4:])]
        ],
        "responsibility_grids": [
            (rg.code, rg.name, rg.patrol_class, rg.patrol_times, rg.district.code,
             sorted(u.username for u in rg.collectors.all()))
            for rg in ResponsibilityGrid.objects.select_related("district").prefetch_related("collectors")
            .order_by("code")
        ],
        "departments": list(Department.objects.order_by("code").values_list(
            "code", "name", "level", "region__code", "department_type__code", "parent__code")),
        "rules": list(OwnershipRule.objects.order_by(
            "major__edition", "major__kind", "major__code", "minor__code", "region__code").values_list(
            "major__edition", "major__kind", "major__code", "minor__code", "region__code", "department__code",
            "note")),
        "components": list(Component.objects.order_by("code").values_list(
            "code", "minor__code", "lon", "lat", "unit_grid__code", "status", "in_use", "name",
            "competent_department__code", "owner_department__code", "maintainer_department__code",
            "surveyed_on", "changed_on", "data_source")),
        "users": list(User.objects.order_by("username").values_list(
            "username", "role", "region__code", "department__code", "first_name", "last_name", "phone", "password",
            "is_superuser", "date_joined")),
    }
    return hashlib.sha256(json.dumps(parts, default=str, ensure_ascii=False).encode()).hexdigest()


def _build_and_fingerprint(seed: int) -> str:
    """Build in a transaction of its own, take the fingerprint, roll back: a fresh start each time."""
    with transaction.atomic():
        demo_city_build(seed=seed, scale=SMALL)
        fingerprint = _fingerprint()
        transaction.set_rollback(True)
    assert not Region.objects.exists()
    return fingerprint


def test_same_seed_builds_the_same_city_and_another_seed_does_not(db):
    first = _build_and_fingerprint(11)
    assert _build_and_fingerprint(11) == first
    assert _build_and_fingerprint(12) != first


def test_sizes_follow_the_scale():
    assert demo_sizes(1.0) == (3, 12, 60, 900)
    assert demo_sizes(SMALL)[:3] == (3, 3, 3)
    districts, streets, communities, grids = demo_sizes(22)
    assert (districts, streets, communities) == (14, 264, 1320)
    assert 19_000 <= grids <= 21_000


@pytest.mark.parametrize("scale", [SMALL, 1.0, 22.0])
def test_layout_tiles_the_city_rectangle_with_coded_regions(scale):
    columns, rows, districts = demo_city_layout(seed=3, scale=scale)
    n_districts, n_streets, n_communities, _n_grids = demo_sizes(scale)
    communities = [c for d in districts for s in d.streets for c in s.communities]
    assert len(districts) == n_districts
    assert sum(len(d.streets) for d in districts) == n_streets
    assert len(communities) == n_communities
    # Community rectangles cover the city rectangle exactly once.
    covered = set()
    for community in communities:
        r = community.rect
        cells = {(x, y) for x in range(r.x, r.x + r.w) for y in range(r.y, r.y + r.h)}
        assert not covered & cells
        covered |= cells
        assert 1 <= len(cells) <= 999
    assert len(covered) == columns * rows
    codes = [c.code for c in communities]
    assert len(set(codes)) == len(codes)
    assert all(len(code) == 12 and code.startswith(CITY_CODE[:4]) for code in codes)


def test_lattice_cells_are_convex_and_share_vertices():
    lattice = Lattice(seed=5, columns=6, rows=4)
    polygons = [shapely.Polygon(lattice.cell_ring(i, j)) for j in range(4) for i in range(6)]
    for polygon in polygons:
        assert polygon.is_valid
        assert polygon.convex_hull.area == pytest.approx(polygon.area, rel=1e-12)
        assert shapely.is_ccw(polygon.exterior)
    assert unary_union(polygons).geom_type == "Polygon"


def test_unit_grids_tile_without_gaps_or_overlaps(small_city):
    grids = list(UnitGrid.objects.select_related("community").order_by("code"))
    assert len(grids) == small_city.counts["unit_grids"]
    polygons = [shapely.geometry.shape(g.geometry) for g in grids]
    assert all(p.is_valid and p.geom_type == "Polygon" for p in polygons)

    tree = shapely.STRtree(polygons)
    left, right = tree.query(polygons, predicate="overlaps")
    assert len(left) == 0, "grids overlap"
    union = unary_union(polygons)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0, "the city has a gap or a hole"
    assert union.area == pytest.approx(sum(p.area for p in polygons), rel=1e-9)

    by_community: dict[str, list] = {}
    for grid, polygon in zip(grids, polygons, strict=True):
        by_community.setdefault(grid.community.code, []).append(polygon)
        unit_grid_code_validate(grid.code, community_code=grid.community.code)
        assert 6_000 <= grid.area_m2 <= 14_500
        assert (grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat) == pytest.approx(polygon.bounds)
        assert polygon.contains(shapely.Point(grid.center_lon, grid.center_lat))
    assert sum(g.area_m2 for g in grids) / len(grids) == pytest.approx(10_000, rel=0.05)
    for community_polygons in by_community.values():
        merged = unary_union(community_polygons)
        assert merged.geom_type == "Polygon" and len(merged.interiors) == 0


def test_grids_are_numbered_west_to_east_then_north_to_south(small_city):
    dlat = Lattice(seed=0, columns=1, rows=1).dlat
    previous = None
    for grid in UnitGrid.objects.order_by("code"):
        if previous is not None and previous.community_id == grid.community_id:
            assert int(grid.code[-3:]) == int(previous.code[-3:]) + 1
            if abs(grid.center_lat - previous.center_lat) < dlat / 2:  # same row: next one east
                assert grid.center_lon > previous.center_lon
            else:  # next row: further south, back at the western edge
                assert grid.center_lat < previous.center_lat
                assert grid.center_lon < previous.center_lon
        elif previous is None or previous.community_id != grid.community_id:
            assert grid.code.endswith("001")
        previous = grid


def test_responsibility_grids_are_adjacent_unit_grids_of_one_district(small_city):
    for rg in ResponsibilityGrid.objects.prefetch_related("unit_grids", "collectors"):
        grids = list(rg.unit_grids.all())
        assert 4 <= len(grids) <= 12
        assert {g.district_id for g in grids} == {rg.district_id}
        assert unary_union([shapely.geometry.shape(g.geometry) for g in grids]).geom_type == "Polygon"
        assert 1 <= len(rg.collectors.all()) <= 3
        assert all(c.role == Role.COLLECTOR for c in rg.collectors.all())
    assert not UnitGrid.objects.filter(responsibility_grid__isnull=True).exists()


def test_components_have_valid_codes_and_lie_inside_their_grid(small_city):
    components = list(Component.objects.select_related("minor", "unit_grid__district"))
    assert len(components) == small_city.counts["components"] > 1000
    polygons = {}
    lengths = set()
    for component in components:
        grid = component.unit_grid
        component_code_validate(component.code, minor=component.minor, district_code=grid.district.code)
        lengths.add(len(component.code))
        polygon = polygons.setdefault(grid.pk, shapely.geometry.shape(grid.geometry))
        assert polygon.contains(shapely.Point(component.lon, component.lat)), component.code
        assert locate(component.lon, component.lat).unit_grid_id == grid.pk
    # Legacy 4-digit classes give 16 digits, the 2026 5-digit classes 17.
    assert lengths == {16, 17}


def test_component_mix_is_skewed_and_ownership_is_sometimes_unknown(small_city):
    names = list(Component.objects.values_list("minor__name", flat=True))
    top = {"井盖": 0, "灯": 0, "垃圾箱": 0}
    for name in names:
        for key in top:
            top[key] += key in name
    assert sum(top.values()) > len(names) * 0.5, top
    unowned = Component.objects.filter(owner_department__isnull=True, competent_department__isnull=True)
    assert unowned.count() > 0
    assert small_city.counts["components_owner_unknown"] == Component.objects.filter(
        owner_department__isnull=True).count()
    sample = unowned.select_related("minor", "unit_grid").first()
    answer = ownership_resolve(minor=sample.minor, unit_grid=sample.unit_grid, component=sample)
    assert answer.unknown and "权属不明" in answer.explanation
    # A class deliberately without a rule: 无主井盖 (legacy 0114).
    minor = MinorClass.objects.get(edition="legacy4", kind="component", code="0114")
    assert ownership_resolve(minor=minor, unit_grid=UnitGrid.objects.first()).unknown


def test_ownership_rules_give_district_departments_and_street_offices(small_city):
    district = Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code").first()
    grid = UnitGrid.objects.filter(district=district).order_by("code").first()
    bin_class = MinorClass.objects.get(edition="legacy4", kind="component", code="0305")  # 垃圾箱
    answer = ownership_resolve(minor=bin_class, unit_grid=grid)
    assert answer.department.code == f"{district.code}-sanitation"
    water_cover = MinorClass.objects.get(edition="legacy4", kind="component", code="0101")  # 上水井盖
    assert ownership_resolve(minor=water_cover, unit_grid=grid).department.code == f"{CITY_CODE}-water_supply"
    assert OwnershipRule.objects.filter(region__level=RegionLevel.STREET).exists()


def test_demo_logins_exist_with_the_documented_password(small_city):
    users = {u.username: u for u in User.objects.select_related("region", "department")}
    for username, role in [("operator", Role.OPERATOR), ("shift_leader", Role.SHIFT_LEADER),
                           ("dispatcher", Role.DISPATCHER), ("manager", Role.MANAGER),
                           ("hotline_agent", Role.HOTLINE_AGENT), ("admin", Role.ADMIN),
                           ("operator_d1", Role.OPERATOR), ("handler", Role.HANDLER), ("handler2", Role.HANDLER),
                           ("collector", Role.COLLECTOR)]:
        assert users[username].role == role
        assert users[username].check_password(DEMO_PASSWORD)
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert users["operator"].is_city_level
    assert users["operator_d1"].region.level == RegionLevel.DISTRICT
    assert users["handler"].department != users["handler2"].department
    assert users["handler"].department is not None and users["handler2"].department is not None
    assert users["collector"].responsibility_grids.exists()
    logins = {login.username for login in small_city.logins}
    assert {"operator", "admin", "operator_d1", "handler", "handler2", "collector"} <= logins


def test_build_refuses_a_database_with_regions(small_city):
    with pytest.raises(DemoCityExistsError):
        demo_city_build(seed=11, scale=SMALL)


def test_seed_demo_command_builds_then_leaves_a_seeded_database_alone(db):
    out = StringIO()
    call_command("seed_demo", "--scale", str(SMALL), "--cases", "0", stdout=out)
    text = out.getvalue()
    assert "operator_d1" in text and DEMO_PASSWORD in text
    grids = UnitGrid.objects.count()
    assert grids > 0

    again = StringIO()
    call_command("seed_demo", "--scale", str(SMALL), "--cases", "0", stdout=again)
    assert "未做改动" in again.getvalue()
    assert UnitGrid.objects.count() == grids


def test_seed_demo_reset_rebuilds(transactional_db):
    # Committed, as in real use: PostgreSQL refuses to TRUNCATE rows inserted earlier in the same
    # transaction while their foreign-key checks are still pending.
    call_command("seed_demo", "--scale", str(SMALL), "--seed", "1", "--cases", "0", stdout=StringIO())
    first = set(Component.objects.values_list("code", "lon"))
    call_command("seed_demo", "--scale", str(SMALL), "--seed", "2", "--reset", "--noinput", "--cases", "0",
                 stdout=StringIO())
    assert Region.objects.filter(level=RegionLevel.CITY).count() == 1
    assert set(Component.objects.values_list("code", "lon")) != first


def test_seed_demo_refuses_another_citys_data(db):
    from django.core.management.base import CommandError

    Region.objects.create(code="110000", name="别的城市", level=RegionLevel.CITY)
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_demo", "--scale", str(SMALL), "--cases", "0", stdout=StringIO())


def test_the_demo_citys_names_are_searchable_by_pinyin(small_city):
    """Written in bulk, the regions, roads and places carry their pinyin keys (grids.mapping's search)."""
    from core.pinyin import pinyin_search_text
    from grids.models import Place, Road

    for model in (Region, Road, Place):
        assert model.objects.exists()
        assert not model.objects.filter(name_pinyin="").exists(), model
    place = Place.objects.exclude(aliases="").first()
    assert place.name_pinyin == pinyin_search_text(place.name, place.aliases)
