"""Census updates (部件普查更新): a file of components read against the register by code — new codes
added, known ones changed, rows with the status 注销/retired retired (kept, not deleted, for the cases
that name them). The plan is shown first (added; changed, field by field, old → new; retired), then
applied all or nothing, each changed or retired component's previous values kept in its history."""
from __future__ import annotations

import uuid
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from grids.locator import grid_index
from grids.models import (
    ClassKind,
    Component,
    ComponentHistory,
    ComponentStatus,
    Department,
    MinorClass,
    Region,
    RegionLevel,
    UnitGrid,
)

from .components import COMPONENT_HEADER_ALIASES, _cell_text, _component_from_row, _ComponentContext
from .tabular import BATCH_SIZE, format_from_name, row_error, rows_read

RETIRE_WORDS = {"注销", "retired", "已注销", "撤销"}
# What a census row may change, in the order the plan shows them.
COMPARED = ("minor_id", "lon", "lat", "unit_grid_id", "status", "in_use", "name", "owner_department_id",
            "competent_department_id", "maintainer_department_id", "surveyed_on", "changed_on", "data_source")


@dataclass
class CensusPlan:
    added: list[Component] = field(default_factory=list)
    changed: list[tuple[Component, dict[str, tuple[Any, Any]]]] = field(default_factory=list)
    retired: list[Component] = field(default_factory=list)
    unchanged: int = 0
    updates: dict[int, dict[str, Any]] = field(default_factory=dict)  # component pk → new values (keys)

    def lines(self) -> list[str]:
        """The plan as text, one line per component (and per changed field)."""
        out = [_("新增 %(a)d，变更 %(c)d，注销 %(r)d，不变 %(u)d") % {
            "a": len(self.added), "c": len(self.changed), "r": len(self.retired), "u": self.unchanged}]
        out += [f"+ {component.code}" for component in self.added]
        for component, changes in self.changed:
            out.append(f"~ {component.code}")
            out += [f"    {_label(name)}: {_shown(name, old)} → {_shown(name, new)}"
                    for name, (old, new) in changes.items()]
        out += [f"- {component.code}" for component in self.retired]
        return out


def _label(name: str) -> str:
    """The field's name as the register's pages write it (状态, 权属单位 …)."""
    return str(Component._meta.get_field(name.removesuffix("_id")).verbose_name)


