"""The case loop walked through every path of the transition table, on the clock: each event row
(action, from, to, actor), each step's deadline, completion and on-time verdict, and the
milestones kept on the case.

Work windows 08:30-12:00 and 14:00-18:00; 2025-03-05 is an ordinary Wednesday. Garbage (暴露垃圾)
has a handling limit of 4 working hours (normal); the command center's own steps: accept 0.5 h,
verify 1 h, file 0.5 h, dispatch 0.5 h, check 2 h, close 0.5 h.
"""
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from cases import services
from cases.models import (
    Attachment,
    AttachmentKind,
    Case,
    CaseEvent,
    CaseRequest,
    CaseStep,
    RequestKind,
    RequestStatus,
    State,
    StepKind,
    Task,
    TaskKind,
)
from core.errors import ApplicationError, ConflictError, NotFoundError

from .helpers import START, at, events_of, media_files, photo, report, snapshot, steps_of

pytestmark = pytest.mark.django_db



def test_full_loop_with_return_extension_suspension_and_rework(city, clock, act, settings):
    sanitation_a = city.departments["sanitation_a"]
    case = report(city)
    assert case.state == State.REPORTED
    assert case.number.startswith("2025") and len(case.number) == 12
    assert case.suggested_department == sanitation_a and case.ownership_unknown is False
    assert (case.current_step, case.current_deadline) == (StepKind.ACCEPT, at("2025-03-05 09:30"))

    clock.set("2025-03-05 09:10")
    act("send_verify", "operator", case)
    verify_task = Task.objects.get(case=case, kind=TaskKind.VERIFY)
    assert verify_task.deadline == at("2025-03-05 10:10") and verify_task.completed_at is None

    clock.set("2025-03-05 09:40")
    case = act("verify", "collector_a", case, is_true=True, note="现场属实")
    assert case.verified is True
    verify_task.refresh_from_db()
    assert (verify_task.result, verify_task.completed_by, verify_task.completed_at) == (
        True, city.users["collector_a"], at("2025-03-05 09:40"))

    clock.set("2025-03-05 09:50")
    case = act("file", "shift_leader", case)
    assert case.filed_at == at("2025-03-05 09:50")
    assert (case.current_step, case.current_deadline) == (StepKind.DISPATCH, at("2025-03-05 10:20"))

    clock.set("2025-03-05 10:00")
    case = act("dispatch", "dispatcher", case, department_id=sanitation_a.pk)
    # 4 working hours from 10:00: 10:00-12:00, lunch, 14:00-16:00.
    assert (case.department, case.dispatched_at, case.handle_deadline) == (
        sanitation_a, at("2025-03-05 10:00"), at("2025-03-05 16:00"))
    assert CaseEvent.objects.get(case=case, action="dispatch").payload["follows_suggestion"] is True

    clock.set("2025-03-05 10:30")
    case = act("return", "handler_a", case, reason_code="not_our_duty", note="不属于本单位职责")
    assert (case.department, case.handle_deadline, case.return_count) == (None, None, 1)
    assert (case.current_step, case.current_deadline) == (StepKind.DISPATCH, at("2025-03-05 11:00"))

    clock.set("2025-03-05 11:30")  # half an hour late
    case = act("dispatch", "dispatcher", case, department_id=sanitation_a.pk)
    # 11:30-12:00 (0.5 h), then 14:00-17:30 (3.5 h).
    assert case.handle_deadline == at("2025-03-05 17:30")

    clock.set("2025-03-05 14:30")
    case = act("request_extension", "handler_a", case, requested_deadline=at("2025-03-06 12:00"),
               note="需要调用清运车辆")
    assert case.handle_deadline == at("2025-03-05 17:30")  # moves only on approval
    extension = CaseRequest.objects.get(case=case, kind=RequestKind.EXTENSION)
    assert extension.status == RequestStatus.PENDING

    clock.set("2025-03-05 14:40")
    case = act("approve_extension", "dispatcher", case)
    assert case.handle_deadline == case.current_deadline == at("2025-03-06 12:00")
    assert case.extension_count == 1
    extension.refresh_from_db()
    assert (extension.status, extension.decided_by) == (RequestStatus.APPROVED, city.users["dispatcher"])
    payload = CaseEvent.objects.get(case=case, action="approve_extension").payload
    assert datetime.fromisoformat(payload["deadline"]) == at("2025-03-06 12:00")

    clock.set("2025-03-05 15:00")
    case = act("request_suspension", "handler_a", case, until=timezone.localdate() + timedelta(days=30), note="涉及产权纠纷，待协调")
    clock.set("2025-03-05 15:10")
    case = act("approve_suspension", "shift_leader", case)
    assert (case.state, case.suspension_count) == (State.SUSPENDED, 1)

    clock.set("2025-03-06 09:10")
    case = act("resume", "shift_leader", case)
    # Suspended 15:10-18:00 and 08:30-09:10: 3 h 30 min of working time, added to 03-06 12:00.
    assert case.state == State.DISPATCHED
    assert case.handle_deadline == case.current_deadline == at("2025-03-06 17:30")
    assert CaseEvent.objects.get(case=case, action="resume").payload["paused_work_seconds"] == 3.5 * 3600

    clock.set("2025-03-06 09:30")
    case = services.case_move(action="report_handled", actor=city.users["handler_a"], case_id=case.pk, note="已清理",
                                             photos=[photo("after.png")])
    assert (case.handled_at, case.handled_on_time) == (at("2025-03-06 09:30"), True)
    assert Attachment.objects.get(case=case).kind == AttachmentKind.AFTER
    assert len(media_files(settings)) == 2 * 1

    clock.set("2025-03-06 09:40")
    act("send_check", "operator", case)
    assert Task.objects.get(case=case, kind=TaskKind.CHECK).deadline == at("2025-03-06 11:30")

    clock.set("2025-03-06 10:00")
    case = act("check_fail", "collector_a", case, note="垃圾仍有残留")
    # Rework: the same department, a fresh 4-hour limit from now.
    assert (case.state, case.department, case.rework_count) == (State.DISPATCHED, sanitation_a, 1)
    assert (case.handle_deadline, case.handled_at, case.handled_on_time) == (at("2025-03-06 16:00"), None, None)
    assert CaseStep.objects.filter(case=case, kind=StepKind.HANDLE).latest("pk").department == sanitation_a

    clock.set("2025-03-06 15:00")
    case = act("report_handled", "handler_a", case, note="已彻底清理")
    clock.set("2025-03-06 15:30")
    act("send_check", "operator", case)
    clock.set("2025-03-06 16:00")
    case = act("check_pass", "collector_a", case)
    assert (case.state, case.current_step, case.current_deadline) == (
        State.CHECKED, StepKind.CLOSE, at("2025-03-06 16:30"))
    clock.set("2025-03-06 16:20")
    case = act("close", "shift_leader", case)

    case.refresh_from_db()
    assert case.state == State.CLOSED
    assert (case.current_step, case.current_deadline) == ("", None)
    assert case.filed_at == at("2025-03-05 09:50")
    assert case.dispatched_at == at("2025-03-05 11:30")
    assert (case.handled_at, case.handled_on_time) == (at("2025-03-06 15:00"), True)
    assert (case.closed_at, case.closed_on_time) == (at("2025-03-06 16:20"), True)
    assert (case.rework_count, case.return_count, case.extension_count, case.suspension_count) == (1, 1, 1, 1)

    assert events_of(case) == [
        ("report", "", "reported", "collector_a"),
        ("send_verify", "reported", "verifying", "operator"),
        ("verify", "verifying", "reported", "collector_a"),
        ("file", "reported", "filed", "shift_leader"),
        ("dispatch", "filed", "dispatched", "dispatcher"),
        ("return", "dispatched", "filed", "handler_a"),
        ("dispatch", "filed", "dispatched", "dispatcher"),
        ("request_extension", "dispatched", "dispatched", "handler_a"),
        ("approve_extension", "dispatched", "dispatched", "dispatcher"),
        ("request_suspension", "dispatched", "dispatched", "handler_a"),
        ("approve_suspension", "dispatched", "suspended", "shift_leader"),
        ("resume", "suspended", "dispatched", "shift_leader"),
        ("report_handled", "dispatched", "handled", "handler_a"),
        ("send_check", "handled", "checking", "operator"),
        ("check_fail", "checking", "dispatched", "collector_a"),
        ("report_handled", "dispatched", "handled", "handler_a"),
        ("send_check", "handled", "checking", "operator"),
        ("check_pass", "checking", "checked", "collector_a"),
        ("close", "checked", "closed", "shift_leader"),
    ]
    assert CaseEvent.objects.get(case=case, action="return").note == "不属于本单位职责"
    assert steps_of(case) == [
        ("accept", "03-05 09:00", "03-05 09:30", "03-05 09:10", True),
        ("verify", "03-05 09:10", "03-05 10:10", "03-05 09:40", True),
        ("file", "03-05 09:40", "03-05 10:10", "03-05 09:50", True),
        ("dispatch", "03-05 09:50", "03-05 10:20", "03-05 10:00", True),
        ("handle", "03-05 10:00", "03-05 16:00", "03-05 10:30", None),  # returned: no verdict
        ("dispatch", "03-05 10:30", "03-05 11:00", "03-05 11:30", False),  # re-dispatched late
        ("handle", "03-05 11:30", "03-06 17:30", "03-06 09:30", True),  # extended, then paused
        ("check", "03-06 09:30", "03-06 11:30", "03-06 10:00", True),
        ("handle", "03-06 10:00", "03-06 16:00", "03-06 15:00", True),  # rework
        ("check", "03-06 15:00", "03-06 17:00", "03-06 16:00", True),
        ("close", "03-06 16:00", "03-06 16:30", "03-06 16:20", True),
    ]
    assert list(Task.objects.filter(case=case).order_by("pk").values_list("kind", "result")) == [
        ("verify", True), ("check", False), ("check", True)]
    assert not Task.objects.filter(case=case, completed_at__isnull=True).exists()


