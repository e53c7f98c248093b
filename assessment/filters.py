"""Filters of a counter, as data: an indicator's numerator and denominator each name a base counter
(assessment.counters) and optional filters on the counted cases — sources, class kind (部件/事件),
major or minor classes, hotline lines, case flags. A filtered counter is a counter like any other:
its condition is the base condition AND the filters, on the same source table, so it becomes one
more FILTER clause of the same pass (no query of its own), and its drill-down lists its rows.

A filtered counter's key is canonical text, `base?filter=value,value&filter=value` (filters and
values sorted), so two indicators filtering alike share one aggregate and the key alone rebuilds
the condition (drill-down links, stored snapshots).
"""
from django.db.models import Q
from django.utils.translation import gettext as _

from cases.models import Source
from grids.models import ClassKind, MajorClass, MinorClass

# The hotline's lines, as the hotline app names the channel of a call (hotline.models.Channel).
HOTLINE_LINES = {"12319": "12319", "12345": "12345", "other": "other"}
# Case flags: a case that was, at least once, …
FLAGS = {
    "urged": ("urge_count__gt", 0),
    "reworked": ("rework_count__gt", 0),
    "returned": ("return_count__gt", 0),
    "extended": ("extension_count__gt", 0),
    "suspended": ("suspension_count__gt", 0),
    "urgent": ("urgency", "urgent"),
}
FILTER_KINDS = ("sources", "class_kind", "majors", "minors", "lines", "flags")


def filter_labels() -> dict[str, str]:
    return {"sources": _("来源"), "class_kind": _("部件/事件"), "majors": _("大类代码"), "minors": _("小类代码"),
            "lines": _("热线线路"), "flags": _("案件标记")}


def _as_list(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def filters_normalise(filters) -> dict[str, list[str]]:
    """The filters as {kind: sorted unique values}, empty kinds dropped (no validation)."""
    if not isinstance(filters, dict):
        return {}
    return {kind: sorted(set(_as_list(values))) for kind, values in sorted(filters.items())
            if kind in FILTER_KINDS and values}


def filters_errors(filters) -> list[str]:
    """What is wrong with filters, in words (empty when they read)."""
    if filters in (None, "", {}):
        return []
    if not isinstance(filters, dict):
        return [_("筛选条件应为字典，如 {\"sources\": [\"video\"]}。")]
    errors = []
    for kind, values in filters.items():
        if kind not in FILTER_KINDS:
            errors.append(_("未知的筛选条件“%(kind)s”。可选：%(kinds)s") % {
                "kind": kind, "kinds": "、".join(FILTER_KINDS)})
            continue
        if not isinstance(values, str | list) or (isinstance(values, list) and not all(
                isinstance(v, str | int) for v in values)):
            errors.append(_("筛选条件“%(kind)s”应为文字或文字列表。") % {"kind": filter_labels()[kind]})
            continue
        values = _as_list(values)
        if kind == "sources":
            allowed = set(Source.values)
        elif kind == "class_kind":
            allowed = set(ClassKind.values)
        elif kind == "lines":
            allowed = set(HOTLINE_LINES)
        elif kind == "flags":
            allowed = set(FLAGS)
        elif kind == "majors":
            allowed = set(MajorClass.objects.filter(code__in=values).values_list("code", flat=True))
        else:
            allowed = set(MinorClass.objects.filter(code__in=values).values_list("code", flat=True))
        unknown = [v for v in values if v not in allowed]
        if unknown:
            hint = "" if kind in ("majors", "minors") else _("。可选：%(values)s") % {"values": "、".join(sorted(allowed))}
            errors.append(_("%(kind)s中没有“%(values)s”%(hint)s") % {
                "kind": filter_labels()[kind], "values": "、".join(unknown), "hint": hint})
    return errors


def filtered_key(base: str, filters) -> str:
    """The canonical key of a base counter with filters (the base key alone without filters)."""
    normal = filters_normalise(filters)
    if not normal:
        return base
    return base + "?" + "&".join(f"{kind}={','.join(values)}" for kind, values in normal.items())


def key_parse(key: str) -> tuple[str, dict[str, list[str]]]:
    """(base key, filters) of a counter key."""
    base, _sep, query = key.partition("?")
    filters: dict[str, list[str]] = {}
    for part in filter(None, query.split("&")):
        kind, _eq, values = part.partition("=")
        filters[kind] = [v for v in values.split(",") if v]
    return base, filters


def filters_q(filters: dict[str, list[str]], prefix: str = "", *, line_field: str = "") -> Q:
    """The condition of the filters on the source table's rows, `prefix` the path from them to
    their case ("" for cases, "case__" for steps, tasks, events and calls); `line_field` the rows'
    own hotline line (a call's channel), else the line of the calls that brought their case in."""
    from hotline.models import INTAKE_LINKS, Call

    condition = Q()
    for kind, values in filters.items():
        if kind == "sources":
            condition &= Q(**{f"{prefix}source__in": values})
        elif kind == "class_kind":
            condition &= Q(**{f"{prefix}kind__in": values})
        elif kind == "majors":
            condition &= Q(**{f"{prefix}minor__major__code__in": values})
        elif kind == "minors":
            condition &= Q(**{f"{prefix}minor__code__in": values})
        elif kind == "lines" and line_field:
            condition &= Q(**{f"{line_field}__in": values})
        elif kind == "lines":
            # An uncorrelated IN (SELECT …): PostgreSQL hashes the line's cases once per pass.
            calls = Call.objects.filter(channel__in=values, case_link__in=INTAKE_LINKS, case__isnull=False)
            condition &= Q(**{f"{prefix}pk__in" if not prefix else f"{prefix[:-2]}_id__in": calls.values("case_id")})
        elif kind == "flags":
            for flag in values:
                lookup, value = FLAGS[flag]
                condition &= Q(**{f"{prefix}{lookup}": value})
    return condition
