"""What a move writes, and how: the running step completed from the case's own clock columns
(cases.steps.step_complete), the case's UPDATE limited to the columns the move changed, and the
number of queries of each move of the loop (issue 7: a move is a handful of statements).

The consistency rules of cases.generate.history_check, which the synthetic history must pass, are
asked of histories the workflow itself wrote: on-time verdicts equal to "completed by the deadline",
the case's current step equal to its one open step, milestones in order.
"""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import steps
from cases.generate import history_check
from cases.models import CaseStep, StepKind

from .helpers import at, report

pytestmark = pytest.mark.django_db



def test_histories_written_by_the_workflow_pass_the_consistency_rules(city, clock, act):
    sanitation = city.departments["sanitation_a"].pk
    # Extended, then handled after the first deadline but before the moved one: on time.
    extended = report(city)
    act("file", "shift_leader", extended)
    act("dispatch", "dispatcher", extended, department_id=sanitation)  # due 03-05 15:00
    clock.set("2025-03-05 14:00")
    act("request_extension", "handler_a", extended, requested_deadline=at("2025-03-06 12:00"), note="需调车")
    act("approve_extension", "dispatcher", extended)
    clock.set("2025-03-06 10:00")
    extended = act("report_handled", "handler_a", extended)
    assert extended.handled_on_time is True
    act("send_check", "operator", extended)
    act("check_fail", "collector_a", extended, note="仍有残留")
    clock.set("2025-03-09 10:00")  # past the rework's fresh limit
    extended = act("report_handled", "handler_a", extended)
    assert extended.handled_on_time is False
    act("send_check", "operator", extended)
    act("check_pass", "collector_a", extended)
    extended = act("close", "shift_leader", extended)
    assert (extended.state, extended.closed_on_time) == ("closed", False)

    # Verified, returned, re-dispatched, suspended and resumed; left open, waiting for its check.
    clock.set("2025-03-10 09:00")
    suspended = report(city, by="hotline_agent", source="hotline_12319")
    act("send_verify", "operator", suspended)
    act("verify", "collector_a", suspended, is_true=True)
    act("file", "shift_leader", suspended)
    act("dispatch", "dispatcher", suspended, department_id=sanitation)
    act("return", "handler_a", suspended, reason_code="other", note="不属于本单位")
    act("dispatch", "dispatcher", suspended, department_id=sanitation)
    act("request_suspension", "handler_a", suspended, until=timezone.localdate() + timedelta(days=30), note="待协调")
    act("approve_suspension", "shift_leader", suspended)
    clock.set("2025-03-11 09:00")
    act("resume", "shift_leader", suspended)
    act("report_handled", "handler_a", suspended)

    # Proposed, then voided.
    voided = report(city)
    act("propose_file", "operator", voided)
    act("void", "shift_leader", voided, note="不属于受理范围")

    assert {rule: broken for rule, broken in history_check().items() if broken} == {}
    handle = CaseStep.objects.filter(case=extended, kind=StepKind.HANDLE).order_by("pk").first()
    assert (handle.deadline, handle.on_time) == (at("2025-03-06 12:00"), True)  # the moved deadline judged it


def test_a_step_of_another_kind_than_the_running_one_is_not_completed(city, clock):
    case = report(city)  # running: accept
    assert steps.step_complete(case, clock(), kind=StepKind.HANDLE) is None
    assert CaseStep.objects.get(case=case).completed_at is None
    done = steps.step_complete(case, clock(), kind=(StepKind.FILE, StepKind.ACCEPT))
    assert (done.kind, done.on_time) == (StepKind.ACCEPT, True)
    assert CaseStep.objects.get(case=case).completed_at == clock()


def test_a_move_updates_only_the_case_columns_it_changed(city, clock, act):
    case = report(city)
    act("file", "shift_leader", case)
    clock.set("2025-03-05 09:20")
    with CaptureQueriesContext(connection) as queries:
        act("dispatch", "dispatcher", case, department_id=city.departments["sanitation_a"].pk)
    (update,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "cases_case"')]
    assigned = update.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    columns = {part.split(" = ", 1)[0].strip().strip('"') for part in assigned.split(", ")
               if " = " in part}
    assert columns == {"state", "department_id", "dispatched_at", "handle_deadline", "current_step",
                       "current_deadline", "current_step_started_at", "updated_at"}


# The statements of each move: the locked case, the move's own reads and writes (the permission
# check of a collector's grid, the task, the steps, the requests a handling ends, the assisting
# departments' tasks a handled report waits for), the case, the event.
MOVE_QUERIES = {
    "propose_file": 7, "file": 7, "dispatch": 8, "report_handled": 9, "send_check": 6, "check_pass": 10,
    "close": 6,
}


def test_each_move_of_the_loop_in_a_fixed_number_of_queries(city, clock, act):
    case = report(city)
    moves = [
        ("propose_file", "operator", {}), ("file", "shift_leader", {}),
        ("dispatch", "dispatcher", {"department_id": city.departments["sanitation_a"].pk}),
        ("report_handled", "handler_a", {}), ("send_check", "operator", {}), ("check_pass", "collector_a", {}),
        ("close", "shift_leader", {}),
    ]
    counted = {}
    for action, by, arguments in moves:
        with CaptureQueriesContext(connection) as queries:
            act(action, by, case, **arguments)
        counted[action] = len(queries.captured_queries)
    assert counted == MOVE_QUERIES