def test_late_handling_is_not_on_time_and_the_case_not_closed_on_time(city, clock, act):
    case = report(city)
    act("file", "shift_leader", case)
    act("dispatch", "dispatcher", case, department_id=city.departments["sanitation_a"].pk)  # → 03-05 15:00
    clock.set("2025-03-06 10:00")  # the 4-hour limit ended at 03-05 15:00
    case = act("report_handled", "handler_a", case)
    assert case.handled_on_time is False
    act("send_check", "operator", case)
    act("check_pass", "collector_a", case)
    case = act("close", "shift_leader", case)
    assert (case.handled_on_time, case.closed_on_time) == (False, False)
    handle = CaseStep.objects.get(case=case, kind=StepKind.HANDLE)
    assert (handle.deadline, handle.completed_at, handle.on_time) == (
        at("2025-03-05 15:00"), at("2025-03-06 10:00"), False)


def test_refuse_after_verify_false(city, clock, act):
    case = report(city, by="hotline_agent", source="hotline_12319")
    act("send_verify", "operator", case)
    clock.set("2025-03-05 09:30")
    case = act("verify", "collector_a", case, is_true=False, note="现场未发现")
    assert (case.state, case.verified) == (State.REPORTED, False)
    assert Task.objects.get(case=case).result is False
    clock.set("2025-03-05 09:45")
    case = act("void", "shift_leader", case, note="核实不属实，不予立案")
    assert (case.state, case.voided_at, case.current_step, case.current_deadline) == (
        State.VOIDED, at("2025-03-05 09:45"), "", None)
    assert case.filed_at is None
    assert events_of(case) == [
        ("report", "", "reported", "hotline_agent"),
        ("send_verify", "reported", "verifying", "operator"),
        ("verify", "verifying", "reported", "collector_a"),
        ("void", "reported", "voided", "shift_leader"),
    ]
    # Every step ended; the one cut short by the void has no on-time verdict.
    assert steps_of(case) == [
        ("accept", "03-05 09:00", "03-05 09:30", "03-05 09:00", True),
        ("verify", "03-05 09:00", "03-05 10:00", "03-05 09:30", True),
        ("file", "03-05 09:30", "03-05 10:00", "03-05 09:45", None),
    ]
    with pytest.raises(ConflictError):
        act("file", "shift_leader", case)


