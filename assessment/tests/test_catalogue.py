"""The catalogue is data: the shipped defaults, validation, and a change (denominator, weight)
that changes the next computation while every result records the version it used."""
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from assessment.catalogue import DEFAULT_CATALOGUE_NAME, DEFAULT_INDICATORS
from assessment.counters import counter_keys
from assessment.models import Composite, Indicator, IndicatorCatalogue, ObjectType, Snapshot
from assessment.services import (
    assessment_compute,
    catalogue_activate,
    catalogue_copy,
    indicator_errors,
    indicator_update,
)

from . import scenario

pytestmark = pytest.mark.django_db


def test_defaults_are_design_section_5():
    for object_type, rows in DEFAULT_INDICATORS.items():
        assert sum(row["weight"] for row in rows) == 100, object_type
        for row in rows:
            assert row["numerator"] in counter_keys(object_type), (object_type, row["code"])
            assert not row["denominator"] or row["denominator"] in counter_keys(object_type)
            assert bool(row["bands"]) == (not row["denominator"]), row["code"]
    weights = {t: {r["code"]: r["weight"] for r in rows if r["weight"]} for t, rows in DEFAULT_INDICATORS.items()}
    assert weights["department"] == {"filed_volume": 10, "closing_rate": 30, "ontime_handling_rate": 30,
                                     "rework_rate": 30}
    assert weights["region"] == {"public_report_rate": 10, "filed_volume": 20, "closing_rate": 30,
                                 "ontime_closing_rate": 40}
    assert weights["collector"] == {"valid_report_rate": 40, "missed_rate": 20, "ontime_verify_rate": 20,
                                    "ontime_check_rate": 20}
    assert weights["operator"] == {"accepted_volume": 25, "ontime_verify_send_rate": 40, "ontime_check_send_rate": 35}
    assert weights["shift_leader"] == {"ontime_filing_rate": 25, "accurate_filing_rate": 40,
                                       "ontime_closing_rate": 35}
    assert weights["dispatcher"] == {"dispatched_volume": 20, "ontime_dispatch_rate": 40, "accurate_dispatch_rate": 40}


def test_the_data_migration_installs_and_activates_the_defaults():
    IndicatorCatalogue.objects.all().delete()
    migration = importlib.import_module("assessment.migrations.0002_default_catalogue")
    migration.install(apps, None)
    migration.install(apps, None)  # twice: still one
    catalogue = IndicatorCatalogue.objects.get()
    assert (catalogue.name, catalogue.is_active, catalogue.version) == (DEFAULT_CATALOGUE_NAME, True, 1)
    assert catalogue.indicators.count() == sum(len(rows) for rows in DEFAULT_INDICATORS.values())
    for indicator in catalogue.indicators.all():
        indicator.full_clean()
        assert indicator_errors(object_type=indicator.object_type, numerator=indicator.numerator,
                                denominator=indicator.denominator, weight=indicator.weight,
                                bands=indicator.bands) == {}, indicator.code


def test_an_indicator_must_name_counters_of_its_object_type(catalogue):
    indicator = catalogue.indicators.get(object_type=ObjectType.OPERATOR, code="ontime_check_send_rate")
    with pytest.raises(ValidationError) as error:
        indicator_update(indicator=indicator, denominator="due_handle")  # a case counter, not an operator's
    assert "denominator" in error.value.message_dict
    with pytest.raises(ValidationError):
        indicator_update(indicator=indicator, weight=Decimal(120))
    catalogue.refresh_from_db()
    assert catalogue.version == 1  # nothing was saved


def test_changing_denominator_and_weight_changes_the_next_computation(city, catalogue, manager):
    scenario.build_october(city)
    assessment_compute(period="2026-09")
    assessment_compute(period="2026-10", object_type=ObjectType.DEPARTMENT)
    san_a = city.departments["sanitation_a"].pk
    before = Snapshot.objects.get(period__label="2026-10", object_id=san_a, indicator_code="ontime_handling_rate")
    assert (before.numerator, before.denominator, str(before.percent)) == (1, 3, "33.333300")
    assert Composite.objects.get(period__label="2026-10", object_id=san_a, object_type="department").score == \
        Decimal("68.50")

    indicator = catalogue.indicators.get(object_type=ObjectType.DEPARTMENT, code="ontime_handling_rate")
    indicator_update(indicator=indicator, actor=manager, denominator="handled")  # as Changde publishes it
    closing = catalogue.indicators.get(object_type=ObjectType.DEPARTMENT, code="closing_rate")
    indicator_update(indicator=closing, actor=manager, weight=Decimal(0))
    rework = catalogue.indicators.get(object_type=ObjectType.DEPARTMENT, code="rework_rate")
    indicator_update(indicator=rework, actor=manager, weight=Decimal(60))
    catalogue.refresh_from_db()
    assert catalogue.version == 4 and catalogue.updated_by == manager

    assessment_compute(period="2026-10", object_type=ObjectType.DEPARTMENT)
    after = Snapshot.objects.get(period__label="2026-10", object_id=san_a, indicator_code="ontime_handling_rate")
    assert (after.numerator, after.denominator, after.denominator_key) == (1, 2, "handled")
    assert after.score == Decimal("50.00") and after.catalogue_version == 4
    composite = Composite.objects.get(period__label="2026-10", object_id=san_a, object_type="department")
    # 10 × 60 + 30 × 50 + 0 × 75 + 60 × 100, over 100
    assert (composite.score, composite.catalogue_version) == (Decimal("81.00"), 4)
    # September was computed with version 1 and keeps saying so.
    assert set(Snapshot.objects.filter(period__label="2026-09").values_list("catalogue_version", flat=True)) == {1}


def test_activating_another_catalogue(city, catalogue):
    changde = catalogue_copy(catalogue=catalogue, name="常德口径")
    assert not changde.is_active and changde.indicators.count() == catalogue.indicators.count()
    catalogue_activate(catalogue=changde)
    catalogue.refresh_from_db()
    assert not catalogue.is_active and IndicatorCatalogue.objects.get(is_active=True) == changde
    run = assessment_compute(period="2026-10", object_type=ObjectType.REGION)
    assert run.catalogue == changde
    assert set(Composite.objects.values_list("catalogue_id", flat=True)) == {changde.pk}
    assert Indicator.objects.filter(catalogue=changde).count() == catalogue.indicators.count()


def test_the_admin_form_refuses_a_counter_of_another_object_type(catalogue):
    from assessment.admin import IndicatorForm

    indicator = catalogue.indicators.get(object_type=ObjectType.OPERATOR, code="ontime_check_send_rate")
    data = {field: getattr(indicator, field) for field in ("object_type", "order", "code", "name", "numerator",
                                                           "direction", "weight", "description")}
    form = IndicatorForm({**data, "catalogue": catalogue.pk, "denominator": "due_handle", "bands": ""},
                         instance=indicator)
    assert not form.is_valid() and "denominator" in form.errors
