"""Live, paged panels of the workbench homes: each list of a home (a queue, a request list, the task
results) is a region that says how many rows follow, pages on by itself and is asked for again
every LIVE_QUEUE_SECONDS by htmx (citygrid/static/citygrid/js/live.js pauses that while the tab
is hidden, keeps the person's selection and focus, and announces new rows).

Why polling rather than server-sent events: a fragment every 15 s per open desk is a few indexed
queries, works through every proxy and with the synchronous gunicorn workers we run, and needs no
connection held open per desk; the scope and the row rendering stay the page's own.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from math import ceil

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode

from grids.models import User

# The fragment answers carry this header; live.js swaps nothing that lacks it (e.g. the login page
# after the session ended).
PANEL_HEADER = "X-Live-Panel"


@dataclass(frozen=True)
class Panel:
    """One list of a home. `source(user, now)` is the scoped, ordered queryset; `rows(user, objects,
    now)` turns one page of it into what `template` shows. New rows of an `announce` panel are
    announced (tab title, sound, screen reader)."""

    name: str
    source: Callable[[User, datetime], QuerySet]
    rows: Callable[[User, list, datetime], list]
    per_page: int
    caption: str = ""
    empty: str = ""
    template: str = "cases/_queue.html"
    show_department: bool = False
    show_suggested: bool = False
    announce: bool = False

    @property
    def page_parameter(self) -> str:
        return f"{self.name}_page"


def _page_number(value) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


def panel_page(request: HttpRequest, panel: Panel, *, now: datetime) -> dict:
    """One page of a panel: its rows, how many rows follow ("还有 N 条"), and the addresses of the
    neighbouring pages (for the page and for htmx).

    The page is read with one row more than it shows; only when that row exists (or on a later
    page) is the list counted. So a list that fits costs one query, a longer one two, whatever
    its length; a page past the end shows the last page."""
    queryset = panel.source(request.user, now)
    per_page = panel.per_page
    number = _page_number(request.GET.get(panel.page_parameter))
    objects = list(queryset[(number - 1) * per_page: number * per_page + 1])
    if number == 1 and len(objects) <= per_page:
        total = len(objects)
    else:
        total = queryset.count()
        last = max(1, ceil(total / per_page))
        if number > last:
            number = last
            objects = list(queryset[(number - 1) * per_page: number * per_page])
    objects = objects[:per_page]
    first = (number - 1) * per_page
    rows = panel.rows(request.user, objects, now)

    def addresses(page: int) -> dict:
        query = request.GET.copy()
        query.pop("part", None)
        query[panel.page_parameter] = str(page)
        return {"href": f"{request.path}?{query.urlencode()}",
                "fragment": f"{request.path}?{urlencode({'part': panel.name, panel.page_parameter: page})}"}

    return {
        "panel": panel,
        "name": panel.name,
        "rows": rows,
        "number": number,
        "total": total,
        "first": first + 1 if objects else 0,
        "last": first + len(objects),
        "remaining": max(0, total - first - len(objects)),
        "previous": addresses(number - 1) if number > 1 else None,
        "next": addresses(number + 1) if first + len(objects) < total else None,
        "self": addresses(number),
        "poll_ms": int(settings.LIVE_QUEUE_SECONDS * 1000),
    }


def home_render(request: HttpRequest, template: str, panels: list[Panel], context: dict | None = None) -> HttpResponse:
    """The home page with every panel on its page, or, for htmx asking `?part=<panel>`, that one
    panel alone (the page's other reads are not made)."""
    now = timezone.now()
    by_name = {panel.name: panel for panel in panels}
    part = request.GET.get("part")
    if request.htmx and part in by_name:
        response = render(request, "cases/_live_panel.html", {"p": panel_page(request, by_name[part], now=now)})
        response[PANEL_HEADER] = part
    else:
        context = dict(context or {})
        context["panels"] = {panel.name: panel_page(request, panel, now=now) for panel in panels}
        context["live_seconds"] = settings.LIVE_QUEUE_SECONDS
        response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ("HX-Request",))
    return response
