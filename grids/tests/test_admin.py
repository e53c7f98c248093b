"""The registry's admin: every changelist and change form opens, changelists cost a bounded number of
queries whatever the page holds, and editing a class's limits marks them as the city's own."""
from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grids.demo import demo_city_build
from grids.locator import grid_index_reset
from grids.models import (
    Component,
    Department,
    DepartmentType,
    GridIndexVersion,
    MajorClass,
    MinorClass,
    OwnershipRule,
    Region,
    ResponsibilityGrid,
    UnitGrid,
    User,
)

MODELS = [Region, UnitGrid, ResponsibilityGrid, MajorClass, MinorClass, DepartmentType, Department, OwnershipRule,
          Component, User, GridIndexVersion]


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_city_build(seed=5, scale=0.05)
        transaction.set_rollback(True)
    grid_index_reset()


@pytest.fixture
def admin_client(city, db, client):
    client.force_login(User.objects.get(username="admin"))
    return client


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_opens_with_a_bounded_number_of_queries(admin_client, model):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(_url(model, "changelist"))
    assert response.status_code == 200
    shown = len(response.context["cl"].result_list)
    assert shown == min(model.objects.count(), response.context["cl"].list_per_page)
    # A query per row would be 100 on the bigger lists; a constant page costs about a dozen.
    assert len(queries) <= 15, [q["sql"][:120] for q in queries.captured_queries]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_change_form_opens(admin_client, model):
    obj = model.objects.order_by("pk").first()
    assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize(("model", "params"), [
    (UnitGrid, {"district": "1"}), (UnitGrid, {"district": "x"}), (UnitGrid, {"street": "999999"}),
    (Component, {"district": "x", "q": "0101"}), (Department, {"district": "1"}), (Region, {"in_district": "x"}),
])
def test_region_filters_take_bad_values_without_error(admin_client, model, params):
    assert admin_client.get(_url(model, "changelist"), params).status_code == 200


def test_editing_limits_clears_the_default_flag(admin_client):
    minor = MinorClass.objects.filter(limits_are_default=True).order_by("pk").first()
    response = admin_client.get(_url(MinorClass, "change", minor.pk))
    form = response.context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items()
            if name in form.fields}
    data.update(limit_normal=minor.limit_normal + 8, major=minor.major_id,
                department_type=minor.department_type_id or "")
    data = {k: v for k, v in data.items() if v is not False}
    response = admin_client.post(_url(MinorClass, "change", minor.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    minor.refresh_from_db()
    assert minor.limits_are_default is False


def test_saving_a_unit_grid_bumps_the_locator_version(admin_client):
    grid = UnitGrid.objects.order_by("code").first()
    before = GridIndexVersion.objects.get().version
    data = {"code": grid.code, "community": grid.community_id, "street": grid.street_id,
            "district": grid.district_id, "responsibility_grid": ""}
    response = admin_client.post(_url(UnitGrid, "change", grid.pk), data)
    assert response.status_code == 302
    grid.refresh_from_db()
    assert grid.responsibility_grid_id is None
    assert GridIndexVersion.objects.get().version == before + 1
