"""Writes of the registry: loading the classification standards, local classes, importing unit grids
(GeoJSON) and components (census files), exporting components. Each write is one transaction and
fails as a whole with a Chinese message naming the bad row or feature (ApplicationError).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.xlsx import xlsx_chunks
from grids.codes import component_code_validate, unit_grid_code_validate
from grids.geometry import label_point, polygon_from_geojson, square_metres_many
from grids.locator import OutsideCityError, grid_index, grid_index_bump
from grids.models import (
    ClassKind,
    Component,
    ComponentStatus,
    Department,
    DepartmentType,
    Edition,
    LimitUnit,
    MajorClass,
    MinorClass,
    Region,
    RegionLevel,
    UnitGrid,
)
from grids.tabular import csv_stream, format_from_name, rows_read

__all__ = [
    "classification_add_local",
    "classification_load",
    "component_code_validate",
    "components_export",
    "components_import",
    "unit_grids_import_geojson",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
EDITION_FILES = {
    Edition.LEGACY: "classification-legacy-4digit.csv",
    Edition.STD2026: "classification-2026-5digit.csv",
}
EDITION_KINDS = {
    Edition.LEGACY: (ClassKind.COMPONENT, ClassKind.EVENT),
    Edition.STD2026: (ClassKind.COMPONENT, ClassKind.MATTER),
}
EDITION_MINOR_LENGTH = {Edition.LEGACY: 4, Edition.STD2026: 5}
LOCAL_MAJOR_FROM = 21
BATCH_SIZE = 2000


def _data_rows(name: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a shipped CSV, skipping '#' comment lines; the number is the file's line number."""
    with open(DATA_DIR / name, encoding="utf-8-sig", newline="") as handle:
        numbered = ((n, line) for n, line in enumerate(handle, start=1) if not line.startswith("#"))
        first = next(numbered)
        header = next(csv.reader([first[1]]))
        for number, line in numbered:
            if not line.strip():
                continue
            values = next(csv.reader([line]))
            yield number, {k.strip(): (v or "").strip() for k, v in zip(header, values, strict=False)}


def _data_error(name: str, number: int, reason: str) -> ApplicationError:
    return ApplicationError(
        _("%(file)s 第 %(row)d 行：%(reason)s") % {"file": name, "row": number, "reason": reason},
        extra={"row": number, "file": name},
    )


# ---------------------------------------------------------------------------------------------------
# Classification

@dataclass
class _ClassDefaults:
    limit_unit: str = LimitUnit.WORK_HOURS
    limit_normal: int = 24
    limit_urgent: int = 2
    limit_engineering: int = 80
    department_type: str = ""
    filing_conditions: str = ""
    closure_condition: str = ""


_DEFAULT_FIELDS = ("limit_unit", "limit_normal", "limit_urgent", "limit_engineering", "department_type",
                   "filing_conditions", "closure_condition")


def _department_types_load() -> dict[str, DepartmentType]:
    """Create the shipped department types that are missing; names a city changed are kept."""
    name = "department_types.csv"
    wanted: dict[str, str] = {}
    for number, row in _data_rows(name):
        if not row.get("code") or not row.get("name"):
            raise _data_error(name, number, _("代码和名称不能为空"))
        wanted[row["code"]] = row["name"]
    existing = {t.code: t for t in DepartmentType.objects.filter(code__in=wanted)}
    DepartmentType.objects.bulk_create(
        [DepartmentType(code=code, name=label) for code, label in wanted.items() if code not in existing]
    )
    return {t.code: t for t in DepartmentType.objects.all()}


def _class_defaults_read(types: dict[str, DepartmentType]) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """(edition, kind, major, minor or '') → the non-empty cells of class_defaults.csv."""
    name = "class_defaults.csv"
    table: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for number, row in _data_rows(name):
        values: dict[str, Any] = {}
        for field in _DEFAULT_FIELDS:
            cell = row.get(field, "")
            if not cell:
                continue
            if field.startswith("limit_") and field != "limit_unit":
                if not cell.isdigit() or int(cell) <= 0:
                    raise _data_error(name, number, _("%(field)s 应为正整数") % {"field": field})
                values[field] = int(cell)
            else:
                values[field] = cell
        if "limit_unit" in values and values["limit_unit"] not in LimitUnit.values:
            raise _data_error(name, number, _("时限单位“%(unit)s”未知") % {"unit": values["limit_unit"]})
        if "department_type" in values and values["department_type"] not in types:
            raise _data_error(name, number, _("部门类型“%(type)s”不在 department_types.csv 中")
                              % {"type": values["department_type"]})
        for kind in row.get("kind", "").split("|"):
            table[(row.get("edition", ""), kind, row.get("major_code", ""), row.get("minor_code", ""))] = values
    return table


