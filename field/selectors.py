"""Reads of the field app's own endpoints: the reporter's class picker (most used first) and the
handler's inbox with each case's marks, both built on the case loop's scoped selectors."""
from datetime import timedelta

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from cases.models import CLOCK_RUNNING_STATES, Case, CaseEvent, CaseRequest, RequestKind, RequestStatus, State
from cases.selectors import case_list
from cases.transitions import Action
from grids.models import MinorClass, User

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
    """The department's cases on the phone: being handled or suspended (挂账), overdue ones first,
    then by deadline; each with the time it was suspended, the reason of its last rework and the
    kinds of request still waiting, in one query."""
    now = now or timezone.now()
    suspended = CaseEvent.objects.filter(case=OuterRef("pk"), action=Action.APPROVE_SUSPENSION).order_by("-created_at", "-pk")
    rework = CaseEvent.objects.filter(case=OuterRef("pk"), action=Action.CHECK_FAIL).order_by("-created_at", "-pk")
    pending = CaseRequest.objects.filter(case=OuterRef("pk"), status=RequestStatus.PENDING)
    overdue = Q(state__in=CLOCK_RUNNING_STATES, current_deadline__lt=now)
    # The cases it leads: an assisting department (协办, joint dispatch) reports its part from the
    # browser inbox; the phone's moves are the lead's.
    led = Q(department_id=user.department_id) if user.department_id else Q()
    return (
        case_list(user)
        .filter(led, state__in=[State.DISPATCHED, State.SUSPENDED])
        .annotate(
            suspended_at=Subquery(suspended.values("created_at")[:1]),
            rework_reason=Subquery(rework.values("note")[:1]),
            extension_pending=Exists(pending.filter(kind=RequestKind.EXTENSION)),
            suspension_pending=Exists(pending.filter(kind=RequestKind.SUSPENSION)),
            is_overdue=ExpressionWrapper(overdue, output_field=BooleanField()),
        )
        .order_by("-is_overdue", "current_deadline", "pk")
    )
