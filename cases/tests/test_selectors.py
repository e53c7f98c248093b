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


@pytest.mark.postgres
def test_case_and_event_tables_keep_only_the_indexes_their_queries_use(db):
    """Migration 0012: no single-column index of minor, district or department (each leads a
    composite index), no index of an event's action alone; the composites that serve those lookups
    are there. Migration 0022: no index of the idempotency key at all (keys are looked up, and
    unique, in CaseKey)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexdef FROM pg_indexes WHERE tablename IN ('cases_case', 'cases_caseevent')")
        indexes = cursor.fetchall()
    single = {(table, definition.rsplit("(", 1)[1].rstrip(")")) for table, definition in indexes
              if definition.count(",") == 0}
    for column in ("minor_id", "district_id", "department_id", "idempotency_key varchar_pattern_ops"):
        assert ("cases_case", column) not in single
    assert ("cases_caseevent", "action") not in single
    assert ("cases_caseevent", "action varchar_pattern_ops") not in single
    assert ("cases_case", "idempotency_key") not in single
    leading = {(table, definition.split("(", 1)[1].split(",")[0].split(")")[0]) for table, definition in indexes
               if "WHERE" not in definition}
    for column in ("minor_id", "district_id", "department_id"):
        assert ("cases_case", column) in leading
    assert ("cases_caseevent", "action") in leading


@pytest.mark.postgres
def test_a_departments_scope_is_estimated_on_its_own_rows_with_the_cases_it_assists_on(city):
    """The assisted cases (协办) join a department's scope as `id = ANY(ARRAY(…))`, which PostgreSQL
    estimates from the department's rows; the former OR EXISTS was taken for half the table, and
    a small department's counted list read the whole table (cases_visible's figures)."""
    import json

    from django.db import connection

    from cases.models import CaseAssist

    template = case_build(city, State.DISPATCHED, department="sanitation_b")
    columns = {f.attname: getattr(template, f.attname) for f in Case._meta.concrete_fields if not f.primary_key}
    Case.objects.bulk_create([Case(**{**columns, "number": f"B{n:08d}", "idempotency_key": None}) for n in range(600)])
    own = [case_build(city, State.DISPATCHED, department="municipal") for _ in range(3)]
    CaseAssist.objects.create(case=template, department=city.departments["municipal"], created_at=template.reported_at,
                              deadline=template.reported_at)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
        sql, params = selectors.cases_visible(city.users["handler_municipal"]).only("pk").query.sql_with_params()
        assert "= ANY(ARRAY(SELECT" in sql
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    estimate = plan[0]["Plan"]["Plan Rows"]
    assert estimate < 60, estimate  # 4 rows of 604; OR EXISTS was estimated at 302
    seen = set(selectors.cases_visible(city.users["handler_municipal"]).values_list("pk", flat=True))
    assert seen == {template.pk, *(c.pk for c in own)}


def test_department_choice_groups_by_level_and_district_in_one_query(city, django_assert_num_queries):
    from cases.selectors.pages import department_choice_groups
    from grids.models import Department, DepartmentLevel, Region

    east_street = Region.objects.get(pk=city.grids[0].street_id)
    office = Department.objects.create(code="D-JD-1", name="东街道办事处", level=DepartmentLevel.STREET,
                                       region=east_street)
    Department.objects.create(code="D-OLD", name="已撤销的处", level=DepartmentLevel.CITY, region=city.city,
                              is_active=False)
    with django_assert_num_queries(1):
        groups = department_choice_groups()
    departments = city.departments
    assert [(str(label), members) for label, members in groups] == [
        ("市级部门", [(departments["municipal"].pk, "市政设施管理处")]),
        ("东区", [(departments["sanitation_a"].pk, "东区环卫所"), (office.pk, "东街道办事处")]),
        ("西区", [(departments["sanitation_b"].pk, "西区环卫所")]),
    ]
