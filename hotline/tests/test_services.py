"""Logging calls (hotline.services.call_log): a reported problem creates a case, a second call about
the same open problem joins it instead of duplicating it, questions link to the case, retries
return the first call; and the API keys."""
import hashlib

import pytest

from cases import workflow
from cases.models import Case, Source, State
from core.errors import ApplicationError, PermissionDeniedError
from hotline import services
from hotline.models import ApiKey, Call, Caller, CallKind, CaseLink, Channel

from .helpers import PHONE, call, close


def test_a_reported_problem_creates_a_case_from_the_hotline(city):
    result = call(city, phone="+86 138-1234-5678", name="张三")
    case = result.case
    assert result.created and result.call.case_link == CaseLink.CREATED
    assert case.source == Source.HOTLINE_12319 and case.state == State.REPORTED
    assert case.reporter_name == "张三" and case.reporter_phone == PHONE
    assert result.call.caller.phone == PHONE  # normalised: digits, no +86
    assert result.call.district_id == city.districts[0].pk
    assert result.call.agent == city.users["hotline_agent"]


def test_a_second_call_about_the_same_open_problem_joins_the_case(city):
    first = call(city, phone="13800000001")
    second = call(city, phone="13900000002", dx=0.52, dy=0.51, content="门口垃圾还没清")  # a few metres away
    assert second.call.case_link == CaseLink.JOINED
    assert second.case.pk == first.case.pk
    assert Case.objects.count() == 1
    assert Call.objects.filter(case=first.case).count() == 2


def test_joining_works_however_old_the_open_case_is(city, clock):
    first = call(city)
    clock.advance(days=10)  # beyond the duplicate window of intake: still the same open problem
    assert call(city, phone="13900000002").case.pk == first.case.pk


def test_another_class_or_a_distant_point_makes_a_new_case(city):
    first = call(city)
    other_class = call(city, cls="vending", phone="13900000002")
    far_away = call(city, grid=1, phone="13900000003")
    assert len({first.case.pk, other_class.case.pk, far_away.case.pk}) == 3
    assert other_class.call.case_link == far_away.call.case_link == CaseLink.CREATED


def test_a_closed_case_is_not_joined(city):
    first = call(city)
    close(city, first.case)
    again = call(city, phone="13900000002")
    assert again.call.case_link == CaseLink.CREATED and again.case.pk != first.case.pk


def test_a_case_number_given_by_the_caller_is_joined(city):
    first = call(city)
    result = services.call_log(actor=city.users["hotline_agent"], channel=Channel.HOTLINE_12319,
                               phone="13900000002", content="还是那堆垃圾", case_number=first.case.number)
    assert result.call.case_id == first.case.pk and result.call.case_link == CaseLink.JOINED


def test_a_merged_case_number_leads_to_the_case_it_joined(city):
    first = call(city)
    second = call(city, grid=1, phone="13900000002")
    workflow.case_merge(actor=city.users["operator"], case_id=second.case.pk, into_case_id=first.case.pk)
    result = services.call_log(actor=city.users["hotline_agent"], channel=Channel.HOTLINE_12319,
                               phone="13900000003", content="查询", kind=CallKind.INQUIRY,
                               case_number=second.case.number)
    assert result.call.case_id == first.case.pk


def test_a_closed_case_number_cannot_take_a_new_report_but_can_be_asked_about(city):
    first = call(city)
    close(city, first.case)
    with pytest.raises(ApplicationError) as error:
        services.call_log(actor=city.users["hotline_agent"], channel=Channel.HOTLINE_12319, phone=PHONE,
                          content="又有垃圾了", case_number=first.case.number)
    assert "“已结案”" in error.value.message and error.value.extra["field"] == "case_number"
    inquiry = services.call_log(actor=city.users["hotline_agent"], channel=Channel.HOTLINE_12319, phone=PHONE,
                                content="问一下办得怎样了", kind=CallKind.INQUIRY, case_number=first.case.number)
    assert inquiry.call.case_link == CaseLink.INQUIRY


def test_an_unknown_case_number_is_a_clear_error(city):
    with pytest.raises(ApplicationError, match="不存在"):
        services.call_log(actor=city.users["hotline_agent"], channel=Channel.HOTLINE_12319, phone=PHONE,
                          content="查询", kind=CallKind.INQUIRY, case_number="202599999999")


def test_a_consultation_makes_no_case(city):
    result = services.call_log(actor=city.users["hotline_agent"], channel=Channel.HOTLINE_12319, phone=PHONE,
                               content="垃圾分类的时间是几点？", kind=CallKind.CONSULT, answer="早七点到九点")
    assert result.call.case is None and result.call.case_link == "" and Case.objects.count() == 0


def test_a_report_needs_a_class_and_a_position(city):
    with pytest.raises(ApplicationError, match="问题分类"):
        services.call_log(actor=city.users["hotline_agent"], channel=Channel.HOTLINE_12319, phone=PHONE,
                          content="有垃圾")


def test_a_point_outside_the_city_is_refused_and_nothing_is_written(city):
    with pytest.raises(ApplicationError, match="不在本市"):
        call(city, grid=40)
    assert not Call.objects.exists() and not Caller.objects.exists() and not Case.objects.exists()


def test_12345_transfers_need_their_work_order_number_and_are_taken_once(city):
    with pytest.raises(ApplicationError, match="工单号"):
        call(city, channel=Channel.HOTLINE_12345)
    first = call(city, channel=Channel.HOTLINE_12345, transfer_number="GD2025030500123")
    retry = call(city, channel=Channel.HOTLINE_12345, transfer_number="GD2025030500123")
    assert first.created and not retry.created and retry.call.pk == first.call.pk
    assert first.case.source == Source.HOTLINE_12345
    assert Call.objects.count() == 1


def test_a_retried_submission_returns_the_first_call(city):
    first = call(city, idempotency_key="desk-1-0001")
    retry = call(city, idempotency_key="desk-1-0001")
    assert not retry.created and retry.call.pk == first.call.pk and Case.objects.count() == 1


@pytest.mark.parametrize("username", ["operator", "manager", "shift_leader", "handler_a", "collector_a"])
def test_only_hotline_staff_log_calls(city, username):
    with pytest.raises(PermissionDeniedError):
        call(city, agent=username)


def test_the_caller_keeps_one_record_and_the_newest_name(city):
    call(city, name="张三")
    call(city, grid=1, name="张先生")
    assert Caller.objects.get().name == "张先生"


def test_bad_phone_numbers_are_refused(city):
    with pytest.raises(ApplicationError, match="电话号码"):
        call(city, phone="12")


def test_api_keys_are_stored_hashed_and_authenticate(city):
    api_key, raw = services.apikey_create(name="市民 App")
    assert raw.startswith("cg_") and raw not in (api_key.key_hash, api_key.prefix)
    assert api_key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert services.apikey_authenticate(raw) == api_key
    assert services.apikey_authenticate(raw + "x") is None
    new_raw = services.apikey_rotate(api_key=api_key)
    assert services.apikey_authenticate(raw) is None and services.apikey_authenticate(new_raw) == api_key
    ApiKey.objects.filter(pk=api_key.pk).update(is_active=False)
    assert services.apikey_authenticate(new_raw) is None
