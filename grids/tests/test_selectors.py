"""Ownership resolution (component first, then rules by place; unknown is an answer), collectors of a
responsibility grid, and the unit grids in a user's scope."""
import pytest

from grids.models import Component, MajorClass, MinorClass, OwnershipRule, Role, User
from grids.selectors import collectors_for_responsibility_grid, ownership_resolve, unit_grids_in_scope


@pytest.fixture
def manhole(classes):
    return MinorClass.objects.get(edition="legacy4", kind="component", code="0101")


@pytest.fixture
def vending(classes):
    return MinorClass.objects.get(edition="legacy4", kind="event", code="0501")


@pytest.fixture
def grid(grid_block):
    return grid_block["430102001001001"]


def rule(minor_or_major, region, department):
    if isinstance(minor_or_major, MajorClass):
        return OwnershipRule.objects.create(major=minor_or_major, region=region, department=department)
    return OwnershipRule.objects.create(major=minor_or_major.major, minor=minor_or_major, region=region,
                                        department=department)


@pytest.mark.django_db
def test_component_owner_comes_first(manhole, grid, departments, regions, django_assert_max_num_queries):
    rule(manhole, regions["430102001001"], departments["community_keeper"])
    component = Component.objects.create(code="4301020101000001", minor=manhole, lon=112.0005, lat=28.0015,
                                         unit_grid=grid, owner_department=departments["water"],
                                         competent_department=departments["city_um"])
    with django_assert_max_num_queries(1):
        answer = ownership_resolve(minor=manhole, unit_grid=grid, component=component)
    assert (answer.department, answer.basis, answer.unknown) == (departments["water"], "component_owner", False)
    assert "市自来水公司" in answer.explanation


@pytest.mark.django_db
def test_component_competent_department_when_no_owner(manhole, grid, departments):
    component = Component.objects.create(code="4301020101000002", minor=manhole, lon=112.0005, lat=28.0015,
                                         unit_grid=grid, competent_department=departments["city_um"])
    answer = ownership_resolve(minor=manhole, unit_grid=grid, component=component)
    assert (answer.department, answer.basis) == (departments["city_um"], "component_competent")


@pytest.mark.django_db
def test_component_without_departments_falls_back_to_the_rules(manhole, grid, departments, regions):
    rule(manhole.major, regions["430102"], departments["district_um"])
    component = Component.objects.create(code="4301020101000003", minor=manhole, lon=112.0005, lat=28.0015,
                                         unit_grid=grid)
    answer = ownership_resolve(minor=manhole, unit_grid=grid, component=component)
    assert (answer.department, answer.basis) == (departments["district_um"], "rule_major")


@pytest.mark.django_db
def test_rule_at_the_community_beats_the_district(vending, grid, departments, regions, django_assert_max_num_queries):
    rule(vending, regions["430102"], departments["district_um"])
    rule(vending, regions["430102001001"], departments["community_keeper"])
    rule(vending, regions["430100"], departments["city_um"])
    with django_assert_max_num_queries(1):
        answer = ownership_resolve(minor=vending, unit_grid=grid)
    assert (answer.department, answer.basis) == (departments["community_keeper"], "rule_minor")
    assert "东区1社区" in answer.explanation and "社区级" in answer.explanation


@pytest.mark.django_db
def test_the_rule_of_another_community_does_not_apply(vending, grid, departments, regions):
    rule(vending, regions["430102001002"], departments["community_keeper"])  # the east column's community
    rule(vending, regions["430102001"], departments["street_office"])
    assert ownership_resolve(minor=vending, unit_grid=grid).department == departments["street_office"]


@pytest.mark.django_db
def test_minor_rule_beats_major_rule_at_the_same_region(vending, grid, departments, regions):
    rule(vending.major, regions["430102"], departments["district_um"])
    rule(vending, regions["430102"], departments["street_office"])
    answer = ownership_resolve(minor=vending, unit_grid=grid)
    assert (answer.department, answer.basis) == (departments["street_office"], "rule_minor")


@pytest.mark.django_db
def test_a_more_specific_region_beats_a_minor_rule_further_up(vending, grid, departments, regions):
    rule(vending, regions["430102"], departments["district_um"])
    rule(vending.major, regions["430102001"], departments["street_office"])
    answer = ownership_resolve(minor=vending, unit_grid=grid)
    assert (answer.department, answer.basis) == (departments["street_office"], "rule_major")


@pytest.mark.django_db
def test_city_rule_is_the_last_resort(vending, grid, departments, regions):
    rule(vending.major, regions["430100"], departments["city_um"])
    answer = ownership_resolve(minor=vending, unit_grid=grid)
    assert (answer.department, answer.basis) == (departments["city_um"], "rule_major")


