"""Reads that only the workbench pages need (queues' side panels, the case page's map, the overview),
always starting from the scoped querysets (cases.selectors.scoped) so a page never sees more than the API."""
from dataclasses import dataclass
from datetime import datetime, timedelta

import shapely
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core.queries import InSubquery
from grids.locator import grid_index
from grids.models import (
    Component,
    Department,
    DepartmentLevel,
    MinorClass,
    Region,
    RegionLevel,
    UnitGrid,
    User,
)
from grids.selectors import components_nearest

from ..calendar import traffic_light
from ..models import OPEN_STATES, Case, CaseAssist, CaseEvent, ReturnReason, Source, State, Task
from ..months import reported_between_q
from ..transitions import Action
from .class_picker import edition_active
from .scoped import case_list, cases_visible

# How far around a case the page looks for neighbouring grids and components (degrees, ~300 m).
NEARBY_DEGREES = 0.003
NEARBY_COMPONENTS_MAX = 200
NEARBY_GRIDS_MAX = 60
# The overview computes exact (working-time) traffic lights in Python over this many open cases at
# most; a scope with more still gets exact red counts from SQL (see overview_lights).
LIGHTS_EXACT_MAX = 20_000


def with_last_note(cases: QuerySet[Case], action: str, name: str = "last_note") -> QuerySet[Case]:
    """Annotate each case with the note of its latest `action` event (e.g. the reason of the last
    return), in the same query."""
    latest = CaseEvent.objects.filter(case=OuterRef("pk"), action=action).order_by("-created_at", "-pk")
    return cases.annotate(**{name: Subquery(latest.values("note")[:1])})


def intake_queue(user: User) -> QuerySet[Case]:
    """Operator: new reports still to be accepted (the accept step runs), most urgent first, then
    the oldest."""
    return (
        case_list(user)
        .filter(state=State.REPORTED, current_step="accept")
        .order_by("current_deadline", "reported_at", "pk")
    )


def check_queue(user: User) -> QuerySet[Case]:
    """Operator: handled cases waiting for a check task."""
    return case_list(user).filter(state=State.HANDLED).order_by("current_deadline", "pk")


def tasks_out(user: User) -> QuerySet[Case]:
    """Cases whose verify or check task is with the collectors."""
    return case_list(user).filter(state__in=[State.VERIFYING, State.CHECKING]).order_by("current_deadline", "pk")


def task_results(user: User, *, since: datetime) -> QuerySet[Task]:
    """Verify and check results that came back since `since`, newest first."""
    return (
        Task.objects.filter(case__in=cases_visible(user), completed_at__gte=since, completed_by__isnull=False)
        .exclude(case__state__in=[State.VOIDED, State.MERGED])
        .select_related("case", "case__minor", "completed_by")
        .order_by("-completed_at", "-pk")
    )


def filing_queue(user: User) -> QuerySet[Case]:
    """Shift leader: reports forwarded for filing or verified, waiting to be filed or voided."""
    return (
        case_list(user)
        .filter(state=State.REPORTED, current_step="file")
        .order_by("current_deadline", "pk")
    )


def closing_queue(user: User) -> QuerySet[Case]:
    return case_list(user).filter(state=State.CHECKED).order_by("current_deadline", "pk")


def suspended_cases(user: User) -> QuerySet[Case]:
    return case_list(user).filter(state=State.SUSPENDED).order_by("pk")


def dispatch_queue(user: User) -> QuerySet[Case]:
    """Dispatcher: filed cases to send, returned ones flagged with the reason of the last return."""
    return with_last_note(case_list(user).filter(state=State.FILED), Action.RETURN, "return_reason").order_by(
        "current_deadline", "pk")


