"""Every case's real state wherever it is listed (cases.marks), 挂账 until a date with its automatic
resume and reminder (cases.suspensions), and the confirmation column of the transition table."""
import io
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from cases import services, workflow
from cases.marks import case_marks
from cases.models import Case, CaseEvent, CaseRequest, OutboxMessage, RequestKind, RequestStatus, State
from cases.suspensions import suspensions_remind_due, suspensions_resume_due, suspensions_tick
from cases.tasks import suspensions_tick_task
from cases.transitions import TRANSITIONS, UNDO_SECONDS, Action
from citygrid.testing import race
from core.errors import ApplicationError, ConflictError, PermissionDeniedError

from .helpers import at, case_build

pytestmark = pytest.mark.django_db


class RecordingNotifier:
    """Remembers the reminders it is asked to send."""

    reminders: list[tuple[str, date]] = []

    def case_reported(self, notice) -> None:
        pass

    def suspension_ending(self, notice) -> None:
        RecordingNotifier.reminders.append((notice.number, notice.until))


@pytest.fixture
def reminders(settings):
    settings.CASE_REPORT_NOTIFIER = "cases.tests.test_states.RecordingNotifier"
    RecordingNotifier.reminders = []
    return RecordingNotifier.reminders


def suspend(city, case: Case, until: date) -> Case:
    """A dispatched case suspended until `until` through the real moves."""
    workflow.case_request_suspension(actor=city.users["handler_a"], case_id=case.pk, until=until, note="待管线施工结束")
    return workflow.case_approve_suspension(actor=city.users["shift_leader"], case_id=case.pk)


# --- 挂账 until: the moves take a date, checked -----------------------------------------------------

def test_a_suspension_is_asked_and_granted_until_a_date(city, clock):
    case = suspend(city, case_build(city, State.DISPATCHED), date(2025, 3, 20))
    assert case.state == State.SUSPENDED
    assert case.suspended_until == at("2025-03-20 00:00")
    request = CaseRequest.objects.get(case=case, kind=RequestKind.SUSPENSION)
    assert (request.status, request.requested_deadline) == (RequestStatus.APPROVED, at("2025-03-20 00:00"))
    event = CaseEvent.objects.get(case=case, action=Action.APPROVE_SUSPENSION)
    assert datetime.fromisoformat(event.payload["until"]) == at("2025-03-20 00:00")


def test_the_shift_leader_may_grant_another_date(city, clock):
    case = case_build(city, State.DISPATCHED)
    workflow.case_request_suspension(actor=city.users["handler_a"], case_id=case.pk, until=date(2025, 3, 20), note="待协调")
    case = workflow.case_approve_suspension(actor=city.users["shift_leader"], case_id=case.pk, until=date(2025, 3, 12))
    assert case.suspended_until == at("2025-03-12 00:00")


@pytest.mark.parametrize(("until", "message"), [
    (date(2025, 3, 5), "挂账至的日期必须晚于今天。"),
    (date(2025, 3, 1), "挂账至的日期必须晚于今天。"),
    (date(2025, 3, 5) + timedelta(days=181), "挂账最长 180 天，请选择 2025-09-01 或更早的日期。"),
])
def test_a_date_not_ahead_or_too_far_is_refused(city, clock, settings, until, message):
    settings.SUSPENSION_MAX_DAYS = 180
    case = case_build(city, State.DISPATCHED)
    with pytest.raises(ApplicationError) as error:
        workflow.case_request_suspension(actor=city.users["handler_a"], case_id=case.pk, until=until, note="待协调")
    assert (error.value.message, error.value.extra) == (message, {"field": "until"})
    assert not CaseRequest.objects.filter(case=case).exists()


def test_the_longest_suspension_is_accepted(city, clock, settings):
    settings.SUSPENSION_MAX_DAYS = 180
    case = case_build(city, State.DISPATCHED)
    workflow.case_request_suspension(actor=city.users["handler_a"], case_id=case.pk,
                                     until=date(2025, 3, 5) + timedelta(days=180), note="待协调")


