"""The monthly partitions of the history tables on PostgreSQL (core.partitions, the `partitions`
command, the beat task): the tables are partitioned, a month's queries read only that month's
partitions, `ensure` is idempotent and splits DEFAULT, a month survives detach and attach, and a
table in use converts in batches without losing a row written meanwhile."""
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from assessment.counters import EVENT_ACTIONS, SOURCES, case_bounded, q_event
from assessment.periods import window_for
from cases.models import Case, CaseEvent, CaseStep, StepKind
from cases.tests.helpers import report
from citygrid.tasks import partitions_ensure_task
from citygrid.testing import at
from core import partitions
from core.partitions import Month
from patrol.models import DutyShift, PatrolPoint
from patrol.selectors import track_of_day

pytestmark = pytest.mark.postgres

MARCH, APRIL = Month(2025, 3), Month(2025, 4)


def partitions_read(queryset, table: str) -> set[str]:
    """The partitions of `table` the plan of the queryset reads."""
    plan = queryset.explain()
    return set(re.findall(rf"\b{table}_(p\d{{4}}_\d{{2}}|default)\b", plan))


def rows_in(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


@pytest.fixture
def march_history(city, clock):
    """Two cases reported in March 2025 and one in April, and a collector's points on both days,
    their history written before its months have partitions (so into DEFAULT); then `ensure`. The
    cases' months are made first, as generate_cases does: rows of the case table, referenced, stay
    in DEFAULT once there (test_case_partitions)."""
    partitions.ensure_span(MARCH.start, APRIL.start, tables=["cases_case"])
    report(city)
    report(city, grid=1)
    clock.set(at("2025-04-02 10:00"))
    report(city)
    collector = city.users["collector_a"]
    for day in ("2025-03-05 09:00", "2025-04-02 09:00"):
        shift = DutyShift.objects.create(collector=collector, started_at=at(day), ended_at=at(day) + timedelta(hours=1))
        PatrolPoint.objects.bulk_create(
            PatrolPoint(collector=collector, shift=shift, at=at(day) + timedelta(minutes=i), lon=112.9, lat=28.2)
            for i in range(5))
    clock.set(at("2025-03-20 10:00"))
    return city


def test_the_history_tables_are_partitioned_by_month(db):
    assert partitions.partitioned_tables() == {
        "cases_case": "id", "cases_caseevent": "created_at", "cases_casestep": "started_at",
        "patrol_patrolpoint": "at"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'cases_caseevent_pkey'")
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, created_at)"


def test_rows_of_a_month_without_partition_wait_in_default_and_status_warns(march_history):
    assert rows_in("cases_caseevent_default") == CaseEvent.objects.count() > 0
    errors = StringIO()
    call_command("partitions", "status", stdout=StringIO(), stderr=errors)
    assert "rows in cases_caseevent_default" in errors.getvalue()
    assert "run `partitions ensure`" in errors.getvalue()


def test_ensure_splits_default_out_and_is_idempotent(march_history):
    events, points = CaseEvent.objects.count(), PatrolPoint.objects.count()
    created = partitions.ensure(ahead=3)
    assert {"cases_caseevent_p2025_03", "cases_caseevent_p2025_04", "cases_caseevent_p2025_06",
            "cases_casestep_p2025_03", "patrol_patrolpoint_p2025_04"} <= set(created)
    assert rows_in("cases_caseevent_default") == rows_in("cases_casestep_default") == 0
    assert rows_in("patrol_patrolpoint_default") == 0
    assert rows_in("cases_caseevent_p2025_03") > 0 and rows_in("patrol_patrolpoint_p2025_03") == 5
    assert (CaseEvent.objects.count(), PatrolPoint.objects.count()) == (events, points)
    assert partitions.ensure(ahead=3) == []
    errors = StringIO()
    call_command("partitions", "status", stdout=StringIO(), stderr=errors)
    assert errors.getvalue() == ""


def test_a_months_queries_read_only_that_months_partitions(march_history):
    partitions.ensure(ahead=3)
    window = window_for(MARCH.start.date(), APRIL.start.date())
    # The assessment's event counters (a month's moves), and its steps started in the month.
    events = CaseEvent.objects.filter(q_event(EVENT_ACTIONS, window))
    assert partitions_read(events, "cases_caseevent") == {"p2025_03"}
    steps = CaseStep.objects.filter(kind=StepKind.HANDLE, started_at__gte=window.start, started_at__lt=window.end)
    assert partitions_read(steps, "cases_casestep") == {"p2025_03"}
    # The patrol day (one collector's track), the map's heaviest read of points.
    collector = march_history.users["collector_a"]
    day = PatrolPoint.objects.filter(collector=collector, at__gte=at("2025-04-02 00:00"), at__lt=at("2025-04-03 00:00"))
    assert partitions_read(day, "patrol_patrolpoint") == {"p2025_04"}
    assert len(track_of_day(collector.pk, at("2025-04-02 00:00").date())) == 5
    # Without a bound on the month column every partition is read: the pruning above is real.
    assert len(partitions_read(CaseEvent.objects.filter(action="report"), "cases_caseevent")) > 2


def test_steps_counted_by_completion_skip_the_months_after_the_window(march_history):
    """The assessment's step passes count by `completed_at`; their bound `started_at < end` (a step
    starts before it completes) prunes every later month. Earlier months stay: no lower bound is exact."""
    partitions.ensure(ahead=3)
    CaseStep.objects.filter(completed_at__isnull=True).update(completed_at=at("2025-04-03 10:00"))
    march = window_for(MARCH.start.date(), APRIL.start.date())
    april = window_for(APRIL.start.date(), APRIL.next().start.date())
    for source in ("step", "handle_step"):
        assert partitions_read(CaseStep.objects.filter(SOURCES[source].prefilter(march)),
                               "cases_casestep") == {"p2025_03", "default"}
    completed_in_april = CaseStep.objects.filter(SOURCES["step"].prefilter(april))
    assert partitions_read(completed_in_april, "cases_casestep") == {"p2025_03", "p2025_04", "default"}
    # The bound drops no row: every step completed in April, whenever it started, is counted.
    assert completed_in_april.count() == CaseStep.objects.filter(
        completed_at__gte=april.start, completed_at__lt=april.end).count() > 0
    unbounded = CaseStep.objects.filter(completed_at__gte=march.start, completed_at__lt=march.end)
    assert partitions_read(unbounded, "cases_casestep") >= {"p2025_04", "p2025_05", "p2025_06"}


@pytest.fixture
def march_cases(city, clock):
    """The months March to June 2025 partitioned first (the case table's DEFAULT keeps the rows of a
    month without partition), then two cases reported in March and one in April."""
    partitions.ensure_span(MARCH.start, Month(2025, 6).start)
    report(city)
    report(city, grid=1)
    clock.set(at("2025-04-02 10:00"))
    report(city)
    clock.set(at("2025-03-20 10:00"))
    return city


def test_the_assessments_case_reads_skip_the_other_months(march_cases):
    """The case table is partitioned by the month in its ids: the assessment's reads of a month's
    cases carry the id bound of their window (cases.months) and PostgreSQL prunes on it. DEFAULT
    stays in the plan: it holds the plain ids of a converted database (`id < LEGACY_CASE_ID_END`),
    which the bound keeps."""
    assert rows_in("cases_case_p2025_03") == 2 and rows_in("cases_case_p2025_04") == 1
    march = window_for(MARCH.start.date(), APRIL.start.date())
    reported = Case.objects.filter(reported_at__gte=march.start, reported_at__lt=march.end)
    # Reported in March (the collectors' grids): March's partition alone.
    grid = Case.objects.filter(SOURCES["case_grid"].prefilter(march))
    assert partitions_read(grid, "cases_case") == {"p2025_03", "default"}
    # The case pass (reported, filed, handled, closed, voided or overdue in March): March and the
    # months before it (none here), no month after.
    month_cases = Case.objects.filter(SOURCES["case"].prefilter(march))
    assert partitions_read(month_cases, "cases_case") == {"p2025_03", "default"}
    # The steps of March joined to their cases (the shift leaders' and dispatchers' pass, the
    # returned handlings, the events): the bound is put on the joined case table's id.
    steps = (CaseStep.objects.filter(SOURCES["step"].prefilter(march)).values("case__district_id")
             .annotate(n=Count("id")).order_by())
    assert partitions_read(case_bounded(steps, march.end), "cases_case") == {"p2025_03", "default"}
    # No row dropped by a bound.
    assert grid.count() == month_cases.filter(reported_at__lt=march.end).count() == reported.count() == 2
    assert sorted(case_bounded(steps, march.end).values_list("n", flat=True)) == sorted(
        steps.values_list("n", flat=True))
    # Without the bound every month is read (the months of April to June exist): the pruning is real.
    unbounded = partitions_read(reported, "cases_case")
    assert unbounded >= {"p2025_03", "p2025_04", "p2025_05", "p2025_06", "default"}
    assert partitions_read(steps, "cases_case") == unbounded


def test_detach_to_the_archive_and_attach_back_keeps_the_rows(march_history):
    partitions.ensure(ahead=3)
    events, march_events = CaseEvent.objects.count(), rows_in("cases_caseevent_p2025_03")
    call_command("partitions", "detach", "2025", "3", stdout=StringIO())
    assert CaseEvent.objects.count() == events - march_events
    assert PatrolPoint.objects.count() == 5
    assert rows_in("archive.cases_caseevent_p2025_03") == march_events
    assert next(table for table in partitions.status() if table.table == "cases_caseevent").archived == [MARCH]
    call_command("partitions", "attach", "2025", "3", stdout=StringIO())
    assert CaseEvent.objects.count() == events
    assert PatrolPoint.objects.count() == 10
    assert partitions_read(CaseEvent.objects.filter(created_at__gte=MARCH.start, created_at__lt=MARCH.end),
                           "cases_caseevent") == {"p2025_03"}


def test_detach_of_a_month_without_partition_is_a_clear_error(db):
    with pytest.raises(Exception, match="has no partition for 1999-01"):
        call_command("partitions", "detach", "1999", "1", stdout=StringIO())


def test_the_beat_task_creates_the_months_ahead(db, clock):
    entry = settings.CELERY_BEAT_SCHEDULE["citygrid-partitions-ensure"]
    assert entry["task"] == partitions_ensure_task.name
    created = partitions_ensure_task.apply().get()
    assert "cases_caseevent_p2025_06" in created and "patrol_patrolpoint_p2025_03" in created
    assert partitions_ensure_task.apply().get() == []


def test_a_table_in_use_converts_in_batches_without_losing_a_write(march_history):
    partitions.unconvert("cases_casestep")
    assert not partitions.is_partitioned("cases_casestep")
    before = {step.pk: (step.kind, step.completed_at) for step in CaseStep.objects.all()}
    first, last = min(before), max(before)
    written = []

    def write_meanwhile(message: str) -> None:
        # Between two batches the application goes on: a step completed, one added.
        if "copied" in message and not written:
            CaseStep.objects.filter(pk=first).update(completed_at=at("2025-03-20 10:00"))
            step = CaseStep.objects.get(pk=last)
            step.pk = None
            step.save()
            written.append(step.pk)

    assert partitions.convert("cases_casestep", "started_at", batch_size=2, progress=write_meanwhile)
    assert partitions.is_partitioned("cases_casestep")
    assert CaseStep.objects.count() == len(before) + 1
    assert CaseStep.objects.get(pk=first).completed_at == at("2025-03-20 10:00")
    assert CaseStep.objects.filter(pk=written[0]).exists()
    new = CaseStep.objects.create(case_id=CaseStep.objects.get(pk=last).case_id, kind=StepKind.CHECK,
                                  started_at=at("2025-03-20 10:00"), deadline=at("2025-03-21 10:00"))
    assert new.pk > written[0]
    assert partitions.convert("cases_casestep", "started_at") is False
