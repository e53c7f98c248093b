"""The demo city's map: roads along the lattice lines, blocks between them, building footprints, a
river and a lake with its park, and the places the search finds (compounds, schools, hospitals,
markets, landmarks). Deterministic from the seed, like the rest of grids.demo.
"""
from __future__ import annotations

import random
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
import shapely

from core.pinyin import pinyin_search_text

from .models import BasemapFeature, BasemapKind, Place, PlaceKind, Road, RoadKind

if TYPE_CHECKING:
    from .demo import DistrictPlan, Lattice

BATCH_SIZE = 2000
ROAD_EVERY = 3  # a road along every third lattice line: blocks of about 300 m
ARTERIAL_EVERY = 9
ROAD_HALF_WIDTH_DEG = 0.00009  # blocks stop about 9 m short of the road's centre line
RIVER_HALF_WIDTH_DEG = 0.00022
COORD_DIGITS = 7

NORTH_SOUTH_WORDS = ["芙蓉", "韶山", "劳动", "人民", "黄兴", "蔡锷", "湘江", "五一", "解放", "建湘", "东风",
                     "车站", "晚报", "营盘", "书院", "南湖", "桂花", "雨花", "曙光", "迎宾", "八一", "金星",
                     "岳麓", "望城", "天心", "嘉雨", "洪山", "新民", "体育", "城南", "识字", "窑岭"]
EAST_WEST_WORDS = ["中山", "五一", "解放", "人民", "长沙", "湘春", "营盘", "浏阳河", "树木岭", "枫林", "银盆",
                   "桐梓坡", "麓山", "潇湘", "白沙", "坡子", "太平", "化龙池", "文运", "西湖", "留芳", "芙蓉"]
SCHOOL_TAILS = ["小学", "中学", "实验小学", "第一中学"]
PLACE_TAILS = [("农贸市场", PlaceKind.POI), ("卫生服务中心", PlaceKind.POI), ("派出所", PlaceKind.POI),
               ("幼儿园", PlaceKind.POI), ("邮政所", PlaceKind.POI), ("文化广场", PlaceKind.LANDMARK)]
COMPOUND_TAILS = ["花园", "小区", "新村", "家园", "苑"]


def _ring(points) -> list[list[float]]:
    ring = [[round(float(x), COORD_DIGITS), round(float(y), COORD_DIGITS)] for x, y in points]
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    return ring


def _polygon_geojson(geometry) -> dict:
    return shapely.geometry.mapping(shapely.set_precision(geometry, 10 ** -COORD_DIGITS))


def _box_row(kind: str, name: str, geometry) -> BasemapFeature:
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    return BasemapFeature(kind=kind, name=name, geometry=_polygon_geojson(geometry),
                          min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat)


