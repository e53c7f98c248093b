"""The base of every API list's pagination (DEFAULT_PAGINATION_CLASS). A module of its own: DRF
imports it while its generic views are being defined, so it imports nothing of those."""
from rest_framework import exceptions, pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page numbers, where an empty ?page= is refused as any other that is not a page number
    is (DRF read it as the first page)."""

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not raw.strip():
            raise exceptions.NotFound(self.invalid_page_message)
        return super().get_page_number(request, paginator)
