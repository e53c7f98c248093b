"""PostgreSQL: the same case awarded from eight workers at once earns once; eight cases of one
citizen awarded at once stay within the day's cap (the citizen's row is locked while weighed)."""
from decimal import Decimal

import pytest
from django.db.models import Sum

from citygrid.testing import race
from rewards import services
from rewards.models import RewardEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_one_case_awarded_at_once_earns_once(city, scheme, public_case, file_case):
    case = public_case()
    file_case(case)
    results = race(lambda _index: services.reward_award(case_id=case.pk).pk)
    assert all(outcome == "ok" for outcome, _value in results), results
    assert RewardEntry.objects.filter(case=case).count() == 1
    assert {value for _outcome, value in results} == {RewardEntry.objects.get(case=case).pk}


def test_a_citizens_cases_at_once_stay_within_the_cap(city, scheme, public_case, file_case):
    cases = []
    for index in range(8):
        case = public_case(grid=index % 4)
        file_case(case)
        cases.append(case)
    results = race(lambda index: str(services.reward_award(case_id=cases[index].pk).amount))
    assert all(outcome == "ok" for outcome, _value in results), results
    assert RewardEntry.objects.count() == 8
    assert RewardEntry.objects.aggregate(total=Sum("amount"))["total"] == Decimal("25")  # the day's cap
