"""Awards and reversals: the class's rate, the caps, the sources, at most once per case, taken back
when the case is voided or merged, the catch-up; the hook through the outbox."""
from decimal import Decimal

import pytest

from cases import workflow
from cases.models import OutboxMessage
from rewards import services
from rewards.models import EntryKind, RewardEntry

from .conftest import PHONE

pytestmark = pytest.mark.django_db


def test_a_filed_public_report_earns_its_class_rate(city, scheme, public_case, file_case, clock):
    garbage, manhole, vending = public_case("garbage"), public_case("manhole", grid=1), public_case("vending")
    for case in (garbage, manhole, vending):
        file_case(case)
    # Not through the outbox here (on_commit does not run in these tests): the service itself.
    amounts = {case.minor.name: services.reward_award(case_id=case.pk).amount for case in (garbage, manhole, vending)}
    # default 10; the minor class's rate 20; the major class's 5. Day cap 25: 10 + 15 (cut) + 0.
    assert amounts == {"暴露垃圾": Decimal("10"), "上水井盖": Decimal("15"), "无照经营游商": Decimal("0")}
    capped = RewardEntry.objects.filter(capped=True).order_by("pk")
    assert [(e.rule_amount, e.amount) for e in capped] == [(Decimal("20"), Decimal("15")), (Decimal("5"), Decimal("0"))]


def test_the_month_cap_counts_earlier_days(city, scheme, public_case, file_case, clock):
    scheme.daily_cap = None
    scheme.monthly_cap = Decimal("25")
    scheme.save()
    first = public_case("manhole")
    file_case(first)
    services.reward_award(case_id=first.pk)  # 20
    clock.advance(days=1)
    second = public_case("manhole")
    file_case(second)
    assert services.reward_award(case_id=second.pk).amount == Decimal("5")


def test_a_case_earns_at_most_once(city, scheme, public_case, file_case):
    case = public_case()
    file_case(case)
    first = services.reward_award(case_id=case.pk)
    assert services.reward_award(case_id=case.pk) == first
    assert RewardEntry.objects.count() == 1


def test_nothing_for_unfiled_other_sources_or_without_scheme(city, scheme, public_case, file_case):
    from cases.tests.helpers import report

    unfiled = public_case()
    assert services.reward_award(case_id=unfiled.pk) is None
    collector = report(city)
    file_case(collector)
    assert services.reward_award(case_id=collector.pk) is None  # source 监督员上报 is no reward source
    no_phone = public_case(phone="")
    file_case(no_phone)
    assert services.reward_award(case_id=no_phone.pk) is None
    scheme.is_active = False
    scheme.save()
    case = public_case()
    file_case(case)
    assert services.reward_award(case_id=case.pk) is None
    assert RewardEntry.objects.count() == 0


def test_a_voided_case_gives_its_award_back_once(city, scheme, public_case, file_case):
    case = public_case()
    file_case(case)
    award = services.reward_award(case_id=case.pk)
    workflow.case_review_void(actor=city.users["shift_leader"], case_id=case.pk, note="经会审非城管问题")
    reversal = services.reward_reverse(case_id=case.pk)
    assert (reversal.kind, reversal.amount) == (EntryKind.REVERSAL, -award.amount)
    assert services.reward_reverse(case_id=case.pk) == reversal
    # A voided case earns nothing again.
    assert services.reward_award(case_id=case.pk) == award
    assert RewardEntry.objects.filter(case=case).count() == 2


def test_a_case_voided_before_filing_never_earns(city, scheme, public_case):
    case = public_case()
    workflow.case_void(actor=city.users["shift_leader"], case_id=case.pk, note="重复")
    assert services.reward_award(case_id=case.pk) is None
    assert services.reward_reverse(case_id=case.pk) is None


def test_filing_a_public_case_queues_the_reward_and_the_task_awards(city, scheme, public_case, file_case,
                                                                    django_capture_on_commit_callbacks):
    from cases.tests.helpers import report

    case = public_case()
    with django_capture_on_commit_callbacks(execute=True):
        file_case(case)
    assert OutboxMessage.objects.filter(task="rewards.case_moved", kwargs__case_id=case.pk).count() == 1
    assert RewardEntry.objects.get(case=case).amount == Decimal("10")
    # A collector's case is of no reward source: nothing queued, the move costs no extra write.
    other = report(city)
    file_case(other)
    assert not OutboxMessage.objects.filter(task="rewards.case_moved", kwargs__case_id=other.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.case_review_void(actor=city.users["shift_leader"], case_id=case.pk, note="会审作废")
    assert RewardEntry.objects.filter(case=case, kind=EntryKind.REVERSAL).exists()


def test_reconcile_catches_up(city, scheme, public_case, file_case):
    filed = public_case()
    file_case(filed)
    voided = public_case(grid=1)
    file_case(voided)
    services.reward_award(case_id=voided.pk)
    workflow.case_review_void(actor=city.users["shift_leader"], case_id=voided.pk, note="会审作废")
    assert services.rewards_reconcile() == {"awarded": 1, "reversed": 1}
    assert services.rewards_reconcile() == {"awarded": 0, "reversed": 0}
    assert RewardEntry.objects.filter(citizen__phone=PHONE).count() == 3
