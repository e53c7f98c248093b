"""The field app's API: the class picker puts the reporter's most used classes first; the handler's
inbox lists the department's cases overdue first with their marks, the cases it assists on (协办)
while its task is open, and only for handlers."""
from datetime import timedelta

import pytest
from django.utils import timezone

from cases import workflow
from cases.models import CaseAssist, State
from cases.tests.helpers import case_build, report

pytestmark = pytest.mark.django_db


def test_classes_put_the_collectors_most_used_first(city, client_as):
    for _ in range(3):
        report(city, cls="vending")
    report(city, cls="manhole")
    report(city, by="collector_b", cls="garbage", grid=2)  # someone else's reports do not count

    body = client_as("collector_a").get("/api/field/classes/").json()

    assert body["frequent"] == [city.classes["vending"].pk, city.classes["manhole"].pk]
    assert {c["id"] for c in body["classes"]} == {c.pk for c in city.classes.values()}
    garbage = next(c for c in body["classes"] if c["id"] == city.classes["garbage"].pk)
    assert (garbage["name"], garbage["major_name"]) == ("暴露垃圾", "市容环境")


def test_classes_forget_reports_older_than_ninety_days(city, client_as, clock):
    report(city, cls="manhole")
    clock.advance(days=91)
    report(city, cls="vending", dx=0.2)

    assert client_as("collector_a").get("/api/field/classes/").json()["frequent"] == [city.classes["vending"].pk]


def test_inbox_lists_overdue_first_with_suspension_urge_and_rework_marks(city, client_as):
    users = city.users
    plain = case_build(city, State.DISPATCHED)
    overdue = case_build(city, State.DISPATCHED)
    overdue.current_deadline = timezone.now() - timedelta(hours=1)
    overdue.save(update_fields=["current_deadline"])
    suspended = case_build(city, State.DISPATCHED)
    workflow.case_request_suspension(actor=users["handler_a"], case_id=suspended.pk, until=timezone.localdate() + timedelta(days=30), note="待道路施工结束")
    workflow.case_approve_suspension(actor=users["shift_leader"], case_id=suspended.pk)
    urged = case_build(city, State.DISPATCHED)
    workflow.case_urge(actor=users["dispatcher"], case_id=urged.pk, note="群众反映强烈")
    workflow.case_urge(actor=users["dispatcher"], case_id=urged.pk, note="再次督办")
    reworked = case_build(city, State.CHECKING)
    workflow.case_check_fail(actor=users["collector_a"], case_id=reworked.pk, note="垃圾仍在")
    waiting = case_build(city, State.DISPATCHED)
    workflow.case_request_extension(actor=users["handler_a"], case_id=waiting.pk, note="需调运大型机械",
                                    requested_deadline=timezone.now() + timedelta(days=3))
    case_build(city, State.DISPATCHED, grid=2, department="sanitation_b")  # another department's
    case_build(city, State.HANDLED)  # no longer being handled

    rows = client_as("handler_a").get("/api/field/inbox/").json()

    by_number = {row["number"]: row for row in rows}
    assert set(by_number) == {c.number for c in (plain, overdue, suspended, urged, reworked, waiting)}
    assert rows[0]["number"] == overdue.number and rows[0]["overdue"] is True
    assert not any(row["overdue"] for row in rows[1:])
    assert by_number[suspended.number]["state"] == "suspended"
    assert by_number[suspended.number]["suspended_at"] is not None
    assert by_number[plain.number]["suspended_at"] is None
    assert by_number[urged.number]["urge_count"] == 2
    assert (by_number[reworked.number]["rework_count"], by_number[reworked.number]["rework_reason"]) == (1, "垃圾仍在")
    assert by_number[waiting.number]["extension_pending"] is True
    assert by_number[waiting.number]["suspension_pending"] is False
    assert by_number[plain.number]["extension_pending"] is False


def test_inbox_costs_a_constant_number_of_queries(city, client_as, django_assert_max_num_queries):
    client = client_as("handler_a")
    for _ in range(5):
        case_build(city, State.DISPATCHED)
    for _ in range(3):  # led by another department, assisted on by this one
        case = case_build(city, State.FILED, department=None)
        workflow.case_joint_dispatch(actor=city.users["dispatcher"], case_id=case.pk,
                                     department_id=city.departments["municipal"].pk,
                                     assisting_department_ids=[city.departments["sanitation_a"].pk])
    with django_assert_max_num_queries(3):
        assert len(client.get("/api/field/inbox/").json()) == 8


def joint_case(city):
    """A case sent to 东区环卫所 as lead with 市政设施管理处 assisting (联合派遣)."""
    case = case_build(city, State.FILED, department=None)
    return workflow.case_joint_dispatch(actor=city.users["dispatcher"], case_id=case.pk,
                                        department_id=city.departments["sanitation_a"].pk,
                                        assisting_department_ids=[city.departments["municipal"].pk], note="市政协办")


def test_inbox_lists_the_cases_a_department_assists_on_until_it_reports_done(city, client_as):
    case = joint_case(city)
    assist = CaseAssist.objects.get(case=case)
    client = client_as("handler_municipal")

    (row,) = client.get("/api/field/inbox/").json()
    assert (row["number"], row["assisting"]) == (case.number, True)
    assert row["assist_deadline"] is not None and row["overdue"] is False
    lead_rows = client_as("handler_a").get("/api/field/inbox/").json()
    assert [(r["number"], r["assisting"], r["assist_deadline"]) for r in lead_rows] == [(case.number, False, None)]
    # The phone offers the assisting move, and makes it through the case API like any answer.
    detail = client.get(f"/api/cases/{case.pk}/").json()
    assert detail["available_actions"] == ["assist_done"]
    response = client.post(f"/api/cases/{case.pk}/actions/assist_done/", {"note": "井盖已复位"},
                           HTTP_IDEMPOTENCY_KEY="f1e1d0c0-0000-4000-8000-000000000001")
    assert response.status_code == 200, response.content
    assist.refresh_from_db()
    assert (assist.note, assist.completed_by) == ("井盖已复位", city.users["handler_municipal"])
    assert client.get("/api/field/inbox/").json() == []  # done: off the phone's list


def test_an_assisting_task_past_its_own_deadline_is_overdue(city, client_as):
    case = joint_case(city)
    CaseAssist.objects.filter(case=case).update(deadline=timezone.now() - timedelta(minutes=5))
    (row,) = client_as("handler_municipal").get("/api/field/inbox/").json()
    assert row["overdue"] is True
    (lead,) = client_as("handler_a").get("/api/field/inbox/").json()
    assert lead["overdue"] is False  # the lead's own deadline has not passed


@pytest.mark.parametrize("username", ["collector_a", "operator", "dispatcher"])
def test_inbox_is_for_handlers_only(city, client_as, username):
    response = client_as(username).get("/api/field/inbox/")
    assert response.status_code == 403
    assert response.json()["detail"] == "收件箱只对专业部门开放。"


def test_field_endpoints_are_in_the_openapi_schema(city, client_as):
    schema = client_as("operator").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"/api/field/classes/", "/api/field/inbox/"} <= set(schema["paths"])
