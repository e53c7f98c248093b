"""Who may do what to which case: roles × actions × in-scope / out-of-scope (403 for a wrong role;
out of scope, 404 as for a case that does not exist, from the services and from the API), and what
each person may read (cases_visible, the tasks of a collector)."""
import pytest

from cases import selectors, workflow
from cases.models import Case, RequestKind, State
from cases.permissions import case_in_scope
from cases.transitions import TRANSITIONS
from core.errors import NotFoundError, PermissionDeniedError
from grids.models import Role, User

from .helpers import case_build, report, request_add, row_counts, snapshot
from .test_transitions import ACTORS, case_for_action, valid_arguments

pytestmark = pytest.mark.django_db

# One person per role, all with the whole city (or, for the department and the collector, the
# district-A case's department and grid) in scope.
IN_SCOPE = ["operator", "shift_leader", "dispatcher", "manager", "hotline_agent", "handler_a", "collector_a"]
# The same role, outside the district-A case's scope.
OUT_OF_SCOPE = {
    "operator": "operator_b",
    "shift_leader": "shift_leader_b",
    "dispatcher": "dispatcher_b",
    "handler_a": "handler_b",
    "collector_a": "collector_b",
    "manager": "manager_b",
    "hotline_agent": "hotline_agent_b",
}


@pytest.fixture
def people(city):
    """The tiny city's people, plus a district-B manager and hotline agent."""
    people = dict(city.users)
    for username, role in (("manager_b", Role.MANAGER), ("hotline_agent_b", Role.HOTLINE_AGENT)):
        people[username] = User.objects.create_user(username=username, role=role, region=city.districts[1])
    return people


def source_state(action: str) -> str:
    """The first state (in State's order) from which the table allows `action`."""
    return next(state for state in State.values if state in TRANSITIONS[action].sources)


def case_for(city, action: str) -> Case:
    return case_for_action(city, action, source_state(action))


@pytest.mark.parametrize("username", IN_SCOPE)
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_role_matrix(city, people, action, username):
    case = case_for(city, action)
    actor = people[username]
    arguments = valid_arguments(city, action)
    if actor.role in TRANSITIONS[action].roles:
        moved = workflow.ACTIONS[action](actor=actor, case_id=case.pk, **arguments)
        assert moved.state == (TRANSITIONS[action].target or source_state(action))
        return
    before = snapshot(case.pk)
    with pytest.raises(PermissionDeniedError) as refused:
        workflow.ACTIONS[action](actor=actor, case_id=case.pk, **arguments)
    assert refused.value.status_code == 403
    assert str(TRANSITIONS[action].label) in refused.value.message
    assert snapshot(case.pk) == before


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_scope_matrix(city, people, action):
    """The right role, the wrong district / department / grid: 404 as for a missing case (its
    number not named), and nothing written."""
    case = case_for(city, action)
    arguments = valid_arguments(city, action)
    in_scope = [username for username in IN_SCOPE if people[username].role in TRANSITIONS[action].roles]
    for username in in_scope:
        outsider = people[OUT_OF_SCOPE[username]]
        before = snapshot(case.pk)
        with pytest.raises(NotFoundError) as refused:
            workflow.ACTIONS[action](actor=outsider, case_id=case.pk, **arguments)
        with pytest.raises(NotFoundError) as missing:
            workflow.ACTIONS[action](actor=outsider, case_id=case.pk + 1000, **arguments)
        assert refused.value.status_code == 404 and case.number not in refused.value.message
        assert (refused.value.message, refused.value.extra) == (missing.value.message, missing.value.extra)
        assert snapshot(case.pk) == before
    # …while the person in scope may.
    workflow.ACTIONS[action](actor=people[ACTORS[action]], case_id=case.pk, **arguments)


def test_another_department_cannot_touch_a_case_sent_elsewhere(city):
    case = case_build(city, State.DISPATCHED)  # sent to sanitation_a
    for username in ("handler_b", "handler_municipal"):
        with pytest.raises(NotFoundError):
            workflow.case_report_handled(actor=city.users[username], case_id=case.pk)
        with pytest.raises(NotFoundError):
            workflow.case_return(actor=city.users[username], case_id=case.pk, reason_code="other",
                                     note="不是我们的")
    assert Case.objects.get(pk=case.pk).state == State.DISPATCHED


def test_a_collector_answers_only_the_tasks_of_their_grids(city, clock):
    # collector_b reports a problem while passing through district A: it is their report (they
    # can read it), but the verify task belongs to district A's grid and its collector.
    case = report(city, by="collector_b", grid=0)
    workflow.case_send_verify(actor=city.users["operator"], case_id=case.pk)
    assert case in selectors.cases_visible(city.users["collector_b"])
    assert not selectors.tasks_for_collector(city.users["collector_b"]).exists()
    with pytest.raises(PermissionDeniedError):
        workflow.case_verify(actor=city.users["collector_b"], case_id=case.pk, is_true=True)
    workflow.case_verify(actor=city.users["collector_a"], case_id=case.pk, is_true=True)


