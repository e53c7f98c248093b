"""Small query helpers shared by the apps."""
from django.db.models import BooleanField, Func, Model, QuerySet, Subquery


def row_by_key(queryset: QuerySet) -> Model | None:
    """The one row of a queryset filtered by a unique key (or None), fetched without the ORDER BY
    and LIMIT that `.first()` adds (`ORDER BY "cases_case"."reported_at" DESC LIMIT 1` to a case
    by id), which the hot paths (every request's person or token, every move's locked case, the
    intake's class) paid to compile. Kept for what it saves (`.venv/bin/python bench/overrides.py`,
    2026-12-07, PostgreSQL): compiling a case by id 0.94 → 0.61 CPU-ms, fetching it 1.5 → 1.1
    (6,000 → 4,200 Python calls); a person by id 2,100 → 1,550 calls."""
    return next(iter(queryset.order_by()), None)


class InSubquery(Func):
    """`column IN (subquery)` that PostgreSQL can plan inside an OR: written there as
    `column = ANY(ARRAY(subquery))`, the subquery runs once (an InitPlan) and the condition is an
    index condition with a fair row estimate, where `IN (subquery)` or EXISTS under an OR become a
    filter estimated at half the table, which turned a small scope's lists into scans of the whole
    table (figures: cases.selectors.scoped.cases_visible). Elsewhere (SQLite) the plain IN.
    Use it as a condition: `queryset.filter(Q(a=1) | InSubquery(F("pk"), other.values("fk")))`."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column, queryset: QuerySet):
        super().__init__(column, Subquery(queryset.order_by()))  # a set: its order is only work

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="%(expressions)s", arg_joiner=" IN ", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        # The Subquery compiles to "(SELECT …)": "column = ANY(ARRAY" + "(SELECT …)" + ")".
        return super().as_sql(compiler, connection, template="%(expressions)s)", arg_joiner=" = ANY(ARRAY",
                              **extra_context)
