"""The transition table, pinned by the lifecycle written out by hand and tried in full: every
(state, action) pair. A pair the lifecycle allows reaches its target; every other pair is refused
with a ConflictError naming exactly the allowed moves, and writes nothing. Plus a source scan: Case.state is written only by cases.workflow."""
import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from cases import workflow
from cases.models import CaseEvent, RequestKind, State
from cases.permissions import available_actions
from cases.transitions import TRANSITIONS, allowed_actions
from core.errors import ConflictError

from .helpers import assist_add, case_build, request_add, snapshot

# The lifecycle, written out by hand (DESIGN: the case loop): from which states each move goes, to
# which state (None: the state stays), who may make it, and whether it needs a reason. The walk below
# takes its expectations from here, never from TRANSITIONS, so a wrong entry in the table fails.
S = State
OPEN = {S.REPORTED, S.VERIFYING, S.FILED, S.DISPATCHED, S.SUSPENDED, S.HANDLED, S.CHECKING, S.CHECKED}
LIFECYCLE = {
    # action: (from states, to state, roles, needs a reason)
    "send_verify": ({S.REPORTED}, S.VERIFYING, {"operator"}, False),
    "verify": ({S.VERIFYING}, S.REPORTED, {"collector"}, False),
    "propose_file": ({S.REPORTED}, None, {"operator"}, False),
    "file": ({S.REPORTED}, S.FILED, {"shift_leader"}, False),
    "void": ({S.REPORTED, S.VERIFYING}, S.VOIDED, {"shift_leader"}, True),
    "merge": ({S.REPORTED, S.VERIFYING}, S.MERGED, {"operator", "shift_leader"}, False),
    "dispatch": ({S.FILED}, S.DISPATCHED, {"dispatcher"}, False),
    "joint_dispatch": ({S.FILED}, S.DISPATCHED, {"dispatcher"}, False),
    "redispatch": ({S.DISPATCHED}, None, {"dispatcher"}, True),
    "withdraw": ({S.DISPATCHED}, S.FILED, {"dispatcher"}, True),
    "return": ({S.DISPATCHED}, S.FILED, {"handler"}, True),
    "request_extension": ({S.DISPATCHED}, None, {"handler"}, True),
    "approve_extension": ({S.DISPATCHED}, None, {"dispatcher"}, False),
    "deny_extension": ({S.DISPATCHED}, None, {"dispatcher"}, True),
    "request_suspension": ({S.DISPATCHED}, None, {"handler"}, True),
    "approve_suspension": ({S.DISPATCHED}, S.SUSPENDED, {"shift_leader"}, False),
    "deny_suspension": ({S.DISPATCHED}, None, {"shift_leader"}, True),
    "resume": ({S.SUSPENDED}, S.DISPATCHED, {"shift_leader", "dispatcher"}, False),
    "report_handled": ({S.DISPATCHED}, S.HANDLED, {"handler"}, False),
    "assist_done": ({S.DISPATCHED}, None, {"handler"}, False),
    "send_check": ({S.HANDLED}, S.CHECKING, {"operator"}, False),
    "check_pass": ({S.CHECKING}, S.CHECKED, {"collector"}, False),
    "check_fail": ({S.CHECKING}, S.DISPATCHED, {"collector", "operator"}, True),
    "close": ({S.CHECKED}, S.CLOSED, {"shift_leader"}, False),
    "reopen": ({S.CLOSED}, S.DISPATCHED, {"shift_leader", "hotline_agent"}, True),
    "urge": (OPEN, None, {"dispatcher", "manager"}, True),
    "review_assign": ({S.FILED, S.DISPATCHED}, S.DISPATCHED, {"shift_leader", "manager"}, False),
    "review_void": ({S.FILED, S.DISPATCHED}, S.VOIDED, {"shift_leader", "manager"}, True),
}


# The moves an assisting department makes on its own task; every other department move is the lead's.
ASSISTING_MOVES = {"assist_done"}
# Made only through a joint review's page, never offered on the case (its page or API).
REVIEW_MOVES = {"review_assign", "review_void"}


def expected_allowed(state: str) -> list[str]:
    """The moves from `state` by the hand-written table, in the table's order."""
    return [action for action, (sources, *_) in LIFECYCLE.items() if state in sources]


def test_the_table_is_the_lifecycle_written_out():
    """Every entry of TRANSITIONS against the hand-written lifecycle, field by field."""
    assert list(TRANSITIONS) == list(LIFECYCLE)
    for action, (sources, target, roles, needs_reason) in LIFECYCLE.items():
        transition = TRANSITIONS[action]
        assert (set(transition.sources), transition.target, set(transition.roles), transition.needs_reason) == (
            sources, target, roles, needs_reason), action


