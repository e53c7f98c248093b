"""The hotline figures (办结率, 及时反馈率, 回访率, 满意率) on a month built by hand, every count and rate worked out on
paper first:

March 2025 (Asia/Shanghai), cases brought in by calls:
  A  east  call 03-03, closed 03-05, replied on time,  called back 满意
  B  east  call 03-04 + a second call 03-06 (joined), closed 03-10, replied late, called back 不满意
  C  WEST  call 03-10, closed 03-20, replied on time,  called back 基本满意
  D  east  call 03-12, closed 03-31, no reply, callback still pending
  E  east  call 03-15, still being handled
  F  east  call 03-28, closed 04-02 (after the month), called back in April
  G  east  created by a call on 02-20, joined by a call on 03-02: taken in February, not March
  an inquiry call about A on 03-08; a call in April (not counted)

  calls 9 (A1 B2 C1 D1 E1 F1 G1 inquiry1); cases created 6 (A–F); taken 6 (A–F); closed 4 (A–D)
  replied on time 2 (A, C); called back 3 (A, B, C); satisfied 2 (A 满意, C 基本满意)
  办结率 4/6 · 及时反馈率 2/4 · 回访率 3/4 · 满意率 2/3
East district only (C is west): calls 8, created 5, taken 5, closed 3, on time 1, called back 2,
satisfied 1 → 3/5 · 1/3 · 2/3 · 1/2.
"""
import pytest

from hotline import services
from hotline.models import Callback, CallKind, Channel, FeedbackChannel, Satisfaction
from hotline.selectors import hotline_figures

from .helpers import at, call, close, dispatch


@pytest.fixture
def march(city, clock):
    agent = city.users["hotline_agent"]

    def reply(case, when):
        clock.set(when)
        services.feedback_send(actor=agent, case_id=case.pk, channel=FeedbackChannel.PHONE, message="已办结")

    def callback(case, when, satisfaction):
        clock.set(when)
        services.closure_followups_create()
        record = Callback.objects.get(case=case, case_closed_at=case.closed_at)
        services.callback_record(actor=agent, callback_id=record.pk, satisfaction=satisfaction)

    # Positions (grid + dx): a grid is ~98 m wide and a call joins an open case of its class within
    # 50 m: G 1.2, A 0.2, B 0.5, D 1.8 (garbage); E 0.1, F 1.9 (vending); C in the west district.
    clock.set("2025-02-20 09:00")
    g = call(city, grid=1, dx=0.2, phone="13900000007").case
    clock.set("2025-03-02 09:00")  # a Sunday: calls come in every day
    assert call(city, grid=1, dx=0.21, phone="13900000077").case == g

    clock.set("2025-03-03 09:00")
    a = close(city, call(city, grid=0, dx=0.2, phone="13900000001").case, clock)  # closed 10:00
    clock.set("2025-03-04 09:00")
    b = call(city, grid=0, dx=0.5, phone="13900000002").case
    clock.set("2025-03-06 09:00")
    assert call(city, grid=0, dx=0.51, phone="13900000022").case == b
    clock.set("2025-03-08 10:00")
    services.call_log(actor=agent, channel=Channel.HOTLINE_12319, phone="13900000001", content="问进度",
                      kind=CallKind.INQUIRY, case_number=a.number)
    clock.set("2025-03-10 09:00")
    b = close(city, b, clock)
    c = call(city, grid=2, dx=0.5, phone="13900000003").case
    clock.set("2025-03-12 09:00")
    d = call(city, grid=1, dx=0.8, phone="13900000004").case
    clock.set("2025-03-15 09:00")
    dispatch(city, call(city, grid=0, dx=0.1, cls="vending", phone="13900000005").case)
    clock.set("2025-03-20 09:00")
    c = close(city, c, clock)
    clock.set("2025-03-28 09:00")
    f = call(city, grid=1, dx=0.9, cls="vending", phone="13900000006").case
    clock.set("2025-03-31 16:00")
    d = close(city, d, clock)
    clock.set("2025-04-02 09:00")
    f = close(city, f, clock)
    call(city, grid=0, dx=0.5, dy=0.9, phone="13900000008")

    # Replies and callbacks, at their own times.
    reply(a, "2025-03-03 15:00")       # same afternoon: on time
    reply(b, "2025-03-14 09:00")       # four days after closure: late
    reply(c, "2025-03-20 15:00")       # on time
    callback(a, "2025-03-04 10:00", Satisfaction.SATISFIED)
    callback(b, "2025-03-11 10:00", Satisfaction.DISSATISFIED)
    callback(c, "2025-03-21 10:00", Satisfaction.BASIC)
    callback(f, "2025-04-03 10:00", Satisfaction.SATISFIED)
    clock.set("2025-04-03 11:00")
    services.closure_followups_create()  # D's callback task: created, never done
    return {"a": a, "b": b, "c": c, "d": d, "f": f, "g": g}


def test_each_hotline_rate_on_a_constructed_month(city, march, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # the catalogue's rates, the calls, the cases taken
        figures = hotline_figures(start=at("2025-03-01 00:00"), end=at("2025-04-01 00:00"))
    assert figures == {
        "calls": 9, "cases_created": 6, "taken": 6, "closed": 4, "fed_back_on_time": 2, "called_back": 3,
        "satisfied": 2,
        "closure_rate": round(4 / 6, 4), "timely_feedback_rate": 0.5, "callback_rate": 0.75,
        "satisfaction_rate": round(2 / 3, 4),
    }


def test_hotline_figures_of_one_district(city, march):
    figures = hotline_figures(start=at("2025-03-01 00:00"), end=at("2025-04-01 00:00"),
                              district_id=city.districts[0].pk)
    assert figures == {
        "calls": 8, "cases_created": 5, "taken": 5, "closed": 3, "fed_back_on_time": 1, "called_back": 2,
        "satisfied": 1,
        "closure_rate": 0.6, "timely_feedback_rate": round(1 / 3, 4), "callback_rate": round(2 / 3, 4),
        "satisfaction_rate": 0.5,
    }


def test_february_takes_g_and_an_empty_period_has_no_rates(city, march):
    february = hotline_figures(start=at("2025-02-01 00:00"), end=at("2025-03-01 00:00"))
    assert (february["calls"], february["taken"], february["closed"]) == (1, 1, 0)
    assert february["closure_rate"] == 0.0 and february["timely_feedback_rate"] is None
    empty = hotline_figures(start=at("2024-01-01 00:00"), end=at("2024-02-01 00:00"))
    assert empty["calls"] == 0 and empty["closure_rate"] is None and empty["satisfaction_rate"] is None


def test_figures_api(city, march, client_as):
    body = client_as("manager").get("/api/hotline/figures/", {"start": "2025-03-01", "end": "2025-04-01"}).json()
    assert (body["calls"], body["taken"], body["callback_rate"]) == (9, 6, 0.75)
    assert client_as("manager").get("/api/hotline/figures/", {"start": "2025-04-01", "end": "2025-03-01"}
                                    ).status_code == 400
    assert client_as("handler_a").get("/api/hotline/figures/", {"start": "2025-03-01", "end": "2025-04-01"}
                                      ).status_code == 403
