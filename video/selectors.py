"""Reads of video intake, scoped to the region of the person: who may see and decide events, the
pending events, and the recognition accuracy per camera and per class (one SQL query)."""
from django.db.models import Count, F, FloatField, Q, QuerySet, Value
from django.db.models.functions import Cast, NullIf

from cases.models import State
from grids.models import Role, User
from grids.selectors import unit_grids_in_scope

from .models import EventStatus, VideoEvent

VIEW_ROLES = {Role.OPERATOR, Role.SHIFT_LEADER, Role.DISPATCHER, Role.MANAGER, Role.ADMIN}
DECIDE_ROLES = {Role.OPERATOR, Role.SHIFT_LEADER, Role.ADMIN}
PENDING_PAGE_MAX = 200


def can_view_video(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in VIEW_ROLES)


def can_decide(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in DECIDE_ROLES)


def events_in_scope(user: User) -> QuerySet[VideoEvent]:
    """The events of the cameras in the person's region (all of them for city-level staff)."""
    if not can_view_video(user):
        return VideoEvent.objects.none()
    events = VideoEvent.objects.all()
    if user.is_superuser or user.region_id is None:
        return events
    return events.filter(camera__unit_grid__in=unit_grids_in_scope(user).values("pk"))


def events_pending(user: User) -> list[VideoEvent]:
    """The oldest pending events first (the operator's queue), with camera and class: one query."""
    return list(events_in_scope(user).filter(status=EventStatus.PENDING)
                .select_related("camera", "minor", "platform").order_by("received_at", "pk")[:PENDING_PAGE_MAX])


# An event counts as confirmed when an operator confirmed it, or, for one reported at once (at or
# above the threshold), when its case was filed (立案) or merged into another case of the same
# problem; as rejected when an operator rejected it, or its case was voided without being filed.
# An event still pending, or a case not yet accepted, counts in neither.
CONFIRMED = Q(status=EventStatus.CONFIRMED) | Q(status=EventStatus.REPORTED, case__filed_at__isnull=False) | Q(
    status=EventStatus.REPORTED, case__state=State.MERGED)
REJECTED = Q(status=EventStatus.REJECTED) | Q(status=EventStatus.REPORTED, case__state=State.VOIDED,
                                               case__filed_at__isnull=True)


def _accuracy_by(events: QuerySet[VideoEvent], group: str, by: str, key: str, label: str) -> QuerySet:
    return (events.order_by().values(by)
            .annotate(group=Value(group), key=F(key), label=F(label), events=Count("pk"),
                      confirmed=Count("pk", filter=CONFIRMED), rejected=Count("pk", filter=REJECTED),
                      pending=Count("pk", filter=Q(status=EventStatus.PENDING)))
            .annotate(accuracy=Cast(F("confirmed"), FloatField()) / NullIf(F("confirmed") + F("rejected"), 0))
            .values("group", "key", "label", "events", "confirmed", "rejected", "pending", "accuracy"))


def accuracy(user: User, *, since=None, until=None) -> dict[str, list[dict]]:
    """Recognition accuracy = confirmed / (confirmed + rejected), per camera and per class, over
    the events received in [since, until): both tables in one query (a UNION ALL)."""
    events = events_in_scope(user)
    if since is not None:
        events = events.filter(received_at__gte=since)
    if until is not None:
        events = events.filter(received_at__lt=until)
    rows = _accuracy_by(events, "camera", "camera_id", "camera__code", "camera__name").union(
        _accuracy_by(events, "class", "minor_id", "minor__code", "minor__name"), all=True)
    tables: dict[str, list[dict]] = {"camera": [], "class": []}
    for row in rows:
        tables[row["group"]].append(row)
    for table in tables.values():
        table.sort(key=lambda row: row["key"])
    return tables