def demo_map_build(*, seed: int, lattice: Lattice, districts: list[DistrictPlan],
                   region_pk: dict[str, int]) -> Counter[str]:
    """Create the demo city's roads, places and basemap areas; returns how many of each."""
    rng = random.Random(f"{seed}:map")
    columns, rows = lattice.columns, lattice.rows
    district_of_cell: dict[tuple[int, int], str] = {}
    for district in districts:
        r = district.rect
        for x in range(r.x, r.x + r.w):
            for y in range(r.y, r.y + r.h):
                district_of_cell[(x, y)] = district.code

    def district_pk(col: int, row: int) -> int | None:
        col, row = min(max(col, 0), columns - 1), min(max(row, 0), rows - 1)
        return region_pk.get(district_of_cell.get((col, row), ""))

    # Roads: the lattice lines every ROAD_EVERY cells, through the grids' own vertices.
    roads: list[Road] = []
    used: Counter[str] = Counter()

    def unique(name: str) -> str:
        used[name] += 1
        return name if used[name] == 1 else f"{name}{used[name]}"

    ns_names = iter(NORTH_SOUTH_WORDS * 9)
    ew_names = iter(EAST_WEST_WORDS * 9)
    vertical = [i for i in range(ROAD_EVERY, columns, ROAD_EVERY)]
    horizontal = [j for j in range(ROAD_EVERY, rows, ROAD_EVERY)]
    for n, i in enumerate(vertical, start=1):
        arterial = i % ARTERIAL_EVERY == 0
        word = next(ns_names)
        name = f"{word}大道" if arterial else f"{word}{'路' if n % 2 else '北路'}"
        points = [lattice.vertex(i, j) for j in range(rows + 1)]
        roads.append(_road(unique(name), RoadKind.ARTERIAL if arterial else RoadKind.SECONDARY, points,
                           district_pk(i, rows // 2)))
    for n, j in enumerate(horizontal, start=1):
        arterial = j % ARTERIAL_EVERY == 0
        word = next(ew_names)
        name = f"{word}大道" if arterial else f"{word}{'街' if n % 2 else '路'}"
        points = [lattice.vertex(i, j) for i in range(columns + 1)]
        roads.append(_road(unique(name), RoadKind.ARTERIAL if arterial else RoadKind.BRANCH, points,
                           district_pk(columns // 2, j)))

    # Water: a river meandering west to east across the middle, and a lake in the south-east.
    lon0, lat0 = lattice.vertex(0, 0)
    lon1, lat1 = lattice.vertex(columns, rows)
    xs = np.linspace(lon0 - lattice.dlon, lon1 + lattice.dlon, 80)
    phase = rng.uniform(0, 6.28)
    mid_lat = lat0 + (lat1 - lat0) * 0.42
    ys = mid_lat + lattice.dlat * 1.3 * np.sin(np.linspace(0, 3.2, len(xs)) + phase)
    city = shapely.box(lon0, lat1, lon1, lat0)
    river = shapely.LineString(np.column_stack([xs, ys])).buffer(RIVER_HALF_WIDTH_DEG, quad_segs=4).intersection(city)
    lake_col, lake_row = int(columns * 0.72), int(rows * 0.75)
    lake_lon, lake_lat = lattice.cell_point(lake_col, lake_row, 0.5, 0.5)
    lake = shapely.Point(lake_lon, lake_lat).buffer(lattice.dlat * 1.1, quad_segs=8)
    lake = shapely.affinity.scale(lake, xfact=1.6 * lattice.dlon / lattice.dlat, yfact=1.0)
    park = lake.buffer(lattice.dlat * 0.5, quad_segs=8).difference(lake)
    water = shapely.union(river, lake)
    river_name = rng.choice(["清水河", "龙王港", "圭塘河", "浏阳河"])
    lake_name = rng.choice(["月湖", "梅溪湖", "年嘉湖", "松雅湖"])
    areas = [_box_row(BasemapKind.WATER, river_name, river), _box_row(BasemapKind.WATER, lake_name, lake),
             _box_row(BasemapKind.GREEN, f"{lake_name}公园", park)]

    # Blocks between the roads, short of the road and of the water.
    cuts_x = [0, *vertical, columns]
    cuts_y = [0, *horizontal, rows]
    keep_out = shapely.union(water, park)
    for a, b in zip(cuts_x, cuts_x[1:], strict=False):
        for c, d in zip(cuts_y, cuts_y[1:], strict=False):
            outline = ([lattice.vertex(a, j) for j in range(c, d + 1)] + [lattice.vertex(i, d) for i in range(a + 1, b + 1)]
                       + [lattice.vertex(b, j) for j in range(d - 1, c - 1, -1)]
                       + [lattice.vertex(i, c) for i in range(b - 1, a, -1)])
            block = shapely.Polygon(outline).buffer(-ROAD_HALF_WIDTH_DEG, join_style="mitre").difference(keep_out)
            for part in shapely.get_parts(block):
                if part.area > (lattice.dlon * lattice.dlat) * 0.05:
                    areas.append(_box_row(BasemapKind.BLOCK, "", part))

    # Buildings: a footprint in a little more than half the cells, clear of water and the park.
    for row in range(rows):
        for col in range(columns):
            if rng.random() > 0.55:
                continue
            u0, u1 = rng.uniform(0.15, 0.35), rng.uniform(0.6, 0.85)
            v0, v1 = rng.uniform(0.15, 0.35), rng.uniform(0.6, 0.85)
            corners = [lattice.cell_point(col, row, u0, v0), lattice.cell_point(col, row, u0, v1),
                       lattice.cell_point(col, row, u1, v1), lattice.cell_point(col, row, u1, v0)]
            footprint = shapely.Polygon(_ring(corners))
            if footprint.intersects(keep_out):
                continue
            areas.append(_box_row(BasemapKind.BUILDING, "", footprint))

    # Places: a compound per community, a school and one more service per street, hospitals per
    # district, the city's landmarks.
    places: list[Place] = []

    def place(name: str, kind: str, col: int, row: int, u: float = 0.5, v: float = 0.5, aliases: str = "") -> None:
        lon, lat = lattice.cell_point(col, row, u, v)
        places.append(Place(name=name, kind=kind, aliases=aliases, lon=lon, lat=lat, district_id=district_pk(col, row),
                            name_pinyin=pinyin_search_text(name, aliases)))

    for district in districts:
        r = district.rect
        short = district.name.removesuffix("区")
        place(f"{district.name}人民医院", PlaceKind.POI, r.x + r.w // 2, r.y + r.h // 2, 0.3, 0.3,
              aliases=f"{short}医院、{short}人民医院")
        place(f"{district.name}人民政府", PlaceKind.LANDMARK, r.x + r.w // 3, r.y + r.h // 3, 0.4, 0.6,
              aliases=f"{short}区政府")
        for s, street in enumerate(district.streets):
            sr = street.rect
            word = street.name.removesuffix("街道")
            place(f"{word}{SCHOOL_TAILS[s % len(SCHOOL_TAILS)]}", PlaceKind.POI, sr.x + sr.w // 2, sr.y + sr.h // 2,
                  0.7, 0.3)
            tail, kind = PLACE_TAILS[(s + len(street.communities)) % len(PLACE_TAILS)]
            place(f"{word}{tail}", kind, sr.x, sr.y + sr.h - 1, 0.6, 0.4)
            for c, community in enumerate(street.communities):
                cr = community.rect
                word = community.name.removesuffix("社区")
                compound = f"{word}{COMPOUND_TAILS[(c + s) % len(COMPOUND_TAILS)]}"
                place(compound, PlaceKind.COMMUNITY, cr.x + cr.w // 2, cr.y + cr.h // 2, 0.5, 0.7,
                      aliases=f"{word}小区" if not compound.endswith("小区") else "")
    place("市人民政府", PlaceKind.LANDMARK, columns // 2, rows // 2, 0.5, 0.5, aliases="市政府、市府大楼")
    place("火车站", PlaceKind.LANDMARK, 1, rows // 2, 0.5, 0.5, aliases="高铁站、城站")
    place("体育中心", PlaceKind.LANDMARK, columns // 3, int(rows * 0.8), 0.5, 0.5, aliases="市体育馆、奥体中心")
    place(f"{lake_name}公园", PlaceKind.LANDMARK, lake_col, lake_row, 0.5, 0.05)
    place("图书馆", PlaceKind.LANDMARK, columns // 2 + 2, rows // 2 - 2, 0.5, 0.5, aliases="市图书馆")

    Road.objects.bulk_create(roads, batch_size=BATCH_SIZE)
    BasemapFeature.objects.bulk_create(areas, batch_size=BATCH_SIZE)
    Place.objects.bulk_create(places, batch_size=BATCH_SIZE)
    counts: Counter[str] = Counter({"roads": len(roads), "places": len(places)})
    counts.update(f"basemap_{area.kind}" for area in areas)
    return counts


def _road(name: str, kind: str, points, district_id: int | None) -> Road:
    line = shapely.LineString(points)
    min_lon, min_lat, max_lon, max_lat = line.bounds
    return Road(name=name, kind=kind, district_id=district_id,
                geometry={"type": "LineString", "coordinates": [[x, y] for x, y in points]},
                min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat, name_pinyin=pinyin_search_text(name))
