"""Comparisons on the object page: 环比 (the previous month) and 同比 (the same month a year
before), for the composite and every indicator, in percentage points; "—" where the other period
was not computed; the labels of quarters and years."""
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from assessment.models import Composite, Period, Snapshot
from assessment.selectors import comparison_labels
from assessment.services import assessment_compute

from . import scenario

pytestmark = pytest.mark.django_db


def test_labels():
    month = Period(kind="month", label="2026-01", start=date(2026, 1, 1), end=date(2026, 2, 1))
    quarter = Period(kind="quarter", label="2026-Q1", start=date(2026, 1, 1), end=date(2026, 4, 1))
    year = Period(kind="year", label="2026", start=date(2026, 1, 1), end=date(2027, 1, 1))
    assert comparison_labels(month) == {"previous": "2025-12", "last_year": "2025-01"}
    assert comparison_labels(quarter) == {"previous": "2025-Q4", "last_year": "2025-Q1"}
    assert comparison_labels(year) == {"last_year": "2025"}


def test_month_on_month_on_the_object_page(city, catalogue, manager):
    scenario.build_october(city)
    assessment_compute(period="2026-09")
    assessment_compute(period="2026-10")
    department = city.departments["sanitation_a"].pk
    client = Client()
    client.force_login(manager)
    october = Composite.objects.get(period__label="2026-10", object_type="department", object_id=department)
    september = Composite.objects.get(period__label="2026-09", object_type="department", object_id=department)
    response = client.get(reverse("assessment:object", args=["2026-10", "department", october.level, department]))
    assert response.status_code == 200
    rows = {row["snapshot"].indicator_code: row["changes"] for row in response.context["indicators"]}
    before = {s.indicator_code: s for s in Snapshot.objects.filter(period__label="2026-09", object_type="department",
                                                                     object_id=department)}
    checked = 0
    for snap in Snapshot.objects.filter(period__label="2026-10", object_type="department", object_id=department):
        previous, last_year = rows[snap.indicator_code]
        expected = None if snap.value is None or before[snap.indicator_code].value is None else (
            snap.value - before[snap.indicator_code].value)
        assert previous == expected, snap.indicator_code
        assert last_year is None  # 2025-10 was never computed
        checked += expected is not None
    assert checked >= 1
    changes = dict(response.context["composite_changes"])
    expected = None if september.score is None else october.score - september.score
    assert changes["2026-09"] == expected
    html = response.content.decode()
    assert "环比" in html and "同比" in html and "2025-10" in html
    if expected is not None and expected != 0:
        assert (f"+{expected:.2f}" if expected > 0 else f"−{-expected:.2f}") in html
    assert Decimal("0") is not None
