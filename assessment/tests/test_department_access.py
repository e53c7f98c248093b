"""A department's people read their own assessment: its result as the overview's headline, its
row alone in the department ranking and the bulletin, the drill-downs of its own numbers; another
department's or a region's results are not found; the managers' actions stay refused."""
import pytest
from django.test import Client
from django.urls import reverse

from assessment.models import Composite, ObjectType
from assessment.services import assessment_compute

from . import scenario

pytestmark = pytest.mark.django_db
LABEL = "2026-10"


@pytest.fixture
def handler(city, catalogue):
    scenario.build_october(city)
    assessment_compute(period=LABEL)
    client = Client()
    client.force_login(city.users["handler_a"])
    return client


def _own(city):
    return Composite.objects.get(period__label=LABEL, object_type=ObjectType.DEPARTMENT,
                                 object_id=city.departments["sanitation_a"].pk)


def test_overview_shows_the_department_own_result(city, handler):
    own = _own(city)
    html = handler.get(reverse("assessment:overview", args=[LABEL])).content.decode()
    assert own.object_name in html and f"{own.score:.2f}" in html
    assert "查看范围：本部门" in html
    assert "西区环卫所" not in html and "重新计算" not in html  # no other department, no managers' actions


def test_ranking_and_bulletin_list_only_the_own_row(city, handler):
    own = _own(city)
    for url in (reverse("assessment:ranking", args=[LABEL, "department"]),
                reverse("assessment:bulletin", args=[LABEL])):
        html = handler.get(url).content.decode()
        assert own.object_name in html and "西区环卫所" not in html and "市政" not in html, url
        if "ranking" in url:
            assert f"{own.rank}<span" in html  # its rank among all departments
    assert handler.get(reverse("assessment:ranking", args=[LABEL, "collector"])).status_code == 200


def test_drill_downs_of_the_own_numbers_only(city, handler):
    own = _own(city)
    response = handler.get(reverse("assessment:drill", args=[LABEL, "department", own.level, own.object_id, "filed"]))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == own.counters["filed"]
    other = city.departments["sanitation_b"].pk
    assert handler.get(reverse("assessment:drill", args=[LABEL, "department", own.level, other,
                                                         "filed"])).status_code == 404
    assert handler.get(reverse("assessment:object", args=[LABEL, "department", own.level, other])).status_code == 404
    assert handler.get(reverse("assessment:object", args=[LABEL, "department", own.level,
                                                          own.object_id])).status_code == 200
    assert handler.get(reverse("assessment:ranking", args=[LABEL, "department"]) + "?export=xlsx").status_code == 200


def test_managers_actions_stay_refused(city, handler):
    assert handler.post(reverse("assessment:compute", args=[LABEL])).status_code == 403
    assert handler.get(reverse("assessment:schedule")).status_code == 403


def test_a_period_not_computed_offers_no_computing_to_a_department(city, catalogue, client):
    client.force_login(city.users["handler_a"])
    html = client.get(reverse("assessment:overview", args=["2026-09"])).content.decode()
    assert "该周期尚未计算" in html and "请明天再来查看" in html
    assert reverse("assessment:compute", args=["2026-09"]) not in html
