"""Command-center pages of the patrol (filled in below)."""
from django.http import HttpResponse


def collectors_map_page(request):
    return HttpResponse("")


def collector_day_page(request, collector_id: int):
    return HttpResponse("")


def table_page(request):
    return HttpResponse("")
