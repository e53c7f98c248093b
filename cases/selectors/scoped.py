"""Reads of the case loop, already limited to what the person may see, with the joins each page
and endpoint needs so that lists cost a constant number of queries."""
from django.db import connection
from django.db.models import Func, Model, Q, QuerySet, TextField, Value
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from core.queries import row_by_key
from grids.models import Region, UnitGrid, User

from ..marks import MARK_COLUMNS
from ..models import (
    CLOCK_RUNNING_STATES,
    OPEN_STATES,
    QUEUE_STATES,
    Attachment,
    Case,
    CaseAssist,
    CaseEvent,
    CaseRequest,
    CaseStep,
    RequestStatus,
    Task,
)
from ..permissions import scope_filter

LIST_RELATED = ("minor", "district", "street", "community", "unit_grid", "department", "suggested_department")
# The unit grid's polygon is the widest column a list row would drag along, and no list shows it.
LIST_DEFERRED = ("unit_grid__geometry",)


def cases_visible(user: User) -> QuerySet[Case]:
    """Every case the person may see (two-level supervision and command). A department's scope is
    its own cases OR those it assists on (协办), the latter as `id = ANY(ARRAY(SELECT case_id …))`
    (core.queries.InSubquery): as `OR EXISTS (…)` PostgreSQL estimated it at half the table and
    picked scans for it. EXPLAIN ANALYZE, 200,000 generated cases, 5,204 assists (3 % of the
    dispatched), PostgreSQL 15, best of 7 on a loaded 2-core machine, ms (led only / OR EXISTS /
    ANY(ARRAY)): a department of 3,166 cases and 128 assists: the list's capped count 0.95 / 125.8
    (a sequential scan, estimated 101,607 rows) / 1.7 (BitmapOr of two indexes, estimated 3,223);
    a page by deadline 1.8 / 2.2 / 3.2; dispatched by deadline 0.6 / 1.6 / 1.3. A department of
    26,161 cases and 111 assists: count 3.0 / 3.4 / 6.8, page 0.6 / 0.9 / 1.0, dispatched
    0.7 / 1.2 / 2.2 (same plans as led only: a sequential or index scan filtering the ids)."""
    cases = Case.objects.all()
    condition = scope_filter(user)
    if condition is not None:
        cases = cases.filter(condition)
    return cases


def case_list(user: User) -> QuerySet[Case]:
    return cases_visible(user).select_related(*LIST_RELATED).defer(*LIST_DEFERRED)


# The API list (issue 7): three joins, and the two references that are never NULL fetched by primary
# key for the page's rows, only the column the list shows (one small query each, as many whatever
# the page size). PostgreSQL plans a join of the case table with N lookups by trying every order (a
# star: every subset joins the case) and the case table's many indexes give each step several
# paths: planning the wide join cost many times its execution (figures: bench/README.md).
ROWS_JOINED = ("minor", "district", "department")
# The columns a list row shows (CaseListOutput), of the case and of its joined references.
ROW_COLUMNS = (
    "number", "source", "kind", "state", "urgency", "lon", "lat", "address", "current_step", "current_deadline",
    "current_step_started_at", "reported_at", "duplicate_of", "street", "unit_grid",
    "minor__code", "minor__name", "district__name", "department__name", *MARK_COLUMNS,
)


def case_rows(user: User) -> QuerySet[Case]:
    """The API list's rows (CaseListOutput), in a shape that plans in milliseconds and loads only the
    columns a row shows; case_rows_complete adds the street and unit grid of a page's rows."""
    return cases_visible(user).select_related(*ROWS_JOINED).only(*ROW_COLUMNS)


def case_rows_complete(cases: list[Case]) -> list[Case]:
    """A page of case_rows with their street and unit grid, one query by key each (the list view
    calls it on the page it serializes)."""
    references_attach(cases, field="street", queryset=Region.objects.only("name"))
    references_attach(cases, field="unit_grid", queryset=UnitGrid.objects.only("code"))
    return cases


def references_attach(objects: list[Model], *, field: str, queryset: QuerySet | None = None) -> None:
    """Give each object its `field` (a foreign key) from one query by the key it points at
    (`queryset`, by default every column), none when every one is NULL: what
    prefetch_related(field) does, without its machinery per object and per query, which cost a
    50-row page 4 CPU-ms for two references (cProfile: a third of the rows' time). A key whose
    row is missing (no database constraint) reads as None, where a lazy load would raise."""
    if not objects:
        return
    relation = objects[0]._meta.get_field(field)
    queryset = queryset if queryset is not None else relation.related_model._base_manager.all()
    ids = {getattr(o, relation.attname) for o in objects} - {None}
    # No ORDER BY (a model's default ordering): a look-up by key, and compiling the ordering cost more.
    targets = queryset.order_by().in_bulk(ids, field_name=relation.target_field.attname) if ids else {}
    for o in objects:
        relation.set_cached_value(o, targets.get(getattr(o, relation.attname)))


