"""Reads of the loop: each role's work queue (most urgent first) and the overdue list, which leaves
out suspended cases (their clock is paused) and closed ones."""
from datetime import timedelta

import pytest

from cases import selectors
from cases.models import Case, State

from .helpers import case_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(city, clock):
    # (a merged case would bring the open case it was merged into: left out)
    cases = {state: case_build(city, state) for state in State.values if state != State.MERGED}
    # Deadlines in the reverse of State's order, so that "most urgent first" is visible.
    for hours, state in enumerate(reversed(list(cases))):
        Case.objects.filter(pk=cases[state].pk).update(current_deadline=clock.now + timedelta(hours=hours + 1))
    return cases


@pytest.mark.parametrize(("username", "states"), [
    ("operator", [State.HANDLED, State.REPORTED]),
    ("shift_leader", [State.CHECKED, State.REPORTED]),
    ("dispatcher", [State.FILED]),
    ("handler_a", [State.DISPATCHED]),
    ("handler_b", []),
    ("manager", [State.CHECKED, State.CHECKING, State.HANDLED, State.SUSPENDED, State.DISPATCHED, State.FILED,
                 State.VERIFYING, State.REPORTED]),
])
def test_case_queue(city, board, username, states):
    queue = list(selectors.case_queue(city.users[username]))
    assert [case.state for case in queue] == states


def test_cases_overdue(city, board, clock):
    clock.advance(hours=20)  # every deadline has passed
    overdue = {case.state for case in selectors.cases_overdue(city.users["operator"])}
    assert overdue == {State.REPORTED, State.VERIFYING, State.FILED, State.DISPATCHED, State.HANDLED,
                       State.CHECKING, State.CHECKED}
    assert {case.state for case in selectors.cases_overdue(city.users["operator_b"])} == set()


def test_case_detail_is_scoped(city, board):
    case = board[State.DISPATCHED]
    assert selectors.case_detail(city.users["handler_a"], case.pk) == case
    assert selectors.case_detail(city.users["handler_b"], case.pk) is None
    assert selectors.case_detail(city.users["operator_b"], case.pk) is None
