"""Concurrency on PostgreSQL (real row locks): two closure polls at once make one callback per
closure; two agents recording the same callback at once, one wins and the case is reopened once."""

import pytest

from cases.models import CaseEvent, State
from citygrid.testing import race
from core.errors import ApplicationError
from hotline import services
from hotline.models import Callback, Satisfaction

from .helpers import call, close

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]



def test_concurrent_polls_make_one_callback_per_closure(city):
    cases = [close(city, call(city, grid=grid, phone=f"1390000000{grid}").case) for grid in range(4)]
    results = race(lambda i: services.closure_followups_create())
    assert all(outcome == "ok" for outcome, _value in results), results
    assert Callback.objects.count() == 4
    assert {callback.case_id for callback in Callback.objects.all()} == {case.pk for case in cases}


def test_one_dissatisfied_callback_reopens_once(city):
    case = close(city, call(city).case)
    services.closure_followups_create()
    callback_id = Callback.objects.get().pk
    results = race(lambda i: services.callback_record(
        actor=city.users["hotline_agent"], callback_id=callback_id, satisfaction=Satisfaction.DISSATISFIED,
        comment=f"第{i}位坐席", reopen=True))
    winners = [value for outcome, value in results if outcome == "ok"]
    losers = [value for outcome, value in results if outcome == "error"]
    assert len(winners) == 1, results
    assert all(isinstance(error, ApplicationError) and error.status_code == 409 for error in losers), losers
    assert CaseEvent.objects.filter(case=case, action="reopen").count() == 1
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.rework_count == 1
