"""The demo city: a deterministic synthetic 示范市 (regions, tiled unit grids, responsibility grids,
departments, ownership rules, components and demo logins) built from one seed by
demo_city_build(); the same seed and scale always give the same city.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.pinyin import pinyin_search_text

from .demo_map import demo_map_build
from .geometry import metres_per_degree, square_metres_many
from .importers.classification import classification_load
from .locator import grid_index_bump
from .models import (
    ClassKind,
    Component,
    ComponentStatus,
    Department,
    DepartmentLevel,
    DepartmentType,
    Edition,
    MajorClass,
    MinorClass,
    OwnershipRule,
    PatrolClass,
    Region,
    RegionLevel,
    ResponsibilityGrid,
    Role,
    UnitGrid,
    User,
)

DEMO_PASSWORD = "citygrid-demo"
CITY_CODE = "439900"
CENTER_LON, CENTER_LAT = 112.98, 28.19
GRID_SIDE_M = 100.0  # a 万米 grid: 100 m x 100 m before jitter
# Every lattice vertex moves by up to this share of a side in each direction: grids come out between
# about 6,700 and 13,500 m² (σ ≈ 10 %), and (below 0.25) every quadrilateral stays convex, so a
# bilinear point of its corners lies inside it.
VERTEX_JITTER = 0.12
# Components are placed this far (share of a side, in the grid's own bilinear coordinates) from
# the grid's edges, so a component never sits on a boundary.
COMPONENT_MARGIN = 0.06
COORD_DIGITS = 7  # about 1 cm
BATCH_SIZE = 2000
# Fixed, not timezone.now(): the demo must come out the same on every run.
DEMO_JOINED_AT = dt.datetime(2026, 7, 1, 0, 30, tzinfo=dt.UTC)

# --- Names --------------------------------------------------------------------------------------
DISTRICT_NAMES = ["东湖区", "西岭区", "南湖区", "北辰区", "中山区", "滨江区", "高新区", "临港区", "青山区",
                  "金桥区", "新城区", "古城区", "白沙区", "桂湖区", "枫林区", "湘源区"]
STREET_WORDS = ["和平", "解放", "人民", "建设", "朝阳", "新华", "文化", "胜利", "东风", "红旗", "长青", "光明",
                "幸福", "团结", "友谊", "民主", "振兴", "复兴", "安定", "永安", "太平", "兴华", "康宁", "长乐",
                "丰收", "前进", "先锋", "工农", "育才", "书院", "学府", "城关", "新桥", "石桥", "河滨", "湖滨"]
COMMUNITY_WORDS = ["桂花", "荷花", "梅园", "兰亭", "竹林", "松柏", "柳岸", "杏林", "青园", "白云", "碧水",
                   "金沙", "银湖", "玉泉", "龙泉", "凤凰", "鹤鸣", "南门", "北门", "东门", "西门", "清水塘",
                   "桃源", "锦绣", "望月", "星沙", "紫荆", "芙蓉", "丽景", "晓园", "映日", "秀峰", "翠微",
                   "嘉禾", "德润", "明珠", "新村", "金盆", "银杏", "樟树", "枫叶", "牡丹", "月湖", "双塘",
                   "井湾", "东塘", "砂子塘", "枣园", "瑞景", "阳光", "花园", "雅苑", "书香", "文昌", "仁和"]
NAME_SUFFIXES = ["", "东", "西", "南", "北", "中", "新"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰文辉鹏飞建国志红海波宁晨雪琳浩宇欣怡子涵"

# --- Departments ----------------------------------------------------------------------------------
# City-level departments and companies, by department type (grids/data/department_types.csv).
CITY_DEPARTMENTS = [
    ("enforcement", "{city}城市管理综合执法局"),
    ("housing", "{city}住房和城乡建设局"),
    ("municipal", "{city}市政设施维护中心"),
    ("landscaping", "{city}园林绿化局"),
    ("sanitation", "{city}环境卫生管理处"),
    ("transport", "{city}交通运输局"),
    ("traffic_police", "{city}公安局交通警察支队"),
    ("water_supply", "{city}供水有限公司"),
    ("drainage", "{city}排水事务中心"),
    ("power", "国网{city}供电公司"),
    ("telecom", "{city}通信管线建设管理办公室"),
    ("gas", "{city}燃气有限公司"),
    ("street_lighting", "{city}路灯管理处"),
    ("water_affairs", "{city}水务局"),
    ("emergency", "{city}应急管理局"),
]
# Each district's own counterparts (their parent is the city department of the same type).
DISTRICT_DEPARTMENTS = [
    ("enforcement", "{district}城市管理和综合执法局"),
    ("housing", "{district}住房和城乡建设局"),
    ("municipal", "{district}市政设施维护所"),
    ("landscaping", "{district}园林绿化服务中心"),
    ("sanitation", "{district}环境卫生服务中心"),
]
STREET_OFFICE_TYPE = "street_office"

# --- Ownership rules ------------------------------------------------------------------------------
# Majors whose minor classes belong to many owners (pipes, cables, lights): no blanket rule for the
# major, one rule per minor class instead, so a cover of an unlisted owner stays "owner unknown".
MAJORS_RULED_BY_MINOR = {(Edition.LEGACY, ClassKind.COMPONENT, "01"), (Edition.STD2026, ClassKind.COMPONENT, "01"),
                         (Edition.STD2026, ClassKind.MATTER, "01")}
# Majors the demo city has not assigned at all (housing stock, civil defence, other facilities): the
# frequent real case of unresolved ownership that the dispatcher must see.
MAJORS_WITHOUT_RULE = {(Edition.LEGACY, ClassKind.COMPONENT, "05"), (Edition.LEGACY, ClassKind.COMPONENT, "06"),
                       (Edition.STD2026, ClassKind.COMPONENT, "05"), (Edition.STD2026, ClassKind.MATTER, "05")}
# Minor classes that are unowned by definition (无主井盖, 特殊井盖, 不明井盖, 不明立杆).
MINORS_WITHOUT_RULE = {(Edition.LEGACY, "0114"), (Edition.LEGACY, "0130"), (Edition.STD2026, "01022"),
                       (Edition.STD2026, "01023"), (Edition.STD2026, "01034")}
# 街面秩序 handled by the street office itself in every other street (执法重心下移).
STREET_ORDER_MAJORS = {(Edition.LEGACY, ClassKind.EVENT, "05"), (Edition.STD2026, ClassKind.MATTER, "09")}

# --- Components -----------------------------------------------------------------------------------
# (legacy 4-digit minor, relative frequency, the same facility in the 2026 edition or None). Manhole
# covers, street lights and litter bins dominate, as in every published component survey.
COMPONENT_MIX = [
    ("0101", 60, "01001"), ("0102", 70, "01002"), ("0103", 70, "01003"), ("0104", 80, "01004"),
    ("0105", 30, "01005"), ("0106", 20, "01006"), ("0107", 40, "01007"), ("0108", 10, "01008"),
    ("0109", 10, "01009"), ("0110", 3, "01010"), ("0111", 20, "01011"), ("0112", 5, "01012"),
    ("0113", 12, "01013"), ("0114", 15, "01023"), ("0115", 12, "01027"), ("0116", 10, "01028"),
    ("0117", 40, "01030"), ("0118", 100, "01037"), ("0119", 10, "01038"), ("0120", 15, "01039"),
    ("0121", 2, "01040"), ("0123", 2, "01042"), ("0126", 4, "01046"), ("0134", 5, "01048"),
    ("0136", 10, "01050"),
    ("0201", 2, "02001"), ("0202", 5, "02003"), ("0203", 7, "02004"), ("0209", 30, "02010"),
    ("0210", 8, "02014"), ("0211", 20, "02017"), ("0212", 10, "02027"), ("0213", 15, "02012"),
    ("0301", 3, "03001"), ("0304", 3, "03004"), ("0305", 90, "03005"), ("0306", 8, "03006"),
    ("0307", 20, "03007"),
    ("0401", 1, "04001"), ("0402", 60, "04002"), ("0403", 10, "04004"), ("0405", 5, "04013"),
    ("0407", 8, "04007"), ("0408", 8, "04008"),
    ("0501", 6, "03008"), ("0502", 1, None), ("0503", 1, "05002"), ("0602", 1, None), ("0604", 2, "01070"),
]
# Facilities that only the 2026 survey lists.
COMPONENT_MIX_2026_ONLY = [("01054", 5), ("01075", 3), ("01059", 2), ("02043", 4), ("03016", 3)]
# Named components (a toilet or a car park has a name, a manhole cover has not).
NAMED_MINORS = {"0301", "03001", "0201", "02001", "0401", "04001", "0121", "01040", "0203", "02004"}
STATUS_MIX = [(ComponentStatus.INTACT, 880), (ComponentStatus.DAMAGED, 60), (ComponentStatus.OCCUPIED, 30),
              (ComponentStatus.LOST, 10), (ComponentStatus.ABANDONED, 20)]
PATROL_TIMES = {
    PatrolClass.A: "07:30-12:00,14:00-20:00",
    PatrolClass.B: "08:30-12:00,14:00-18:00",
    PatrolClass.C: "09:00-11:30,14:30-17:30",
    PatrolClass.D: "09:00-11:30",
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    scope: str


@dataclass
class DemoSummary:
    seed: int
    scale: float
    counts: dict[str, int]
    logins: list[DemoLogin]
    password: str = DEMO_PASSWORD
    notes: list[str] = field(default_factory=list)


class DemoCityExistsError(ApplicationError):
    """The database already holds regions; the demo builds only into an empty registry."""


# --- Layout: rectangles of lattice cells ------------------------------------------------------------

@dataclass(frozen=True)
class Rect:
    """Lattice cells [x, x + w) × [y, y + h); y grows southward (row 0 is the northern edge)."""

    x: int
    y: int
    w: int
    h: int

    @property
    def area(self) -> int:
        return self.w * self.h


@dataclass
class CommunityPlan:
    rect: Rect
    code: str = ""
    name: str = ""


@dataclass
class StreetPlan:
    rect: Rect
    communities: list[CommunityPlan]
    code: str = ""
    name: str = ""


@dataclass
class DistrictPlan:
    rect: Rect
    streets: list[StreetPlan]
    code: str = ""
    name: str = ""


def demo_sizes(scale: float) -> tuple[int, int, int, int]:
    """(districts, streets, communities, unit grids) for a scale: 3 / 12 / 60 / 900 at scale 1, about
    14 / 264 / 1,320 / 19,800 at scale 22 (a megacity), 3 / 3 / 3 / 45 at scale 0.05."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    districts = min(max(3, round(3 * math.sqrt(scale))), 98)
    streets = min(max(districts, round(12 * scale)), districts * 999)
    communities = max(streets, round(60 * scale))
    grids = max(communities * 6, round(900 * scale))
    return districts, streets, communities, grids


