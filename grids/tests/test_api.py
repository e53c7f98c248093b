"""The registry's read API (/api/grids/): list filters, constant query counts whatever the page size,
the locate and ownership endpoints, sign-in required, and a schema without warnings."""
from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from grids.demo import CITY_CODE, demo_city_build
from grids.locator import grid_index_reset
from grids.models import (
    Component,
    Department,
    MinorClass,
    Region,
    RegionLevel,
    ResponsibilityGrid,
    Role,
    UnitGrid,
    User,
)

API = "/api/grids/"


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):
    """One small demo city for the whole module, rolled back at its end; each test runs in a
    savepoint inside it (the `db` fixture)."""
    with django_db_blocker.unblock(), transaction.atomic():
        summary = demo_city_build(seed=7, scale=0.05)
        yield summary
        transaction.set_rollback(True)
    grid_index_reset()


@pytest.fixture
def api(city, db) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.get(username="operator"))
    return client


def _district() -> Region:
    return Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code").first()


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- lists and filters ------------------------------------------------------------------------------

LIST_ENDPOINTS = ["regions", "unit-grids", "responsibility-grids", "major-classes", "minor-classes",
                  "department-types", "departments", "ownership-rules", "components"]


@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_list_endpoints_cost_the_same_queries_for_5_and_50_rows(api, endpoint):
    counts = []
    for size in (5, 50):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"{API}{endpoint}/", {"page_size": size})
        rows = _results(response)
        assert len(rows) == min(size, response.json()["count"])
        counts.append(len(queries))
    assert counts[0] == counts[1], f"{endpoint}: {counts}"
    assert counts[1] <= 4


@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_detail_endpoints(api, endpoint):
    first = _results(api.get(f"{API}{endpoint}/", {"page_size": 1}))[0]
    response = api.get(f"{API}{endpoint}/{first['id']}/")
    assert response.status_code == 200
    assert response.json() == first


def test_region_filters(api):
    district = _district()
    assert {r["level"] for r in _results(api.get(f"{API}regions/", {"level": 4}))} == {4}
    streets = _results(api.get(f"{API}regions/", {"parent": district.pk}))
    assert streets and all(r["parent"] == district.pk and r["parent_code"] == district.code for r in streets)
    assert [r["name"] for r in _results(api.get(f"{API}regions/", {"code": CITY_CODE}))] == ["示范市"]
    assert _results(api.get(f"{API}regions/", {"search": district.name}))[0]["code"] == district.code


def test_unit_grid_filters_and_geometry(api):
    district = _district()
    grid = UnitGrid.objects.filter(district=district).order_by("code").first()
    rows = _results(api.get(f"{API}unit-grids/", {"district": district.pk, "page_size": 500}))
    assert len(rows) == UnitGrid.objects.filter(district=district).count()
    assert {r["district_code"] for r in rows} == {district.code}
    for params in ({"community": grid.community_id}, {"street": grid.street_id}, {"code": grid.code},
                   {"code_prefix": grid.code[:12]}, {"responsibility_grid": grid.responsibility_grid_id}):
        assert grid.code in [r["code"] for r in _results(api.get(f"{API}unit-grids/", params))], params
    row = _results(api.get(f"{API}unit-grids/", {"code": grid.code}))[0]
    assert row["geometry"]["type"] == "Polygon"
    assert row["geometry"] == grid.geometry
    assert row["bbox"] == [grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat]
    assert row["center"] == [grid.center_lon, grid.center_lat]


def test_responsibility_grid_filters_and_collectors(api):
    collector = User.objects.get(username="collector")
    rows = _results(api.get(f"{API}responsibility-grids/", {"collector": collector.pk}))
    assert len(rows) == 1
    assert "collector" in [c["username"] for c in rows[0]["collectors"]]
    assert rows[0]["unit_grid_codes"]
    district = _district()
    rows = _results(api.get(f"{API}responsibility-grids/", {"district": district.pk, "page_size": 500}))
    assert rows and {r["district"] for r in rows} == {district.pk}


