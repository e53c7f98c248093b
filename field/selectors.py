"""Reads of the field app's own endpoints: the reporter's class picker (most used first), the
handler's inbox with each case's marks (its own cases and those it assists on, 协办) and the area a
report's map opens on without a position, built on the case loop's and the registry's selectors."""
from datetime import timedelta

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from cases.models import (
    CLOCK_RUNNING_STATES,
    Case,
    CaseAssist,
    CaseEvent,
    CaseRequest,
    RequestKind,
    RequestStatus,
    State,
)
from cases.selectors import case_list
from cases.transitions import Action
from core.queries import InSubquery
from grids.mapping import city_extent
from grids.models import MinorClass, RegionLevel, UnitGrid, User

# How far back "most used" looks, and how many classes it puts first.
FREQUENT_DAYS = 90
FREQUENT_MAX = 8


def classes_frequent(user: User, *, now=None) -> list[int]:
    """The minor classes the person reported most in the last FREQUENT_DAYS, most used first: one
    grouped query over their own reports (the reporter's index), never a join over every case."""
    since = (now or timezone.now()) - timedelta(days=FREQUENT_DAYS)
    rows = (Case.objects.filter(reporter_id=user.pk, reported_at__gte=since).values("minor_id")
            .annotate(n=Count("id")).order_by("-n", "minor_id")[:FREQUENT_MAX])
    return [row["minor_id"] for row in rows]


def classes_active() -> QuerySet[MinorClass]:
    return (MinorClass.objects.filter(is_active=True).select_related("major")
            .only("id", "code", "name", "kind", "edition", "major__name").order_by("edition", "kind", "code"))


def handler_inbox(user: User, *, now=None) -> QuerySet[Case]:
    """The department's cases on the phone: the ones it leads (主办), being handled or suspended
    (挂账), and the ones it assists on (协办, joint dispatch) while its task is open (`assist_open`,
    with the task's own `assist_deadline`); overdue ones first, then by deadline; each with the time
    it was suspended, the reason of its last rework and the kinds of request still waiting, in one
    query. An assisting row's deadline and overdue mark are its task's, not the lead's."""
    now = now or timezone.now()
    suspended = CaseEvent.objects.filter(case=OuterRef("pk"), action=Action.APPROVE_SUSPENSION).order_by("-created_at", "-pk")
    rework = CaseEvent.objects.filter(case=OuterRef("pk"), action=Action.CHECK_FAIL).order_by("-created_at", "-pk")
    pending = CaseRequest.objects.filter(case=OuterRef("pk"), status=RequestStatus.PENDING)
    mine = CaseAssist.objects.filter(case_id=OuterRef("pk"), department_id=user.department_id, completed_at__isnull=True)
    cases = (
        case_list(user)
        .filter(state__in=[State.DISPATCHED, State.SUSPENDED])
        .annotate(assist_open=Exists(mine), assist_deadline=Subquery(mine.values("deadline")[:1]))
    )
    if user.department_id:  # not the cases it assisted on and is done with (still readable on the desk)
        open_ids = CaseAssist.objects.filter(department_id=user.department_id, completed_at__isnull=True)
        cases = cases.filter(Q(department_id=user.department_id) | InSubquery(F("pk"), open_ids.values("case_id")))
    assisting_overdue = Q(assist_open=True, assist_deadline__lt=now)
    led_overdue = Q(assist_open=False, state__in=CLOCK_RUNNING_STATES, current_deadline__lt=now)
    return (
        cases.annotate(
            suspended_at=Subquery(suspended.values("created_at")[:1]),
            rework_reason=Subquery(rework.values("note")[:1]),
            extension_pending=Exists(pending.filter(kind=RequestKind.EXTENSION)),
            suspension_pending=Exists(pending.filter(kind=RequestKind.SUSPENSION)),
            is_overdue=ExpressionWrapper(assisting_overdue | led_overdue, output_field=BooleanField()),
            due=Coalesce("assist_deadline", "current_deadline"),
        )
        .order_by("-is_overdue", "due", "pk")
    )


def report_area(user: User) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) a report's map opens on when the phone has no position:
    the unit grids of the collector's responsibility grids, else of their region, else the city's
    extent. One aggregate query (two or three when the first finds nothing)."""
    boxes = [UnitGrid.objects.filter(responsibility_grid__collectors=user)]
    if user.region_id and not user.is_city_level:
        column = {RegionLevel.DISTRICT: "district_id", RegionLevel.STREET: "street_id"}.get(
            user.region.level, "community_id")
        boxes.append(UnitGrid.objects.filter(**{column: user.region_id}))
    for grids in boxes:
        box = grids.aggregate(a=Min("min_lon"), b=Min("min_lat"), c=Max("max_lon"), d=Max("max_lat"))
        if box["a"] is not None:
            return box["a"], box["b"], box["c"], box["d"]
    return city_extent()