def test_void_while_verifying_closes_the_open_task(city, clock, act):
    case = report(city)
    act("send_verify", "operator", case)
    clock.advance(minutes=5)
    case = act("void", "shift_leader", case, note="重复上报")
    assert case.state == State.VOIDED
    task = Task.objects.get(case=case)
    assert (task.completed_at, task.completed_by, task.result) == (clock.now, city.users["shift_leader"], None)
    assert not CaseStep.objects.filter(case=case, completed_at__isnull=True).exists()


def test_void_needs_a_reason(city, act):
    case = report(city)
    before = snapshot(case.pk)
    with pytest.raises(ApplicationError, match="理由"):
        act("void", "shift_leader", case, note="  ")
    assert snapshot(case.pk) == before


def test_deny_extension_keeps_the_deadline(city, clock, act):
    case = report(city)
    act("file", "shift_leader", case)
    case = act("dispatch", "dispatcher", case, department_id=city.departments["sanitation_a"].pk)
    deadline = case.handle_deadline
    clock.advance(minutes=20)
    act("request_extension", "handler_a", case, requested_deadline=at("2025-03-10 12:00"), note="需要时间")
    clock.advance(minutes=20)
    case = act("deny_extension", "dispatcher", case, note="时限充足")
    assert (case.state, case.handle_deadline, case.current_deadline, case.extension_count) == (
        State.DISPATCHED, deadline, deadline, 0)
    request = CaseRequest.objects.get(case=case)
    assert (request.status, request.decided_by, request.decision_note) == (
        RequestStatus.DENIED, city.users["dispatcher"], "时限充足")
    assert CaseStep.objects.get(case=case, kind=StepKind.HANDLE).deadline == deadline
    assert events_of(case)[-2:] == [
        ("request_extension", "dispatched", "dispatched", "handler_a"),
        ("deny_extension", "dispatched", "dispatched", "dispatcher"),
    ]
    # A new request is possible once the first one is decided; two pending ones are not.
    act("request_extension", "handler_a", case, requested_deadline=at("2025-03-10 12:00"), note="再次申请")
    with pytest.raises(ApplicationError, match="待审批"):
        act("request_extension", "handler_a", case, requested_deadline=at("2025-03-11 12:00"), note="第三次")


