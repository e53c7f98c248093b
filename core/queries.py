"""Small query helpers shared by the apps."""
from django.db.models import Model, QuerySet


def row_by_key(queryset: QuerySet) -> Model | None:
    """The one row of a queryset filtered by a unique key (or None), fetched without the ORDER BY
    and LIMIT that `.first()` compiles: on the hot paths (every API request's token, every move's
    locked case, the intake's class) that compilation cost more than the query."""
    return next(iter(queryset.order_by()), None)
