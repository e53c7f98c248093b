"""The dispatcher's moves beyond the first dispatch (issue 21): 改派 and 撤回 until the department
acts, joint dispatch (主办/协办) carried to its handled report, return reasons from the city's list;
through the workflow, the service, the API and the pages, and as the assessment counts them."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessment.counters import counters_compute
from assessment.models import ObjectType
from assessment.periods import window_for
from cases import selectors, services, workflow
from cases.models import Case, CaseAssist, CaseEvent, CaseStep, ReturnReason, State, StepKind
from cases.selectors import pages as page_selectors
from core.errors import ApplicationError, ConflictError, PermissionDeniedError

from .helpers import case_build, photo, row_counts, snapshot
from .test_views import action_ids, login

pytestmark = pytest.mark.django_db


def dispatched(city, act, department: str = "sanitation_a") -> Case:
    case = case_build(city, State.FILED, department=None)
    return act("dispatch", "dispatcher", case, department_id=city.departments[department].pk)


def handle_steps(case: Case) -> list[tuple]:
    """(department, verdict, ended by, still running) of each handling step."""
    return [(code, on_time, ended_by, completed_at is None) for code, on_time, ended_by, completed_at in
            CaseStep.objects.filter(case=case, kind=StepKind.HANDLE).order_by("started_at", "pk")
            .values_list("department__code", "on_time", "ended_by", "completed_at")]


def today_window():
    today = timezone.localdate()
    return window_for(today - timedelta(days=1), today + timedelta(days=2))


# --- 改派 -----------------------------------------------------------------------------------------

def test_redispatch_sends_the_case_to_another_department_with_a_fresh_clock(city, act):
    case = dispatched(city, act)
    first_deadline = case.handle_deadline
    moved = act("redispatch", "dispatcher", case, department_id=city.departments["sanitation_b"].pk,
                note="应由西区环卫所处置")
    assert (moved.state, moved.department_id) == (State.DISPATCHED, city.departments["sanitation_b"].pk)
    # The first department's step ends without a verdict, marked as redispatched (not a return);
    # the second department's runs from now, its whole limit.
    assert handle_steps(case) == [("D-HW-1", None, "redispatch", False), ("D-HW-2", None, "", True)]
    new_step = CaseStep.objects.get(case=case, kind=StepKind.HANDLE, completed_at__isnull=True)
    assert new_step.deadline == moved.handle_deadline == moved.current_deadline >= first_deadline
    assert moved.return_count == 0
    event = CaseEvent.objects.filter(case=case).latest("pk")
    assert (event.action, event.from_state, event.to_state, event.note) == (
        "redispatch", "dispatched", "dispatched", "应由西区环卫所处置")
    assert (event.payload["department"], event.payload["from_department"]) == ("西区环卫所", "东区环卫所")
    # The first department no longer sees it; the second does.
    assert not selectors.cases_visible(city.users["handler_a"]).filter(pk=case.pk).exists()
    assert selectors.cases_visible(city.users["handler_b"]).filter(pk=case.pk).exists()


@pytest.mark.parametrize("department_move", ["request_extension", "request_suspension", "return"])
def test_redispatch_and_withdraw_end_once_the_department_acts(city, act, department_move):
    case = dispatched(city, act)
    arguments = {"request_extension": {"requested_deadline": timezone.now() + timedelta(days=9)},
                 "request_suspension": {"until": timezone.localdate() + timedelta(days=9)},
                 "return": {"reason_code": "unclear"}}[department_move]
    act(department_move, "handler_a", case, note="现场需协调", **arguments)
    if department_move == "return":
        case = act("dispatch", "dispatcher", case, department_id=city.departments["sanitation_a"].pk)
        # A dispatch after a return is a new dispatch: the correction is open again.
        act("redispatch", "dispatcher", case, department_id=city.departments["sanitation_b"].pk, note="改派")
        return
    before, counts = snapshot(case.pk), row_counts()
    for move, extra in (("redispatch", {"department_id": city.departments["sanitation_b"].pk}), ("withdraw", {})):
        with pytest.raises(ConflictError) as refused:
            act(move, "dispatcher", case, note="派错了", **extra)
        assert refused.value.status_code == 409 and "部门已开始办理" in refused.value.message
    assert snapshot(case.pk) == before and row_counts() == counts


def test_redispatch_refusals(city, act):
    case = dispatched(city, act)
    with pytest.raises(ApplicationError) as same:
        act("redispatch", "dispatcher", case, department_id=city.departments["sanitation_a"].pk, note="改派")
    assert same.value.status_code == 400 and "相同" in same.value.message
    with pytest.raises(ApplicationError, match="必须填写理由"):
        act("redispatch", "dispatcher", case, department_id=city.departments["sanitation_b"].pk, note="")
    with pytest.raises(PermissionDeniedError):
        act("redispatch", "handler_a", case, department_id=city.departments["sanitation_b"].pk, note="改派")


def test_redispatch_after_a_rework_is_refused(city, act):
    """A rework sends the case back to a department that has already reported it handled."""
    case = dispatched(city, act)
    case = act("report_handled", "handler_a", case, note="已清理")
    case = act("send_check", "operator", case)
    case = act("check_fail", "collector_a", case, note="未清理干净")
    with pytest.raises(ConflictError):
        act("redispatch", "dispatcher", case, department_id=city.departments["sanitation_b"].pk, note="改派")


# --- 撤回 -----------------------------------------------------------------------------------------

def test_withdraw_takes_the_case_back_to_be_dispatched(city, act):
    case = dispatched(city, act)
    moved = act("withdraw", "dispatcher", case, note="需补充位置信息")
    assert (moved.state, moved.department_id, moved.handle_deadline, moved.current_step) == (
        State.FILED, None, None, StepKind.DISPATCH)
    assert moved.return_count == 0
    assert handle_steps(case) == [("D-HW-1", None, "withdraw", False)]
    event = CaseEvent.objects.filter(case=case).latest("pk")
    assert (event.action, event.to_state, event.payload["department"]) == ("withdraw", "filed", "东区环卫所")
    assert not selectors.cases_visible(city.users["handler_a"]).filter(pk=case.pk).exists()
    # Dispatched again: the dispatch step ends without a verdict (not a second dispatch).
    act("dispatch", "dispatcher", moved, department_id=city.departments["sanitation_b"].pk)
    verdicts = list(CaseStep.objects.filter(case=case, kind=StepKind.DISPATCH).order_by("pk")
                    .values_list("on_time", flat=True))
    assert verdicts[0] is not None and verdicts[1] is None


# --- 联合派遣 ---------------------------------------------------------------------------------------

def test_joint_dispatch_through_to_close(city, act):
    case = case_build(city, State.FILED, department=None)
    case = act("joint_dispatch", "dispatcher", case, department_id=city.departments["sanitation_a"].pk,
               assisting_department_ids=[city.departments["municipal"].pk], note="垃圾堆压井盖，市政协办")
    assert (case.state, case.department_id) == (State.DISPATCHED, city.departments["sanitation_a"].pk)
    assist = CaseAssist.objects.get(case=case)
    assert (assist.department_id, assist.completed_at) == (city.departments["municipal"].pk, None)
    assert CaseEvent.objects.filter(case=case).latest("pk").payload["assisting"] == ["市政设施管理处"]

    # Both inboxes list it: the lead's marked joint, the assisting department's with its own deadline.
    lead_row = page_selectors.department_inbox(city.users["handler_a"]).get(pk=case.pk)
    assist_row = page_selectors.department_inbox(city.users["handler_municipal"]).get(pk=case.pk)
    assert (lead_row.joint, lead_row.assist_open) == (True, False)
    assert (assist_row.assist_open, assist_row.assist_deadline) == (True, assist.deadline)

    # The lead cannot report handled while the assisting part is open, and is told who is missing.
    with pytest.raises(ConflictError) as waiting:
        act("report_handled", "handler_a", case, note="已清理")
    assert "市政设施管理处" in waiting.value.message and waiting.value.status_code == 409
    # Each department only its own moves.
    with pytest.raises(PermissionDeniedError, match="协办部门"):
        act("return", "handler_municipal", case, reason_code="other", note="不归我们")
    with pytest.raises(PermissionDeniedError):
        act("assist_done", "handler_a", case)

    act("assist_done", "handler_municipal", case, note="井盖已复位")
    assist.refresh_from_db()
    assert assist.done and assist.completed_by == city.users["handler_municipal"]
    assert not page_selectors.department_inbox(city.users["handler_municipal"]).filter(pk=case.pk).exists()
    assert selectors.cases_visible(city.users["handler_municipal"]).filter(pk=case.pk).exists()  # still readable
    with pytest.raises(PermissionDeniedError):
        act("assist_done", "handler_municipal", case)  # done once

    case = act("report_handled", "handler_a", case, note="已清理")
    case = act("send_check", "operator", case)
    case = act("check_pass", "collector_a", case)
    case = act("close", "shift_leader", case)
    assert case.state == State.CLOSED


def test_joint_dispatch_refusals(city, act):
    case = case_build(city, State.FILED, department=None)
    lead = city.departments["sanitation_a"].pk
    with pytest.raises(ApplicationError, match="至少一个协办部门"):
        act("joint_dispatch", "dispatcher", case, department_id=lead, assisting_department_ids=[lead])
    with pytest.raises(ApplicationError, match="协办部门不存在"):
        act("joint_dispatch", "dispatcher", case, department_id=lead, assisting_department_ids=[999_999])
    assert Case.objects.get(pk=case.pk).state == State.FILED and not CaseAssist.objects.exists()


def test_withdrawing_or_returning_a_joint_case_ends_the_assisting_tasks(city, act):
    for move, by, arguments in (("withdraw", "dispatcher", {}), ("return", "handler_a", {"reason_code": "other"})):
        case = case_build(city, State.FILED, department=None)
        act("joint_dispatch", "dispatcher", case, department_id=city.departments["sanitation_a"].pk,
            assisting_department_ids=[city.departments["municipal"].pk])
        act(move, by, case, note="重新研究", **arguments)
        assert [(ended_by, completed_at is not None) for ended_by, completed_at in
                CaseAssist.objects.filter(case=case).values_list("ended_by", "completed_at")] == [(move, True)]
        assert not page_selectors.department_inbox(city.users["handler_municipal"]).filter(pk=case.pk).exists()


# --- 回退原因 -----------------------------------------------------------------------------------------

def test_the_city_starts_with_default_return_reasons():
    assert list(ReturnReason.objects.values_list("label", flat=True)) == [
        "非本部门职责", "位置不准确", "描述不清", "重复案件", "其他"]


def test_return_takes_a_reason_from_the_list(city, act):
    case = dispatched(city, act)
    ReturnReason.objects.filter(code="duplicate").update(is_active=False)
    for code in ("duplicate", "nonsense"):
        with pytest.raises(ApplicationError, match="回退原因") as refused:
            act("return", "handler_a", case, reason_code=code, note="重复")
        assert refused.value.extra == {"field": "reason_code"}
    act("return", "handler_a", case, reason_code="wrong_location", note="点位在西区")
    event = CaseEvent.objects.filter(case=case).latest("pk")
    assert (event.payload["reason_code"], event.payload["reason"], event.note) == (
        "wrong_location", "位置不准确", "点位在西区")
    assert handle_steps(case) == [("D-HW-1", None, "return", False)]


# --- the API and the pages ----------------------------------------------------------------------------

def test_api_moves(city, client_as):
    url = "/api/cases/{}/actions/{}/"
    case = case_build(city, State.FILED, department=None)
    body = {"department_id": city.departments["sanitation_a"].pk,
            "assisting_department_ids": [city.departments["municipal"].pk]}
    response = client_as("dispatcher").post(url.format(case.pk, "joint_dispatch"), body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "dispatched"
    missing = client_as("handler_a").post(url.format(case.pk, "return"), {"note": "不归我们"}, format="json")
    assert (missing.status_code, missing.json()["detail"]) == (400, "请选择回退原因。")
    done = client_as("handler_municipal").post(url.format(case.pk, "assist_done"), {"note": "好了"}, format="json")
    assert done.status_code == 200, done.content

    other = case_build(city, State.FILED, department=None)
    client_as("dispatcher").post(url.format(other.pk, "dispatch"),
                                 {"department_id": city.departments["sanitation_a"].pk}, format="json")
    response = client_as("dispatcher").post(url.format(other.pk, "redispatch"), {
        "department_id": city.departments["sanitation_b"].pk, "note": "西区"}, format="json")
    assert response.status_code == 200 and response.json()["department_name"] == "西区环卫所"
    client_as("handler_b").post(url.format(other.pk, "request_suspension"),
                                {"note": "待施工", "until": str(timezone.localdate() + timedelta(days=5))},
                                format="json")
    late = client_as("dispatcher").post(url.format(other.pk, "withdraw"), {"note": "撤回"}, format="json")
    assert late.status_code == 409 and "部门已开始办理" in late.json()["detail"]


def test_the_api_offers_the_corrections_only_until_the_department_acts(city, client_as):
    case = case_build(city, State.FILED, department=None)
    dispatcher = client_as("dispatcher")
    dispatcher.post(f"/api/cases/{case.pk}/actions/dispatch/",
                    {"department_id": city.departments["sanitation_a"].pk}, format="json")
    offered = dispatcher.get(f"/api/cases/{case.pk}/").json()["available_actions"]
    assert {"redispatch", "withdraw"} <= set(offered)
    client_as("handler_a").post(f"/api/cases/{case.pk}/actions/request_suspension/",
                                {"note": "待施工", "until": str(timezone.localdate() + timedelta(days=5))},
                                format="json")
    offered = dispatcher.get(f"/api/cases/{case.pk}/").json()["available_actions"]
    assert "urge" in offered and not {"redispatch", "withdraw"} & set(offered)


def test_pages_offer_and_make_the_moves(city, client, act):
    case = case_build(city, State.FILED, department=None)
    login(client, city, "dispatcher")
    page = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    assert 'id="action-joint_dispatch"' in page and 'name="joint_dispatch-assisting"' in page
    response = client.post(reverse("cases:act", args=[case.pk, "joint_dispatch"]), {
        "joint_dispatch-department": city.departments["sanitation_a"].pk,
        "joint_dispatch-assisting": [city.departments["sanitation_a"].pk]})
    assert response.status_code == 400 and "主办部门不能同时是协办部门" in response.content.decode()
    response = client.post(reverse("cases:act", args=[case.pk, "joint_dispatch"]), {
        "joint_dispatch-department": city.departments["sanitation_a"].pk,
        "joint_dispatch-assisting": [city.departments["municipal"].pk]})
    assert response.status_code == 302
    assert action_ids(client.get(reverse("cases:case", args=[case.pk]))) >= {"redispatch", "withdraw"}

    login(client, city, "handler_municipal")
    inbox = client.get(reverse("cases:department")).content.decode()
    assert case.number in inbox and 'data-party="assist"' in inbox
    assert action_ids(client.get(reverse("cases:case", args=[case.pk]))) == {"assist_done"}
    assert client.post(reverse("cases:act", args=[case.pk, "assist_done"]), {"assist_done-note": "好"}).status_code == 302

    login(client, city, "handler_a")
    inbox = client.get(reverse("cases:department")).content.decode()
    assert case.number in inbox and 'data-party="lead"' not in inbox  # the assisting part is done
    page = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    assert 'name="return-reason_code"' in page and "非本部门职责" in page
    response = client.post(reverse("cases:act", args=[case.pk, "report_handled"]), {
        "report_handled-note": "已清理", "report_handled-photos": photo()})
    assert response.status_code == 302 and Case.objects.get(pk=case.pk).state == State.HANDLED
    # Once the department acted, the dispatcher is no longer offered the corrections.
    login(client, city, "dispatcher")
    assert not {"redispatch", "withdraw"} & action_ids(client.get(reverse("cases:case", args=[case.pk])))


def test_a_joint_case_in_the_lead_inbox_is_marked(city, client, act):
    case = case_build(city, State.FILED, department=None)
    act("joint_dispatch", "dispatcher", case, department_id=city.departments["sanitation_a"].pk,
        assisting_department_ids=[city.departments["municipal"].pk])
    login(client, city, "handler_a")
    inbox = client.get(reverse("cases:department")).content.decode()
    assert 'data-party="lead"' in inbox and "主办" in inbox


# --- the assessment ---------------------------------------------------------------------------------

def _counted(city, object_type, key):
    return counters_compute(object_type=object_type, level=None, window=today_window()).get(key, {})


def test_a_redispatch_is_neither_a_return_nor_a_second_dispatch(city, act):
    case = dispatched(city, act)
    act("redispatch", "dispatcher", case, department_id=city.departments["sanitation_b"].pk, note="改派")
    east = _counted(city, ObjectType.DEPARTMENT, city.departments["sanitation_a"].pk)
    assert east.get("returned", 0) == 0
    dispatcher = _counted(city, ObjectType.DISPATCHER, city.users["dispatcher"].pk)
    assert (dispatcher["dispatched"], dispatcher["dispatch_returned"], dispatcher["dispatch_corrected"],
            dispatcher["accurate_dispatched"]) == (1, 0, 1, 0)


def test_a_withdrawal_and_dispatch_again_count_one_dispatch_and_no_return(city, act):
    case = dispatched(city, act)
    act("withdraw", "dispatcher", case, note="撤回")
    act("dispatch", "dispatcher", Case.objects.get(pk=case.pk), department_id=city.departments["sanitation_a"].pk)
    east = _counted(city, ObjectType.DEPARTMENT, city.departments["sanitation_a"].pk)
    assert east.get("returned", 0) == 0
    dispatcher = _counted(city, ObjectType.DISPATCHER, city.users["dispatcher"].pk)
    assert (dispatcher["dispatched"], dispatcher["dispatch_returned"], dispatcher["dispatch_corrected"]) == (1, 0, 1)


def test_a_department_return_still_counts_as_its_return(city, act):
    case = dispatched(city, act)
    act("return", "handler_a", case, reason_code="not_our_duty", note="不归我们")
    east = _counted(city, ObjectType.DEPARTMENT, city.departments["sanitation_a"].pk)
    assert east["returned"] == 1
    dispatcher = _counted(city, ObjectType.DISPATCHER, city.users["dispatcher"].pk)
    assert (dispatcher["dispatched"], dispatcher["dispatch_returned"], dispatcher["dispatch_corrected"],
            dispatcher["accurate_dispatched"]) == (1, 1, 0, 0)


def test_an_accurate_joint_dispatch(city, act):
    case = case_build(city, State.FILED, department=None)
    act("joint_dispatch", "dispatcher", case, department_id=city.departments["sanitation_a"].pk,
        assisting_department_ids=[city.departments["municipal"].pk])
    dispatcher = _counted(city, ObjectType.DISPATCHER, city.users["dispatcher"].pk)
    assert (dispatcher["dispatched"], dispatcher["accurate_dispatched"]) == (1, 1)


def test_the_service_requires_the_reason_code(city, act):
    case = dispatched(city, act)
    with pytest.raises(ApplicationError) as refused:
        services.case_move(actor=city.users["handler_a"], case_id=case.pk, action="return", note="不归我们")
    assert refused.value.message == "请选择回退原因。"
    assert workflow.ACTIONS["return"] is workflow.case_return