def test_an_inactive_person_may_do_nothing(city):
    case = case_build(city, State.REPORTED)
    operator = city.users["operator"]
    operator.is_active = False
    operator.save()
    with pytest.raises(NotFoundError):
        workflow.case_send_verify(actor=operator, case_id=case.pk)


def test_a_handler_without_a_department_sees_and_does_nothing(city):
    case = case_build(city, State.DISPATCHED)
    lost = User.objects.create_user(username="handler_nowhere", role=Role.HANDLER)
    assert not case_in_scope(lost, case)
    assert not selectors.cases_visible(lost).exists()
    with pytest.raises(NotFoundError):
        workflow.case_report_handled(actor=lost, case_id=case.pk)


# --- the same through the API -------------------------------------------------------------------

@pytest.mark.parametrize(("username", "state", "action", "body", "status"), [
    ("collector_a", State.REPORTED, "file", {}, 403),  # wrong role
    ("handler_a", State.FILED, "dispatch", {"department_id": "sanitation_a"}, 403),  # wrong role
    # Out of scope: as if the case did not exist.
    ("operator_b", State.REPORTED, "send_verify", {}, 404),  # district B on a district-A case
    ("shift_leader_b", State.CHECKED, "close", {}, 404),
    ("handler_b", State.DISPATCHED, "report_handled", {}, 404),  # another department's case
    ("handler_b", State.DISPATCHED, "return", {"note": "不归我们", "reason_code": "other"}, 404),
    ("collector_b", State.CHECKING, "check_pass", {}, 404),  # a district-A task
])
def test_api_refusals(city, client_as, username, state, action, body, status):
    case = case_build(city, state)
    if "department_id" in body:
        body = {"department_id": city.departments[body["department_id"]].pk}
    before, counts = snapshot(case.pk), row_counts()
    response = client_as(username).post(f"/api/cases/{case.pk}/actions/{action}/", body, format="json")
    assert response.status_code == status, response.content
    assert any("\u4e00" <= char <= "\u9fff" for char in response.json()["detail"])  # Chinese
    assert snapshot(case.pk) == before and row_counts() == counts
    if status == 404:
        assert case.number not in response.content.decode()
        missing = client_as(username).post(f"/api/cases/{case.pk + 1000}/actions/{action}/", body, format="json")
        assert (missing.status_code, missing.json()) == (404, response.json())


