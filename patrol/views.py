"""Command-center pages of the patrol: every collector on a map (last position, on/off duty, last
report), one collector's day replayed on the map, and the table of a day or a month (time on duty
against the scheduled patrol times, check-ins made and missed, coverage of their area)."""
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from core.dates import moment_problem

from . import days, selectors
from .counters import patrol_figures
from .models import CheckIn, DutyShift

# A table of more collectors than this is cut (a district has a few hundred; the city 2,000).
TABLE_MAX = 2500


def _viewer(request: HttpRequest) -> None:
    if not selectors.can_view_patrol(request.user):
        raise PermissionDenied(_("您无权查看监督员的位置。"))


def _day(text: str | None, default: date) -> date:
    """?day=YYYY-MM-DD, or the default when not given; a day that is no date, or out of the years
    the application takes (core.dates), is a 400 that says so."""
    if not text:
        return default
    try:
        day = parse_date(text)  # None for a malformed text, ValueError for 2025-02-30
    except ValueError:
        day = None
    if day is None:
        raise BadRequest(_("日期格式应为 YYYY-MM-DD。"))
    problem = moment_problem(day)
    if problem:
        raise BadRequest(problem)
    return day


@login_required
def collectors_map_page(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    rows = selectors.collectors_map(request.user)
    data = [{**row, "at": row["at"].isoformat() if row["at"] else None,
             "last_report_at": row["last_report_at"].isoformat() if row["last_report_at"] else None,
             "url": f"/patrol/collectors/{row['id']}/"} for row in rows]
    return render(request, "patrol/map.html", {
        "rows": rows, "data": {"collectors": data, "tiles": settings.MAP_TILE_URL},
        "on_duty": sum(1 for row in rows if row["on_duty"]),
    })


@login_required
def collector_day_page(request: HttpRequest, collector_id: int) -> HttpResponse:
    _viewer(request)
    collector = selectors.collectors_visible(request.user).filter(pk=collector_id).first()
    if collector is None:
        raise Http404(_("监督员不存在或不在您的管辖范围内。"))
    try:
        day = _day(request.GET.get("day"), days.city_day(timezone.now()))
    except ValueError:
        day = days.city_day(timezone.now())
    start, end = days.day_bounds(day)
    track = selectors.track_of_day(collector.pk, day)
    checkins = list(CheckIn.objects.filter(collector=collector, at__gte=start, at__lt=end)
                    .select_related("post").order_by("at"))
    shifts = list(DutyShift.objects.filter(collector=collector, started_at__lt=end).exclude(ended_at__lt=start)
                  .order_by("started_at"))
    figures = patrol_figures([collector.pk], day, day)[collector.pk]
    log = selectors.work_log(collector, day=day)
    data = {
        "tiles": settings.MAP_TILE_URL,
        "track": [[timezone.localtime(at).strftime("%H:%M:%S"), lon, lat] for at, lon, lat, _accuracy in track],
        "checkins": [{"at": timezone.localtime(c.at).strftime("%H:%M"), "lon": c.lon, "lat": c.lat,
                      "post": c.post.name} for c in checkins],
    }
    return render(request, "patrol/day.html", {
        "collector": collector, "day": day, "previous": day - timedelta(days=1), "next": day + timedelta(days=1),
        "points": len(track), "checkins": checkins, "shifts": shifts, "figures": figures, "log": log, "data": data,
    })


@login_required
def table_page(request: HttpRequest) -> HttpResponse:
    """?day=YYYY-MM-DD (default today) or ?month=YYYY-MM."""
    _viewer(request)
    today = days.city_day(timezone.now())
    month_text = request.GET.get("month", "")
    if month_text:
        first = _day(f"{month_text}-01", today)
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    else:
        first = last = _day(request.GET.get("day"), today)
    last = min(last, today) if first <= today else last
    collectors = list(selectors.collectors_visible(request.user).order_by("username")[:TABLE_MAX])
    figures = patrol_figures([c.pk for c in collectors], first, last)
    rows = [(collector, figures[collector.pk]) for collector in collectors]
    return render(request, "patrol/table.html", {
        "rows": rows, "first": first, "last": last, "monthly": bool(month_text),
        "month": first.strftime("%Y-%m"), "cut": len(collectors) == TABLE_MAX,
    })
