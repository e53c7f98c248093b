"""What the assessment's pages, exports and bulletins share to show results: the object types in
the order they are shown, the names of types and levels, the links to an object and into the
drill-down of any number, the ranking tables with their snapshots, and the leaders' tables."""
import re

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import selectors
from .counters import PATROL, counter_get
from .models import ObjectType, RegionLevelKey
from .templatetags.assessment_format import figure_text

LEVEL_ORDER = {"city": 0, "district": 1, "street": 2, "community": 3, "grid": 4}
OBJECT_TYPES = [
    (ObjectType.REGION, RegionLevelKey.DISTRICT), (ObjectType.REGION, RegionLevelKey.STREET),
    (ObjectType.REGION, RegionLevelKey.COMMUNITY), (ObjectType.REGION, RegionLevelKey.GRID),
    (ObjectType.DEPARTMENT, None), (ObjectType.COLLECTOR, None), (ObjectType.OPERATOR, None),
    (ObjectType.SHIFT_LEADER, None), (ObjectType.DISPATCHER, None),
    (ObjectType.HOTLINE_LINE, None), (ObjectType.HOTLINE_AGENT, None),
]


def type_label(object_type: str, level: str | None = None) -> str:
    if object_type == ObjectType.REGION and level:
        return str(RegionLevelKey(level).label)
    return str(ObjectType(object_type).label)


def level_label(object_type: str, level: str) -> str:
    if object_type == ObjectType.REGION:
        return str(RegionLevelKey(level).label) if level in RegionLevelKey.values else level
    return {"city": _("市级"), "district": _("区级"), "street": _("街道级"), "community": _("社区级")}.get(level, level)


def object_url(label, object_type, level, object_id) -> str:
    return reverse("assessment:object", args=[label, object_type, level, object_id])


def drill_url(label, object_type, level, object_id, counter, **extra) -> str:
    """The drill-down of a counter; a filtered counter (`base?filters`, assessment.filters) is its
    base counter's URL with the filters in `?where=`."""
    if "?" in counter:
        counter, extra["where"] = counter.split("?", 1)
        counter_full = f"{counter}?{extra['where']}"
    else:
        counter_full = counter
    if getattr(counter_get(object_type, counter_full), "source", "") == PATROL:
        # Patrol figures are no list of rows: they link to the patrol table of the period's month.
        return reverse("patrol:table") + (f"?month={label}" if re.fullmatch(r"\d{4}-\d{2}", label) else "")
    url = reverse("assessment:drill", args=[label, object_type, level, object_id, counter])
    extra = {key: value for key, value in extra.items() if value}
    return f"{url}?{urlencode(extra)}" if extra else url


def ranking_rows(period, object_type, level, scope):
    rows = list(selectors.ranking(period=period, object_type=object_type, level=level, scope=scope))
    snapshots = selectors.snapshots_by_object(period=period, object_type=object_type, level=level)
    columns = selectors.indicator_columns(period=period, object_type=object_type, level=level)
    return rows, snapshots, columns


LEADER_TABLES = [
    ("overdue_departments", ObjectType.DEPARTMENT, None, "overdue_unhandled", gettext_lazy("超期未处置：专业部门")),
    ("overdue_streets", ObjectType.REGION, RegionLevelKey.STREET, "overdue_unhandled", gettext_lazy("超期未处置：街道")),
    ("rework_departments", ObjectType.DEPARTMENT, None, "reworked", gettext_lazy("返工：专业部门")),
    ("rework_grids", ObjectType.REGION, RegionLevelKey.GRID, "reworked", gettext_lazy("返工：单元网格")),
    ("returned_departments", ObjectType.DEPARTMENT, None, "returned", gettext_lazy("回退：专业部门")),
    ("extended_departments", ObjectType.DEPARTMENT, None, "extended", gettext_lazy("延期：专业部门")),
]


def leader_table(period, scope, label, entry) -> dict:
    """One table of LEADER_TABLES: the objects with the most of its counter, each linked."""
    key, object_type, level, counter, title = entry
    rows = list(selectors.leaders(period=period, object_type=object_type, level=level, counter=counter,
                                  scope=scope))
    for row in rows:
        row.url = drill_url(label, object_type, row.level, row.object_id, counter)
        row.object_url = object_url(label, object_type, row.level, row.object_id)
    return {"key": key, "title": title, "counter": counter_get(object_type, counter).label, "rows": rows}


def snapshot_cell(snapshot, label, object_type, row) -> dict:
    if snapshot is None:
        return {"text": "—"}
    if snapshot.kind != "ratio":
        return {"text": figure_text(snapshot), "score": snapshot.score,
                "url": drill_url(label, object_type, row.level, row.object_id, snapshot.numerator_key)}
    if snapshot.rate is None:
        return {"text": _("不适用"), "na": True}
    return {"text": figure_text(snapshot), "score": snapshot.score,
            "title": f"{snapshot.numerator}/{snapshot.denominator}",
            "url": drill_url(label, object_type, row.level, row.object_id, snapshot.numerator_key)}
