"""After closure: the poll that creates callback tasks (idempotent), recording a callback, and the
dissatisfied callback that sends the case back as rework in one action; replies to the citizen
through the pluggable gateway."""
import pytest
from django.urls import reverse

from cases.models import CaseEvent, Source, State
from core.errors import ApplicationError
from hotline import services, tasks
from hotline.gateways import GatewayResult
from hotline.models import Callback, CallbackStatus, DeliveryStatus, Feedback, FeedbackChannel, Satisfaction

from .helpers import PHONE, call, close, dispatch


def closed_hotline_case(city, clock=None):
    return close(city, call(city).case, clock)


def test_closing_a_hotline_case_makes_one_callback_task_however_often_the_poll_runs(city, clock):
    case = closed_hotline_case(city, clock)
    assert services.closure_followups_create()["callbacks"] == 1
    assert tasks.closure_followups.delay().get()["callbacks"] == 0  # eager Celery: the same poll again
    callback = Callback.objects.get()
    assert callback.case == case and callback.case_closed_at == case.closed_at
    assert callback.status == CallbackStatus.PENDING and callback.due_at > case.closed_at


def test_only_citizen_cases_get_callbacks(city, clock):
    from cases.services import case_report
    from citygrid.testing import point_in

    lon, lat = point_in(0)
    collector_case = case_report(actor=city.users["collector_a"], source=Source.COLLECTOR,
                                 minor_id=city.classes["garbage"].pk, lon=lon, lat=lat, description="巡查发现").case
    close(city, collector_case, clock)
    open_case = call(city, grid=1).case
    assert services.closure_followups_create()["callbacks"] == 0
    assert open_case.state == State.REPORTED and not Callback.objects.exists()


def test_a_satisfied_callback_is_recorded(city, clock):
    closed_hotline_case(city, clock)
    services.closure_followups_create()
    callback = services.callback_record(actor=city.users["hotline_agent"], callback_id=Callback.objects.get().pk,
                                        satisfaction=Satisfaction.BASIC, comment="还行")
    assert callback.status == CallbackStatus.DONE and callback.satisfaction == Satisfaction.BASIC
    assert callback.agent == city.users["hotline_agent"] and not callback.reopened
    with pytest.raises(ApplicationError) as error:
        services.callback_record(actor=city.users["hotline_agent"], callback_id=callback.pk,
                                 satisfaction=Satisfaction.SATISFIED)
    assert error.value.status_code == 409


def test_a_dissatisfied_callback_reopens_the_case_as_rework_in_one_action(city, clock):
    case = closed_hotline_case(city, clock)
    services.closure_followups_create()
    clock.advance(hours=2)
    callback = services.callback_record(
        actor=city.users["hotline_agent"], callback_id=Callback.objects.get().pk,
        satisfaction=Satisfaction.DISSATISFIED, comment="垃圾又堆起来了", reopen=True,
    )
    case.refresh_from_db()
    assert callback.reopened and callback.status == CallbackStatus.DONE
    assert case.state == State.DISPATCHED and case.rework_count == 1 and case.closed_at is None
    assert case.department == city.departments["sanitation_a"] and case.handle_deadline is not None
    event = CaseEvent.objects.filter(case=case).latest("pk")
    assert (event.action, event.actor, event.note) == ("reopen", city.users["hotline_agent"], "回访不满意：垃圾又堆起来了")

    # Handled and closed again: a new closure, a new callback task.
    clock.advance(hours=1)
    for username, action in [("handler_a", "report_handled"), ("operator", "send_check"),
                             ("collector_a", "check_pass"), ("shift_leader", "close")]:
        from cases.workflow import ACTIONS

        case = ACTIONS[action](actor=city.users[username], case_id=case.pk)
    services.closure_followups_create()
    assert Callback.objects.filter(case=case).count() == 2
    assert Callback.objects.filter(case=case, status=CallbackStatus.PENDING).get().case_closed_at == case.closed_at


