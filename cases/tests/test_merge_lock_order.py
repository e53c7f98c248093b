"""Merges lock both cases in id order (PostgreSQL, real row locks): two opposite merges at once (A
into B, B into A) once each held one case and waited for the other's, a deadlock."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import workflow
from cases.models import Case, State
from citygrid.testing import race
from core.errors import ApplicationError

from .helpers import case_build

pytestmark = [pytest.mark.postgres]


@pytest.mark.django_db
def test_the_first_lock_takes_both_cases_in_id_order(city):
    low, high = case_build(city, State.REPORTED), case_build(city, State.REPORTED)
    with CaptureQueriesContext(connection) as queries:
        workflow.case_merge(actor=city.users["operator"], case_id=high.pk, into_case_id=low.pk)
    locks = [query["sql"] for query in queries.captured_queries if "FOR NO KEY UPDATE" in query["sql"]]
    ids = re.search(r"IN \(([\d, ]+)\) ORDER BY", locks[0])
    assert ids and {int(pk) for pk in ids.group(1).split(",")} == {low.pk, high.pk}, locks[0]
    assert Case.objects.get(pk=high.pk).merged_into_id == low.pk


@pytest.mark.django_db(transaction=True)
def test_opposite_merges_at_once_do_not_deadlock(city):
    for _round in range(3):
        first, second = case_build(city, State.REPORTED), case_build(city, State.REPORTED)
        pairs = [(first.pk, second.pk), (second.pk, first.pk)]
        results = race(lambda i, pairs=pairs: workflow.case_merge(
            actor=city.users["operator"], case_id=pairs[i % 2][0], into_case_id=pairs[i % 2][1]), threads=6)
        errors = [value for outcome, value in results if outcome == "error"]
        assert len(errors) == 5 and all(isinstance(error, ApplicationError) for error in errors), errors
        assert Case.objects.filter(pk__in=[first.pk, second.pk], state=State.MERGED).count() == 1
