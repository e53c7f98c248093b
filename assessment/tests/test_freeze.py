"""Freezing a finished month, refusing to recompute it silently, and the audited recompute."""
from decimal import Decimal

import pytest

from assessment.models import Composite, ComputeRun, ObjectType, Period, RecomputeAudit, Trigger
from assessment.services import (
    assessment_compute,
    assessment_recompute_frozen,
    indicator_update,
    period_freeze,
)
from core.errors import ApplicationError, PermissionDeniedError

from . import scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen_october(city, catalogue, manager):
    scenario.build_october(city)
    run = period_freeze(period="2026-10", actor=manager)
    assert run.trigger == Trigger.FREEZE
    return Period.objects.get(label="2026-10")


def test_freeze_computes_and_marks_the_period(frozen_october, manager):
    assert frozen_october.frozen_at is not None and frozen_october.frozen_by == manager
    assert Composite.objects.filter(period=frozen_october).count() > 0
    assert period_freeze(period="2026-10") is None  # already frozen: nothing, so a retry is harmless


def test_a_frozen_period_is_not_recomputed_by_the_schedule(frozen_october):
    with pytest.raises(ApplicationError) as error:
        assessment_compute(period="2026-10")
    assert error.value.status_code == 409 and "冻结" in error.value.message


def test_a_running_month_cannot_be_frozen(city, catalogue):
    with pytest.raises(ApplicationError):
        period_freeze(period="2099-01")


def test_recompute_needs_a_reason_and_a_manager(frozen_october, collector_a, manager):
    with pytest.raises(ApplicationError):
        assessment_recompute_frozen(period="2026-10", actor=manager, note="  ")
    with pytest.raises(PermissionDeniedError):
        assessment_recompute_frozen(period="2026-10", actor=collector_a, note="想改")
    with pytest.raises(ApplicationError):
        assessment_recompute_frozen(period="2026-09", actor=manager, note="未冻结")
    assert not RecomputeAudit.objects.exists()


def test_audited_recompute_records_who_why_and_what_changed(city, frozen_october, catalogue, manager):
    san_b = city.departments["sanitation_b"].pk
    old = Composite.objects.get(period=frozen_october, object_type="department", object_id=san_b)
    assert (old.score, old.grade, old.catalogue_version) == (Decimal("36.00"), "E", 1)
    # The city decides rework is weighted 0 and the closure rate 60 %.
    rework = catalogue.indicators.get(object_type=ObjectType.DEPARTMENT, code="rework_rate")
    indicator_update(indicator=rework, actor=manager, weight=Decimal(0))
    closing = catalogue.indicators.get(object_type=ObjectType.DEPARTMENT, code="closing_rate")
    indicator_update(indicator=closing, actor=manager, weight=Decimal(60))

    audit = assessment_recompute_frozen(period="2026-10", actor=manager, note="市考核办决定返工率不计分")
    frozen_october.refresh_from_db()
    assert frozen_october.is_frozen
    assert (audit.actor, audit.note, audit.catalogue_version, audit.previous_versions) == (
        manager, "市考核办决定返工率不计分", 3, [1])
    assert audit.run.trigger == Trigger.RECOMPUTE and audit.run.actor == manager
    new = Composite.objects.get(period=frozen_october, object_type="department", object_id=san_b)
    # (10 × 60 + 60 × 50 + 30 × 50) / 100
    assert (new.score, new.grade, new.catalogue_version) == (Decimal("51.00"), "D", 3)
    change = next(c for c in audit.changes if c["object_type"] == "department" and c["object_id"] == san_b)
    assert change["before"] == ["36.00", "E", 2] and change["after"] == ["51.00", "D", 2]
    # Objects whose result did not move are not listed.
    assert not any(c["object_type"] == "operator" for c in audit.changes)
    assert ComputeRun.objects.filter(period=frozen_october).count() == 2