def test_reopen_fails_as_a_whole(city, clock, monkeypatch):
    closed_hotline_case(city, clock)
    services.closure_followups_create()

    def broken(**kwargs):
        raise ApplicationError("模拟失败")

    monkeypatch.setattr(services, "case_reopen", broken)
    with pytest.raises(ApplicationError):
        services.callback_record(actor=city.users["hotline_agent"], callback_id=Callback.objects.get().pk,
                                 satisfaction=Satisfaction.DISSATISFIED, reopen=True)
    assert Callback.objects.get().status == CallbackStatus.PENDING  # the callback was not recorded either


def test_only_dissatisfied_callbacks_reopen(city, clock):
    closed_hotline_case(city, clock)
    services.closure_followups_create()
    with pytest.raises(ApplicationError, match="不满意"):
        services.callback_record(actor=city.users["hotline_agent"], callback_id=Callback.objects.get().pk,
                                 satisfaction=Satisfaction.SATISFIED, reopen=True)


def test_unreachable_then_reached(city, clock):
    closed_hotline_case(city, clock)
    services.closure_followups_create()
    callback_id = Callback.objects.get().pk
    callback = services.callback_record(actor=city.users["hotline_agent"], callback_id=callback_id, reached=False)
    assert callback.status == CallbackStatus.UNREACHABLE and callback.attempts == 1
    callback = services.callback_record(actor=city.users["hotline_agent"], callback_id=callback_id,
                                        satisfaction=Satisfaction.SATISFIED)
    assert callback.status == CallbackStatus.DONE and callback.attempts == 2


def test_pending_callbacks_of_a_reopened_closure_are_cancelled(city, clock):
    case = closed_hotline_case(city, clock)
    services.closure_followups_create()
    from cases.workflow import case_reopen

    case_reopen(actor=city.users["shift_leader"], case_id=case.pk, note="领导要求重新处理")
    assert services.closure_followups_create()["cancelled"] == 1
    assert Callback.objects.get().status == CallbackStatus.CANCELLED


def test_callback_api_and_rework(city, clock, client_as):
    case = closed_hotline_case(city, clock)
    services.closure_followups_create()
    callback = Callback.objects.get()
    listing = client_as("hotline_agent").get("/api/hotline/callbacks/").json()
    assert [row["case_number"] for row in listing["results"]] == [case.number]
    assert client_as("manager").post(f"/api/hotline/callbacks/{callback.pk}/record/",
                                     {"satisfaction": "dissatisfied"}).status_code == 403
    response = client_as("hotline_agent").post(f"/api/hotline/callbacks/{callback.pk}/record/",
                                               {"satisfaction": "dissatisfied", "comment": "没修好", "reopen": True},
                                               format="json")
    assert response.status_code == 200 and response.json()["reopened"] is True
    case.refresh_from_db()
    assert case.state == State.DISPATCHED