def test_extension_into_the_past_or_before_the_deadline_is_refused(city, clock, act):
    case = report(city)
    act("file", "shift_leader", case)
    case = act("dispatch", "dispatcher", case, department_id=city.departments["sanitation_a"].pk)
    before = snapshot(case.pk)
    with pytest.raises(ApplicationError, match="晚于当前时间"):
        act("request_extension", "handler_a", case, requested_deadline=at("2025-03-04 12:00"), note="延期")
    with pytest.raises(ApplicationError, match="晚于现有处置时限"):
        act("request_extension", "handler_a", case, requested_deadline=case.handle_deadline, note="延期")
    assert snapshot(case.pk) == before


def test_an_extension_whose_deadline_has_passed_cannot_be_approved(city, clock, act):
    case = report(city)
    act("file", "shift_leader", case)
    case = act("dispatch", "dispatcher", case, department_id=city.departments["sanitation_a"].pk)
    act("request_extension", "handler_a", case, requested_deadline=at("2025-03-10 12:00"), note="需要时间")
    clock.set(at("2025-03-10 12:00"))
    before = snapshot(case.pk)
    with pytest.raises(ApplicationError, match="延期时限已过"):
        act("approve_extension", "dispatcher", case)
    assert snapshot(case.pk) == before
    assert CaseRequest.objects.get(case=case).status == RequestStatus.PENDING
    case = act("deny_extension", "dispatcher", case, note="已过期")
    assert case.extension_count == 0


def test_deny_suspension_keeps_the_case_in_hand(city, clock, act):
    case = report(city)
    act("file", "shift_leader", case)
    act("dispatch", "dispatcher", case, department_id=city.departments["sanitation_a"].pk)
    act("request_suspension", "handler_a", case, until=timezone.localdate() + timedelta(days=30), note="待协调")
    case = act("deny_suspension", "shift_leader", case, note="请按期处置")
    assert (case.state, case.suspension_count) == (State.DISPATCHED, 0)
    assert CaseRequest.objects.get(case=case).status == RequestStatus.DENIED
    assert events_of(case)[-1] == ("deny_suspension", "dispatched", "dispatched", "shift_leader")
    with pytest.raises(ApplicationError, match="没有待审批"):
        act("approve_suspension", "shift_leader", case)


def test_report_handled_ends_pending_requests(city, clock, act):
    case = report(city)
    act("file", "shift_leader", case)
    act("dispatch", "dispatcher", case, department_id=city.departments["sanitation_a"].pk)
    act("request_extension", "handler_a", case, requested_deadline=at("2025-03-10 12:00"), note="延期")
    act("report_handled", "handler_a", case)
    assert CaseRequest.objects.get(case=case).status == RequestStatus.DENIED