# A permitted actor for each action, in scope of a district-A case sent to sanitation_a.
ACTORS = {
    "send_verify": "operator",
    "verify": "collector_a",
    "propose_file": "operator",
    "file": "shift_leader",
    "void": "shift_leader",
    "merge": "operator",
    "dispatch": "dispatcher",
    "joint_dispatch": "dispatcher",
    "redispatch": "dispatcher",
    "withdraw": "dispatcher",
    "return": "handler_a",
    "request_extension": "handler_a",
    "approve_extension": "dispatcher",
    "deny_extension": "dispatcher",
    "request_suspension": "handler_a",
    "approve_suspension": "shift_leader",
    "deny_suspension": "shift_leader",
    "resume": "shift_leader",
    "report_handled": "handler_a",
    "assist_done": "handler_a",  # assisting (an open task) on a case led by municipal: case_for_action
    "send_check": "operator",
    "check_pass": "collector_a",
    "check_fail": "collector_a",
    "close": "shift_leader",
    "reopen": "shift_leader",
    "urge": "dispatcher",
    "review_assign": "shift_leader",
    "review_void": "manager",
}

# Decisions need something to decide on: a pending request, set up before the move.
PENDING_REQUEST = {
    "approve_extension": RequestKind.EXTENSION,
    "deny_extension": RequestKind.EXTENSION,
    "approve_suspension": RequestKind.SUSPENSION,
    "deny_suspension": RequestKind.SUSPENSION,
}


def valid_arguments(city, action: str) -> dict:
    """Arguments with which `action` succeeds from a state the table allows."""
    arguments: dict = {"note": "理由：测试"} if TRANSITIONS[action].needs_reason else {}
    if action == "verify":
        arguments["is_true"] = True
    elif action == "dispatch":
        arguments["department_id"] = city.departments["sanitation_a"].pk
    elif action == "joint_dispatch":
        arguments["department_id"] = city.departments["sanitation_a"].pk
        arguments["assisting_department_ids"] = [city.departments["municipal"].pk]
    elif action == "redispatch":
        arguments["department_id"] = city.departments["sanitation_b"].pk
    elif action == "return":
        arguments["reason_code"] = "not_our_duty"
    elif action == "merge":
        arguments["into_case_id"] = case_build(city, State.REPORTED).pk
    elif action == "request_extension":
        arguments["requested_deadline"] = timezone.now() + timedelta(days=10)
    elif action == "request_suspension":
        arguments["until"] = timezone.localdate() + timedelta(days=10)
    elif action == "review_assign":
        arguments["department_id"] = city.departments["sanitation_b"].pk
        arguments["deadline"] = timezone.localdate() + timedelta(days=5)
    return arguments


def case_for_action(city, action: str, state: str):
    """A case in `state` on which ACTORS[action] may make the move: sent to sanitation_a, or for an
    assisting move led by municipal with sanitation_a assisting; a pending request for a decision."""
    if action in ASSISTING_MOVES:
        case = case_build(city, state, department="municipal")
        assist_add(case, city.departments["sanitation_a"])
        return case
    case = case_build(city, state)
    if action in PENDING_REQUEST:
        request_add(case, PENDING_REQUEST[action], city.users["handler_a"])
    return case


def test_every_action_has_a_workflow_function_and_a_permitted_actor(city):
    assert set(workflow.ACTIONS) == set(TRANSITIONS) == set(ACTORS)
    for action, username in ACTORS.items():
        assert city.users[username].role in TRANSITIONS[action].roles, action


def test_terminal_states_allow_no_move_but_reopen():
    assert allowed_actions(State.VOIDED) == []
    assert allowed_actions(State.MERGED) == []
    assert allowed_actions(State.CLOSED) == ["reopen"]
    every_source = set().union(*(transition.sources for transition in TRANSITIONS.values()))
    targets = {transition.target for transition in TRANSITIONS.values()} - {None}
    assert every_source | targets | {State.REPORTED} == set(State.values)  # no state unreachable


@pytest.mark.django_db
@pytest.mark.parametrize("action", list(TRANSITIONS))
@pytest.mark.parametrize("state", list(State.values))
def test_every_state_action_pair(city, state, action):
    case = case_for_action(city, action, state)
    arguments = valid_arguments(city, action)
    actor = city.users[ACTORS[action]]
    transition = TRANSITIONS[action]
    sources, target, _, _ = LIFECYCLE[action]

    if state in sources:
        moved = workflow.ACTIONS[action](actor=actor, case_id=case.pk, **arguments)
        expected = target or state
        assert moved.state == expected
        case.refresh_from_db()
        assert case.state == expected
        event = CaseEvent.objects.filter(case=case).latest("pk")
        assert (event.action, event.from_state, event.to_state, event.actor) == (action, state, expected, actor)
        return

    before = snapshot(case.pk)
    with pytest.raises(ConflictError) as refused:
        workflow.ACTIONS[action](actor=actor, case_id=case.pk, **arguments)
    allowed = expected_allowed(state)
    assert refused.value.status_code == 409
    assert refused.value.extra == {"state": state, "allowed_actions": allowed}
    message = refused.value.message
    assert str(transition.label) in message and str(State(state).label) in message
    named = message.rsplit("当前允许的操作：", 1)[1].rstrip("。")
    assert named == ("、".join(str(TRANSITIONS[name].label) for name in allowed) or "无")
    assert snapshot(case.pk) == before