def test_class_filters(api):
    rows = _results(api.get(f"{API}major-classes/", {"edition": "legacy4", "kind": "component"}))
    assert [r["code"] for r in rows] == ["01", "02", "03", "04", "05", "06"]
    assert len(_results(api.get(f"{API}major-classes/", {"edition": "std2026", "kind": "matter"}))) == 10
    rows = _results(api.get(f"{API}minor-classes/", {"edition": "std2026", "kind": "component", "major_code": "01",
                                                      "is_active": "true", "page_size": 500}))
    assert rows and all(r["code"].startswith("01") and len(r["code"]) == 5 for r in rows)
    rows = _results(api.get(f"{API}minor-classes/", {"search": "井盖", "edition": "legacy4", "page_size": 500}))
    assert rows and all("井盖" in r["name"] for r in rows)
    major = rows[0]["major"]
    assert {r["major"] for r in _results(api.get(f"{API}minor-classes/", {"major": major}))} == {major}
    rows = _results(api.get(f"{API}minor-classes/", {"department_type": "water_supply", "page_size": 500}))
    assert rows and {r["department_type_code"] for r in rows} == {"water_supply"}


def test_department_and_rule_filters(api):
    district = _district()
    rows = _results(api.get(f"{API}departments/", {"level": 2, "region": district.pk}))
    assert rows and {r["region"] for r in rows} == {district.pk}
    rows = _results(api.get(f"{API}departments/", {"type": "municipal"}))
    assert {r["department_type_code"] for r in rows} == {"municipal"} and len(rows) == 4  # city + 3 districts
    rows = _results(api.get(f"{API}ownership-rules/", {"region": district.pk, "edition": "legacy4"}))
    assert rows and all(r["region"] == district.pk and r["edition"] == "legacy4" for r in rows)


def test_component_filters(api):
    district = _district()
    component = Component.objects.filter(unit_grid__district=district).order_by("code").first()
    rows = _results(api.get(f"{API}components/", {"district": district.pk, "page_size": 500}))
    assert rows and all(r["code"].startswith(district.code) for r in rows)
    for params in ({"minor": component.minor_id}, {"code": component.code}, {"unit_grid": component.unit_grid_id},
                   {"status": component.status}, {"in_use": str(component.in_use).lower()},
                   {"search": component.code}):
        assert component.code in [r["code"] for r in _results(api.get(f"{API}components/",
                                                                        {**params, "page_size": 500}))], params
    assert all(r["owner_department"] is None
               for r in _results(api.get(f"{API}components/", {"owner_unknown": "true"})))
    assert all(not r["in_use"] for r in _results(api.get(f"{API}components/", {"in_use": "false"})))


# --- locate ---------------------------------------------------------------------------------------------

def test_locate_inside_gives_the_grid_and_its_collectors(api):
    collector = User.objects.get(username="collector")
    rg = collector.responsibility_grids.get()
    grid = rg.unit_grids.order_by("code").first()
    response = api.get(f"{API}locate/", {"lon": grid.center_lon, "lat": grid.center_lat})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["unit_grid_code"] == grid.code and body["unit_grid_id"] == grid.pk
    assert body["community"]["code"] == grid.code[:12]
    assert body["street"]["code"] == grid.code[:9]
    assert body["district"]["code"] == grid.code[:6]
    assert body["responsibility_grid"]["code"] == rg.code
    assert "collector" in [c["username"] for c in body["collectors"]]
    assert all(User.objects.get(pk=c["id"]).role == Role.COLLECTOR for c in body["collectors"])


@pytest.mark.parametrize(("params", "message"), [
    ({"lon": "100.0", "lat": "20.0"}, "不在本市"),
    ({"lon": "abc", "lat": "28.19"}, "经度应为数字"),
    ({"lon": "112.98"}, "请提供纬度"),
    ({"lon": "500", "lat": "28.19"}, "经度不能大于"),
])
def test_locate_refuses_outside_points_and_bad_numbers(api, params, message):
    response = api.get(f"{API}locate/", params)
    assert response.status_code == 400
    assert message in response.content.decode()


