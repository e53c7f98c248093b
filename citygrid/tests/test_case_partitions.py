"""The case table partitioned by its month-carrying id on PostgreSQL (cases/0022, 0023, cases.months,
docs/partitioning.md): a case's id carries its reported month and the check refuses one that does not,
a look-up by id reads one partition, a window's cases are a range of ids, a retry under the same key
finds the first case through CaseKey, a month still referenced cannot be archived, and a table of
older cases converts in batches with its plain ids kept in DEFAULT and every foreign key kept."""
import re
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from cases import months
from cases.models import Case, CaseEvent, CaseKey, CaseStep
from cases.tests.helpers import report
from citygrid.testing import at
from core import partitions
from core.partitions import CASE_ID_MONTH, LEGACY_CASE_ID_END, Month

pytestmark = pytest.mark.postgres


def partitions_read(queryset) -> set[str]:
    return set(re.findall(r"\bcases_case_(p\d{4}_\d{2}|default)\b", queryset.explain()))


@pytest.fixture
def two_months(city, clock):
    """Cases reported in March and April 2025, their months partitioned first (as generate_cases does)."""
    partitions.ensure_span(at("2025-03-01 00:00"), at("2025-04-30 00:00"))
    march = [report(city), report(city, grid=1)]
    clock.set(at("2025-04-02 10:00"))
    april = [report(city, idempotency_key="phone-1:42")]
    return march, april


def test_a_cases_id_carries_the_month_it_was_reported_in(two_months):
    march, april = two_months
    assert {case.pk // CASE_ID_MONTH for case in march} == {202503}
    assert april[0].pk // CASE_ID_MONTH == 202504
    assert Case.objects.get(pk=april[0].pk).number == april[0].number  # the id Django holds is the row's
    with pytest.raises(IntegrityError, match="cases_case_id_month_check"), transaction.atomic():
        Case.objects.filter(pk=march[0].pk).update(reported_at=at("2025-05-01 10:00"))


def test_a_case_by_id_reads_only_its_months_partition(two_months):
    march, april = two_months
    assert partitions_read(Case.objects.filter(pk=march[0].pk)) == {"p2025_03"}
    assert partitions_read(Case.objects.filter(pk=april[0].pk)) == {"p2025_04"}


def test_a_window_of_reports_reads_its_months_and_default_only(two_months):
    march, _april = two_months
    start, end = at("2025-03-01 00:00"), at("2025-04-01 00:00")
    bounded = Case.objects.filter(months.reported_between_q(start, end), reported_at__gte=start, reported_at__lt=end)
    assert set(bounded) == set(march)
    # DEFAULT stays in: it holds the plain ids of cases from before the conversion.
    assert partitions_read(bounded) == {"p2025_03", "default"}
    unbounded = Case.objects.filter(reported_at__gte=start, reported_at__lt=end)
    assert set(unbounded) == set(march) and len(partitions_read(unbounded)) > 2
    before = Case.objects.filter(months.reported_before_q(end))
    assert "p2025_04" not in partitions_read(before) and set(before) == set(march)


def test_a_retry_under_the_same_key_finds_the_first_case(city, two_months):
    _march, april = two_months
    assert CaseKey.objects.get(key="phone-1:42").case_id == april[0].pk
    again = report(city, idempotency_key="phone-1:42")
    assert again.pk == april[0].pk and Case.objects.count() == 3


def test_a_month_whose_cases_are_referenced_is_not_archived(two_months):
    with pytest.raises(partitions.PartitionError, match="still referenced"):
        partitions.detach("cases_case", Month(2025, 3))
    assert partitions.is_partitioned("cases_case") and Case.objects.count() == 3


def test_older_cases_keep_their_plain_ids_in_default_when_the_table_converts_in_batches(city, two_months):
    march, april = two_months
    partitions.unconvert("cases_case")
    assert not partitions.is_partitioned("cases_case")
    with connection.cursor() as cursor:  # a case of a database from before: a plain id
        columns = [f'"{field.column}"' for field in Case._meta.concrete_fields if field.column != "id"]
        copied = [("'OLD00007'" if column == '"number"' else column) for column in columns]
        cursor.execute(f"INSERT INTO cases_case (id, {', '.join(columns)}) OVERRIDING SYSTEM VALUE "
                       f"SELECT 7, {', '.join(copied)} FROM cases_case WHERE id = %s", [march[0].pk])
    CaseEvent.objects.create(case_id=7, action="note", to_state="reported", created_at=at("2025-04-02 10:00"))
    events = CaseEvent.objects.count()
    assert partitions.convert("cases_case", "id", batch_size=2)
    assert partitions.is_partitioned("cases_case")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM cases_case_default")
        assert [row[0] for row in cursor.fetchall()] == [7]
        cursor.execute("SELECT count(*) FROM pg_constraint WHERE confrelid = 'cases_case'::regclass "
                       "AND contype = 'f' AND conparentid = 0")
        assert cursor.fetchone()[0] >= 16
    assert CaseEvent.objects.count() == events and CaseEvent.objects.filter(case_id=7).exists()
    assert CaseStep.objects.filter(case_id=march[0].pk).exists()
    # The bound keeps the old case: its month is unknown, so every window reads DEFAULT.
    window = Case.objects.filter(months.reported_between_q(at("2025-03-01 00:00"), at("2025-04-01 00:00")),
                                 reported_at__gte=at("2025-03-01 00:00"), reported_at__lt=at("2025-04-01 00:00"))
    assert {case.pk for case in window} == {case.pk for case in march} | {7}
    # A new case gets a month-carrying id past both kinds.
    newer = report(city)
    assert newer.pk // CASE_ID_MONTH == 202504 and newer.pk > LEGACY_CASE_ID_END
    assert newer.pk % CASE_ID_MONTH > max(case.pk % CASE_ID_MONTH for case in [*march, *april])
    with pytest.raises(IntegrityError), transaction.atomic():  # the foreign keys are there again
        CaseEvent.objects.create(case_id=8, action="note", to_state="reported",
                                 created_at=at("2025-04-02 10:00") + timedelta(minutes=1))
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
