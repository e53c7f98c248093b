"""The case text search (selectors.case_search_filter): what it finds on either database, and on
PostgreSQL that a two-character term is served by the bigram indexes instead of a scan of every
case (cases/migrations/0008)."""
import pytest
from django.db import connection

from cases.models import Case
from cases.selectors import case_search_filter

from .helpers import report


@pytest.fixture
def described(city):
    return {
        "manhole": report(city, cls="manhole", description="窨井盖缺失", address="人民路12号"),
        "garbage": report(city, description="路边有暴露垃圾", address="解放路AB段"),
        "apart": report(city, description="井边的盖板破了", address="东门"),  # 井 and 盖, not 井盖
    }


def found(text: str, cases: dict) -> set[str]:
    ids = set(Case.objects.filter(case_search_filter(text)).values_list("pk", flat=True))
    return {name for name, case in cases.items() if case.pk in ids}


@pytest.mark.parametrize(("text", "expected"), [
    ("井盖", {"manhole"}),  # two characters: the bigram path on PostgreSQL
    ("盖缺", {"manhole"}),
    ("垃圾", {"garbage"}),
    ("人民", {"manhole"}),  # in the address
    ("ab", {"garbage"}),  # any case
    ("Ab", {"garbage"}),
    ("井边", {"apart"}),
    ("井", {"manhole", "apart"}),  # one character: LIKE
    ("暴露垃圾", {"garbage"}),  # three or more: LIKE (trigram indexes on PostgreSQL)
    ("解放路ab", {"garbage"}),
    ("盖板破", {"apart"}),
    ("路灯", set()),
    ("井破", set()),
])
def test_search_finds_cases_containing_the_text(described, text, expected):
    assert found(text, described) == expected


def test_search_by_number_prefix(described):
    number = described["garbage"].number
    assert found(number, described) == {"garbage"}
    assert found(number[:-1], described) >= {"garbage"}


@pytest.mark.postgres
def test_two_character_terms_are_read_from_the_bigram_indexes(described):
    """With sequential scans priced out (the test table is tiny), the plan reads both bigram indexes:
    without them, or with a filter the planner cannot match to them, it would scan."""
    query = Case.objects.filter(case_search_filter("井盖")).values("pk")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The indexes are the parent's (case_description_bigram_idx, case_address_bigram_idx) as each
    # month's partition of the case table names them: told apart by what they index.
    index_conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    assert any("text_bigrams(upper(description))" in line for line in index_conditions), plan
    assert any("text_bigrams(upper((address)::text))" in line for line in index_conditions), plan