def _shown(name: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if name == "status":
        return str(ComponentStatus(value).label)
    if name == "in_use":
        return _("是") if value else _("否")
    return str(value)


def _value(component: Component, name: str) -> Any:
    return getattr(component, name)


def _same(name: str, old: Any, new: Any) -> bool:
    if name in ("lon", "lat"):
        return abs(float(old) - float(new)) < 1e-9
    return old == new


def _readable(name: str, value: Any, names: dict[str, dict]) -> Any:
    """Codes, not keys, in the plan and the history (what a person can check against the file)."""
    lookup = {"minor_id": "minor", "unit_grid_id": "unit_grid", "owner_department_id": "department",
              "competent_department_id": "department", "maintainer_department_id": "department"}.get(name)
    if lookup and value is not None:
        return names[lookup].get(value, value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def census_plan(*, file: Any, format: str | None = None) -> CensusPlan:
    """Read the file against the register, writing nothing. A bad row refuses the whole file."""
    fmt = format_from_name(file if isinstance(file, (str, Path)) else getattr(file, "name", "") or "", format)
    is_feature = fmt == "geojson"
    context = _ComponentContext(
        minors={m.code: m for m in MinorClass.objects.filter(kind=ClassKind.COMPONENT)},
        departments={d.code: d for d in Department.objects.all()},
        district_codes=dict(Region.objects.filter(level=RegionLevel.DISTRICT).values_list("pk", "code")),
    )
    index = grid_index()
    plan = CensusPlan()
    seen: set[str] = set()
    batch: list[tuple[int, dict]] = []

    def flush() -> None:
        known = Component.objects.in_bulk([_cell_text(row.get("code")) for _n, row in batch], field_name="code")
        for number, row in batch:
            code = _cell_text(row.get("code"))
            existing = known.get(code)
            if _cell_text(row.get("status")).lower() in RETIRE_WORDS:
                if existing is None:
                    raise row_error(number, _("部件标识码“%(code)s”不存在，无法注销") % {"code": code},
                                    feature=is_feature, code=code)
                if existing.status != ComponentStatus.RETIRED:
                    plan.retired.append(existing)
                else:
                    plan.unchanged += 1
                continue
            candidate = _component_from_row(number, row, context, index, is_feature=is_feature)
            if existing is None:
                plan.added.append(candidate)
                continue
            changes = {name: (_value(existing, name), _value(candidate, name)) for name in COMPARED
                       if not _same(name, _value(existing, name), _value(candidate, name))}
            if changes:
                plan.changed.append((existing, changes))
                plan.updates[existing.pk] = {name: new for name, (_old, new) in changes.items()}
            else:
                plan.unchanged += 1

    with closing(rows_read(file, fmt, aliases=COMPONENT_HEADER_ALIASES)) as rows:
        for number, row in rows:
            code = _cell_text(row.get("code"))
            if not code:
                raise row_error(number, _("缺少部件标识码"), feature=is_feature)
            if code in seen:
                raise row_error(number, _("部件标识码“%(code)s”在文件中重复") % {"code": code},
                                feature=is_feature, code=code)
            seen.add(code)
            batch.append((number, row))
            if len(batch) >= BATCH_SIZE:
                flush()
                batch = []
        if batch:
            flush()
    if not seen:
        raise ApplicationError(_("文件中没有任何部件数据"))
    _make_readable(plan)
    return plan


def _make_readable(plan: CensusPlan) -> None:
    grid_ids = {value for _c, changes in plan.changed for name, pair in changes.items() if name == "unit_grid_id"
                for value in pair}
    names = {"minor": dict(MinorClass.objects.filter(kind=ClassKind.COMPONENT).values_list("pk", "code")),
             "department": dict(Department.objects.values_list("pk", "code")),
             "unit_grid": dict(UnitGrid.objects.filter(pk__in=grid_ids).values_list("pk", "code"))}
    for _component, changes in plan.changed:
        for name, (old, new) in list(changes.items()):
            changes[name] = (_readable(name, old, names), _readable(name, new, names))


def census_apply(*, plan: CensusPlan, source: str = "") -> uuid.UUID:
    """Apply a plan in one transaction, the previous values of every changed or retired component
    kept in ComponentHistory (as codes and ISO dates, as the plan showed them). Call it right after
    census_plan: the plan is of the register as it was read."""
    update_id, now = uuid.uuid4(), timezone.now()
    history = []
    with transaction.atomic():
        Component.objects.bulk_create(plan.added, batch_size=BATCH_SIZE)
        for component, changes in plan.changed:
            Component.objects.filter(pk=component.pk).update(**plan.updates[component.pk])
            history.append(ComponentHistory(
                component_id=component.pk, update_id=update_id, action=ComponentHistory.Action.CHANGED,
                previous={name: old for name, (old, _new) in changes.items()},
                current={name: new for name, (_old, new) in changes.items()}, source=source[:200], changed_at=now))
        for component in plan.retired:
            Component.objects.filter(pk=component.pk).update(status=ComponentStatus.RETIRED, in_use=False,
                                                             changed_on=timezone.localdate(now))
            history.append(ComponentHistory(
                component_id=component.pk, update_id=update_id, action=ComponentHistory.Action.RETIRED,
                previous={"status": component.status, "in_use": component.in_use,
                          "changed_on": component.changed_on.isoformat() if component.changed_on else None},
                current={"status": ComponentStatus.RETIRED, "in_use": False}, source=source[:200], changed_at=now))
        ComponentHistory.objects.bulk_create(history, batch_size=BATCH_SIZE)
    return update_id

