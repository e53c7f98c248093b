"""Admin: editing an indicator bumps the catalogue version; the beat schedule is listed read-only."""
import pytest

from assessment.models import Indicator

from .admin_forms import catalogue_post

pytestmark = pytest.mark.django_db


def test_schedule_listed_read_only(admin):
    response = admin.get("/admin/assessment/beatscheduleentry/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "assessment.compute_hourly" in html and "assessment.freeze_previous_month" in html
    assert "每天 01:30" in html and "最后计算一次上月考核并冻结" in html  # when and what, for people
    assert admin.get("/admin/assessment/beatscheduleentry/add/").status_code == 403


def test_editing_an_indicator_bumps_the_version(admin, catalogue):
    response = catalogue_post(admin, catalogue,
                              change={"department:ontime_handling_rate": {"denominator": "handled"}})
    assert response.status_code == 302, response.content.decode()[:3000]
    catalogue.refresh_from_db()
    assert catalogue.version == 2
    assert Indicator.objects.get(catalogue=catalogue, object_type="department",
                                 code="ontime_handling_rate").denominator == "handled"


def test_results_are_read_only(admin, catalogue):
    assert admin.get("/admin/assessment/composite/").status_code == 200
    assert admin.get("/admin/assessment/snapshot/add/").status_code == 403


def test_issued_bulletins_are_read_only(admin, catalogue):
    assert admin.get("/admin/assessment/bulletin/").status_code == 200
    assert admin.get("/admin/assessment/bulletin/add/").status_code == 403