def department_inbox(user: User) -> QuerySet[Case]:
    """Department handler: the cases dispatched to the department as lead (主办) and those it assists
    on while its task is open (协办, `assist_open` with the task's own `assist_deadline`), the
    nearest deadline first; `joint` marks the lead's cases with assisting departments still at work;
    a rework carries the reason the check failed."""
    open_assists = CaseAssist.objects.filter(case_id=OuterRef("pk"), completed_at__isnull=True)
    mine = open_assists.filter(department_id=user.department_id)
    inbox = with_last_note(
        case_list(user).filter(state__in=[State.DISPATCHED, State.SUSPENDED]), Action.CHECK_FAIL, "rework_reason"
    ).annotate(
        pending_requests=Count("requests", filter=Q(requests__status="pending")),
        assist_open=Exists(mine),
        assist_deadline=Subquery(mine.values("deadline")[:1]),
        joint=Exists(open_assists),
    )
    if user.department_id:  # a department's own inbox: not the cases it assisted on and is done with
        open_ids = CaseAssist.objects.filter(department_id=user.department_id, completed_at__isnull=True)
        inbox = inbox.filter(Q(department_id=user.department_id) | InSubquery(F("pk"), open_ids.values("case_id")))
    return inbox.order_by("current_deadline", "pk")


def minor_choices(edition: str | None = None) -> list[tuple[str, list[tuple[int, str]]]]:
    """Active minor classes grouped by major class, for a select with optgroups (one query). Without
    `edition`, both editions: the active one (settings.CLASS_EDITION) first, the edition in each
    group's label, so the same name in both (0505 and 09009 机动车乱停放) is told apart without
    JavaScript; the class picker (cases.selectors.class_picker) enhances this select."""
    minors = MinorClass.objects.filter(is_active=True).select_related("major").order_by(
        "edition", "kind", "major__code", "code")
    if edition:
        minors = minors.filter(edition=edition)
    kinds = {value: str(label) for value, label in MinorClass._meta.get_field("kind").choices}  # translated once
    active = edition or edition_active()
    groups: dict[tuple[bool, str], list[tuple[int, str]]] = {}
    for pk, code, name, kind, major_code, major_name, minor_edition in minors.values_list(
            "pk", "code", "name", "kind", "major__code", "major__name", "edition"):
        label = f"{kinds.get(kind, kind)} · {major_code} {major_name}"
        if not edition:
            label += f"（{minor_edition}）"
        groups.setdefault((minor_edition != active, label), []).append((pk, f"{code} {name}"))
    return [(label, options) for (_other, label), options in sorted(groups.items(), key=lambda item: item[0][0])]


def department_choices() -> list[tuple[int, str]]:
    return [(pk, name) for pk, name in Department.objects.filter(is_active=True).order_by("level", "code")
            .values_list("pk", "name")]


def department_choice_groups() -> list[tuple[str, list[tuple[int, str]]]]:
    """The active departments grouped as a dispatcher looks for them, in one query: the city's own
    first, then each district with its departments and its streets' offices (a street's group is
    its district), each group by level and code."""
    departments = (Department.objects.filter(is_active=True).select_related("region__parent")
                   .order_by("level", "code"))
    city: list[tuple[int, str]] = []
    districts: dict[str, tuple[str, list[tuple[int, str]]]] = {}
    for department in departments:
        region = department.region
        if department.level == DepartmentLevel.CITY or region.level <= RegionLevel.CITY:
            city.append((department.pk, department.name))
            continue
        while region.level > RegionLevel.DISTRICT and region.parent is not None:
            region = region.parent  # select_related reaches a street's district; deeper costs a query
        districts.setdefault(region.code, (region.name, []))[1].append((department.pk, department.name))
    groups = [(_("市级部门"), city)] if city else []
    return groups + [districts[code] for code in sorted(districts)]


def return_reason_choices() -> list[tuple[str, str]]:
    """The city's active return reasons (回退原因), in its order."""
    return list(ReturnReason.objects.filter(is_active=True).values_list("code", "label"))