def _split_evenly(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _partition(rect: Rect, weights: list[float]) -> list[Rect]:
    """Cut `rect` into len(weights) rectangles with areas roughly proportional to the weights (a
    guillotine treemap: halve the list, cut across the longer side). Rectangles come back in the
    order of the weights and tile `rect` exactly."""
    if len(weights) == 1:
        return [rect]
    half = len(weights) // 2
    share = sum(weights[:half]) / sum(weights)
    if rect.w >= rect.h:
        cut = min(max(round(rect.w * share), 1), rect.w - 1)
        first, second = Rect(rect.x, rect.y, cut, rect.h), Rect(rect.x + cut, rect.y, rect.w - cut, rect.h)
    else:
        cut = min(max(round(rect.h * share), 1), rect.h - 1)
        first, second = Rect(rect.x, rect.y, rect.w, cut), Rect(rect.x, rect.y + cut, rect.w, rect.h - cut)
    return _partition(first, weights[:half]) + _partition(second, weights[half:])


def _north_west_first(rect: Rect) -> tuple[int, int]:
    return (rect.y, rect.x)


def _names(rng: random.Random, words: list[str], tail: str) -> Iterator[str]:
    """Unique names (word + optional direction + tail) in a seeded order; numbered once used up."""
    candidates = [f"{word}{suffix}{tail}" for suffix in NAME_SUFFIXES for word in words]
    primary = candidates[: len(words)]
    rest = candidates[len(words):]
    rng.shuffle(primary)
    rng.shuffle(rest)
    yield from primary
    yield from rest
    number = 2
    while True:
        for word in words:
            yield f"{word}{number}{tail}"
        number += 1


def demo_city_layout(*, seed: int, scale: float) -> tuple[int, int, list[DistrictPlan]]:
    """The city's lattice size (columns, rows) and its districts, streets and communities as
    rectangles of lattice cells, coded and named, in code order."""
    rng = random.Random(f"{seed}:layout")
    n_districts, n_streets, n_communities, n_grids = demo_sizes(scale)
    columns = max(2, round(math.sqrt(n_grids * 1.25)))
    rows = max(2, round(n_grids / columns))

    streets_per_district = _split_evenly(n_streets, n_districts)
    communities_per_street = _split_evenly(n_communities, n_streets)
    rng.shuffle(communities_per_street)
    per_street_iter = iter(communities_per_street)
    street_counts = [[next(per_street_iter) for _ in range(k)] for k in streets_per_district]

    district_rects = _partition(Rect(0, 0, columns, rows),
                                [sum(counts) * rng.uniform(0.9, 1.1) for counts in street_counts])
    districts: list[DistrictPlan] = []
    for district_rect, counts in zip(district_rects, street_counts, strict=True):
        street_rects = _partition(district_rect, [count * rng.uniform(0.9, 1.1) for count in counts])
        streets = []
        for street_rect, count in zip(street_rects, counts, strict=True):
            community_rects = _partition(street_rect, [rng.uniform(0.75, 1.25) for _ in range(count)])
            streets.append(StreetPlan(street_rect, [CommunityPlan(r) for r in community_rects]))
        districts.append(DistrictPlan(district_rect, streets))

    # Codes follow position: north-west first, then eastward, then southward.
    district_names = iter(DISTRICT_NAMES)
    street_names = _names(rng, STREET_WORDS, "街道")
    community_names = _names(rng, COMMUNITY_WORDS, "社区")
    districts.sort(key=lambda d: _north_west_first(d.rect))
    for d_index, district in enumerate(districts, start=2):  # GB/T 2260: xxxx01 is 市辖区 itself
        district.code = f"{CITY_CODE[:4]}{d_index:02d}"
        district.name = next(district_names, None) or _("第%(n)d区") % {"n": d_index - 1}
        district.streets.sort(key=lambda s: _north_west_first(s.rect))
        for s_index, street in enumerate(district.streets, start=1):
            street.code = f"{district.code}{s_index:03d}"
            street.name = next(street_names)
            street.communities.sort(key=lambda c: _north_west_first(c.rect))
            for c_index, community in enumerate(street.communities, start=1):
                community.code = f"{street.code}{c_index:03d}"
                community.name = next(community_names)
    return columns, rows, districts


class Lattice:
    """The jittered vertices shared by all unit grids: vertex (i, j) is the north-west corner of cell
    (i, j). Neighbouring grids use the very same vertex values, so the grids tile without gaps or
    overlaps."""

    def __init__(self, *, seed: int, columns: int, rows: int):
        rng = random.Random(f"{seed}:lattice")
        per_lon, per_lat = metres_per_degree(CENTER_LAT)
        self.dlon = GRID_SIDE_M / per_lon
        self.dlat = GRID_SIDE_M / per_lat
        self.lon0 = CENTER_LON - columns / 2 * self.dlon
        self.lat0 = CENTER_LAT + rows / 2 * self.dlat
        self.columns, self.rows = columns, rows
        jitter = np.array([[rng.uniform(-VERTEX_JITTER, VERTEX_JITTER) for _ in range(2 * (columns + 1))]
                           for _ in range(rows + 1)]).reshape(rows + 1, columns + 1, 2)
        i = np.arange(columns + 1)[None, :]
        j = np.arange(rows + 1)[:, None]
        self.lon = np.round(self.lon0 + (i + jitter[:, :, 0]) * self.dlon, COORD_DIGITS)
        self.lat = np.round(self.lat0 - (j + jitter[:, :, 1]) * self.dlat, COORD_DIGITS)

    def vertex(self, i: int, j: int) -> tuple[float, float]:
        return float(self.lon[j, i]), float(self.lat[j, i])

    def cell_ring(self, i: int, j: int) -> list[list[float]]:
        """The closed ring of cell (i, j), counter-clockwise (RFC 7946): NW, SW, SE, NE, NW."""
        corners = [self.vertex(i, j), self.vertex(i, j + 1), self.vertex(i + 1, j + 1), self.vertex(i + 1, j)]
        return [list(c) for c in corners] + [list(corners[0])]

    def cell_point(self, i: int, j: int, u: float, v: float) -> tuple[float, float]:
        """The bilinear point (u east, v south, both in 0..1) of cell (i, j)."""
        nw, sw = self.vertex(i, j), self.vertex(i, j + 1)
        se, ne = self.vertex(i + 1, j + 1), self.vertex(i + 1, j)
        lon = (1 - u) * (1 - v) * nw[0] + u * (1 - v) * ne[0] + (1 - u) * v * sw[0] + u * v * se[0]
        lat = (1 - u) * (1 - v) * nw[1] + u * (1 - v) * ne[1] + (1 - u) * v * sw[1] + u * v * se[1]
        return round(lon, COORD_DIGITS), round(lat, COORD_DIGITS)


def _serpentine(rect: Rect) -> list[tuple[int, int]]:
    """The cells of a rectangle row by row, alternating direction, so consecutive cells share an edge."""
    cells = []
    for row in range(rect.y, rect.y + rect.h):
        columns = range(rect.x, rect.x + rect.w)
        cells.extend((col, row) for col in (columns if (row - rect.y) % 2 == 0 else reversed(columns)))
    return cells


def _chunks(cells: list, size: int = 8) -> list[list]:
    """Consecutive runs of about `size` cells (6–10 for the usual community sizes)."""
    count = max(1, int(len(cells) / size + 0.5))
    sizes = _split_evenly(len(cells), count)
    out, start = [], 0
    for n in sizes:
        out.append(cells[start:start + n])
        start += n
    return out


def _person_name(rng: random.Random) -> tuple[str, str]:
    given = "".join(rng.choice(GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES), given


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"


# --- The build --------------------------------------------------------------------------------------

@transaction.atomic
def demo_city_build(*, seed: int, scale: float = 1.0, component_scale: float | None = None) -> DemoSummary:
    """Build the demo city into an empty registry, in one transaction, and bump the locator index.

    `scale` multiplies the city (1.0: 3 districts, 12 streets, 60 communities, ~900 unit grids and
    ~30,000 components); `component_scale` sets the components separately (default: `scale`), so a
    benchmark can build 20,000 grids without 660,000 components. Loads both classification
    editions first (grids.importers.classification). Refuses a database that already has regions.
    """
    if Region.objects.exists():
        raise DemoCityExistsError(_("数据库中已有行政区域数据，示范城市只能建在空的基础数据上。"))
    classification_load()
    component_scale = scale if component_scale is None else component_scale
    columns, rows, districts = demo_city_layout(seed=seed, scale=scale)
    lattice = Lattice(seed=seed, columns=columns, rows=rows)
    builder = _Builder(seed=seed, lattice=lattice, districts=districts)
    builder.regions_create()
    builder.departments_create()
    builder.ownership_rules_create()
    builder.grids_create()
    builder.counts.update(demo_map_build(seed=seed, lattice=lattice, districts=districts,
                                         region_pk=builder.region_pk))
    builder.people_create()
    builder.components_create(total=round(30_000 * component_scale))
    grid_index_bump()
    return builder.summary(scale=scale)


class _Builder:
    """The steps of demo_city_build, sharing the lookups they build up (codes to primary keys)."""

    def __init__(self, *, seed: int, lattice: Lattice, districts: list[DistrictPlan]):
        self.seed = seed
        self.lattice = lattice
        self.districts = districts
        self.region_pk: dict[str, int] = {}
        self.department_pk: dict[str, int] = {}
        self.counts: Counter[str] = Counter()
        self.logins: list[DemoLogin] = []
        self.notes: list[str] = []
        # (district code, minor pk) → department pk, the answer of the district's rules.
        self.component_owner: dict[tuple[str, int], int | None] = {}
        self.grids: list[dict] = []  # one per unit grid, in code order

    # Regions ---------------------------------------------------------------------------------------
    def regions_create(self) -> None:
        city_name = getattr(settings, "CITY_NAME", "示范市") or "示范市"
        city = Region.objects.create(code=CITY_CODE, name=city_name, level=RegionLevel.CITY)
        self.city = city
        self.region_pk[city.code] = city.pk
        levels = [
            (RegionLevel.DISTRICT, [(d.code, d.name, CITY_CODE) for d in self.districts]),
            (RegionLevel.STREET, [(s.code, s.name, d.code) for d in self.districts for s in d.streets]),
            (RegionLevel.COMMUNITY, [(c.code, c.name, s.code) for d in self.districts for s in d.streets
                                     for c in s.communities]),
        ]
        for level, rows in levels:
            Region.objects.bulk_create(
                [Region(code=code, name=name, level=level, parent_id=self.region_pk[parent],
                        name_pinyin=pinyin_search_text(name))
                 for code, name, parent in rows],
                batch_size=BATCH_SIZE,
            )
            self.region_pk.update(Region.objects.filter(level=level).values_list("code", "pk"))
            self.counts[f"regions_level_{int(level)}"] = len(rows)

    # Departments -----------------------------------------------------------------------------------
    def departments_create(self) -> None:
        types = dict(DepartmentType.objects.values_list("code", "pk"))
        needed = {code for code, _name in CITY_DEPARTMENTS + DISTRICT_DEPARTMENTS} | {STREET_OFFICE_TYPE}
        missing = sorted(needed - types.keys())
        if missing:
            raise ApplicationError(_("缺少部门类型：%(codes)s（应由 classification_load 载入）")
                                   % {"codes": ", ".join(missing)})
        city_name = self.city.name
        city_rows = [Department(code=f"{CITY_CODE}-{t}", name=name.format(city=city_name), level=DepartmentLevel.CITY,
                                region_id=self.city.pk, department_type_id=types[t])
                     for t, name in CITY_DEPARTMENTS]
        Department.objects.bulk_create(city_rows)
        self.department_pk.update(Department.objects.values_list("code", "pk"))
        district_rows, street_rows = [], []
        for district in self.districts:
            for t, name in DISTRICT_DEPARTMENTS:
                district_rows.append(Department(
                    code=f"{district.code}-{t}", name=name.format(district=district.name),
                    level=DepartmentLevel.DISTRICT, region_id=self.region_pk[district.code],
                    department_type_id=types[t], parent_id=self.department_pk.get(f"{CITY_CODE}-{t}")))
            for street in district.streets:
                street_rows.append(Department(
                    code=f"{street.code}-{STREET_OFFICE_TYPE}", name=_("%(street)s办事处") % {"street": street.name},
                    level=DepartmentLevel.STREET, region_id=self.region_pk[street.code],
                    department_type_id=types[STREET_OFFICE_TYPE]))
        Department.objects.bulk_create(district_rows + street_rows, batch_size=BATCH_SIZE)
        self.department_name = {d.code: d.name for d in city_rows + district_rows + street_rows}
        self.department_pk.update(Department.objects.values_list("code", "pk"))
        self.type_codes = {pk: code for code, pk in types.items()}
        self.counts["departments"] = len(city_rows) + len(district_rows) + len(street_rows)

    def _department_for(self, type_code: str | None, district_code: str) -> int | None:
        """The district's own department of a type, else the city's, else none."""
        if type_code is None:
            return None
        return self.department_pk.get(f"{district_code}-{type_code}") or self.department_pk.get(
            f"{CITY_CODE}-{type_code}")

    # Ownership rules -------------------------------------------------------------------------------
    def ownership_rules_create(self) -> None:
        """Rules from the classes' department types: per district, a rule for each major to the
        department of its most common type and a rule for each minor whose type differs; per street,
        the street office's classes. Some majors and minors deliberately get none (see the sets
        at the top of this module), so "owner unknown" is a real answer in the demo."""
        majors = sorted(MajorClass.objects.filter(is_local=False), key=lambda m: (m.edition, m.kind, m.code))
        minors_by_major: dict[int, list[MinorClass]] = defaultdict(list)
        for minor in MinorClass.objects.filter(is_local=False).select_related("department_type").order_by(
                "edition", "kind", "code"):
            minors_by_major[minor.major_id].append(minor)
        type_code = {minor.pk: (minor.department_type.code if minor.department_type else None)
                     for minors in minors_by_major.values() for minor in minors}
        plans = []  # (major, key, minors, the major's most common department type)
        for major in majors:
            minors = minors_by_major.get(major.pk, [])
            if minors:
                common = Counter(type_code[m.pk] for m in minors if type_code[m.pk]).most_common()
                major_type = min(t for t, n in common if n == common[0][1]) if common else None
                plans.append((major, (major.edition, major.kind, major.code), minors, major_type))

        rules: list[OwnershipRule] = []
        for district_index, district in enumerate(self.districts):
            district_pk = self.region_pk[district.code]
            for major, key, minors, major_type in plans:
                blanket = (key not in MAJORS_RULED_BY_MINOR and key not in MAJORS_WITHOUT_RULE
                           and major_type != STREET_OFFICE_TYPE)
                major_department = self._department_for(major_type, district.code) if blanket else None
                if major_department:
                    rules.append(OwnershipRule(major_id=major.pk, region_id=district_pk, department_id=major_department,
                                               note=_("示范数据：大类默认责任部门")))
                for minor in minors:
                    minor_type = type_code[minor.pk]
                    department = None
                    if (minor.edition, minor.code) in MINORS_WITHOUT_RULE or minor_type == STREET_OFFICE_TYPE:
                        department = None
                    elif key in MAJORS_RULED_BY_MINOR or minor_type != major_type:
                        department = self._department_for(minor_type, district.code)
                    if department and department != major_department:
                        rules.append(OwnershipRule(major_id=major.pk, minor_id=minor.pk, region_id=district_pk,
                                                   department_id=department, note=_("示范数据：小类例外")))
                    if minor.kind == ClassKind.COMPONENT:
                        self.component_owner[(district.code, minor.pk)] = department or major_department
            for street_index, street in enumerate(district.streets):
                street_pk = self.region_pk[street.code]
                office = self.department_pk[f"{street.code}-{STREET_OFFICE_TYPE}"]
                note = _("示范数据：街道属地管理")
                # Street order goes to the street office in every other street (执法重心下移).
                street_order = (street_index + district_index) % 2 == 1
                for major, key, minors, major_type in plans:
                    if major_type == STREET_OFFICE_TYPE or (street_order and key in STREET_ORDER_MAJORS):
                        rules.append(OwnershipRule(major_id=major.pk, region_id=street_pk, department_id=office,
                                                   note=note))
                    else:
                        rules.extend(OwnershipRule(major_id=major.pk, minor_id=m.pk, region_id=street_pk,
                                                   department_id=office, note=note)
                                     for m in minors if type_code[m.pk] == STREET_OFFICE_TYPE)
        OwnershipRule.objects.bulk_create(rules, batch_size=BATCH_SIZE)
        self.counts["ownership_rules"] = len(rules)
        self.counts["minor_classes"] = len(type_code)

    # Unit and responsibility grids -----------------------------------------------------------------
    def grids_create(self) -> None:
        lattice = self.lattice
        cx, cy = lattice.columns / 2, lattice.rows / 2
        radius = math.hypot(cx, cy)
        responsibility_rows: list[ResponsibilityGrid] = []
        membership: dict[tuple[int, int], str] = {}
        for district in self.districts:
            for street in district.streets:
                for community in street.communities:
                    for k, cells in enumerate(_chunks(_serpentine(community.rect)), start=1):
                        mean_x = sum(c[0] for c in cells) / len(cells) + 0.5
                        mean_y = sum(c[1] for c in cells) / len(cells) + 0.5
                        distance = math.hypot(mean_x - cx, mean_y - cy) / radius
                        patrol = (PatrolClass.A if distance < 0.25 else PatrolClass.B if distance < 0.5
                                  else PatrolClass.C if distance < 0.8 else PatrolClass.D)
                        code = f"{community.code}-Z{k:02d}"
                        responsibility_rows.append(ResponsibilityGrid(
                            code=code, name=_("%(community)s%(k)d号责任网格") % {"community": community.name, "k": k},
                            district_id=self.region_pk[district.code], patrol_class=patrol,
                            patrol_times=PATROL_TIMES[patrol]))
                        membership.update({cell: code for cell in cells})
        ResponsibilityGrid.objects.bulk_create(responsibility_rows, batch_size=BATCH_SIZE)
        rg_pk = dict(ResponsibilityGrid.objects.values_list("code", "pk"))
        self.responsibility_grids = [(r.code, rg_pk[r.code], r.patrol_class, r.district_id) for r in responsibility_rows]

        grids: list[dict] = []
        for district in self.districts:
            for street in district.streets:
                for community in street.communities:
                    rect = community.rect
                    # Sequence numbers run west→east along a row, rows north→south.
                    for seq, (row, col) in enumerate(
                            ((r, c) for r in range(rect.y, rect.y + rect.h) for c in range(rect.x, rect.x + rect.w)),
                            start=1):
                        grids.append({
                            "code": f"{community.code}{seq:03d}", "cell": (col, row),
                            "ring": lattice.cell_ring(col, row),
                            "community": self.region_pk[community.code], "street": self.region_pk[street.code],
                            "district": self.region_pk[district.code], "district_code": district.code,
                            "community_name": community.name,
                            "responsibility_grid": rg_pk[membership[(col, row)]],
                            "distance": math.hypot(col + 0.5 - cx, row + 0.5 - cy) / radius,
                        })
        polygons = shapely.polygons([g["ring"] for g in grids])
        centroids = shapely.centroid(polygons)
        inside = shapely.covers(polygons, centroids)
        centroids = np.where(inside, centroids, shapely.point_on_surface(polygons))
        lats = shapely.get_y(centroids)
        areas = square_metres_many(polygons, lats)
        bounds = shapely.bounds(polygons)
        rows = []
        for g, area, (min_lon, min_lat, max_lon, max_lat), centre in zip(
                grids, areas.tolist(), bounds.tolist(), centroids.tolist(), strict=True):
            rows.append(UnitGrid(
                code=g["code"], community_id=g["community"], street_id=g["street"], district_id=g["district"],
                responsibility_grid_id=g["responsibility_grid"],
                geometry={"type": "Polygon", "coordinates": [g["ring"]]},
                area_m2=round(area, 1), min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat,
                center_lon=round(centre.x, COORD_DIGITS), center_lat=round(centre.y, COORD_DIGITS)))
        UnitGrid.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        grid_pk = dict(UnitGrid.objects.values_list("code", "pk"))
        for g in grids:
            g["pk"] = grid_pk[g["code"]]
        self.grids = grids
        self.counts["unit_grids"] = len(rows)
        self.counts["responsibility_grids"] = len(responsibility_rows)

    # People ------------------------------------------------------------------------------------------
    def people_create(self) -> None:
        rng = random.Random(f"{self.seed}:people")
        # One hash for every demo login (same password); hashing each user would take minutes.
        password = make_password(DEMO_PASSWORD, salt=f"citygriddemo{self.seed}".replace("-", "m"))
        first_district = self.districts[0]
        district1_pk = self.region_pk[first_district.code]
        users: list[User] = []

        def add(username: str, role: str, *, region: int | None, department: int | None = None,
                scope: str = "", superuser: bool = False, listed: bool = True) -> None:
            last_name, first_name = _person_name(rng)
            users.append(User(username=username, role=role, region_id=region, department_id=department,
                              first_name=first_name, last_name=last_name, phone=_phone(rng), password=password,
                              is_staff=superuser, is_superuser=superuser, date_joined=DEMO_JOINED_AT))
            if listed:
                self.logins.append(DemoLogin(username, role, scope))

        city_scope = _("全市")
        city_pk = self.city.pk
        for role in (Role.OPERATOR, Role.SHIFT_LEADER, Role.DISPATCHER, Role.MANAGER, Role.HOTLINE_AGENT):
            add(str(role), role, region=city_pk, scope=city_scope)
        add("admin", Role.ADMIN, region=None, scope=_("全市（超级管理员）"), superuser=True)
        add("operator_d1", Role.OPERATOR, region=district1_pk, scope=first_district.name)
        for username, type_code in (("handler", "municipal"), ("handler2", "sanitation")):
            department_code = f"{first_district.code}-{type_code}"
            add(username, Role.HANDLER, region=district1_pk, department=self.department_pk[department_code],
                scope=self.department_name[department_code])

        # The named collector patrols the responsibility grid of district 1 nearest the city centre.
        first_grids = [g for g in self.grids if g["district_code"] == first_district.code]
        home = min(first_grids, key=lambda g: (g["distance"], g["code"]))
        home_rg = home["responsibility_grid"]
        home_rg_code = next(code for code, pk, _c, _d in self.responsibility_grids if pk == home_rg)
        add("collector", Role.COLLECTOR, region=district1_pk, scope=_("责任网格 %(code)s") % {"code": home_rg_code})
        assignments: list[tuple[str, int]] = [("collector", home_rg)]

        number = 0
        for _code, pk, patrol_class, district_pk in self.responsibility_grids:
            count = 2 if patrol_class == PatrolClass.A else rng.choice((1, 2)) if patrol_class == PatrolClass.B else 1
            for _i in range(count):
                number += 1
                username = f"collector{number:04d}"
                add(username, Role.COLLECTOR, region=district_pk, listed=False)
                assignments.append((username, pk))
        User.objects.bulk_create(users, batch_size=BATCH_SIZE)
        user_pk = dict(User.objects.filter(username__in=[u.username for u in users]).values_list("username", "pk"))
        through = ResponsibilityGrid.collectors.through
        through.objects.bulk_create(
            [through(responsibilitygrid_id=rg, user_id=user_pk[username]) for username, rg in assignments],
            batch_size=BATCH_SIZE)
        self.counts["users"] = len(users)
        self.counts["collectors"] = sum(1 for u in users if u.role == Role.COLLECTOR)
        self.notes.append(_("另有监督员 collector0001 … collector%(n)04d，每个责任网格1–2名，密码相同。")
                          % {"n": number})

    # Components ------------------------------------------------------------------------------------
    def components_create(self, *, total: int) -> None:
        if total <= 0 or not self.grids:
            self.counts["components"] = 0
            self.counts["components_owner_unknown"] = 0
            return
        rng = random.Random(f"{self.seed}:components")
        minors = {(edition, code): (pk, name) for edition, code, pk, name in MinorClass.objects.filter(
            kind=ClassKind.COMPONENT, is_local=False).values_list("edition", "code", "pk", "name")}
        mixes = {}
        for edition in (Edition.LEGACY, Edition.STD2026):
            entries = []
            for legacy, weight, new in COMPONENT_MIX:
                code = legacy if edition == Edition.LEGACY else new
                if code and (edition, code) in minors:
                    entries.append((code, weight))
            if edition == Edition.STD2026:
                entries += [(code, w) for code, w in COMPONENT_MIX_2026_ONLY if (edition, code) in minors]
            codes = [c for c, _w in entries]
            cumulative = list(np.cumsum([w for _c, w in entries]).tolist())
            mixes[edition] = (codes, cumulative)
        statuses = [s for s, _w in STATUS_MIX]
        status_cumulative = list(np.cumsum([w for _s, w in STATUS_MIX]).tolist())
        # Every third district was re-surveyed in 2026 under GB/T 47678.5 (17-digit codes); the
        # others still carry the 2019 survey in the legacy classes (16-digit codes).
        edition_of = {d.code: (Edition.STD2026 if i % 3 == 2 else Edition.LEGACY) for i, d in enumerate(self.districts)}
        # Denser in the centre, sparser at the edge.
        weights = [(1.6 - 1.1 * min(g["distance"], 1.0)) * rng.uniform(0.6, 1.4) for g in self.grids]
        scale = total / sum(weights)
        serials: Counter[tuple[str, str]] = Counter()
        batch: list[Component] = []
        created = unknown = 0
        for g, weight in zip(self.grids, weights, strict=True):
            district_code = g["district_code"]
            edition = edition_of[district_code]
            codes, cumulative = mixes[edition]
            col, row = g["cell"]
            for _n in range(round(weight * scale)):
                minor_code = rng.choices(codes, cum_weights=cumulative)[0]
                minor_pk, minor_name = minors[(edition, minor_code)]
                serials[(district_code, minor_code)] += 1
                u = rng.uniform(COMPONENT_MARGIN, 1 - COMPONENT_MARGIN)
                v = rng.uniform(COMPONENT_MARGIN, 1 - COMPONENT_MARGIN)
                lon, lat = self.lattice.cell_point(col, row, u, v)
                status = rng.choices(statuses, cum_weights=status_cumulative)[0]
                department = self.component_owner.get((district_code, minor_pk))
                owner = department if department and rng.random() < 0.8 else None
                maintainer = department if department and rng.random() < 0.7 else None
                if edition == Edition.STD2026:
                    surveyed = dt.date(2026, 7, 1) + dt.timedelta(days=rng.randrange(92))
                    source = _("2026年部件普查（GB/T 47678.5-2026）")
                else:
                    surveyed = dt.date(2019, 3, 1) + dt.timedelta(days=rng.randrange(270))
                    source = _("2019年城市部件普查")
                changed = None
                if rng.random() < 0.1:
                    changed = surveyed + dt.timedelta(days=rng.randrange(30, 400))
                    source = _("日常巡查更新")
                batch.append(Component(
                    code=f"{district_code}{minor_code}{serials[(district_code, minor_code)]:06d}",
                    minor_id=minor_pk, lon=lon, lat=lat, unit_grid_id=g["pk"], status=status,
                    in_use=status != ComponentStatus.ABANDONED,
                    name=f"{g['community_name']}{minor_name}" if minor_code in NAMED_MINORS else "",
                    competent_department_id=department, owner_department_id=owner,
                    maintainer_department_id=maintainer, surveyed_on=surveyed, changed_on=changed,
                    data_source=source))
                created += 1
                unknown += owner is None
                if len(batch) >= BATCH_SIZE * 2:
                    Component.objects.bulk_create(batch)
                    batch = []
        Component.objects.bulk_create(batch)
        self.counts["components"] = created
        self.counts["components_owner_unknown"] = unknown

    def summary(self, *, scale: float) -> DemoSummary:
        return DemoSummary(seed=self.seed, scale=scale, counts=dict(self.counts), logins=self.logins,
                           notes=self.notes)
