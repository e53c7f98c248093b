"""Pages of the case list whose total is counted only up to a cap: an exact COUNT(*) of a city's
open cases or of a common word reads every match (at a million cases, hundreds of thousands of
rows for `q=垃圾`), while the page itself stops after 50 rows."""
from functools import cached_property

from django.core.paginator import Paginator
from rest_framework.response import Response

from core.pagination import PageNumberPagination

COUNT_CAP = 1_000


class CappedPaginator(Paginator):
    """`count` is exact up to COUNT_CAP and COUNT_CAP beyond it (`capped` tells which):
    SELECT COUNT(*) FROM (SELECT … LIMIT COUNT_CAP + 1)."""

    capped = False

    @cached_property
    def count(self) -> int:
        counted = self.object_list.order_by()[: COUNT_CAP + 1].count()
        self.capped = counted > COUNT_CAP
        return min(counted, COUNT_CAP)

    def page(self, number):
        """The first page is read before anything is counted, a row more than it shows: when that
        row is not there, the page holds every match and is the count (one query instead of two,
        for the case-number look-up and every short list); otherwise the count follows as usual."""
        if str(number) != "1":
            return super().page(number)
        rows = list(self.object_list[: self.per_page + 1])
        if len(rows) <= self.per_page:
            self.__dict__["count"] = len(rows)  # the cached_property's value
        return self._get_page(rows[: self.per_page], 1, self)


class CappedCountPagination(PageNumberPagination):
    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response({
            "count": paginator.count, "count_capped": getattr(paginator, "capped", False),
            "next": self.get_next_link(), "previous": self.get_previous_link(), "results": data,
        })

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count_capped"] = {
            "type": "boolean", "description": f"true when more than {COUNT_CAP} cases match: count is then {COUNT_CAP}",
        }
        return response