def region_choices(user: User) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(districts, streets) the person may filter on."""
    regions = Region.objects.filter(level__in=[RegionLevel.DISTRICT, RegionLevel.STREET]).order_by("code")
    if user.region_id and user.region.level >= RegionLevel.DISTRICT:
        code = user.region.code
        regions = regions.filter(code__startswith=code[:6] if user.region.level == RegionLevel.DISTRICT else code)
    districts, streets = [], []
    for pk, name, level in regions.values_list("pk", "name", "level"):
        (districts if level == RegionLevel.DISTRICT else streets).append((pk, name))
    return districts, streets


@dataclass
class MapContext:
    grid: dict | None
    neighbours: list[dict]
    components: list[dict]


def case_map(case: Case) -> MapContext:
    """The case's unit grid, the grids around it (from the locator's in-memory index) and the
    components nearest to it (one query), as plain data for Leaflet."""
    lon, lat, d = case.lon, case.lat, NEARBY_DEGREES
    grid = case.unit_grid
    neighbours = [{"code": code, "geometry": shapely.geometry.mapping(polygon)}
                  for code, polygon in grid_index().near(lon, lat, d, limit=NEARBY_GRIDS_MAX,
                                                         exclude=grid.code if grid else "")]
    # Plain rows and the status labels translated once: model instances and get_status_display()
    # per component were a third of the case page's time.
    components = components_nearest(lon=lon, lat=lat, degrees=d, limit=NEARBY_COMPONENTS_MAX)
    status_labels = {value: str(label) for value, label in Component._meta.get_field("status").choices}
    return MapContext(
        grid={"code": grid.code, "geometry": grid.geometry} if grid else None,
        neighbours=neighbours,
        components=[
            {"code": c["code"], "name": c["name"] or c["minor__name"], "lon": c["lon"], "lat": c["lat"],
             "status": status_labels.get(c["status"], c["status"]), "own": c["pk"] == case.component_id}
            for c in components
        ],
    )


# --- the overview ------------------------------------------------------------------------------

def overview_counts(user: User) -> dict[str, int]:
    """Cases in scope by state (one query)."""
    states = [value for value, _label in State.choices]
    row = cases_visible(user).aggregate(**{value: Count("pk", filter=Q(state=value)) for value in states})
    return row


def overview_lights(user: User, *, now: datetime) -> dict[str, int]:
    """Open cases by the traffic light of their current step. Red comes from SQL; yellow and green
    need working time on the calendar, computed for up to LIGHTS_EXACT_MAX running steps."""
    open_cases = cases_visible(user).filter(state__in=OPEN_STATES, current_deadline__isnull=False)
    red = open_cases.filter(current_deadline__lt=now).count()
    running = open_cases.filter(current_deadline__gte=now, current_step_started_at__isnull=False).values_list(
        "current_step_started_at", "current_deadline")[:LIGHTS_EXACT_MAX]
    lights = {"green": 0, "yellow": 0, "red": red}
    for started_at, deadline in running:
        lights[traffic_light(started_at=started_at, deadline=deadline, now=now)] += 1
    return lights


def overview_intake_today(user: User, *, now: datetime) -> list[dict]:
    """Today's reports (city time) by source, every source listed (one query)."""
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow = midnight + timedelta(days=1)
    counts = dict(
        cases_visible(user).filter(Q(reported_at__gte=midnight, reported_at__lt=tomorrow)
                                   & reported_between_q(midnight, tomorrow))
        .order_by().values_list("source").annotate(n=Count("pk")).values_list("source", "n")
    )
    return [{"source": value, "label": label, "n": counts.get(value, 0)} for value, label in Source.choices]


def overview_grids(user: User, *, now: datetime, limit: int = 5000) -> list[dict]:
    """Open cases by unit grid (with how many are overdue), with the grid outlines (two queries)."""
    rows = list(
        cases_visible(user).filter(state__in=OPEN_STATES).order_by().values("unit_grid_id")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(current_deadline__lt=now)))
        .order_by("-n")[:limit]
    )
    grids = {pk: (code, geometry) for pk, code, geometry in UnitGrid.objects.filter(
        pk__in=[row["unit_grid_id"] for row in rows]).values_list("pk", "code", "geometry")}
    return [
        {"code": grids[row["unit_grid_id"]][0], "geometry": grids[row["unit_grid_id"]][1], "n": row["n"],
         "overdue": row["overdue"]}
        for row in rows if row["unit_grid_id"] in grids
    ]