def test_callback_page_records_and_reopens(city, clock, page_as):
    case = closed_hotline_case(city, clock)
    services.closure_followups_create()
    callback = Callback.objects.get()
    client = page_as("hotline_agent")
    html = client.get(reverse("hotline:callbacks")).content.decode()
    assert case.number in html and PHONE in html
    response = client.post(reverse("hotline:callback-record", args=[callback.pk]),
                           {"reached": "yes", "satisfaction": "dissatisfied", "comment": "不满意", "reopen": "on"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.DISPATCHED
    manager_html = page_as("manager").get(reverse("hotline:callbacks")).content.decode()
    assert PHONE not in manager_html


# --- replies to the citizen -------------------------------------------------------------------

class RecordingGateway:
    sent: list = []

    def send(self, *, channel, recipient, message, reference):
        RecordingGateway.sent.append((channel, recipient, message, reference))
        return GatewayResult(sent=True, reference=f"SMS-{reference}")


class BrokenGateway:
    def send(self, **kwargs):
        raise ConnectionError("短信平台不可用")


def test_a_phone_reply_is_done_and_on_time(city, clock):
    case = closed_hotline_case(city, clock)
    clock.advance(hours=1)
    feedback = services.feedback_send(actor=city.users["hotline_agent"], case_id=case.pk,
                                      channel=FeedbackChannel.PHONE, message="您反映的问题已处理")
    assert feedback.status == DeliveryStatus.SENT and feedback.on_time is True
    assert feedback.recipient == PHONE and feedback.case_closed_at == case.closed_at


def test_a_late_reply_is_recorded_as_late(city, clock):
    case = closed_hotline_case(city, clock)
    clock.advance(days=3)  # 8 working hours is one working day
    feedback = services.feedback_send(actor=city.users["hotline_agent"], case_id=case.pk,
                                      channel=FeedbackChannel.PHONE, message="已处理")
    assert feedback.on_time is False


def test_sms_replies_go_through_the_default_gateway_which_only_records(city, clock,
                                                                      django_capture_on_commit_callbacks):
    case = closed_hotline_case(city, clock)
    with django_capture_on_commit_callbacks(execute=True):
        feedback = services.feedback_send(actor=city.users["hotline_agent"], case_id=case.pk,
                                          channel=FeedbackChannel.SMS, message="已办结")
    feedback.refresh_from_db()
    assert feedback.status == DeliveryStatus.LOGGED and feedback.sent_at is None


def test_a_configured_gateway_sends_once(city, clock, settings, django_capture_on_commit_callbacks):
    settings.HOTLINE_FEEDBACK_GATEWAY = "hotline.tests.test_callbacks.RecordingGateway"
    RecordingGateway.sent = []
    case = closed_hotline_case(city, clock)
    with django_capture_on_commit_callbacks(execute=True):
        feedback = services.feedback_send(actor=city.users["hotline_agent"], case_id=case.pk,
                                          channel=FeedbackChannel.SMS, message="已办结")
    services.feedback_deliver(feedback_id=feedback.pk)  # a second run of the task
    feedback.refresh_from_db()
    assert feedback.status == DeliveryStatus.SENT and feedback.gateway_reference == f"SMS-{feedback.pk}"
    assert RecordingGateway.sent == [("sms", PHONE, "已办结", str(feedback.pk))]


def test_a_failing_gateway_is_recorded(city, clock, settings, django_capture_on_commit_callbacks):
    settings.HOTLINE_FEEDBACK_GATEWAY = "hotline.tests.test_callbacks.BrokenGateway"
    case = closed_hotline_case(city, clock)
    with django_capture_on_commit_callbacks(execute=True):
        feedback = services.feedback_send(actor=city.users["hotline_agent"], case_id=case.pk,
                                          channel=FeedbackChannel.WECHAT, message="已办结")
    feedback.refresh_from_db()
    assert feedback.status == DeliveryStatus.FAILED and "短信平台不可用" in feedback.status_detail


def test_a_result_reply_needs_a_closed_case_but_progress_replies_do_not(city):
    case = dispatch(city, call(city).case)
    with pytest.raises(ApplicationError, match="尚未结案"):
        services.feedback_send(actor=city.users["hotline_agent"], case_id=case.pk, channel=FeedbackChannel.PHONE,
                               message="已办结")
    feedback = services.feedback_send(actor=city.users["hotline_agent"], case_id=case.pk, kind="progress",
                                      channel=FeedbackChannel.PHONE, message="正在处理")
    assert feedback.on_time is None and feedback.case_closed_at is None


def test_automatic_result_replies_when_configured(city, clock, settings):
    settings.HOTLINE_AUTO_FEEDBACK = True
    case = closed_hotline_case(city, clock)
    assert services.closure_followups_create()["feedback"] == 1
    assert services.closure_followups_create()["feedback"] == 0
    feedback = Feedback.objects.get()
    assert feedback.automatic and feedback.case == case and feedback.on_time and case.number in feedback.message


def test_feedback_api(city, clock, client_as):
    case = closed_hotline_case(city, clock)
    response = client_as("hotline_agent").post(f"/api/hotline/cases/{case.pk}/feedback/",
                                               {"channel": "phone", "message": "已办结"}, format="json")
    assert response.status_code == 201 and response.json()["on_time"] is True
    assert client_as("operator").post(f"/api/hotline/cases/{case.pk}/feedback/",
                                      {"channel": "phone", "message": "已办结"}, format="json").status_code == 403
