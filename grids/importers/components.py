"""Census components in (csv, xlsx or GeoJSON points, streamed, all or nothing) and out (csv or
xlsx), with the same columns both ways so an export can be edited and imported again.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.xlsx import xlsx_chunks
from grids.codes import component_code_validate
from grids.locator import OutsideCityError, grid_index
from grids.models import ClassKind, Component, ComponentStatus, Department, MinorClass, Region, RegionLevel

from .tabular import BATCH_SIZE, csv_stream, format_from_name, row_error, rows_read

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
            return row_error(number, _("部件标识码“%(code)s”已存在或在文件中重复") % {"code": code},
                              feature=is_feature, code=code)
        return row_error(number, _("部件标识码“%(code)s”与第 %(other)d %(unit)s重复")
                          % {"code": code, "other": other, "unit": unit}, feature=is_feature, code=code)

    def flush() -> int:
        taken = dict(Component.objects.filter(code__in=batch).values_list("code", "pk"))
        if taken:
            number, code = min((batch[code][0], code) for code in taken)
            if taken[code] >= first_new_pk:  # written by this import, unless by another one meanwhile
                other = _first_row_with_code(file, fmt, code, start)
                if other is None or other < number:
                    raise repeated(number, code, other)
            raise row_error(number, _("部件标识码“%(code)s”已存在") % {"code": code}, feature=is_feature, code=code)
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
        return row_error(number, reason, feature=is_feature)

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