def test_merge_a_duplicate(city, clock, act):
    first = report(city)
    clock.advance(minutes=30)
    second = report(city, by="hotline_agent", source="hotline_12319", dx=0.52, dy=0.5)
    assert second.duplicate_of == first
    clock.advance(minutes=5)
    merged = act("merge", "operator", second, into_case_id=first.pk, note="同一处垃圾")
    assert (merged.state, merged.merged_into, merged.current_step) == (State.MERGED, first, "")
    assert events_of(merged)[-1] == ("merge", "reported", "merged", "operator")
    assert CaseEvent.objects.get(case=merged, action="merge").payload == {"into": first.number}
    assert not CaseStep.objects.filter(case=merged, completed_at__isnull=True).exists()
    # Counted once: the merged report is no longer an open case of its own.
    open_cases = Case.objects.filter(state__in=[State.REPORTED, State.FILED, State.DISPATCHED])
    assert list(open_cases) == [first]
    assert list(first.merged_cases.all()) == [merged]


def test_merge_refuses_itself_another_class_and_a_closed_target(city, act):
    first = report(city)
    other_class = report(city, cls="vending")
    closed = report(city)
    Case.objects.filter(pk=closed.pk).update(state=State.CLOSED)  # set up directly: not a move
    with pytest.raises(ApplicationError, match="自己"):
        act("merge", "operator", first, into_case_id=first.pk)
    with pytest.raises(ApplicationError, match="同一小类"):
        act("merge", "operator", other_class, into_case_id=first.pk)
    with pytest.raises(ApplicationError, match="已办结"):
        act("merge", "operator", first, into_case_id=closed.pk)
    assert Case.objects.filter(state=State.MERGED).count() == 0


def test_merge_target_must_be_in_the_actors_scope(city, act):
    """A target out of scope is refused as one that does not exist: 404, its number not named."""
    in_a = report(city, grid=0)
    in_b = report(city, by="collector_b", grid=2)
    with pytest.raises(NotFoundError) as refused:
        act("merge", "operator_b", in_b, into_case_id=in_a.pk)
    with pytest.raises(NotFoundError) as missing:
        act("merge", "operator_b", in_b, into_case_id=in_a.pk + 1000)
    assert (refused.value.status_code, refused.value.message) == (404, missing.value.message)
    assert in_a.number not in refused.value.message
    assert Case.objects.get(pk=in_b.pk).state == State.REPORTED


@pytest.mark.parametrize("by", ["dispatcher", "manager"])
def test_urge_leaves_the_state_and_counts(city, clock, act, by):
    case = report(city)
    act("file", "shift_leader", case)
    case = act("urge", by, case, note="请尽快派遣")
    case = act("urge", by, case, note="再次督办")
    assert (case.state, case.urge_count) == (State.FILED, 2)
    urge = CaseEvent.objects.filter(case=case, action="urge").first()
    assert (urge.from_state, urge.to_state, urge.actor, urge.note) == (
        State.FILED, State.FILED, city.users[by], "请尽快派遣")
    assert urge.payload == {"step": "dispatch", "deadline": case.current_deadline.isoformat()}


def _closed_case(city, act, clock):
    case = report(city)
    act("file", "shift_leader", case)
    act("dispatch", "dispatcher", case, department_id=city.departments["sanitation_a"].pk)
    act("report_handled", "handler_a", case)
    act("send_check", "operator", case)
    act("check_pass", "collector_a", case)
    return act("close", "shift_leader", case)


def test_urge_is_refused_on_a_closed_case(city, clock, act):
    case = _closed_case(city, act, clock)
    with pytest.raises(ConflictError) as refused:
        act("urge", "dispatcher", case, note="督办")
    assert refused.value.extra["allowed_actions"] == ["reopen"]