@pytest.mark.django_db
@pytest.mark.parametrize("state", list(State.values))
def test_available_actions_are_the_table_filtered_by_role(city, state):
    case = case_build(city, state)
    for username in ("operator", "shift_leader", "dispatcher", "manager", "hotline_agent", "handler_a",
                     "collector_a"):
        user = city.users[username]
        assert available_actions(user, case) == [
            name for name in expected_allowed(state) if user.role in LIFECYCLE[name][2]
            and name not in ASSISTING_MOVES  # handler_a is the case's lead department
            and name not in REVIEW_MOVES
        ], username
    # An assisting department (协办) makes only the assisting move, and only while its task is open.
    assist = assist_add(case, city.departments["municipal"])
    assisting = city.users["handler_municipal"]
    assert available_actions(assisting, case) == [name for name in expected_allowed(state) if name in ASSISTING_MOVES]
    assist.completed_at = timezone.now()
    assist.save()
    assert available_actions(assisting, case) == []


# --- who writes Case.state ----------------------------------------------------------------------

PROJECT = Path(django_settings.BASE_DIR)
KNOWN_STATE_WRITES = {
    # the one helper every transition goes through
    ("cases/workflow.py", "case.state = transition.target"),
    # the documented exception: a self-handled case is born closed
    ("cases/services.py", "case.state = State.CLOSED  # the one write of state outside workflow: a case born closed"),
    # intake: every case is born reported
    ("cases/services.py", "case = Case.objects.create("),
}
WRITING_CALLS = {"update", "create", "bulk_create", "get_or_create", "update_or_create", "bulk_update"}


def _project_modules():
    packages = [path for path in PROJECT.iterdir() if (path / "__init__.py").is_file()]
    for path in sorted(module for package in packages for module in package.rglob("*.py")):
        relative = path.relative_to(PROJECT).as_posix()
        parts = relative.split("/")
        if "migrations" in parts:
            continue
        if "tests" in parts or parts[-1] in {"conftest.py", "testing.py"}:
            continue
        yield relative, path.read_text(encoding="utf-8")


def _plain_class_lines(tree: ast.AST) -> set[int]:
    """Lines inside classes that are not models: there `self.state` is that object's own attribute
    (a simulation's cursor, say), not a case's state."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and not any("Model" in ast.unparse(base) for base in node.bases):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def _state_writes(tree: ast.AST):
    """Line numbers that write an attribute or field called `state`."""
    plain_class_lines = _plain_class_lines(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for element in target.elts if isinstance(target, ast.Tuple | ast.List) else [target]:
                    if not (isinstance(element, ast.Attribute) and element.attr == "state"):
                        continue
                    own = isinstance(element.value, ast.Name) and element.value.id == "self"
                    if not (own and node.lineno in plain_class_lines):
                        yield node.lineno
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            constants = {arg.value for arg in ast.walk(node) if isinstance(arg, ast.Constant)}
            if name == "setattr" and "state" in constants:
                yield node.lineno
            elif name in WRITING_CALLS and (
                any(keyword.arg == "state" for keyword in node.keywords) or "state" in constants
            ):
                yield node.lineno


def test_only_the_workflow_writes_case_state():
    """`x.state = …`, `setattr(x, "state", …)`, `.update(state=…)`, `.create(state=…)`,
    `bulk_update(…, ["state"])`: in the whole project's code, only the known writes."""
    found = set()
    for relative, text in _project_modules():
        lines = text.splitlines()
        for lineno in _state_writes(ast.parse(text)):
            found.add((relative, lines[lineno - 1].strip()))
    assert found == KNOWN_STATE_WRITES


def test_the_scan_sees_every_kind_of_write():
    code = "\n".join([
        'case.state = "closed"',
        'setattr(case, "state", "closed")',
        'Case.objects.filter(pk=1).update(state="closed")',
        'Case.objects.bulk_update(rows, ["state"])',
        'other, case.state = 1, "closed"',
        'Case.objects.create(number="1", state="closed")',
        'case.status = "fine"',
        "class Cursor:",
        "    def move(self):",
        '        self.state = "its own"',
        "        self.case.state = 'closed'",
        "class Case(models.Model):",
        "    def close(self):",
        '        self.state = "closed"',
    ])
    assert sorted(_state_writes(ast.parse(code))) == [1, 2, 3, 4, 5, 6, 11, 14]