def test_wrong_role_is_403_even_without_a_reason(city, client_as):
    case = case_build(city, State.REPORTED)
    response = client_as("collector_a").post(f"/api/cases/{case.pk}/actions/void/", {}, format="json")
    assert response.status_code == 403
    response = client_as("shift_leader").post(f"/api/cases/{case.pk}/actions/void/", {}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "note"


def test_api_self_handled_by_a_non_collector_is_403(city, client_as):
    from .helpers import photo

    response = client_as("operator").post("/api/cases/self-handled/", {
        "minor_id": city.classes["garbage"].pk, "lon": 112.9805, "lat": 28.1905, "description": "已处理",
        "photos": [photo()], "after_photos": [photo()],
    }, format="multipart")
    assert response.status_code == 403
    assert Case.objects.count() == 0


# --- what each person may read ------------------------------------------------------------------

@pytest.fixture
def spread(city):
    """Cases across the city: (name → case)."""
    return {
        "a_sanitation": case_build(city, State.DISPATCHED, grid=0, department="sanitation_a"),
        "a_unsent": case_build(city, State.REPORTED, grid=1, department=None),
        "a_by_collector_b": case_build(city, State.REPORTED, grid=0, department=None, reporter="collector_b"),
        "b_sanitation": case_build(city, State.DISPATCHED, grid=2, department="sanitation_b"),
        "b_municipal": case_build(city, State.DISPATCHED, grid=3, cls="manhole", department="municipal"),
    }


EVERYTHING = {"a_sanitation", "a_unsent", "a_by_collector_b", "b_sanitation", "b_municipal"}
VISIBLE = {
    "operator": EVERYTHING,
    "shift_leader": EVERYTHING,
    "dispatcher": EVERYTHING,
    "manager": EVERYTHING,
    "hotline_agent": EVERYTHING,
    "operator_b": {"b_sanitation", "b_municipal"},
    "shift_leader_b": {"b_sanitation", "b_municipal"},
    "dispatcher_b": {"b_sanitation", "b_municipal"},
    "handler_a": {"a_sanitation"},
    "handler_b": {"b_sanitation"},
    "handler_municipal": {"b_municipal"},
    "collector_a": {"a_sanitation", "a_unsent", "a_by_collector_b"},  # grid R1
    "collector_b": {"b_sanitation", "b_municipal", "a_by_collector_b"},  # grid R2 + own report
}


@pytest.mark.parametrize("username", list(VISIBLE))
def test_cases_visible(city, spread, username, client_as):
    user = city.users[username]
    names = {case.pk: name for name, case in spread.items()}
    visible = list(selectors.cases_visible(user))
    assert len(visible) == len(set(visible))  # no duplicates from the collector's grid join
    assert {names[case.pk] for case in visible} == VISIBLE[username]
    for name, case in spread.items():
        assert case_in_scope(user, case) == (name in VISIBLE[username]), name

    response = client_as(username).get("/api/cases/")
    assert response.status_code == 200
    assert {names[row["id"]] for row in response.json()["results"]} == VISIBLE[username]
    for name in sorted(EVERYTHING - VISIBLE[username])[:1]:
        assert client_as(username).get(f"/api/cases/{spread[name].pk}/").status_code == 404
    for name in sorted(VISIBLE[username])[:1]:
        assert client_as(username).get(f"/api/cases/{spread[name].pk}/").status_code == 200


def test_street_and_community_staff_see_their_area(city, spread):
    street = city.grids[0].street
    community = city.grids[2].community
    street_operator = User.objects.create_user(username="street_op", role=Role.OPERATOR, region=street)
    community_operator = User.objects.create_user(username="community_op", role=Role.OPERATOR, region=community)
    assert set(selectors.cases_visible(street_operator)) == {
        spread["a_sanitation"], spread["a_unsent"], spread["a_by_collector_b"]}
    assert set(selectors.cases_visible(community_operator)) == {spread["b_sanitation"], spread["b_municipal"]}


def test_collector_tasks(city, client_as, clock):
    in_a = report(city, grid=1)
    in_b = report(city, by="collector_b", grid=3)
    workflow.case_send_verify(actor=city.users["operator"], case_id=in_a.pk)
    workflow.case_send_verify(actor=city.users["operator"], case_id=in_b.pk)
    assert [task.case for task in selectors.tasks_for_collector(city.users["collector_a"])] == [in_a]
    assert [task.case for task in selectors.tasks_for_collector(city.users["collector_b"])] == [in_b]
    response = client_as("collector_a").get("/api/cases/tasks/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["case_id"], row["kind"]) for row in rows] == [(in_a.pk, "verify")]
    # collector_b may not answer district A's task, through the API either.
    refused = client_as("collector_b").post(f"/api/cases/{in_a.pk}/actions/verify/", {"is_true": True},
                                            format="json")
    assert refused.status_code == 404
    answered = client_as("collector_a").post(f"/api/cases/{in_a.pk}/actions/verify/", {"is_true": True},
                                             format="json")
    assert answered.status_code == 200, answered.content
    assert client_as("collector_a").get("/api/cases/tasks/").json()["results"] == []


def test_requests_pending_are_scoped(city):
    in_a = case_build(city, State.DISPATCHED, grid=0, department="sanitation_a")
    in_b = case_build(city, State.DISPATCHED, grid=2, department="sanitation_b")
    request_add(in_a, RequestKind.EXTENSION, city.users["handler_a"])
    request_add(in_b, RequestKind.EXTENSION, city.users["handler_b"])
    assert [r.case for r in selectors.requests_pending(city.users["dispatcher"])] == [in_a, in_b]
    assert [r.case for r in selectors.requests_pending(city.users["dispatcher_b"])] == [in_b]
    assert [r.case for r in selectors.requests_pending(city.users["handler_a"], RequestKind.EXTENSION)] == [in_a]



# --- what mutation testing (make mutate) found untested -----------------------------------------

def test_a_handler_without_a_department_sees_no_case(city):
    case_build(city, State.DISPATCHED)
    lost = User.objects.create_user(username="handler_none", role=Role.HANDLER)
    assert not selectors.cases_visible(lost).exists()


@pytest.mark.parametrize(("level", "sees_east", "sees_west"), [("city", True, True), ("street", True, False),
                                                                 ("community", True, False)])
def test_a_region_of_every_level_holds_its_cases(city, level, sees_east, sees_west):
    east, west = case_build(city, State.REPORTED, grid=0), case_build(city, State.REPORTED, grid=2)
    region = {"city": city.city, "street": city.districts[0].children.get(),
              "community": city.districts[0].children.get().children.get()}[level]
    person = User.objects.create_user(username=f"operator_{level}", role=Role.OPERATOR, region=region)
    assert (case_in_scope(person, east), case_in_scope(person, west)) == (sees_east, sees_west)
    assert set(selectors.cases_visible(person).values_list("pk", flat=True)) == (
        {east.pk} if not sees_west else {east.pk, west.pk})


def test_the_refusals_say_why_in_words(city):
    case = case_build(city, State.CHECKED)
    with pytest.raises(PermissionDeniedError) as wrong_role:
        workflow.ACTIONS["close"](actor=city.users["dispatcher"], case_id=case.pk)
    assert wrong_role.value.message == "角色“派遣员”不能执行“结案”。"
    with pytest.raises(NotFoundError) as out_of_scope:
        workflow.ACTIONS["close"](actor=city.users["shift_leader_b"], case_id=case.pk)
    assert out_of_scope.value.message == "案件不存在或不在您的管辖范围内。"
