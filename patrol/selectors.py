"""Patrol reads: who may see which collectors, the collector's own state (duty, posts, the day's
work log), one collector's track of a day, and the command center's map of every collector."""
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from cases.models import Case, Task
from core.display import person_name
from grids.geometry import path_metres
from grids.models import RegionLevel, Role, User

from .days import checkin_slots, city_day, day_bounds, patrol_calendar, shift_seconds_within
from .models import CheckIn, DutyShift, PatrolPoint, Post

# Who sees positions: the command center (and the collectors' supervisors, the shift leaders and
# managers of their region); never handlers, hotline agents or other collectors.
VIEWER_ROLES = frozenset({Role.OPERATOR, Role.SHIFT_LEADER, Role.DISPATCHER, Role.MANAGER, Role.ADMIN})


# --- scope -----------------------------------------------------------------------------------------

def can_view_patrol(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in VIEWER_ROLES)


def collectors_visible(user: User) -> QuerySet[User]:
    """The collectors whose positions `user` may see: every one for the city level, those of the
    viewer's region (or below it) otherwise, none for other roles."""
    collectors = User.objects.filter(role=Role.COLLECTOR, is_active=True)
    if not can_view_patrol(user):
        return collectors.none()
    if user.is_superuser or user.region_id is None or user.region.level == RegionLevel.CITY:
        return collectors
    # A collector's region is a district, street or community; the viewer's region covers it when
    # it is that region or one of its ancestors (the tree is at most four deep).
    region = user.region_id
    return collectors.filter(Q(region_id=region) | Q(region__parent_id=region) | Q(region__parent__parent_id=region))


# --- the collector's own -----------------------------------------------------------------------------

def shift_current(collector: User) -> DutyShift | None:
    """The open shift, else the last one."""
    return (DutyShift.objects.filter(collector=collector, ended_at__isnull=True).first()
            or DutyShift.objects.filter(collector=collector).order_by("-started_at").first())


def posts_of(collector: User, *, now: datetime | None = None) -> QuerySet[Post]:
    """The collector's active posts, each with `checked_in_today`."""
    start, end = day_bounds(city_day(now or timezone.now()))
    checked = CheckIn.objects.filter(post=OuterRef("pk"), collector=collector, at__gte=start, at__lt=end)
    return (Post.objects.filter(collectors=collector, is_active=True)
            .annotate(checked_in_today=Exists(checked)).order_by("name", "pk"))


def shift_distance(shift: DutyShift) -> float:
    """Metres walked in the shift: the track in time order, points of poor accuracy left out (a
    jump of a few hundred metres to a cell tower and back is not a walk)."""
    limit = settings.PATROL_TRACK_MAX_ACCURACY_M
    rows = list(PatrolPoint.objects.filter(collector_id=shift.collector_id, shift=shift)
                .exclude(accuracy_m__gt=limit).order_by("at").values_list("lon", "lat"))
    if len(rows) < 2:
        return 0.0
    track = np.asarray(rows, dtype=float)
    return round(path_metres(track[:, 0], track[:, 1]), 1)


@dataclass(frozen=True)
class WorkLog:
    on_duty_seconds: int
    distance_m: float
    reports: int
    tasks_done: int
    checkins: int
    checkins_due: int


def work_log(collector: User, *, day: date | None = None, now: datetime | None = None) -> WorkLog:
    """The day's work log (工作日志): time on duty, metres walked, reports, tasks answered,
    check-ins made and due."""
    now = now or timezone.now()
    day = day or city_day(now)
    start, end = day_bounds(day)
    shifts = list(DutyShift.objects.filter(collector=collector, started_at__lt=end)
                  .exclude(ended_at__lt=start).order_by("started_at"))
    distance = sum(shift_distance(shift) if shift.ended_at is None else shift.distance_m for shift in shifts)
    due = 0
    if patrol_calendar().is_workday(day):
        due = sum(len(checkin_slots(post.checkin_times)) for post in Post.objects.filter(collectors=collector,
                                                                                          is_active=True))
    return WorkLog(
        on_duty_seconds=round(shift_seconds_within([(s.started_at, s.ended_at) for s in shifts], start, end, now)),
        distance_m=round(distance, 1),
        reports=Case.objects.filter(reporter=collector, reported_at__gte=start, reported_at__lt=end).count(),
        tasks_done=Task.objects.filter(completed_by=collector, completed_at__gte=start, completed_at__lt=end).count(),
        checkins=CheckIn.objects.filter(collector=collector, at__gte=start, at__lt=end).count(),
        checkins_due=due,
    )


