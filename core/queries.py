"""Small query helpers shared by the apps."""
from django.db.models import Model, QuerySet


def row_by_key(queryset: QuerySet) -> Model | None:
    """The one row of a queryset filtered by a unique key (or None), fetched without the ORDER BY
    and LIMIT that `.first()` adds (`ORDER BY "cases_case"."reported_at" DESC LIMIT 1` to a case
    by id), which the hot paths (every request's person or token, every move's locked case, the
    intake's class) paid to compile. Kept for what it saves (`.venv/bin/python bench/overrides.py`,
    2026-12-07, PostgreSQL): compiling a case by id 0.94 → 0.61 CPU-ms, fetching it 1.5 → 1.1
    (6,000 → 4,200 Python calls); a person by id 2,100 → 1,550 calls."""
    return next(iter(queryset.order_by()), None)
