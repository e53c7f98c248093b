"""The objects assessed, read from the registry: regions per level, departments and the people of
each position (the hotline's agents among them), each with the level it is ranked in and the
district whose managers may see it; and the hotline's lines, city-wide."""
from dataclasses import dataclass

from core.display import person_name
from grids.models import Department, DepartmentLevel, Region, RegionLevel, Role, UnitGrid, User
from hotline.models import Channel

from .counters import LINE_IDS
from .models import ObjectType, RegionLevelKey

REGION_LEVELS = [RegionLevelKey.CITY, RegionLevelKey.DISTRICT, RegionLevelKey.STREET, RegionLevelKey.COMMUNITY,
                 RegionLevelKey.GRID]
REGION_LEVEL_NUMBER = {RegionLevelKey.CITY: RegionLevel.CITY, RegionLevelKey.DISTRICT: RegionLevel.DISTRICT,
                       RegionLevelKey.STREET: RegionLevel.STREET, RegionLevelKey.COMMUNITY: RegionLevel.COMMUNITY}
LEVEL_KEY_OF_REGION = {number: key for key, number in REGION_LEVEL_NUMBER.items()}
DEPARTMENT_LEVEL_KEY = {DepartmentLevel.CITY: "city", DepartmentLevel.DISTRICT: "district",
                        DepartmentLevel.STREET: "street"}
POSITION_ROLE = {ObjectType.COLLECTOR: Role.COLLECTOR, ObjectType.OPERATOR: Role.OPERATOR,
                 ObjectType.SHIFT_LEADER: Role.SHIFT_LEADER, ObjectType.DISPATCHER: Role.DISPATCHER,
                 ObjectType.HOTLINE_AGENT: Role.HOTLINE_AGENT}


@dataclass(frozen=True)
class AssessedObject:
    id: int
    code: str
    name: str
    level: str
    parent_name: str = ""
    district_id: int | None = None


def levels_of(object_type: str) -> list[str | None]:
    """Region counters group by a different column per level; other types count in one pass."""
    return list(REGION_LEVELS) if object_type == ObjectType.REGION else [None]


def _district_of(region_id, level, parent_id, grandparent_id):
    if level == RegionLevel.DISTRICT:
        return region_id
    if level == RegionLevel.STREET:
        return parent_id
    if level == RegionLevel.COMMUNITY:
        return grandparent_id
    return None


def objects_list(object_type: str, level: str | None = None) -> list[AssessedObject]:
    if object_type == ObjectType.REGION:
        if level == RegionLevelKey.GRID:
            rows = UnitGrid.objects.values_list("pk", "code", "community__name", "district_id").order_by("code")
            return [AssessedObject(pk, code, code, level, community, district)
                    for pk, code, community, district in rows]
        rows = (
            Region.objects.filter(level=REGION_LEVEL_NUMBER[level])
            .values_list("pk", "code", "name", "parent__name", "parent_id", "parent__parent_id")
            .order_by("code")
        )
        return [AssessedObject(pk, code, name, level, parent or "",
                               _district_of(pk, REGION_LEVEL_NUMBER[level], parent_id, grandparent))
                for pk, code, name, parent, parent_id, grandparent in rows]
    if object_type == ObjectType.HOTLINE_LINE:  # the city's lines, each a city-wide object
        return [AssessedObject(pk, str(channel), str(Channel(channel).label), RegionLevelKey.CITY)
                for channel, pk in LINE_IDS.items()]
    if object_type == ObjectType.DEPARTMENT:
        rows = (
            Department.objects.filter(is_active=True)
            .values_list("pk", "code", "name", "level", "region_id", "region__level", "region__parent_id",
                         "region__parent__parent_id", "parent__name")
            .order_by("code")
        )
        return [AssessedObject(pk, code, name, DEPARTMENT_LEVEL_KEY.get(dept_level, str(dept_level)), parent or "",
                               _district_of(region_id, region_level, parent_id, grandparent))
                for pk, code, name, dept_level, region_id, region_level, parent_id, grandparent, parent in rows]
    rows = (
        User.objects.filter(role=POSITION_ROLE[object_type], is_active=True)
        .values_list("pk", "username", "first_name", "last_name", "region_id", "region__level", "region__parent_id",
                     "region__parent__parent_id", "region__name")
        .order_by("username")
    )
    return [
        AssessedObject(
            pk, username, person_name(family=last, given=first) or username,
            LEVEL_KEY_OF_REGION.get(region_level, RegionLevelKey.CITY) if region_id else RegionLevelKey.CITY,
            region_name or "", _district_of(region_id, region_level, parent_id, grandparent),
        )
        for pk, username, first, last, region_id, region_level, parent_id, grandparent, region_name in rows
    ]