def case_detail(user: User, case_id: int) -> Case | None:
    """A case with everything its page shows: six joins (the earlier 13-table join took far longer
    to plan than to run, see case_rows and bench/README.md), the other references by primary key
    and none when NULL (references_attach), and
    its timeline, steps, photos, tasks and requests as lists on the case (case_lists_attach)."""
    case = row_by_key(cases_visible(user).select_related(*ROWS_JOINED, "suggested_department", "street", "unit_grid")
                      .filter(pk=case_id))
    if case is None:
        return None
    for field in ("community", "reporter", "component", "responsibility_grid", "merged_into", "duplicate_of"):
        references_attach([case], field=field)
    return case_lists_attach(case, page=True)


def case_lists_attach(case: Case, *, page: bool = False) -> Case:
    """The case's timeline, steps, photos and requests as plain lists on it, one query each:
    `detail_events` (with their actors, in time order), `detail_steps`, `detail_attachments`,
    `detail_requests`; for the case page also who asked and who decided each request, and the
    collectors' tasks (`detail_tasks`).
    prefetch_related did the same with its machinery per relation, a third of the detail's CPU
    (cProfile, bench/request_cpu.py)."""
    case.detail_events = list(CaseEvent.objects.filter(case_id=case.pk).select_related("actor")
                              .order_by("created_at", "pk"))
    case.detail_steps = list(CaseStep.objects.filter(case_id=case.pk))  # each in its model's order
    case.detail_attachments = list(Attachment.objects.filter(case_id=case.pk))
    requests = CaseRequest.objects.filter(case_id=case.pk)
    case.detail_requests = list(requests.select_related("requested_by", "decided_by") if page else requests)
    if page:
        case.detail_tasks = list(Task.objects.filter(case_id=case.pk))
        case.detail_assists = list(CaseAssist.objects.filter(case_id=case.pk).select_related("department"))
    return case


def case_receipt(case_id: int) -> Case:
    """A case with what its intake receipt shows, for a retried report (the idempotency key is the
    reporter's own, so the case is theirs: no scope filter)."""
    return (Case.objects.select_related("minor", "unit_grid", "suggested_department", "duplicate_of")
            .prefetch_related("attachments").get(pk=case_id))


def case_detail_api(user: User, case_id: int) -> Case | None:
    """What the API's CaseDetailOutput shows of a case (less than the page: no community, reporter,
    responsibility grid or tasks, no unit grid polygon): the case with three joins, its other
    references by primary key (none when NULL) and its lists (case_lists_attach)."""
    case = row_by_key(cases_visible(user).select_related(*ROWS_JOINED).filter(pk=case_id))
    if case is None:
        return None
    references_attach([case], field="street", queryset=Region.objects.only("name"))
    references_attach([case], field="unit_grid", queryset=UnitGrid.objects.only("code"))
    references_attach([case], field="suggested_department")
    references_attach([case], field="component")
    return case_lists_attach(case)


def case_queue(user: User) -> QuerySet[Case]:
    """The person's work list, most urgent deadline first."""
    cases = case_list(user)
    states = QUEUE_STATES.get(user.role, OPEN_STATES)
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
    """Cases whose number starts with the text or whose description or address contains it. On
    PostgreSQL a two-character term is found through the bigram indexes (cases/migrations/0008);
    longer terms are LIKE served by the trigram indexes (0005); elsewhere, and for one character,
    LIKE reads every case."""
    found = Q(number__startswith=text)
    for field in ("description", "address"):
        if len(text) == 2 and connection.vendor == "postgresql":
            found |= _contains_by_bigram(field, text)
        else:
            found |= Q(**{f"{field}__icontains": text})
    return found


def _contains_by_bigram(field: str, text: str) -> Q:
    """STRPOS(UPPER(field), UPPER(text)) > 0 AND text_bigrams(UPPER(field)) @> text_bigrams(UPPER(text)).

    Either half alone says "contains" for a two-character term; both are there for the planner.
    The second is the indexed expression: a bitmap scan of the GIN index when the term is rare,
    with an estimate of the matches from the expression's statistics. The first is what a scan
    in deadline order checks on every row it passes when the term is common: PostgreSQL evaluates
    the cheaper half first, and text_bigrams costs many times STRPOS a row (figures in
    bench/README.md). STRPOS rather than LIKE: PostgreSQL estimates LIKE's selectivity and would
    multiply it with the bigrams', and on that underestimate sort every match of a common term
    instead of stopping after the page."""
    # Imported here: only PostgreSQL takes this path, and django.contrib.postgres loads psycopg,
    # which a SQLite process never needs.
    from django.contrib.postgres.fields import ArrayField
    from django.contrib.postgres.lookups import DataContains

    bigrams = ArrayField(TextField())
    found_anywhere = GreaterThan(StrIndex(Upper(field), Upper(Value(text))), 0)
    indexed = DataContains(Func(Upper(field), function="text_bigrams", output_field=bigrams),
                           Func(Upper(Value(text)), function="text_bigrams", output_field=bigrams))
    return Q(found_anywhere) & Q(indexed)
