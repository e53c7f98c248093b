"""generate_cases on the tiny test city: the counts, the milestone columns agreeing with the steps
and events, deadlines from the work calendar, and the same history for the same seed. Runs on
SQLite (bulk_create) and on PostgreSQL (COPY) alike."""
from datetime import UTC, datetime

import numpy as np
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from cases.calendar import WorkCalendar
from cases.generate import cases_generate, history_check
from cases.generate.ids import month_id_floors
from cases.models import Case, CaseEvent, CaseRequest, CaseStep, Source, State, Task, event_log_maintenance
from cases.steps import handling_limit
from core.partitions import CASE_ID_MONTH, LEGACY_CASE_ID_END, case_id_floor

UNTIL = "2026-03-16T08:00:00Z"
COUNT = 800

pytestmark = pytest.mark.django_db


def _generate(count=COUNT, seed=3):
    call_command("generate_cases", "--count", str(count), "--months", "2", "--seed", str(seed), "--batch", "300",
                 "--until", UNTIL, "--no-progress")


def test_counts_and_mix(city):
    _generate()
    assert Case.objects.count() == COUNT
    assert CaseEvent.objects.filter(action="report").count() == COUNT
    assert CaseStep.objects.filter(kind="accept").count() == COUNT
    assert Task.objects.exists() and CaseRequest.objects.exists()
    assert Case.objects.values("number").distinct().count() == COUNT
    assert Case.objects.filter(number__startswith="2026").count() + Case.objects.filter(
        number__startswith="2025").count() == COUNT
    sources = dict(Case.objects.values_list("source").annotate(n=Count("id")))
    assert sources[Source.COLLECTOR] > COUNT / 2, sources
    states = set(Case.objects.values_list("state", flat=True))
    assert {State.CLOSED, State.VOIDED} <= states
    assert states & {State.DISPATCHED, State.SUSPENDED, State.CHECKING, State.FILED, State.REPORTED}
    # Classes are skewed as in the cities' reports (a few classes carry most cases), and the
    # lifecycle's side paths all occur: late as well as on-time handling, returns, extensions.
    per_class = sorted(Case.objects.values("minor").annotate(n=Count("id")).values_list("n", flat=True), reverse=True)
    assert len(per_class) > 1 and per_class[0] >= 2 * per_class[-1], per_class
    handled = dict(Case.objects.filter(handled_on_time__isnull=False).values_list("handled_on_time")
                   .annotate(n=Count("id")))
    assert handled.get(True, 0) > handled.get(False, 0) > 0, handled
    assert Case.objects.filter(return_count__gt=0).exists()
    assert Case.objects.filter(extension_count__gt=0).exists()
    until = datetime.fromisoformat(UNTIL)
    assert not Case.objects.filter(reported_at__gt=until).exists()
    assert not CaseEvent.objects.filter(created_at__gt=until).exists()
    # Every case sits inside its unit grid's box, in the grid's district.
    for case in Case.objects.select_related("unit_grid"):
        grid = case.unit_grid
        assert grid.min_lon <= case.lon <= grid.max_lon and grid.min_lat <= case.lat <= grid.max_lat
        assert case.district_id == grid.district_id


def test_milestones_agree_with_steps_and_events(city):
    _generate()
    assert {name: n for name, n in history_check().items() if n} == {}
    closed = Case.objects.filter(state=State.CLOSED)
    assert closed.exists()
    for case in closed:
        assert case.closed_at >= case.handled_at >= case.dispatched_at >= case.filed_at >= case.reported_at
        assert case.handled_on_time is not None and case.closed_on_time is not None
    reworks = dict(CaseEvent.objects.filter(action="check_fail").values_list("case").annotate(n=Count("id")))
    for case_id, rework_count in Case.objects.values_list("id", "rework_count"):
        assert rework_count == reworks.get(case_id, 0)
    assert Case.objects.filter(rework_count__gt=0).exists()
    for case in Case.objects.filter(state__in=[State.VOIDED]):
        assert case.voided_at and case.current_step == "" and case.current_deadline is None


def test_deadlines_come_from_the_work_calendar(city):
    _generate(count=300)
    steps = CaseStep.objects.select_related("case", "case__minor").filter(
        case__extension_count=0, case__suspension_count=0)
    assert steps.exists()
    for step in steps:
        if step.kind == "handle":
            amount, unit = handling_limit(step.case)
            expected = WorkCalendar.for_department(step.department_id).deadline(step.started_at, amount=amount,
                                                                               unit=unit)
        else:
            expected = WorkCalendar.for_department(None).add_work_time(
                step.started_at, hours=settings.STEP_LIMITS_HOURS[step.kind])
        assert step.deadline == expected, (step.kind, step.started_at)
        if step.on_time is not None and step.kind != "accept":
            assert step.on_time == (step.completed_at <= step.deadline)


