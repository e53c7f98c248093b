"""Issuing bulletins (通报): a period's bulletin numbered per year and kind (第 N 期), archived as
issued — the article's text as rendered then, and the figures of its tables — so that reading it
later shows what was issued even after the results are recomputed.

Issuing is idempotent (one bulletin per period: a second call returns the first) and safe under
concurrency: the number is the kind's and year's highest plus one, written under the unique
constraint (kind, year, number); a concurrent issuer that took the same number makes the insert
fail, and it retries with the next one. The year is the period's (an ISO week's, its ISO year).
"""
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from core.errors import ApplicationError

from .bulletin_content import bulletin_content, bulletin_title
from .models import Bulletin, Period, PeriodKind
from .selectors import Scope
from .templatetags.assessment_format import change, figure_text

ISSUED_KINDS = (PeriodKind.DAY, PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)
# Each failed attempt means another bulletin of the kind and year was issued meanwhile: an issuer
# may lose once to each concurrent one (the test runs six periods at once; beat issues fewer).
NUMBER_ATTEMPTS = 20


def bulletin_year(period: Period) -> int:
    return period.start.isocalendar()[0] if period.kind == PeriodKind.WEEK else period.start.year


def _figures(content: dict) -> dict:
    """The tables' figures as plain data: the headline and every ranked line, with the ids a
    scoped reader's lines are picked by (object type and id, district)."""
    headline = content.get("headline")

    def line(row, cells=()):
        return {"object_type": row.object_type, "level": row.level, "object_id": row.object_id,
                "district_id": row.district_id, "name": row.object_name, "code": row.object_code,
                "rank": row.rank, "ranked_count": row.ranked_count, "participating": row.participating,
                "score": None if row.score is None else str(row.score), "grade": row.grade,
                "cells": [cell["text"] for cell in cells]}

    return {
        "headline": line(headline) if headline else None,
        "indicators": [{"name": r["snapshot"].indicator_name, "figure": r["figure"], "target": r["target"],
                        "changes": r["change_texts"]} for r in content.get("headline_rows", [])],
        "sections": [{"title": section["title"], "columns": [col["name"] for col in section["columns"]],
                      "total": section["total"], "ranked": section["ranked"],
                      "rows": [line(item["row"], item["cells"]) for item in section["rows"] if item]}
                     for section in content.get("sections", [])],
    }


def bulletin_issue(*, period: Period) -> Bulletin:
    """Issue the bulletin of a computed period (city-wide content), or return the one issued."""
    existing = Bulletin.objects.filter(period=period).first()
    if existing:
        return existing
    if period.kind not in ISSUED_KINDS or not period.computed_at:
        raise ApplicationError(f"period {period.label} cannot be issued (kind {period.kind}, computed "
                               f"{period.computed_at})")
    issued_at = timezone.now()
    with override(settings.LANGUAGE_CODE):
        content = bulletin_content(period, Scope(), period.label)
        for row in content["headline_rows"]:
            snapshot = row["snapshot"]
            row["figure"] = figure_text(snapshot)
            row["target"] = None if snapshot.target is None else str(snapshot.target)
            row["change_texts"] = [change(value) for value in row["changes"]]
        title = f"{bulletin_title(period)}（{period.label}）"
        year = bulletin_year(period)
        for _attempt in range(NUMBER_ATTEMPTS):
            number = (Bulletin.objects.filter(kind=period.kind, year=year).aggregate(n=Max("number"))["n"] or 0) + 1
            bulletin = Bulletin(kind=period.kind, year=year, number=number, period=period, title=title,
                                issued_at=issued_at, figures=_figures(content))
            bulletin.html = render_to_string("assessment/_bulletin_article.html", {
                **content, "period": period, "computed": True, "city_name": settings.CITY_NAME,
                "printed_at": timezone.localtime(issued_at), "bulletin": bulletin,
                "bulletin_title": bulletin_title(period)})
            try:
                with transaction.atomic():
                    bulletin.save()
                return bulletin
            except IntegrityError:
                # Another issuer took this period (return its bulletin) or this number (take the next).
                existing = Bulletin.objects.filter(period=period).first()
                if existing:
                    return existing
    raise ApplicationError(f"no free bulletin number for {period.kind} {year} after {NUMBER_ATTEMPTS} attempts")
