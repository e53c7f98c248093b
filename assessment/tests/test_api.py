"""The assessment API: managers only, a ranking in a constant number of queries, an object with
its trend, and the compute / recompute actions with clean 4xx errors."""
import pytest

from assessment.models import RecomputeAudit
from assessment.services import assessment_compute, period_freeze

from . import scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(city, catalogue):
    scenario.build_october(city)
    assessment_compute(period="2026-10")


def test_managers_only(client_as, computed):
    assert client_as("operator").get("/api/assessment/periods/").status_code == 403
    assert client_as("manager").get("/api/assessment/periods/").status_code == 200


def test_ranking(client_as, computed, city, django_assert_max_num_queries):
    api = client_as("manager")
    with django_assert_max_num_queries(6):
        response = api.get("/api/assessment/2026-10/ranking/department/")
    rows = response.json()
    assert [row["object_name"] for row in rows] == ["市政设施管理处", "东区环卫所", "西区环卫所"]
    assert (rows[2]["score"], rows[2]["grade"], rows[2]["rank"]) == ("36.00", "E", 2)
    rework = next(i for i in rows[2]["indicators"] if i["indicator_code"] == "rework_rate")
    assert (rework["numerator"], rework["denominator"], rework["percent"], rework["score"]) == (1, 1, "100.00",
                                                                                                 "0.00")
    grids = api.get("/api/assessment/2026-10/ranking/region/", {"level": "grid"}).json()
    assert [row["rank"] for row in grids] == [1, 2, 3, 4]
    assert api.get("/api/assessment/2026-10/ranking/nobody/").status_code == 404
    assert api.get("/api/assessment/1999-01/ranking/region/").status_code == 404
    assert api.get("/api/assessment/garbage/ranking/region/").status_code == 400


def test_object_with_trend(client_as, computed, city):
    district = city.districts[1].pk
    data = client_as("manager").get(f"/api/assessment/2026-10/objects/region/district/{district}/").json()
    assert (data["score"], data["grade"], data["counters"]["reports"]) == ("67.00", "C", 6)
    assert data["trend"]["labels"][-1] == "2026-10" and data["trend"]["composite"][-1] == "67.00"


def test_compute_and_recompute(client_as, city, catalogue):
    scenario.build_october(city)
    api = client_as("manager")
    response = api.post("/api/assessment/2026-10/compute/", {"object_type": "operator"}, format="json")
    assert response.status_code == 200 and response.json()["snapshots"] == 2 * 4
    assert api.post("/api/assessment/2026-10/compute/", {"object_type": "x"}, format="json").status_code == 400
    period_freeze(period="2026-10")
    refused = api.post("/api/assessment/2026-10/compute/", {}, format="json")
    assert refused.status_code == 409 and "冻结" in refused.json()["detail"]
    assert api.post("/api/assessment/2026-10/recompute/", {"note": ""}, format="json").status_code == 400
    done = api.post("/api/assessment/2026-10/recompute/", {"note": "更正"}, format="json")
    assert done.status_code == 200 and RecomputeAudit.objects.get().note == "更正"
