"""The content of a bulletin (通报), read for the live page and for the archive of an issued one
(assessment.bulletins): the headline with its targets, 环比 and 同比, the ranking tables, the
distribution, the leaders and the hotline, and the bulletin's title by its period."""
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy

from . import selectors
from .links import (
    LEADER_TABLES,
    LEVEL_ORDER,
    OBJECT_TYPES,
    leader_table,
    level_label,
    ranking_rows,
    snapshot_cell,
    type_label,
)
from .models import ObjectType, Period, RegionLevelKey
from .scoring import target_met

BULLETIN_ROWS = 10
# A bulletin is titled by its period (a week's is not a "月度通报").
BULLETIN_TITLES = {"day": gettext_lazy("日通报"), "week": gettext_lazy("周通报"), "month": gettext_lazy("月度通报"),
                   "quarter": gettext_lazy("季度通报"), "year": gettext_lazy("年度通报"), "range": gettext_lazy("通报")}


def bulletin_content(period: Period, scope: selectors.Scope, label: str) -> dict:
    """What a bulletin shows (the live page, and the archive of an issued one): the headline with
    its targets, 环比 and 同比, the ranking tables, the distribution, the leaders and the hotline."""
    headline = selectors.city_composite(period=period, scope=scope)
    sections = []
    for object_type, level in OBJECT_TYPES:
        if level == RegionLevelKey.GRID:
            continue
        rows, snapshots, columns = ranking_rows(period, object_type, level, scope)
        if not rows:
            continue
        columns = [col for col in columns if col["weight"]]  # the bulletin shows the scored ones
        for lvl in sorted({row.level for row in rows}, key=lambda v: LEVEL_ORDER.get(v, 9)):
            members = [row for row in rows if row.level == lvl]
            ranked = [row for row in members if row.rank]
            # A long table is cut to its head and tail; the full one is the ranking page.
            shown = ranked if len(ranked) <= BULLETIN_ROWS * 3 else [*ranked[:BULLETIN_ROWS], None,
                                                                     *ranked[-BULLETIN_ROWS:]]
            ranking_url = reverse("assessment:ranking", args=[label, object_type])
            query = {"level": lvl} if object_type == ObjectType.REGION else {}
            sections.append({
                "title": type_label(object_type, level) + (
                    "" if object_type == ObjectType.REGION else f"（{level_label(object_type, lvl)}）"),
                "columns": columns, "total": len(members), "ranked": len(ranked),
                "url": f"{ranking_url}?{urlencode(query)}" if query else ranking_url,
                "export_url": f"{ranking_url}?{urlencode({**query, 'export': 'xlsx'})}",
                "rows": [None if row is None else {
                    "row": row, "cells": [snapshot_cell(snapshots.get(row.object_id, {}).get(col["code"]), label,
                                                         object_type, row) for col in columns]}
                    for row in shown],
            })
    headline_rows, compared_labels, composite_changes = [], [], []
    if headline:
        compared = selectors.object_comparisons(period=period, object_type=headline.object_type,
                                                level=headline.level, object_id=headline.object_id)
        compared_labels = list(compared["labels"].items())
        composite_changes = [{"which": which, "label": other,
                              "change": selectors.change_of(headline.score, compared["composite"].get(which))}
                             for which, other in compared_labels]
        headline_rows = [{
            "snapshot": s, "target_met": target_met(s.value, s.target, s.direction),
            "changes": [selectors.change_of(s.value, compared["indicators"].get(s.indicator_code, {}).get(which))
                        for which, _other in compared_labels],
        } for s in selectors.object_snapshots(period=period, object_type=headline.object_type,
                                              level=headline.level, object_id=headline.object_id)]
    return {
        "headline": headline, "headline_rows": headline_rows, "compared_labels": compared_labels,
        "headline_composite_changes": composite_changes, "sections": sections,
        "by_class": selectors.distribution_by_class(period=period, scope=scope, limit=10),
        "by_source": selectors.distribution_by_source(period=period, scope=scope),
        "leader_tables": [leader_table(period, scope, label, entry) for entry in LEADER_TABLES[:4]],
        "hotspots": selectors.hotspot_grids(period=period, scope=scope, limit=10),
        "hotline": None if scope.is_department else selectors.hotline_figures_or_none(
            period=period, district_id=scope.district_id),
    }


def bulletin_title(period: Period) -> str:
    return str(BULLETIN_TITLES.get(period.kind, BULLETIN_TITLES["range"]))