@pytest.mark.postgres
def test_case_ids_carry_their_reported_month(city):
    """On PostgreSQL a generated case's id is its city month's base plus a value of the case id
    sequence (cases.months.case_id_new, in bulk): it lands in its month's partition, and every row
    of the case names that id."""
    _generate(count=300)
    months = {case_id: timezone.localtime(reported_at) for case_id, reported_at
              in Case.objects.values_list("id", "reported_at")}
    assert len(months) == 300 and len({local.month for local in months.values()}) == 3
    assert all(case_id // CASE_ID_MONTH == local.year * 100 + local.month for case_id, local in months.items())
    # Ordered by id as by the time reported; the values of one sequence, so unique across months.
    by_time = sorted(months, key=lambda case_id: (months[case_id], case_id))
    assert by_time == sorted(months)
    assert len({case_id % CASE_ID_MONTH for case_id in months}) == 300
    for model in (CaseStep, CaseEvent, Task, CaseRequest):
        assert set(model.objects.values_list("case_id", flat=True)) <= set(months), model.__name__


def test_case_ids_are_plain_on_sqlite(city):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL: test_case_ids_carry_their_reported_month")
    _generate(count=50)
    assert Case.objects.filter(id__gte=LEGACY_CASE_ID_END).count() == 0


def test_month_id_floors_agree_with_case_id_floor():
    """The generator's vectorised month base equals core.partitions.case_id_floor either side of
    the city's month boundaries (midnight Asia/Shanghai is 16:00 UTC the day before)."""
    instants = [datetime(2025, 12, 31, 15, 59, 59, tzinfo=UTC), datetime(2025, 12, 31, 16, tzinfo=UTC),
                datetime(2026, 1, 20, tzinfo=UTC), datetime(2026, 2, 28, 15, 59, 59, tzinfo=UTC),
                datetime(2026, 2, 28, 16, tzinfo=UTC), datetime(2026, 3, 31, 16, tzinfo=UTC)]
    epochs = np.array([int(moment.timestamp()) for moment in instants], dtype=np.int64)
    expected = [case_id_floor(moment) for moment in instants]
    assert month_id_floors(epochs).tolist() == expected
    assert expected[0] == 202512 * CASE_ID_MONTH and expected[-1] == 202604 * CASE_ID_MONTH
    assert month_id_floors(epochs[::-1]).tolist() == expected[::-1]


def test_the_check_notices_a_broken_history(city):
    _generate(count=200)
    case = Case.objects.filter(state=State.CLOSED).first()
    Case.objects.filter(pk=case.pk).update(rework_count=case.rework_count + 1)
    assert history_check()["rework_count != check_fail events"] == 1


def _fingerprint():
    return list(Case.objects.order_by("reported_at", "minor_id", "lon").values_list(
        "reported_at", "source", "minor_id", "lon", "lat", "state", "closed_at", "handle_deadline", "rework_count"))


def test_same_seed_same_history(city):
    until = datetime.fromisoformat(UNTIL).astimezone(UTC)
    cases_generate(count=250, months=2, seed=9, batch=100, until=until, progress=False)
    first = _fingerprint()
    events = CaseEvent.objects.count()
    with event_log_maintenance():  # the append-only log: only a maintenance context may forget it
        CaseEvent.objects.all().delete()
        Case.objects.all().delete()
    cases_generate(count=250, months=2, seed=9, batch=100, until=until, progress=False)
    assert _fingerprint() == first
    assert CaseEvent.objects.count() == events
    cases_generate(count=250, months=2, seed=10, batch=100, until=until, progress=False)
    assert Case.objects.filter(~Q(pk__in=[])).count() == 500


def test_work_minutes_as_the_calendar_counts_them(city):
    """The generator's work_minutes of every ended step equal the work calendar's working time from
    start to end, on the department's calendar for handling (the city's otherwise), less the
    suspended span (the resume events' paused_work_seconds), rounded down, as cases.steps writes
    them; open steps have none."""
    _generate(count=300)
    ended = CaseStep.objects.filter(completed_at__isnull=False).select_related("case")
    assert ended.filter(work_minutes__isnull=True).count() == 0
    assert not CaseStep.objects.filter(completed_at__isnull=True, work_minutes__isnull=False).exists()
    checked = 0
    for step in ended:
        calendar = WorkCalendar.for_department(step.department_id if step.kind == "handle" else None)
        seconds = calendar.work_seconds_between(step.started_at, step.completed_at)
        if step.kind == "handle" and step.case.suspension_count:
            paused = CaseEvent.objects.filter(case=step.case, action="resume", created_at__gte=step.started_at,
                                              created_at__lte=step.completed_at)
            seconds -= sum(event.payload["paused_work_seconds"] for event in paused)
        assert step.work_minutes == max(int(seconds // 60), 0), (step.kind, step.started_at, step.completed_at)
        checked += 1
    assert checked > 300


class _FailingLoad:
    """Stands in for PostgresLoad: the writer of the steps fails on its first COPY."""

    def __init__(self, conn, *, rebuild_indexes, tables=None):
        self.tables = tables or []
        self.index_seconds, self.triggers_skipped = 0.0, True

    def begin(self):
        pass

    def write(self, table, columns, data):
        if table == CaseStep._meta.db_table:
            raise RuntimeError("COPY refused")

    def finish(self):
        pass

    def backend_cpu(self):
        return 0.0


@pytest.mark.django_db(transaction=True)
def test_a_failing_writer_fails_the_load_instead_of_hanging(monkeypatch):
    """The writers that ended normally used to wait forever for a second end-of-data after the barrier broke."""
    import threading

    from cases.generate import writer

    monkeypatch.setattr(writer, "PostgresLoad", _FailingLoad)
    tables = [CaseStep._meta.db_table, CaseEvent._meta.db_table, Case._meta.db_table]
    payloads = ([(table, [], b"") for table in tables] for _batch in range(5))
    bar = type("Bar", (), {"total": 5, "show": lambda self, n: None})()
    outcome = []

    def load():
        try:
            writer.threaded_load(payloads, 1, bar, rebuild=False)
        except RuntimeError as error:
            outcome.append(str(error))

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "threaded_load hung after a writer failed"
    assert outcome == ["COPY refused"]