@pytest.mark.parametrize("by", ["shift_leader", "hotline_agent"])
def test_reopen_sends_a_closed_case_back_to_its_department(city, clock, act, by):
    case = _closed_case(city, act, clock)
    clock.set("2025-03-06 09:00")
    case = act("reopen", by, case, note="回访不满意")
    assert (case.state, case.department, case.rework_count) == (State.DISPATCHED, city.departments["sanitation_a"], 1)
    assert (case.closed_at, case.closed_on_time, case.handled_at, case.handled_on_time) == (None, None, None, None)
    assert case.handle_deadline == at("2025-03-06 15:00")
    assert events_of(case)[-1] == ("reopen", "closed", "dispatched", by)
    handle = CaseStep.objects.filter(case=case, kind=StepKind.HANDLE).latest("pk")
    assert (handle.started_at, handle.completed_at, handle.department) == (
        at("2025-03-06 09:00"), None, city.departments["sanitation_a"])


def test_self_handled_case_is_born_closed(city, clock, settings):
    result = services.case_report_self_handled(
        actor=city.users["collector_a"], minor_id=city.classes["garbage"].pk, lon=112.9805, lat=28.1905,
        description="路边小广告已清除", before_photos=[photo("before.jpg", "JPEG")],
        after_photos=[photo("after.png")],
    )
    case = result.case
    assert result.created and case.state == State.CLOSED
    assert case.filed_at == case.dispatched_at == case.handled_at == case.closed_at == at(START)
    assert (case.handled_on_time, case.closed_on_time, case.verified) == (True, True, True)
    assert events_of(case) == [
        ("report", "", "reported", "collector_a"),
        ("self_handle", "reported", "closed", "collector_a"),
    ]
    assert steps_of(case) == [("accept", "03-05 09:00", "03-05 09:30", "03-05 09:00", True)]
    assert sorted(Attachment.objects.filter(case=case).values_list("kind", "content_type")) == [
        ("after", "image/png"), ("before", "image/jpeg")]
    assert len(media_files(settings)) == 2 * 2



def test_self_handled_needs_a_collector_and_both_photos(city, clock, settings):
    arguments = {"minor_id": city.classes["garbage"].pk, "lon": 112.9805, "lat": 28.1905, "description": "已处理"}
    with pytest.raises(ApplicationError) as refused:
        services.case_report_self_handled(actor=city.users["operator"], before_photos=[photo()],
                                          after_photos=[photo()], **arguments)
    assert refused.value.status_code == 403
    with pytest.raises(ApplicationError, match="处置后"):
        services.case_report_self_handled(actor=city.users["collector_a"], before_photos=[photo()],
                                          after_photos=[], **arguments)
    assert Case.objects.count() == 0 and media_files(settings) == []


def test_suspended_case_is_not_marked_overdue_and_resumes_with_its_remaining_time(city, clock, act):
    case = report(city)
    act("file", "shift_leader", case)
    case = act("dispatch", "dispatcher", case, department_id=city.departments["sanitation_a"].pk)
    assert case.handle_deadline == at("2025-03-05 15:00")  # 09:00-12:00, 14:00-15:00
    clock.set("2025-03-05 10:00")
    act("request_suspension", "handler_a", case, until=timezone.localdate() + timedelta(days=30), note="待协调")
    act("approve_suspension", "shift_leader", case)
    clock.set("2025-03-10 10:00")  # days later: the paused clock must not run out
    services.steps_mark_overdue()
    assert not CaseEvent.objects.filter(case=case, action="overdue").exists()
    case = act("resume", "shift_leader", case)
    # One of the four hours was used before the pause (09:00-10:00); the three left run from the
    # resumption on Monday 03-10 10:00: 10:00-12:00, 14:00-15:00.
    handle = CaseStep.objects.get(case=case, kind=StepKind.HANDLE)
    assert handle.deadline == at("2025-03-10 15:00")
    assert case.current_deadline == handle.deadline


def test_overdue_then_extended_step_is_watched_again(city, clock, act):
    case = report(city)
    act("file", "shift_leader", case)
    act("dispatch", "dispatcher", case, department_id=city.departments["sanitation_a"].pk)
    clock.set("2025-03-05 15:30")  # the deadline was 15:00
    assert services.steps_mark_overdue() == 1
    act("request_extension", "handler_a", case, requested_deadline=at("2025-03-06 10:00"), note="延期")
    act("approve_extension", "dispatcher", case)
    assert services.steps_mark_overdue() == 0  # within the new deadline
    clock.set("2025-03-06 11:00")
    assert services.steps_mark_overdue() == 1
    assert CaseEvent.objects.filter(case=case, action="overdue").count() == 2