# --- the command center --------------------------------------------------------------------------

def track_of_day(collector_id: int, day: date) -> list[tuple[datetime, float, float, float | None]]:
    """One collector's points of a city day, in time order: a range scan of (collector, at)."""
    start, end = day_bounds(day)
    return list(PatrolPoint.objects.filter(collector_id=collector_id, at__gte=start, at__lt=end)
                .order_by("at").values_list("at", "lon", "lat", "accuracy_m"))


def collectors_map(viewer: User, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every collector the viewer may see, with their last position of the day, on or off duty,
    and the day's reports and last report. Three queries, whatever the number of collectors."""
    now = now or timezone.now()
    start, end = day_bounds(city_day(now))
    open_shift = DutyShift.objects.filter(collector_id=OuterRef("pk"), ended_at__isnull=True)
    people = list(collectors_visible(viewer).annotate(on_duty=Exists(open_shift)).order_by("username")
                  .values("pk", "username", "first_name", "last_name", "on_duty"))
    ids = [person["pk"] for person in people]
    points = last_positions(ids, start, end)
    reports = {row["reporter_id"]: row for row in Case.objects.filter(
        reported_at__gte=start, reported_at__lt=end, reporter_id__in=ids,
    ).values("reporter_id").annotate(count=Count("pk"), last=Max("reported_at"))}
    rows = []
    for person in people:
        point = points.get(person["pk"])
        report = reports.get(person["pk"], {})
        rows.append({
            "id": person["pk"], "username": person["username"],
            "name": person_name(family=person["last_name"], given=person["first_name"]) or person["username"],
            "on_duty": person["on_duty"],
            "at": point[0] if point else None, "lon": point[1] if point else None,
            "lat": point[2] if point else None, "accuracy_m": point[3] if point else None,
            "reports_today": report.get("count", 0), "last_report_at": report.get("last"),
        })
    return rows


def last_positions(collector_ids: list[int], start: datetime, end: datetime) -> dict[int, tuple]:
    """{collector id: (at, lon, lat, accuracy_m)} of each one's last point in [start, end). On
    PostgreSQL one LATERAL probe per collector into the covering (collector, at) index: an
    index-only scan, no heap read; elsewhere a subquery for the point's id, then the points."""
    if not collector_ids:
        return {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.id, p.at, p.lon, p.lat, p.accuracy_m FROM unnest(%s::bigint[]) AS c(id) "
                "CROSS JOIN LATERAL (SELECT at, lon, lat, accuracy_m FROM patrol_patrolpoint "
                "WHERE collector_id = c.id AND at >= %s AND at < %s ORDER BY at DESC LIMIT 1) AS p",
                [collector_ids, start, end],
            )
            return {row[0]: row[1:] for row in cursor.fetchall()}
    last = (PatrolPoint.objects.filter(collector_id=OuterRef("pk"), at__gte=start, at__lt=end)
            .order_by("-at").values("pk")[:1])
    point_ids = User.objects.filter(pk__in=collector_ids).annotate(point=Subquery(last)).values_list("point", flat=True)
    return {row[0]: row[1:] for row in PatrolPoint.objects.filter(pk__in=[pk for pk in point_ids if pk]).values_list(
        "collector_id", "at", "lon", "lat", "accuracy_m")}