def _class_defaults_for(table: dict, edition: str, kind: str, major: str, minor: str) -> _ClassDefaults:
    merged = _ClassDefaults()
    for key in ((edition, kind, major, ""), (edition, kind, major, minor)):
        for field, value in table.get(key, {}).items():
            setattr(merged, field, value)
    return merged


def classification_load(*, edition: str | None = None) -> int:
    """Load one edition of the national classification (or both, when `edition` is None) with the
    project's default limits, conditions and department types. Idempotent: existing classes get the
    standard's names; a class whose limits a city set (limits_are_default=False) keeps the city's
    limits, conditions and department type. Returns the number of minor classes in the loaded
    edition(s)."""
    if edition is not None and edition not in EDITION_FILES:
        raise ApplicationError(_("未知的标准版本“%(edition)s”：应为 %(choices)s")
                               % {"edition": edition, "choices": "、".join(EDITION_FILES)})
    editions = [edition] if edition else list(EDITION_FILES)
    with transaction.atomic():
        types = _department_types_load()
        defaults = _class_defaults_read(types)
        return sum(_classification_load_edition(ed, types, defaults) for ed in editions)


def _classification_load_edition(edition: str, types: dict[str, DepartmentType], defaults: dict) -> int:
    name = EDITION_FILES[edition]
    minor_length = EDITION_MINOR_LENGTH[edition]
    majors: dict[tuple[str, str], str] = {}
    minors: list[tuple[int, str, str, str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in _data_rows(name):
        kind, major_code, minor_code = row.get("kind", ""), row.get("major_code", ""), row.get("minor_code", "")
        if kind not in EDITION_KINDS[edition]:
            raise _data_error(name, number, _("类型“%(kind)s”不属于该标准版本") % {"kind": kind})
        if not (len(major_code) == 2 and major_code.isdigit()):
            raise _data_error(name, number, _("大类代码“%(code)s”应为2位数字") % {"code": major_code})
        if not (len(minor_code) == minor_length and minor_code.isdigit() and minor_code.startswith(major_code)):
            raise _data_error(name, number, _("小类代码“%(code)s”应为以大类代码开头的%(length)d位数字")
                              % {"code": minor_code, "length": minor_length})
        if (kind, minor_code) in seen:
            raise _data_error(name, number, _("小类代码“%(code)s”与第 %(other)d 行重复")
                              % {"code": minor_code, "other": seen[kind, minor_code]})
        seen[kind, minor_code] = number
        majors.setdefault((kind, major_code), row.get("major_name", ""))
        minors.append((number, kind, major_code, minor_code, row.get("minor_name", "")))

    existing_majors = {(m.kind, m.code): m for m in MajorClass.objects.filter(edition=edition)}
    new_majors, changed_majors = [], []
    for (kind, code), major_name in majors.items():
        major = existing_majors.get((kind, code))
        if major is None:
            new_majors.append(MajorClass(edition=edition, kind=kind, code=code, name=major_name))
        elif major.name != major_name:
            major.name = major_name
            changed_majors.append(major)
    MajorClass.objects.bulk_create(new_majors)
    MajorClass.objects.bulk_update(changed_majors, ["name"])
    major_by_key = {(m.kind, m.code): m for m in MajorClass.objects.filter(edition=edition)}

    existing_minors = {(m.kind, m.code): m for m in MinorClass.objects.filter(edition=edition)}
    new_minors, changed_minors = [], []
    for _number, kind, major_code, minor_code, minor_name in minors:
        wanted = _class_defaults_for(defaults, edition, kind, major_code, minor_code)
        fields: dict[str, Any] = {"name": minor_name, "major_id": major_by_key[kind, major_code].pk}
        minor = existing_minors.get((kind, minor_code))
        if minor is None or minor.limits_are_default:
            fields.update(
                limit_unit=wanted.limit_unit, limit_normal=wanted.limit_normal, limit_urgent=wanted.limit_urgent,
                limit_engineering=wanted.limit_engineering, filing_conditions=wanted.filing_conditions,
                closure_condition=wanted.closure_condition, limits_are_default=True,
                department_type_id=types[wanted.department_type].pk if wanted.department_type else None,
            )
        if minor is None:
            new_minors.append(MinorClass(edition=edition, kind=kind, code=minor_code, **fields))
        elif any(getattr(minor, f) != v for f, v in fields.items()):
            for f, v in fields.items():
                setattr(minor, f, v)
            changed_minors.append(minor)
    MinorClass.objects.bulk_create(new_minors, batch_size=BATCH_SIZE)
    MinorClass.objects.bulk_update(
        changed_minors, ["name", "major", "limit_unit", "limit_normal", "limit_urgent", "limit_engineering",
                         "filing_conditions", "closure_condition", "limits_are_default", "department_type"],
        batch_size=500,
    )
    return len(minors)


def classification_add_local(
    *,
    edition: str,
    kind: str,
    major_code: str,
    minor_code: str,
    minor_name: str,
    major_name: str | None = None,
    department_type: str | None = None,
    limit_unit: str | None = None,
    limit_normal: int | None = None,
    limit_urgent: int | None = None,
    limit_engineering: int | None = None,
    filing_conditions: str = "",
    closure_condition: str = "",
) -> MinorClass:
    """Add a local extension class: under a local major (code 21 and up, created here with
    `major_name` if new), or an "other" class (minor code ending in 99) under a standard major.
    Limits not given take the model's defaults; giving any marks the class as city-set
    (limits_are_default=False)."""
    if edition not in EDITION_FILES:
        raise ApplicationError(_("未知的标准版本“%(edition)s”") % {"edition": edition})
    if kind not in EDITION_KINDS[edition]:
        raise ApplicationError(_("标准版本 %(edition)s 没有“%(kind)s”类型的分类") % {"edition": edition, "kind": kind})
    minor_length = EDITION_MINOR_LENGTH[edition]
    if not (isinstance(major_code, str) and len(major_code) == 2 and major_code.isdigit()):
        raise ApplicationError(_("大类代码“%(code)s”应为2位数字") % {"code": major_code})
    if not (isinstance(minor_code, str) and len(minor_code) == minor_length and minor_code.isdigit()):
        raise ApplicationError(_("小类代码“%(code)s”应为%(length)d位数字") % {"code": minor_code, "length": minor_length})
    if not minor_code.startswith(major_code):
        raise ApplicationError(_("小类代码“%(minor)s”应以大类代码“%(major)s”开头") % {"minor": minor_code, "major": major_code})
    is_local_major = int(major_code) >= LOCAL_MAJOR_FROM
    if not is_local_major and not minor_code.endswith("99"):
        raise ApplicationError(
            _("地方扩展分类应使用21及以上的大类代码，或在标准大类下使用以99结尾的“其他”小类代码（“%(code)s”不符合）")
            % {"code": minor_code}
        )
    if not (minor_name or "").strip():
        raise ApplicationError(_("小类名称不能为空"))
    if limit_unit is not None and limit_unit not in LimitUnit.values:
        raise ApplicationError(_("时限单位“%(unit)s”未知") % {"unit": limit_unit})
    limits = {"limit_normal": limit_normal, "limit_urgent": limit_urgent, "limit_engineering": limit_engineering}
    for field, value in limits.items():
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise ApplicationError(_("时限“%(field)s”应为正整数") % {"field": field})
    if limit_normal is not None and limit_urgent is not None and limit_urgent > limit_normal:
        raise ApplicationError(_("紧急时限不应长于一般时限"))
    dept_type = None
    if department_type:
        dept_type = DepartmentType.objects.filter(code=department_type).first()
        if dept_type is None:
            raise ApplicationError(_("部门类型“%(type)s”不存在") % {"type": department_type})

    with transaction.atomic():
        major = MajorClass.objects.filter(edition=edition, kind=kind, code=major_code).first()
        if major is None:
            if not is_local_major:
                raise ApplicationError(_("标准大类“%(code)s”尚未导入，请先导入分类标准") % {"code": major_code})
            if not (major_name or "").strip():
                raise ApplicationError(_("新建地方扩展大类“%(code)s”需要大类名称") % {"code": major_code})
            major = MajorClass.objects.create(edition=edition, kind=kind, code=major_code,
                                              name=major_name.strip(), is_local=True)
        if MinorClass.objects.filter(edition=edition, kind=kind, code=minor_code).exists():
            raise ApplicationError(_("小类代码“%(code)s”已存在") % {"code": minor_code})
        given = {f: v for f, v in limits.items() if v is not None}
        minor = MinorClass(
            major=major, edition=edition, kind=kind, code=minor_code, name=minor_name.strip(), is_local=True,
            department_type=dept_type, filing_conditions=filing_conditions, closure_condition=closure_condition,
            limits_are_default=not given and limit_unit is None, **given,
        )
        if limit_unit is not None:
            minor.limit_unit = limit_unit
        minor.save()
    return minor


# ---------------------------------------------------------------------------------------------------
# Unit grids

def _feature_error(number: int, reason: str, **extra: Any) -> ApplicationError:
    return ApplicationError(_("第 %(feature)d 个要素：%(reason)s") % {"feature": number, "reason": reason},
                            extra={"feature": number, **extra})


@dataclass
class _GridFeature:
    number: int
    code: str
    community_code: str
    geometry: Any
    geojson: dict[str, Any]


def _geojson_collection(data: bytes | str | dict) -> list[Any]:
    if isinstance(data, (bytes, bytearray, str)):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApplicationError(_("GeoJSON 格式错误：%(error)s") % {"error": exc}) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
        data.get("features"), list
    ):
        raise ApplicationError(_("GeoJSON 格式错误：应为含 features 数组的 FeatureCollection"))
    if not data["features"]:
        raise ApplicationError(_("GeoJSON 中没有任何要素"))
    return data["features"]


def _code_text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    return str(value).strip()


def _grid_features_parse(features: list[Any]) -> list[_GridFeature]:
    parsed: list[_GridFeature] = []
    first_seen: dict[str, int] = {}
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise _feature_error(number, _("不是 GeoJSON Feature 对象"))
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raise _feature_error(number, _("properties 应为对象"))
        code = _code_text(properties.get("code"))
        community_code = _code_text(properties.get("community_code", properties.get("community")))
        if not community_code:
            raise _feature_error(number, _("缺少社区代码（properties.community_code）"), code=code)
        try:
            unit_grid_code_validate(code, community_code=community_code)
        except ValidationError as exc:
            raise _feature_error(number, exc.messages[0], code=code) from None
        if code in first_seen:
            raise _feature_error(number, _("网格代码“%(code)s”与第 %(other)d 个要素重复")
                                 % {"code": code, "other": first_seen[code]}, code=code)
        first_seen[code] = number
        try:
            geometry = polygon_from_geojson(feature.get("geometry"))
        except ValueError as exc:
            raise _feature_error(number, _("网格“%(code)s”的%(reason)s") % {"code": code, "reason": exc},
                                 code=code) from None
        geojson = {"type": feature["geometry"]["type"], "coordinates": feature["geometry"]["coordinates"]}
        parsed.append(_GridFeature(number, code, community_code, geometry, geojson))
    return parsed


def unit_grids_import_geojson(
    *,
    data: bytes | str | dict,
    update_existing: bool = False,
    overlap_tolerance_m2: float = 1.0,
    gap_tolerance_m2: float = 1.0,
) -> int:
    """Import unit grids from a GeoJSON FeatureCollection of Polygon/MultiPolygon features with
    properties `code` (15 characters, or 14 in legacy data) and `community_code` (12 digits, the
    first 12 characters of the code). Returns the number of grids written.

    Checked, all or nothing: the GeoJSON's shape, each polygon's validity, code format, duplicates
    (in the file; in the database unless `update_existing`), the code's community prefix, unknown
    communities, overlaps (intersection larger than `overlap_tolerance_m2`, against the other
    features and the grids already stored) and gaps. A gap is a hole of the union of the imported
    grids together with the stored grids around them, i.e. an interior ring of that union touching
    an imported grid, larger than `gap_tolerance_m2`. The outer edge of the union is the city's (or
    the import's) border and is not a gap.

    Area is in m² on the WGS-84 ellipsoid (local projection at each grid's centroid, see
    grids.geometry); the centre is the centroid, or a point on the surface when the centroid falls
    outside. Street and district come from the community's parents. The grid index version is
    bumped in the same transaction.
    """
    features = _grid_features_parse(_geojson_collection(data))
    with transaction.atomic():
        written = _unit_grids_write(features, update_existing=update_existing,
                                    overlap_tolerance_m2=overlap_tolerance_m2, gap_tolerance_m2=gap_tolerance_m2)
        grid_index_bump()
    return written


def _unit_grids_write(features: list[_GridFeature], *, update_existing: bool, overlap_tolerance_m2: float,
                      gap_tolerance_m2: float) -> int:
    by_code = {f.code: f for f in features}

    communities = {
        r.code: r for r in Region.objects.filter(code__in={f.community_code for f in features},
                                                  level=RegionLevel.COMMUNITY).select_related("parent__parent")
    }
    for f in features:
        community = communities.get(f.community_code)
        if community is None:
            raise _feature_error(f.number, _("网格“%(code)s”的社区代码“%(community)s”不存在")
                                 % {"code": f.code, "community": f.community_code}, code=f.code)
        street = community.parent
        if street is None or street.level != RegionLevel.STREET or street.parent is None \
                or street.parent.level != RegionLevel.DISTRICT:
            raise _feature_error(f.number, _("社区“%(community)s”不在“区/县—街道—社区”的区划树中")
                                 % {"community": f.community_code}, code=f.code)

    stored = {g.code: g for g in UnitGrid.objects.filter(code__in=by_code)}
    if stored and not update_existing:
        first = min((by_code[c] for c in stored), key=lambda f: f.number)
        raise _feature_error(first.number, _("网格代码“%(code)s”已存在") % {"code": first.code}, code=first.code)

    geometries = np.array([f.geometry for f in features], dtype=object)
    neighbours = _stored_neighbours(geometries, exclude=set(by_code))
    _overlaps_check(features, geometries, neighbours, overlap_tolerance_m2)
    _gaps_check(features, geometries, neighbours, gap_tolerance_m2)

    bounds = shapely.bounds(geometries)
    centers = [label_point(g) for g in geometries]
    areas = square_metres_many(geometries, np.array([c[1] for c in centers]))
    new, changed = [], []
    for f, box, center, area in zip(features, bounds.tolist(), centers, areas.tolist(), strict=True):
        community = communities[f.community_code]
        grid = stored.get(f.code) or UnitGrid(code=f.code)
        grid.community = community
        grid.street = community.parent
        grid.district = community.parent.parent
        grid.geometry = f.geojson
        grid.area_m2 = round(area, 2)
        grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat = box
        grid.center_lon, grid.center_lat = center
        (changed if grid.pk else new).append(grid)
    UnitGrid.objects.bulk_create(new, batch_size=BATCH_SIZE)
    # bulk_update does not touch auto_now fields; set updated_at so the locator's fingerprint moves too.
    now = timezone.now()
    for grid in changed:
        grid.updated_at = now
    UnitGrid.objects.bulk_update(
        changed, ["community", "street", "district", "geometry", "area_m2", "min_lon", "min_lat", "max_lon",
                  "max_lat", "center_lon", "center_lat", "updated_at"], batch_size=500)
    return len(features)


def _stored_neighbours(geometries: np.ndarray, *, exclude: set[str]) -> list[tuple[str, Any]]:
    """Stored grids whose bounding box meets the import's extent (not the ones being replaced)."""
    minx, miny, maxx, maxy = shapely.total_bounds(geometries)
    pad = 1e-6
    rows = (UnitGrid.objects.filter(min_lon__lte=maxx + pad, max_lon__gte=minx - pad,
                                    min_lat__lte=maxy + pad, max_lat__gte=miny - pad)
            .exclude(code__in=exclude).values_list("code", "geometry"))
    return [(code, shapely.geometry.shape(geometry)) for code, geometry in rows.iterator(chunk_size=2000)]


def _overlaps_check(features: list[_GridFeature], geometries: np.ndarray, neighbours: list[tuple[str, Any]],
                    tolerance_m2: float) -> None:
    everything = np.concatenate([geometries, np.array([g for _c, g in neighbours], dtype=object)])
    tree = shapely.STRtree(everything)
    mine, other = tree.query(geometries, predicate="intersects")
    keep = (other > mine)  # each imported pair once; pairs with stored grids have other >= len(features)
    mine, other = mine[keep], other[keep]
    if not len(mine):
        return
    shared = shapely.intersection(everything[mine], everything[other])
    areas = square_metres_many(shared, shapely.get_y(shapely.centroid(everything[mine])))
    bad = np.flatnonzero(areas > tolerance_m2)
    if not len(bad):
        return
    # Report the overlap that involves the earliest feature, so the message is deterministic.
    first = bad[np.lexsort((other[bad], mine[bad]))[0]]
    f = features[int(mine[first])]
    j = int(other[first])
    if j < len(features):
        with_what = _("第 %(other)d 个要素（网格“%(code)s”）") % {"other": features[j].number, "code": features[j].code}
    else:
        with_what = _("已有网格“%(code)s”") % {"code": neighbours[j - len(features)][0]}
    raise _feature_error(
        f.number, _("网格“%(code)s”与%(other)s重叠约 %(area).1f 平方米")
        % {"code": f.code, "other": with_what, "area": float(areas[first])},
        code=f.code,
    )


def _gaps_check(features: list[_GridFeature], geometries: np.ndarray, neighbours: list[tuple[str, Any]],
                tolerance_m2: float) -> None:
    everything = list(geometries) + [g for _c, g in neighbours]
    union = shapely.union_all(everything)
    holes = [shapely.Polygon(ring) for part in shapely.get_parts(union) for ring in part.interiors]
    if not holes:
        return
    hole_array = np.array(holes, dtype=object)
    areas = square_metres_many(hole_array, shapely.get_y(shapely.centroid(hole_array)))
    tree = shapely.STRtree(geometries)
    gaps: list[tuple[int, float, Any]] = []
    for hole, area in zip(holes, areas.tolist(), strict=True):
        if area <= tolerance_m2:
            continue
        touching = tree.query(hole, predicate="intersects")
        if len(touching):
            gaps.append((int(touching.min()), area, hole))
    if not gaps:
        return
    index, area, hole = min(gaps, key=lambda g: g[0])
    f = features[index]
    point = hole.point_on_surface()
    raise _feature_error(
        f.number,
        _("网格“%(code)s”旁有约 %(area).1f 平方米的空隙（未被任何网格覆盖，例如经度 %(lon).6f, 纬度 %(lat).6f 处）")
        % {"code": f.code, "area": area, "lon": point.x, "lat": point.y},
        code=f.code, gap=[point.x, point.y],
    )


# ---------------------------------------------------------------------------------------------------
# Components

COMPONENT_COLUMNS = ("code", "minor_code", "lon", "lat", "status", "in_use", "name", "owner_department",
                     "competent_department", "maintainer_department", "surveyed_on", "changed_on", "data_source",
                     "unit_grid")
COMPONENT_HEADER_ALIASES = {
    "部件标识码": "code", "标识码": "code", "小类代码": "minor_code", "小类": "minor_code",
    "经度": "lon", "纬度": "lat", "lng": "lon", "longitude": "lon", "latitude": "lat",
    "状态": "status", "在用": "in_use", "名称": "name",
    "权属单位": "owner_department", "owner": "owner_department",
    "主管部门": "competent_department", "competent": "competent_department",
    "养护单位": "maintainer_department", "maintainer": "maintainer_department",
    "普查日期": "surveyed_on", "变更日期": "changed_on", "数据来源": "data_source", "单元网格": "unit_grid",
}
# The census sheets write the status in Chinese; the export writes the stored value. Both are read.
_STATUS_BY_TEXT = {**{v: v for v in ComponentStatus.values},
                   "完好": ComponentStatus.INTACT, "破损": ComponentStatus.DAMAGED, "丢失": ComponentStatus.LOST,
                   "占用": ComponentStatus.OCCUPIED, "废弃": ComponentStatus.ABANDONED}
_TRUE, _FALSE = {"1", "true", "yes", "y", "是", "在用"}, {"0", "false", "no", "n", "否", "停用", "作废"}


def _row_error(number: int, reason: str, *, feature: bool = False, **extra: Any) -> ApplicationError:
    if feature:
        return _feature_error(number, reason, **extra)
    return ApplicationError(_("第 %(row)d 行：%(reason)s") % {"row": number, "reason": reason},
                            extra={"row": number, **extra})


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _cell_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        parts = text.split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            try:
                return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                pass
    raise ValueError(text)


@dataclass
class _ComponentContext:
    minors: dict[str, MinorClass]
    departments: dict[str, Department]
    district_codes: dict[int, str]


def components_import(*, file: Any, format: str | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Import census components from a csv, xlsx or GeoJSON (Point features) file: a path, bytes or
    an open file. Columns (English or the Chinese headers of the census sheets): code, minor_code,
    lon, lat, status, in_use, name, owner_department / competent_department / maintainer_department
    (department codes), surveyed_on, changed_on, data_source; unknown columns are ignored.

    Each point is located with the grid index; the code's county must be the district of that grid
    and its class part the class's code. Rows are streamed and written in batches, all in one
    transaction: any bad row (named by its spreadsheet row, header = row 1, or its feature number)
    leaves nothing written. Returns the number of components created."""
    fmt = format_from_name(file if isinstance(file, (str, Path)) else getattr(file, "name", "") or "", format)
    is_feature = fmt == "geojson"
    context = _ComponentContext(
        minors={m.code: m for m in MinorClass.objects.filter(kind=ClassKind.COMPONENT)},
        departments={d.code: d for d in Department.objects.all()},
        district_codes=dict(Region.objects.filter(level=RegionLevel.DISTRICT).values_list("pk", "code")),
    )
    index = grid_index()
    # Codes repeated in the file: within a batch by the batch's own codes, across batches by the
    # database (a code this import wrote has a key above every key before it), so that memory
    # stays flat however long the file; the earlier row of a repeat is then found by reading the
    # file again, on that error only.
    first_new_pk = (Component.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
    start = file.tell() if getattr(file, "seekable", lambda: False)() else None  # an open file's
    batch: dict[str, tuple[int, Component]] = {}
    created = 0
    unit = _("个要素") if is_feature else _("行")

    def repeated(number: int, code: str, other: int | None) -> ApplicationError:
        if other is None:  # the file cannot be read again: this import's, or another's meanwhile
            return _row_error(number, _("部件标识码“%(code)s”已存在或在文件中重复") % {"code": code},
                              feature=is_feature, code=code)
        return _row_error(number, _("部件标识码“%(code)s”与第 %(other)d %(unit)s重复")
                          % {"code": code, "other": other, "unit": unit}, feature=is_feature, code=code)

    def flush() -> int:
        taken = dict(Component.objects.filter(code__in=batch).values_list("code", "pk"))
        if taken:
            number, code = min((batch[code][0], code) for code in taken)
            if taken[code] >= first_new_pk:  # written by this import, unless by another one meanwhile
                other = _first_row_with_code(file, fmt, code, start)
                if other is None or other < number:
                    raise repeated(number, code, other)
            raise _row_error(number, _("部件标识码“%(code)s”已存在") % {"code": code}, feature=is_feature, code=code)
        Component.objects.bulk_create([component for _number, component in batch.values()])
        return len(batch)

    rows_seen = 0
    # closing(): a bad row ends the loop with an exception; the reader must still close the file.
    with transaction.atomic(), closing(rows_read(file, fmt, aliases=COMPONENT_HEADER_ALIASES)) as rows:
        for number, row in rows:
            rows_seen += 1
            component = _component_from_row(number, row, context, index, is_feature=is_feature)
            if component.code in batch:
                raise repeated(number, component.code, batch[component.code][0])
            batch[component.code] = (number, component)
            if len(batch) >= batch_size:
                created += flush()
                batch = {}
        if batch:
            created += flush()
        if not rows_seen:
            raise ApplicationError(_("文件中没有任何部件数据"))
    return created


def _first_row_with_code(file: Any, fmt: str, code: str, start: int | None) -> int | None:
    """The number of the first row of the file whose code is `code`, read again from its start
    (an open file's position `start`); None when it cannot be (an open file that cannot seek)."""
    if not isinstance(file, (str, Path, bytes, bytearray)):
        if start is None:
            return None
        file.seek(start)
    with closing(rows_read(file, fmt, aliases=COMPONENT_HEADER_ALIASES)) as rows:
        return next((number for number, row in rows if _cell_text(row.get("code")) == code), None)


def _component_from_row(number: int, row: dict[str, Any], context: _ComponentContext, index: Any, *,
                        is_feature: bool) -> Component:
    def fail(reason: str) -> ApplicationError:
        return _row_error(number, reason, feature=is_feature)

    code = _cell_text(row.get("code"))
    if not code:
        raise fail(_("缺少部件标识码"))
    minor_code = _cell_text(row.get("minor_code"))
    if minor_code.isdigit() and len(minor_code) < 4 and len(code) in (16, 17):
        minor_code = minor_code.zfill(len(code) - 12)  # a spreadsheet dropped the leading zero
    if not minor_code:
        raise fail(_("缺少小类代码"))
    minor = context.minors.get(minor_code)
    if minor is None:
        raise fail(_("部件小类“%(code)s”不存在（请先导入分类标准或地方扩展分类）") % {"code": minor_code})
    if not minor.is_active:
        raise fail(_("部件小类“%(code)s”已停用") % {"code": minor_code})
    try:
        lon, lat = float(row.get("lon")), float(row.get("lat"))
    except (TypeError, ValueError):
        raise fail(_("经纬度“%(lon)s, %(lat)s”不是数值") % {"lon": row.get("lon"), "lat": row.get("lat")}) from None
    try:
        location = index.locate(lon, lat)
    except OutsideCityError as exc:
        raise fail(exc.message) from None
    try:
        component_code_validate(code, minor=minor, district_code=context.district_codes.get(location.district_id))
    except ValidationError as exc:
        raise fail(exc.messages[0]) from None

    status_text = _cell_text(row.get("status"))
    status = _STATUS_BY_TEXT.get(status_text or ComponentStatus.INTACT)
    if status is None:
        raise fail(_("状态“%(status)s”未知：应为 完好、破损、丢失、占用 或 废弃") % {"status": status_text})
    in_use_text = _cell_text(row.get("in_use")).lower()
    if in_use_text and in_use_text not in _TRUE | _FALSE:
        raise fail(_("在用标记“%(value)s”无法识别：应为 是 或 否") % {"value": in_use_text})
    in_use = (in_use_text in _TRUE) if in_use_text else status != ComponentStatus.ABANDONED

    departments: dict[str, Department | None] = {}
    for column, label in (("owner_department", _("权属单位")), ("competent_department", _("主管部门")),
                          ("maintainer_department", _("养护单位"))):
        dept_code = _cell_text(row.get(column))
        departments[column] = context.departments.get(dept_code) if dept_code else None
        if dept_code and departments[column] is None:
            raise fail(_("%(label)s编码“%(code)s”不存在") % {"label": label, "code": dept_code})
    dates: dict[str, dt.date | None] = {}
    for column in ("surveyed_on", "changed_on"):
        try:
            dates[column] = _cell_date(row.get(column))
        except ValueError:
            raise fail(_("日期“%(value)s”格式错误：应为 YYYY-MM-DD") % {"value": row.get(column)}) from None
    return Component(
        code=code, minor=minor, lon=lon, lat=lat, unit_grid_id=location.unit_grid_id, status=status, in_use=in_use,
        name=_cell_text(row.get("name"))[:100], data_source=_cell_text(row.get("data_source"))[:64],
        owner_department=departments["owner_department"], competent_department=departments["competent_department"],
        maintainer_department=departments["maintainer_department"], **dates,
    )


def components_export(*, queryset: QuerySet[Component] | None = None, format: str = "csv") -> Iterator[bytes]:
    """The components of `queryset` (all by default) as a stream of csv or xlsx bytes, with the
    columns components_import reads, so an export can be edited and imported elsewhere."""
    fmt = (format or "").lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        raise ApplicationError(_("导出格式“%(format)s”不支持：应为 csv 或 xlsx") % {"format": format})
    queryset = Component.objects.all() if queryset is None else queryset
    rows = (
        queryset.order_by("code")
        .values_list("code", "minor__code", "lon", "lat", "status", "in_use", "name", "owner_department__code",
                     "competent_department__code", "maintainer_department__code", "surveyed_on", "changed_on",
                     "data_source", "unit_grid__code")
        .iterator(chunk_size=BATCH_SIZE)
    )
    if fmt == "csv":
        formatted = (
            (*r[:5], "1" if r[5] else "0", *r[6:10], _date_text(r[10]), _date_text(r[11]), *r[12:]) for r in rows
        )
        return csv_stream(COMPONENT_COLUMNS, formatted)
    return xlsx_chunks(title=_("部件"), headers=COMPONENT_COLUMNS,
                       rows=((*r[:5], "是" if r[5] else "否", *r[6:]) for r in rows))


def _date_text(value: dt.date | None) -> str:
    return value.isoformat() if value else ""