# --- ownership --------------------------------------------------------------------------------------------

def test_ownership_unknown_is_explicit(api):
    grid = UnitGrid.objects.order_by("code").first()
    minor = MinorClass.objects.get(edition="legacy4", kind="component", code="0114")  # 无主井盖: no rule
    response = api.get(f"{API}ownership/", {"minor": minor.pk, "lon": grid.center_lon, "lat": grid.center_lat})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["unknown"] is True and body["department"] is None and body["basis"] == "unknown"
    assert "权属不明" in body["explanation"]
    assert body["unit_grid"]["code"] == grid.code


def test_ownership_by_rule_and_by_component(api):
    district = _district()
    grid = UnitGrid.objects.filter(district=district).order_by("code").first()
    bins = MinorClass.objects.get(edition="legacy4", kind="component", code="0305")
    body = api.get(f"{API}ownership/", {"minor": bins.pk, "lon": grid.center_lon, "lat": grid.center_lat}).json()
    assert body["unknown"] is False and body["basis"] in ("rule_major", "rule_minor")
    assert body["department"]["id"] == Department.objects.get(code=f"{district.code}-sanitation").pk

    owned = Component.objects.filter(owner_department__isnull=False).select_related("owner_department").first()
    body = api.get(f"{API}ownership/", {"minor": owned.minor_id, "component": owned.code}).json()
    assert body["basis"] == "component_owner" and body["department"]["id"] == owned.owner_department_id
    assert body["component"] == owned.code


@pytest.mark.parametrize(("params", "field"), [
    ({"lon": "112.98", "lat": "28.19"}, "minor"),
    ({"minor": "999999", "lon": "112.98", "lat": "28.19"}, "minor"),
    ({"minor": "MINOR", "component": "4399020101000001"}, "component"),
    ({"minor": "MINOR"}, None),
])
def test_ownership_refuses_bad_queries(api, params, field):
    minor = MinorClass.objects.order_by("pk").first()
    params = {k: (str(minor.pk) if v == "MINOR" else v) for k, v in params.items()}
    if field == "component":
        Component.objects.filter(code=params["component"]).delete()
    response = api.get(f"{API}ownership/", params)
    assert response.status_code == 400
    assert response.json()


def test_ownership_outside_the_city(api):
    minor = MinorClass.objects.order_by("pk").first()
    response = api.get(f"{API}ownership/", {"minor": minor.pk, "lon": "100", "lat": "20"})
    assert response.status_code == 400 and "不在本市" in response.json()["detail"]


# --- sign-in and schema ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["regions/", "components/", "locate/?lon=112.98&lat=28.19",
                                  "ownership/?minor=1&lon=112.98&lat=28.19", ""])
def test_anonymous_is_refused(city, db, path):
    response = APIClient().get(f"{API}{path}")
    assert response.status_code in (401, 403)


def test_token_authentication_works(city, db):
    from citygrid.services import token_issue

    _token, raw = token_issue(user=User.objects.get(username="collector"))
    client = APIClient(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get(f"{API}regions/").status_code == 200


def test_responsibility_grid_rows_match_the_database(api):
    rg = ResponsibilityGrid.objects.order_by("code").first()
    row = api.get(f"{API}responsibility-grids/{rg.pk}/").json()
    assert row["unit_grid_codes"] == list(rg.unit_grids.order_by("code").values_list("code", flat=True))
    assert sorted(c["username"] for c in row["collectors"]) == sorted(rg.collectors.values_list("username", flat=True))


def test_schema_of_the_registry_api_has_no_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--urlconf", "grids.api.urls", "--validate", "--fail-on-warn",
                 "--file", str(tmp_path / "schema.yml"))
    assert "/locate/" in (tmp_path / "schema.yml").read_text()
