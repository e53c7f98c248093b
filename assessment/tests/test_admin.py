"""Admin: editing an indicator bumps the catalogue version; the beat schedule is listed read-only."""
import pytest
from django.test import Client

from assessment.models import Indicator

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(db):
    from grids.models import Role, User

    user = User.objects.create_superuser(username="root", password="x", email="r@example.org", role=Role.ADMIN)
    client = Client()
    client.force_login(user)
    return client


def test_schedule_listed_read_only(admin_client_):
    response = admin_client_.get("/admin/assessment/beatscheduleentry/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "assessment.compute_hourly" in html and "assessment.freeze_previous_month" in html
    assert "crontab" in html
    assert admin_client_.get("/admin/assessment/beatscheduleentry/add/").status_code == 403


def test_editing_an_indicator_bumps_the_version(admin_client_, catalogue):
    url = f"/admin/assessment/indicatorcatalogue/{catalogue.pk}/change/"
    page = admin_client_.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    formset = page.context["inline_admin_formsets"][0].formset
    data = {key: value for key, value in form.initial.items() if value is not None}
    data.update({"name": catalogue.name, "note": catalogue.note})
    prefix = formset.prefix
    rows = list(formset.queryset)
    data.update({f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": len(rows),
                 f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000})
    import json

    for n, row in enumerate(rows):
        for field in ("object_type", "order", "code", "name", "numerator", "denominator", "direction", "weight"):
            data[f"{prefix}-{n}-{field}"] = getattr(row, field)
        data[f"{prefix}-{n}-bands"] = json.dumps(row.bands)
        data[f"{prefix}-{n}-id"] = row.pk
        data[f"{prefix}-{n}-catalogue"] = catalogue.pk
        if row.object_type == "department" and row.code == "ontime_handling_rate":
            data[f"{prefix}-{n}-denominator"] = "handled"
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    catalogue.refresh_from_db()
    assert catalogue.version == 2
    assert Indicator.objects.get(catalogue=catalogue, object_type="department",
                                 code="ontime_handling_rate").denominator == "handled"


def test_results_are_read_only(admin_client_, catalogue):
    assert admin_client_.get("/admin/assessment/composite/").status_code == 200
    assert admin_client_.get("/admin/assessment/snapshot/add/").status_code == 403
