"""PostgreSQL: eight letters of one kind sent at once get eight different numbers, 1 to 8."""
import pytest

from cases.models import State
from cases.tests.helpers import case_build
from citygrid.testing import race
from supervision import services
from supervision.models import Letter, LetterKind

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_sends_never_share_a_number(city):
    case = case_build(city, State.DISPATCHED)
    drafts = [services.letter_draft(actor=city.users["dispatcher"], kind=LetterKind.ASSIGN,
                                    department_id=city.departments["sanitation_a"].pk, case_numbers=[case.number])
              for _ in range(8)]

    def send(index):
        return services.letter_send(actor=city.users["dispatcher"], letter_id=drafts[index].pk).number

    results = race(send)
    assert all(outcome == "ok" for outcome, _value in results), results
    assert sorted(Letter.objects.values_list("number", flat=True)) == list(range(1, 9))