@pytest.mark.django_db
def test_rule_of_another_class_or_district_does_not_apply(vending, manhole, grid, departments, regions):
    rule(manhole, regions["430102"], departments["water"])
    rule(vending, regions["430103"], departments["district_um"])
    other_vending_class = MinorClass.objects.get(edition="legacy4", kind="event", code="0502")
    rule(other_vending_class, regions["430102"], departments["district_um"])
    answer = ownership_resolve(minor=vending, unit_grid=grid)
    assert answer.unknown and answer.department is None and answer.basis == "unknown"


@pytest.mark.django_db
def test_owner_unknown_is_an_answer_with_a_reason(manhole, grid, departments):
    component = Component.objects.create(code="4301020101000004", minor=manhole, lon=112.0005, lat=28.0015,
                                         unit_grid=grid)
    answer = ownership_resolve(minor=manhole, unit_grid=grid, component=component)
    assert answer.unknown and answer.basis == "unknown"
    assert answer.explanation.startswith("权属不明：")
    assert "没有匹配的权属规则" in answer.explanation and "0101 上水井盖" in answer.explanation
    assert "4301020101000004" in answer.explanation


@pytest.mark.django_db
def test_inactive_department_is_not_guessed_around(vending, grid, departments, regions):
    rule(vending, regions["430102001001"], departments["community_keeper"])
    departments["community_keeper"].is_active = False
    departments["community_keeper"].save()
    answer = ownership_resolve(minor=vending, unit_grid=grid)
    assert answer.unknown and "已停用" in answer.explanation
    rule(vending, regions["430102"], departments["district_um"])
    assert ownership_resolve(minor=vending, unit_grid=grid).department == departments["district_um"]


@pytest.mark.django_db
def test_collectors_for_responsibility_grid(responsibility_grid):
    on_duty = User.objects.create(username="c1", role=Role.COLLECTOR)
    gone = User.objects.create(username="c2", role=Role.COLLECTOR, is_active=False)
    operator = User.objects.create(username="o1", role=Role.OPERATOR)
    responsibility_grid.collectors.add(on_duty, gone, operator)
    User.objects.create(username="c3", role=Role.COLLECTOR)  # not assigned
    assert list(collectors_for_responsibility_grid(responsibility_grid.pk)) == [on_duty]
    assert list(collectors_for_responsibility_grid(None)) == []


@pytest.mark.django_db
def test_unit_grids_in_scope(grid_block, west_grid, regions, departments):
    every = {*grid_block, west_grid.code}
    city = User.objects.create(username="m", role=Role.MANAGER)
    city_level = User.objects.create(username="m2", role=Role.MANAGER, region=regions["430100"])
    district = User.objects.create(username="d", role=Role.DISPATCHER, region=regions["430103"])
    community = User.objects.create(username="c", role=Role.COLLECTOR, region=regions["430102001002"])
    handler = User.objects.create(username="h", role=Role.HANDLER, department=departments["district_um"])
    codes = {user.username: set(unit_grids_in_scope(user).values_list("code", flat=True))
             for user in (city, city_level, district, community, handler)}
    assert codes == {
        "m": every, "m2": every, "d": {west_grid.code},
        "c": {"430102001002001", "430102001002002"}, "h": set(grid_block),
    }


def test_components_nearest_are_in_distance_order_within_the_box(manhole, grid, django_assert_num_queries):
    """Nearest first (on PostgreSQL through the GiST index of the point), only components in use
    and inside the box, at most `limit`, in one query."""
    from grids.selectors import components_nearest

    x, y = 112.0005, 28.0015
    offsets = {"4301020101000011": (0.0009, 0), "4301020101000012": (0, 0.0001), "4301020101000013": (-0.0004, 0.0003),
               "4301020101000014": (0.0002, -0.0002), "4301020101000015": (0.004, 0)}  # the last is outside the box
    for code, (dx, dy) in offsets.items():
        Component.objects.create(code=code, minor=manhole, lon=x + dx, lat=y + dy, unit_grid=grid)
    Component.objects.create(code="4301020101000016", minor=manhole, lon=x, lat=y, unit_grid=grid, in_use=False)
    with django_assert_num_queries(1):
        rows = components_nearest(lon=x, lat=y, degrees=0.003, limit=3)
    assert [row["code"] for row in rows] == ["4301020101000012", "4301020101000014", "4301020101000013"]
    assert rows[0]["minor__name"] == manhole.name and rows[0]["lat"] == pytest.approx(y + 0.0001)
    everything = [row["code"] for row in components_nearest(lon=x, lat=y, degrees=0.003, limit=10)]
    assert everything == ["4301020101000012", "4301020101000014", "4301020101000013", "4301020101000011"]
