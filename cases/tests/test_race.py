"""Concurrent moves on one case (PostgreSQL, real row locks): exactly one wins, the others are told
the move no longer applies, and exactly one event is written. Concurrent intake with one
idempotency key makes one case; concurrent intake at the start of a year numbers every case."""
import threading
import time

import pytest
from django.db import connection, transaction

from cases import services, workflow
from cases.models import Case, CaseEvent, CaseStep, State, StepKind
from citygrid.testing import point_in, race
from core.errors import ApplicationError, ConflictError

from .helpers import case_build

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8



def one_winner(results) -> None:
    winners = [value for outcome, value in results if outcome == "ok"]
    losers = [value for outcome, value in results if outcome == "error"]
    assert len(winners) == 1, results
    assert all(isinstance(error, ConflictError) for error in losers), losers


def test_one_dispatch_wins(city):
    case = case_build(city, State.FILED, department=None)
    department_id = city.departments["sanitation_a"].pk
    results = race(lambda i: workflow.case_dispatch(actor=city.users["dispatcher"], case_id=case.pk,
                                                    department_id=department_id))
    one_winner(results)
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1
    assert CaseStep.objects.filter(case=case, kind=StepKind.HANDLE).count() == 1
    assert Case.objects.get(pk=case.pk).state == State.DISPATCHED


def test_one_close_wins(city):
    case = case_build(city, State.CHECKED)
    results = race(lambda i: workflow.case_close(actor=city.users["shift_leader"], case_id=case.pk))
    one_winner(results)
    assert CaseEvent.objects.filter(case=case, action="close").count() == 1
    assert CaseEvent.objects.filter(case=case).count() == 1
    assert Case.objects.get(pk=case.pk).state == State.CLOSED


def test_file_and_void_race(city):
    case = case_build(city, State.REPORTED, department=None)

    def work(index):
        if index % 2:
            return workflow.case_file(actor=city.users["shift_leader"], case_id=case.pk)
        return workflow.case_void(actor=city.users["shift_leader"], case_id=case.pk, note="不予立案")

    one_winner(race(work, THREADS))
    events = list(CaseEvent.objects.filter(case=case).values_list("action", "to_state"))
    assert len(events) == 1
    assert Case.objects.get(pk=case.pk).state == events[0][1]


def test_urges_all_count(city):
    """Moves that keep the state do not conflict: they queue on the lock and all count."""
    case = case_build(city, State.DISPATCHED)
    results = race(lambda i: workflow.case_urge(actor=city.users["dispatcher"], case_id=case.pk, note=f"督办{i}"))
    assert all(outcome == "ok" for outcome, _ in results), results
    assert Case.objects.get(pk=case.pk).urge_count == THREADS
    assert CaseEvent.objects.filter(case=case, action="urge").count() == THREADS


def test_idempotent_intake_race(city):
    lon, lat = point_in(0)

    def work(index):
        return services.case_report(actor=city.users["collector_a"], source="collector",
                                    minor_id=city.classes["garbage"].pk, lon=lon, lat=lat,
                                    description="同一次提交的重试", idempotency_key="retry-race-1")

    results = race(work, THREADS)
    assert all(outcome == "ok" for outcome, _ in results), results
    assert len({value.case.pk for _, value in results}) == 1
    assert sum(value.created for _, value in results) == 1
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1


def test_first_reports_of_a_year_race_for_their_numbers(city, clock):
    """The first intake of a year creates that year's number sequence: concurrent first reports
    must each get a number, all different and consecutive."""
    clock.set("2031-01-01 09:00")
    with connection.cursor() as cursor:
        cursor.execute("DROP SEQUENCE IF EXISTS case_number_2031")
    lon, lat = point_in(1)

    def work(index):
        return services.case_report(actor=city.users["collector_a"], source="collector",
                                    minor_id=city.classes["garbage"].pk, lon=lon, lat=lat,
                                    description=f"新年第{index}件")

    results = race(work, THREADS)
    assert all(outcome == "ok" for outcome, _ in results), results
    numbers = sorted(Case.objects.values_list("number", flat=True))
    assert numbers == [f"2031{n:08d}" for n in range(1, THREADS + 1)]


def test_merge_waits_for_a_move_on_the_case_that_stays(city):
    """The merge locks its target too: while the target is being voided, the merge waits and then
    finds it closed, instead of joining a duplicate to a case that is going away."""
    target = case_build(city, State.REPORTED, department=None)
    duplicate = case_build(city, State.REPORTED, department=None)
    target_locked = threading.Event()

    def work(index):
        if index == 0:
            # A move on the target alone, as _apply makes it: lock the row, change the state.
            with transaction.atomic():
                Case.objects.select_for_update(no_key=True).get(pk=target.pk)
                Case.objects.filter(pk=target.pk).update(state=State.VOIDED)
                target_locked.set()
                time.sleep(0.5)
            return "voided"
        assert target_locked.wait(timeout=30)
        return workflow.case_merge(actor=city.users["operator"], case_id=duplicate.pk, into_case_id=target.pk)

    results = race(work, threads=2)
    assert results[0] == ("ok", "voided")
    outcome, error = results[1]
    assert outcome == "error" and isinstance(error, ApplicationError) and "已办结" in str(error), results
    assert Case.objects.get(pk=duplicate.pk).state == State.REPORTED
