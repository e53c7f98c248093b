"""Reads of the hotline: open cases a new call may join, calls and callers as a person may see
them, callback queues, the public view of a case, and the hotline figures per period (defined by
the assessment's catalogue: settings.HOTLINE_FIGURES)."""
import math
from datetime import datetime

from django.conf import settings
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from cases.models import OPEN_STATES, Case, CaseEvent
from cases.permissions import scope_filter
from cases.selectors import cases_visible
from grids.models import RegionLevel, Role, User

from .models import (
    INTAKE_LINKS,
    Call,
    Callback,
    CallbackStatus,
    Caller,
    Feedback,
)

# Who may read hotline records at all (masked unless hotline.masking says otherwise).
READER_ROLES = frozenset({Role.HOTLINE_AGENT, Role.ADMIN, Role.OPERATOR, Role.SHIFT_LEADER, Role.DISPATCHER,
                          Role.MANAGER})


def can_read_hotline(user: User) -> bool:
    return bool(user and user.is_authenticated and user.is_active
                and (user.is_superuser or user.role in READER_ROLES))


def _distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6_371_000 * math.hypot(x, y)


def case_open_nearby(*, minor_id: int, lon: float, lat: float) -> Case | None:
    """The nearest open case of the same class within HOTLINE_JOIN_DISTANCE_M metres, however long
    ago it was reported (a problem still open is still the same problem): a bounding box on the
    (minor, reported_at) index, then the exact distance."""
    metres = float(getattr(settings, "HOTLINE_JOIN_DISTANCE_M", settings.DUPLICATE_DISTANCE_M))
    dlat = metres / 111_320
    dlon = metres / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    candidates = Case.objects.filter(
        minor_id=minor_id, state__in=OPEN_STATES, merged_into__isnull=True,
        lon__range=(lon - dlon, lon + dlon), lat__range=(lat - dlat, lat + dlat),
    ).order_by("reported_at")[:50]
    best, best_distance = None, metres
    for case in candidates:
        distance = _distance_m(lon, lat, case.lon, case.lat)
        if distance <= best_distance:
            best, best_distance = case, distance
    return best


def citizen_phone(case: Case) -> str:
    """The number to reply to: the latest caller who brought the case in, else the reporter's."""
    phone = (
        Call.objects.filter(case=case, case_link__in=INTAKE_LINKS)
        .order_by("-called_at", "-pk")
        .values_list("caller__phone", flat=True)
        .first()
    )
    return phone or case.reporter_phone or ""


def citizen_phone_expression(case_ref: str = "case_id"):
    """citizen_phone() as an SQL expression over rows that reference a case (one query per list)."""
    latest = (
        Call.objects.filter(case=OuterRef(case_ref), case_link__in=INTAKE_LINKS)
        .order_by("-called_at", "-pk")
        .values("caller__phone")[:1]
    )
    reporter = Case.objects.filter(pk=OuterRef(case_ref)).values("reporter_phone")[:1]
    return Coalesce(Subquery(latest), Subquery(reporter), Value(""))


def district_of(user: User) -> int | None:
    """The district a person's hotline figures are limited to; None for city-level staff."""
    region = user.region if user.region_id else None
    if user.is_superuser or region is None or region.level == RegionLevel.CITY:
        return None
    while region is not None and region.level != RegionLevel.DISTRICT:
        region = region.parent
    return region.pk if region is not None else -1


def calls_visible(user: User) -> QuerySet[Call]:
    """Calls the person may read: all for city-level staff, otherwise calls about cases in their
    scope. Handlers and collectors read none."""
    if not can_read_hotline(user):
        return Call.objects.none()
    calls = Call.objects.select_related("caller", "agent", "case", "case__minor", "district")
    if user.is_superuser or scope_filter(user) is None:
        return calls
    return calls.filter(case__in=cases_visible(user))


def caller_by_phone(phone: str) -> Caller | None:
    return Caller.objects.filter(phone=phone).first()


def caller_calls(caller: Caller, *, limit: int = 50) -> list[Call]:
    """A caller's earlier calls with their cases, newest first."""
    return list(
        caller.calls.select_related("case", "case__minor", "agent").order_by("-called_at", "-pk")[:limit]
    )


def case_for_agent(number: str, *, user: User) -> Case | None:
    """A case with its timeline, steps and hotline calls, to answer a status question; only a case
    in the person's scope (a district's staff do not look up another district's cases)."""
    return (
        cases_visible(user).select_related("minor", "district", "street", "department", "merged_into")
        .prefetch_related(
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("created_at", "pk")),
            Prefetch("hotline_calls", queryset=Call.objects.select_related("caller", "agent").order_by("called_at")),
            Prefetch("hotline_callbacks", queryset=Callback.objects.order_by("created_at")),
            Prefetch("hotline_feedback", queryset=Feedback.objects.order_by("created_at")),
        )
        .filter(number=number)
        .first()
    )


def case_public(number: str) -> Case | None:
    """A case for the public lookup: only what the plain-words view needs."""
    return (
        Case.objects.select_related("minor", "merged_into")
        .prefetch_related(Prefetch("events", queryset=CaseEvent.objects.only("case_id", "action", "created_at")
                                   .order_by("created_at", "pk")))
        .filter(number=number)
        .first()
    )


def callbacks_queue(*, user: User, status: str | None = CallbackStatus.PENDING) -> QuerySet[Callback]:
    """Callback tasks of cases in the person's scope, earliest deadline first (pending and
    unreachable ones by default)."""
    callbacks = Callback.objects.select_related("case", "case__minor", "case__department", "agent")
    if not user.is_superuser and scope_filter(user) is not None:
        callbacks = callbacks.filter(case__in=cases_visible(user))
    if status == CallbackStatus.PENDING:
        callbacks = callbacks.filter(status__in=[CallbackStatus.PENDING, CallbackStatus.UNREACHABLE])
    elif status:
        callbacks = callbacks.filter(status=status)
    return callbacks.order_by("due_at", "pk")


def hotline_figures(*, start: datetime, end: datetime, district_id: int | None = None) -> dict:
    """The hotline's figures for [start, end): calls, cases_created, taken, closed,
    fed_back_on_time, called_back, satisfied, and the rates closure_rate (办结率),
    timely_feedback_rate (及时反馈率), callback_rate (回访率), satisfaction_rate (满意率) as fractions,
    None when the denominator is 0. `district_id` limits calls and cases to one district.

    The rates are indicators of the assessment's catalogue, the counters its hotline counters
    (assessment.hotline, named by settings.HOTLINE_FIGURES): one definition of each, which this app,
    below the assessment, may not import."""
    return import_string(settings.HOTLINE_FIGURES)(start=start, end=end, district_id=district_id)


FIGURE_LABELS = {
    "calls": _("来电量"),
    "cases_created": _("新建案件数"),
    "taken": _("受理数"),
    "closed": _("办结数"),
    "fed_back_on_time": _("按时反馈数"),
    "called_back": _("回访数"),
    "satisfied": _("满意数"),
    "closure_rate": _("办结率"),
    "timely_feedback_rate": _("及时反馈率"),
    "callback_rate": _("回访率"),
    "satisfaction_rate": _("满意率"),
}