def test_the_date_is_required_through_the_one_entry(city, clock):
    case = case_build(city, State.DISPATCHED)
    with pytest.raises(ApplicationError) as error:
        services.case_move(actor=city.users["handler_a"], case_id=case.pk, action=Action.REQUEST_SUSPENSION,
                           note="待协调")
    assert (error.value.message, error.value.extra) == ("请填写挂账至哪一天（until）。", {"field": "until"})


def test_a_request_without_a_date_needs_one_at_approval(city, clock):
    case = case_build(city, State.DISPATCHED)
    CaseRequest.objects.create(case=case, kind=RequestKind.SUSPENSION, reason="旧申请", requested_by=city.users["handler_a"],
                               requested_at=at("2025-03-04 10:00"))
    with pytest.raises(ApplicationError) as error:
        workflow.case_approve_suspension(actor=city.users["shift_leader"], case_id=case.pk)
    assert error.value.extra == {"field": "until"}
    case = workflow.case_approve_suspension(actor=city.users["shift_leader"], case_id=case.pk, until=date(2025, 3, 7))
    assert case.suspended_until == at("2025-03-07 00:00")


def test_the_api_takes_the_date_and_answers_bad_ones_in_chinese(city, clock, client_as):
    case = case_build(city, State.DISPATCHED)
    url = f"/api/cases/{case.pk}/actions/request_suspension/"
    handler = client_as("handler_a")
    response = handler.post(url, {"note": "待协调", "until": "2025-02-30"}, format="json")
    assert response.status_code == 400 and "until" in response.json()
    response = handler.post(url, {"note": "待协调", "until": "2025-03-04"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "挂账至的日期必须晚于今天。"
    response = handler.post(url, {"note": "待协调", "until": "2025-03-10"}, format="json")
    assert response.status_code == 200, response.json()
    requests = response.json()["requests"]
    assert requests[0]["requested_deadline"].startswith("2025-03-10T00:00:00+08:00")


def test_a_resume_clears_the_date(city, clock):
    case = suspend(city, case_build(city, State.DISPATCHED), date(2025, 3, 20))
    case = workflow.case_resume(actor=city.users["shift_leader"], case_id=case.pk)
    assert (case.state, case.suspended_until) == (State.DISPATCHED, None)


# --- the beat: resume on the date, remind a working day before --------------------------------------

def test_the_beat_resumes_exactly_the_cases_whose_date_has_come_once(city, clock):
    due = suspend(city, case_build(city, State.DISPATCHED), date(2025, 3, 7))
    later = suspend(city, case_build(city, State.DISPATCHED), date(2025, 3, 10))
    running = case_build(city, State.DISPATCHED)
    clock.set("2025-03-06 23:59")
    assert suspensions_resume_due() == 0
    clock.set("2025-03-07 00:00")
    assert suspensions_resume_due() == 1
    assert suspensions_resume_due() == 0  # run twice: nothing more
    states = dict(Case.objects.filter(pk__in=[due.pk, later.pk, running.pk]).values_list("pk", "state"))
    assert states == {due.pk: State.DISPATCHED, later.pk: State.SUSPENDED, running.pk: State.DISPATCHED}
    event = CaseEvent.objects.get(case=due, action=Action.RESUME)
    assert (event.actor, event.from_state, event.to_state) == (None, State.SUSPENDED, State.DISPATCHED)
    assert event.payload["automatic"] is True and event.note == "挂账到期，系统自动恢复处置。"
    # The handling deadline moved on by the working time spent suspended (Wed 10:00 → Fri 00:00).
    resumed = Case.objects.get(pk=due.pk)
    assert resumed.suspended_until is None and resumed.handle_deadline > due.handle_deadline


def test_a_case_resumed_by_hand_is_not_resumed_again(city, clock):
    case = suspend(city, case_build(city, State.DISPATCHED), date(2025, 3, 7))
    workflow.case_resume(actor=city.users["dispatcher"], case_id=case.pk)
    clock.set("2025-03-08 09:00")
    assert suspensions_resume_due() == 0
    assert CaseEvent.objects.filter(case=case, action=Action.RESUME).count() == 1


def test_the_system_cannot_resume_early_nor_make_other_moves(city, clock):
    case = suspend(city, case_build(city, State.DISPATCHED), date(2025, 3, 7))
    with pytest.raises(ApplicationError, match="挂账尚未到期"):
        workflow.case_resume(actor=None, case_id=case.pk)
    closable = case_build(city, State.CHECKED)
    with pytest.raises(ApplicationError) as error:
        workflow.case_close(actor=None, case_id=closable.pk)
    assert error.value.status_code == 403
    assert Case.objects.get(pk=closable.pk).state == State.CHECKED
    assert [name for name, transition in TRANSITIONS.items() if transition.by_system] == [Action.RESUME]


def test_a_reminder_goes_out_once_a_working_day_before(city, clock, reminders, django_capture_on_commit_callbacks):
    # Resumes on Monday 10 March: reminded on Friday the 7th (the working day before), not earlier.
    case = suspend(city, case_build(city, State.DISPATCHED), date(2025, 3, 10))
    early = suspend(city, case_build(city, State.DISPATCHED), date(2025, 3, 6))
    clock.set("2025-03-06 08:00")  # Thursday: the next working day is Friday, before the 10th
    with django_capture_on_commit_callbacks(execute=True):
        assert suspensions_remind_due() == 0
    clock.set("2025-03-07 08:00")  # Friday
    with django_capture_on_commit_callbacks(execute=True):
        assert suspensions_remind_due() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert suspensions_remind_due() == 0
    assert reminders == [(case.number, date(2025, 3, 10))]
    assert OutboxMessage.objects.filter(task="cases.suspension_ending").count() == 1
    assert CaseEvent.objects.filter(case=case, action="suspension_reminder").count() == 1
    # The case resuming on Thursday was due for its reminder on Wednesday, the day it was suspended.
    assert not CaseEvent.objects.filter(case=early, action="suspension_reminder").exists()


def test_no_reminder_on_a_day_off(city, clock, reminders):
    suspend(city, case_build(city, State.DISPATCHED), date(2025, 3, 10))
    clock.set("2025-03-08 10:00")  # Saturday
    assert suspensions_remind_due() == 0


def test_the_beat_task_is_scheduled_and_runs_both(city, clock, settings, reminders, django_capture_on_commit_callbacks):
    assert settings.CELERY_BEAT_SCHEDULE["cases-suspensions"]["task"] == "cases.suspensions_tick"
    due = suspend(city, case_build(city, State.DISPATCHED), date(2025, 3, 6))
    soon = suspend(city, case_build(city, State.DISPATCHED), date(2025, 3, 7))
    clock.set("2025-03-06 09:00")
    with django_capture_on_commit_callbacks(execute=True):
        assert suspensions_tick_task() == {"reminded": 1, "resumed": 1}
    assert reminders == [(soon.number, date(2025, 3, 7))]
    assert Case.objects.get(pk=due.pk).state == State.DISPATCHED
    run = suspensions_tick()
    assert (run.reminded, run.resumed) == (0, 0)


def test_a_re_suspension_gets_a_new_reminder(city, clock):
    case = suspend(city, case_build(city, State.DISPATCHED), date(2025, 3, 6))
    clock.set("2025-03-05 15:00")
    assert suspensions_remind_due() == 1
    workflow.case_resume(actor=city.users["shift_leader"], case_id=case.pk)
    suspend(city, Case.objects.get(pk=case.pk), date(2025, 3, 6))
    assert Case.objects.get(pk=case.pk).suspension_reminded_at is None
    assert suspensions_remind_due() == 1


# --- marks --------------------------------------------------------------------------------------

def marked_cases(city):
    """A suspended case, one urged twice, one reworked, one extended: through the real moves."""
    u = city.users
    suspended = suspend(city, case_build(city, State.DISPATCHED), date(2025, 3, 20))
    urged = case_build(city, State.DISPATCHED)
    for _i in range(2):
        workflow.case_urge(actor=u["dispatcher"], case_id=urged.pk, note="群众反映强烈")
    reworked = case_build(city, State.CHECKING)
    workflow.case_check_fail(actor=u["operator"], case_id=reworked.pk, note="垃圾仍未清运")
    extended = case_build(city, State.DISPATCHED)
    workflow.case_request_extension(actor=u["handler_a"], case_id=extended.pk, note="需协调",
                                    requested_deadline=at("2025-03-14 18:00"))
    workflow.case_approve_extension(actor=u["dispatcher"], case_id=extended.pk)
    return {name: Case.objects.get(pk=case.pk) for name, case in
            (("suspended", suspended), ("urged", urged), ("reworked", reworked), ("extended", extended))}


def test_marks_say_each_state(city, clock):
    cases = marked_cases(city)
    labels = {name: [(mark.kind, mark.label) for mark in case_marks(case)] for name, case in cases.items()}
    assert labels == {
        "suspended": [("suspended", "挂账至 03-20")],
        "urged": [("urged", "督办 ×2")],
        "reworked": [("reworked", "返工 ×1")],
        "extended": [("extended", "延期至 03-14 18:00")],
    }
    assert case_marks(cases["suspended"])[0].title == "挂账中，处置计时暂停；2025-03-20 自动恢复处置。"


def test_the_inbox_shows_the_marks_and_no_countdown_for_a_suspended_case(city, clock, client):
    cases = marked_cases(city)
    client.force_login(city.users["handler_a"])
    html = client.get(reverse("cases:department")).content.decode()
    for text in ("挂账至 03-20", "督办 ×2", "返工 ×1", "延期至 03-14 18:00", "计时暂停"):
        assert text in html, text
    row = html.split(cases["suspended"].number, 1)[1].split("</tr>", 1)[0]
    assert "计时暂停" in row and "小时" not in row and "超期" not in row


@pytest.mark.parametrize(("username", "page", "mark"), [
    ("handler_a", "cases:department", "urged"), ("shift_leader", "cases:shift_leader", "suspended"),
    ("dispatcher", "cases:dispatcher", None), ("operator", "cases:search", "urged"),
])
def test_lists_with_marks_keep_a_constant_number_of_queries(city, clock, client, username, page, mark):
    client.force_login(city.users[username])
    url = reverse(page)
    marked_cases(city)
    client.get(url)  # warm the per-process caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for _i in range(3):
        marked_cases(city)
    with CaptureQueriesContext(connection) as large:
        html = client.get(url).content.decode()
    assert len(large) == len(small), [q["sql"][:120] for q in large]
    if mark:
        assert html.count(f'data-mark="{mark}"') == 4


def test_search_and_case_page_show_the_marks(city, clock, client):
    cases = marked_cases(city)
    client.force_login(city.users["operator"])
    html = client.get(reverse("cases:search")).content.decode()
    assert "挂账至 03-20" in html and "督办 ×2" in html and "返工 ×1" in html and "延期至 03-14 18:00" in html
    page = client.get(reverse("cases:case", args=[cases["suspended"].pk])).content.decode()
    assert "挂账至 03-20" in page and "计时暂停" in page


def test_the_export_carries_the_marks(city, clock, client):
    cases = marked_cases(city)
    client.force_login(city.users["operator"])
    body = b"".join(client.get(reverse("cases:export")).streaming_content)
    rows = list(load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(values_only=True))
    header = rows[0]
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert by_number[cases["urged"].number]["督办次数"] == 2
    assert by_number[cases["suspended"].number]["挂账至"].date() == date(2025, 3, 20)
    assert by_number[cases["suspended"].number]["状态标记"] == "挂账中，处置计时暂停；2025-03-20 自动恢复处置"
    assert by_number[cases["extended"].number]["状态标记"] == "已延期 1 次，处置时限 2025-03-14 18:00"


def test_the_apis_carry_the_marks(city, clock, client_as):
    cases = marked_cases(city)
    listed = client_as("operator").get("/api/cases/").json()["results"]
    marks = {row["number"]: [mark["label"] for mark in row["marks"]] for row in listed}
    assert marks[cases["urged"].number] == ["督办 ×2"]
    assert marks[cases["suspended"].number] == ["挂账至 03-20"]
    inbox = {row["number"]: row for row in client_as("handler_a").get("/api/field/inbox/").json()}
    row = inbox[cases["suspended"].number]
    assert row["suspended_until"].startswith("2025-03-20T00:00:00")
    assert [mark["kind"] for mark in row["marks"]] == ["suspended"]
    assert inbox[cases["extended"].number]["extension_count"] == 1


# --- confirmation: the table's column, pinned by hand --------------------------------------------

CONFIRMED = {
    "send_verify", "verify", "file", "void", "merge", "return", "approve_extension", "deny_extension",
    "approve_suspension", "deny_suspension", "resume", "report_handled", "send_check", "check_pass", "check_fail",
    "close", "reopen", "urge", "assist_done",
}
WITH_UNDO = {"send_verify", "send_check"}


def test_the_moves_that_cannot_be_undone_ask_for_confirmation():
    # Dispatching (alone or jointly), 改派 and 撤回 are corrected by 改派 or 撤回 until the department
    # acts; requests are answered by the command center: none of them asks.
    known = {name for name in TRANSITIONS if name in CONFIRMED or name in (
        "propose_file", "dispatch", "joint_dispatch", "redispatch", "withdraw", "request_extension",
        "request_suspension")}
    assert {name for name in known if TRANSITIONS[name].confirm} == CONFIRMED
    assert {name for name, t in TRANSITIONS.items() if t.undo_seconds} == WITH_UNDO
    assert {TRANSITIONS[name].undo_seconds for name in WITH_UNDO} == {UNDO_SECONDS}
    assert str(TRANSITIONS[Action.CLOSE].confirm) == "结案：案件办结并计入考核；结案后只能经回访不满意重新处置。"


def test_queue_buttons_and_case_forms_carry_the_confirmation(city, clock, client):
    checked = case_build(city, State.CHECKED)
    client.force_login(city.users["shift_leader"])
    html = client.get(reverse("cases:shift_leader")).content.decode()
    assert 'data-confirm="结案：案件办结并计入考核；结案后只能经回访不满意重新处置。"' in html
    assert f'data-case-number="{checked.number}"' in html
    assert '<dialog id="confirm-move"' in html and "citygrid/js/confirm.js" in html
    page = client.get(reverse("cases:case", args=[checked.pk])).content.decode()
    assert 'data-confirm="结案' in page and '<dialog id="confirm-move"' in page
    handled = case_build(city, State.HANDLED)
    client.force_login(city.users["operator"])
    page = client.get(reverse("cases:case", args=[handled.pk])).content.decode()
    assert f'data-undo="{UNDO_SECONDS}"' in page


# --- permissions ------------------------------------------------------------------------------------

def test_only_the_shift_leader_grants_a_suspension(city, clock):
    case = case_build(city, State.DISPATCHED)
    workflow.case_request_suspension(actor=city.users["handler_a"], case_id=case.pk, until=date(2025, 3, 20), note="待协调")
    for username in ("handler_a", "dispatcher", "operator"):
        with pytest.raises(PermissionDeniedError):
            workflow.case_approve_suspension(actor=city.users[username], case_id=case.pk)
    assert Case.objects.get(pk=case.pk).state == State.DISPATCHED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_resume_a_case_once(city):
    cases = [case_build(city, State.DISPATCHED) for _i in range(3)]
    for case in cases:
        suspend(city, case, (Case.objects.get(pk=case.pk).reported_at + timedelta(days=3)).date())
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(suspended_until=at("2025-01-01 00:00"))
    results = race(lambda i: suspensions_resume_due(), threads=4)
    assert all(outcome == "ok" for outcome, _value in results), results
    assert sum(value for _outcome, value in results) == 3
    assert CaseEvent.objects.filter(case__in=cases, action=Action.RESUME).count() == 3
    assert set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("state", flat=True)) == {State.DISPATCHED}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hand_resume_racing_the_beat_resumes_once(city):
    case = case_build(city, State.DISPATCHED)
    suspend(city, case, (case.reported_at + timedelta(days=3)).date())
    Case.objects.filter(pk=case.pk).update(suspended_until=at("2025-01-01 00:00"))

    def work(index):
        if index % 2:
            return suspensions_resume_due()
        try:
            workflow.case_resume(actor=city.users["shift_leader"], case_id=case.pk)
            return 1
        except ConflictError:
            return 0

    results = race(work, threads=4)
    assert all(outcome == "ok" for outcome, _value in results), results
    assert sum(value for _outcome, value in results) == 1
    assert CaseEvent.objects.filter(case=case, action=Action.RESUME).count() == 1
