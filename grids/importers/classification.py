"""Loading the national classification standards shipped in grids/data (both editions), with the
project's default limits, conditions and department types; a bad shipped row names its file and line.
"""
from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from grids.models import (
    EDITION_KINDS,
    EDITION_MINOR_LENGTH,
    DepartmentType,
    Edition,
    LimitUnit,
    MajorClass,
    MinorClass,
)

from .tabular import BATCH_SIZE

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
EDITION_FILES = {
    Edition.LEGACY: "classification-legacy-4digit.csv",
    Edition.STD2026: "classification-2026-5digit.csv",
}


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

