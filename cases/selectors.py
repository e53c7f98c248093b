"""Reads of the case loop, already limited to what the person may see, with the joins each page
and endpoint needs so that lists cost a constant number of queries."""
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from grids.models import Role, UnitGrid, User

from .models import (
    CLOCK_RUNNING_STATES,
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseRequest,
    RequestStatus,
    State,
    Task,
)
from .permissions import scope_filter

# What every list row shows, in one query with at most four joins. PostgreSQL plans a join of the
# case table with N lookups by trying every order (a star: every subset joins the case), and the
# case table's many indexes give each step several paths: at 100,000 cases, planning the earlier
# 7-join list took 60–240 ms (EXPLAIN SUMMARY, 2 loaded cores) against 1–3 ms for 4 joins, for an
# execution of 1–2 ms. The references that are never NULL are fetched by primary key for the
# page's rows instead (one small query each, so a page costs the same number of queries whatever
# its rows); the unit grid without its polygon, which no list shows.
LIST_JOINED = ("minor", "district", "department", "suggested_department")
LIST_PREFETCHED = ("street", "community")
LIST_RELATED = LIST_JOINED + ("unit_grid",) + LIST_PREFETCHED  # everything a row may show


def _unit_grids() -> Prefetch:
    return Prefetch("unit_grid", queryset=UnitGrid.objects.defer("geometry"))


def cases_visible(user: User) -> QuerySet[Case]:
    """Every case the person may see (two-level supervision and command)."""
    cases = Case.objects.all()
    condition = scope_filter(user)
    if condition is not None:
        cases = cases.filter(condition)
    return cases


def case_list(user: User) -> QuerySet[Case]:
    return cases_visible(user).select_related(*LIST_JOINED).prefetch_related(_unit_grids(), *LIST_PREFETCHED)


def case_detail(user: User, case_id: int) -> Case | None:
    # One case: the same four joins as a list row (see LIST_JOINED), every other reference by
    # primary key (most are NULL on most cases and then cost no query).
    return (
        cases_visible(user)
        .select_related(*LIST_JOINED)
        .prefetch_related(
            "unit_grid", *LIST_PREFETCHED, "reporter", "component", "responsibility_grid", "merged_into", "duplicate_of",
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("created_at", "pk")),
            "steps", "attachments", "tasks",
            Prefetch("requests", queryset=CaseRequest.objects.select_related("requested_by", "decided_by")),
        )
        .filter(pk=case_id)
        .first()
    )


def case_queue(user: User) -> QuerySet[Case]:
    """The person's work list, most urgent deadline first."""
    cases = case_list(user)
    role_states = {
        Role.OPERATOR: [State.REPORTED, State.HANDLED],
        Role.SHIFT_LEADER: [State.REPORTED, State.CHECKED],
        Role.DISPATCHER: [State.FILED],
        Role.HANDLER: [State.DISPATCHED],
    }
    states = role_states.get(user.role, OPEN_STATES)
    return cases.filter(state__in=states).order_by("current_deadline", "pk")


def cases_overdue(user: User) -> QuerySet[Case]:
    return case_list(user).filter(state__in=CLOCK_RUNNING_STATES, current_deadline__lt=timezone.now()).order_by(
        "current_deadline", "pk")


def requests_pending(user: User, kind: str | None = None) -> QuerySet[CaseRequest]:
    requests = CaseRequest.objects.filter(status=RequestStatus.PENDING, case__in=cases_visible(user))
    if kind:
        requests = requests.filter(kind=kind)
    return requests.select_related("case", "case__minor", "requested_by").order_by("requested_at")


def tasks_for_collector(user: User, *, open_only: bool = True) -> QuerySet[Task]:
    """A collector's verify and check tasks: those of the responsibility grids they patrol."""
    tasks = Task.objects.filter(responsibility_grid__collectors=user)
    if open_only:
        tasks = tasks.filter(completed_at__isnull=True)
    return tasks.select_related("case", "case__minor", "case__unit_grid").order_by("deadline", "pk")


def case_search_filter(text: str) -> Q:
    return Q(number__startswith=text) | Q(description__icontains=text) | Q(address__icontains=text)
