"""Issued bulletins (通报, 第 N 期): their list, each one as archived when issued, and its Excel
export (?export=xlsx at the same URL). Managers of the whole city read the archived article as
issued; a district's managers and a department's people read their own lines of its archived
figures (as the live bulletin is scoped), never today's recomputed results."""
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from core.xlsx import xlsx_response

from .. import selectors
from ..models import Bulletin, ObjectType, RegionLevelKey
from .common import reader_required

LIST_LIMIT = 200


def _in_scope(line: dict, scope: selectors.Scope) -> bool:
    if scope.is_department:
        return line["object_type"] == ObjectType.DEPARTMENT and line["object_id"] == scope.department_id
    if scope.is_city:
        return True
    return line["district_id"] == scope.district_id or (
        line["object_type"] == ObjectType.REGION and line["level"] == RegionLevelKey.DISTRICT
        and line["object_id"] == scope.district_id)


def _scoped_figures(bulletin: Bulletin, scope: selectors.Scope) -> dict:
    """The archived figures a scoped reader sees: their own lines, and their own line as headline."""
    sections = []
    for section in bulletin.figures.get("sections", []):
        rows = [row for row in section["rows"] if _in_scope(row, scope)]
        if rows:
            sections.append({**section, "rows": rows})
    headline = bulletin.figures.get("headline") if scope.is_city else next(
        (row for section in sections for row in section["rows"]
         if row["object_type"] in (ObjectType.DEPARTMENT, ObjectType.REGION)
         and row["object_id"] == (scope.department_id or scope.district_id)), None)
    return {"headline": headline, "sections": sections}


@reader_required
def bulletin_list(request):
    bulletins = Bulletin.objects.select_related("period").only(
        "kind", "year", "number", "title", "issued_at", "period__label", "period__frozen_at")[:LIST_LIMIT]
    return render(request, "assessment/bulletins.html", {"bulletins": bulletins})


@reader_required
def bulletin_issued(request, pk):
    bulletin = get_object_or_404(Bulletin.objects.select_related("period"), pk=pk)
    scope = selectors.scope_of(request.user)
    if request.GET.get("export") == "xlsx":
        return _export(bulletin, scope)
    return render(request, "assessment/bulletin_issued.html", {
        "bulletin": bulletin, "scope": scope, "period": bulletin.period,
        "scoped": None if scope.is_city else _scoped_figures(bulletin, scope)})


def _export(bulletin: Bulletin, scope: selectors.Scope):
    figures = _scoped_figures(bulletin, scope)
    rows: list[list] = []
    headline = figures["headline"]
    if headline:
        rows.append([_("综合指标值"), headline["name"], headline["score"] or "", headline["grade"]])
    if scope.is_city:
        rows += [[item["name"], item["figure"], item["target"] or "", *item["changes"]]
                 for item in bulletin.figures.get("indicators", [])]
    for section in figures["sections"]:
        rows += [[], [section["title"]], [_("排名"), _("名称"), _("编码"), _("综合指标值"), _("等级"), *section["columns"]]]
        rows += [[row["rank"] or "", row["name"], row["code"], row["score"] if row["participating"] else _("不参评"),
                  row["grade"], *row["cells"]] for row in section["rows"]]
    note = _("%(title)s %(year)s 年第 %(number)s 期（印发时的数据）") % {
        "title": bulletin.title, "year": bulletin.year, "number": bulletin.number}
    return xlsx_response(filename=f"bulletin-{bulletin.kind}-{bulletin.year}-{bulletin.number}.xlsx",
                         title=bulletin.title, headers=[note], rows=rows, note=note)
