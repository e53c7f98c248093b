"""The wall mode (大屏模式) and the overview map's way to a grid's cases: the figures and lists within
scope, the refresh fragment, a constant number of queries, and the search filtered by grid."""
import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, State
from cases.tests.helpers import case_build

pytestmark = pytest.mark.django_db


def test_the_wall_is_a_page_without_navigation_with_its_figures(city, client, settings):
    settings.WALL_REFRESH_SECONDS = 7
    case_build(city, State.REPORTED)
    case_build(city, State.DISPATCHED)
    overdue = case_build(city, State.FILED)
    Case.objects.filter(pk=overdue.pk).update(current_deadline=timezone.now() - timedelta(hours=3))
    case_build(city, State.CLOSED)
    case_build(city, State.REPORTED, when=timezone.now() - timedelta(days=3))  # not today's
    client.force_login(city.users["manager"])
    response = client.get(reverse("cases:wall"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="mainnav"' not in html and "topbar" not in html
    figures = dict(re.findall(r'data-figure="(\w+)">(\d+)<', html))
    assert figures == {"intake": "4", "open": "4", "overdue": "2", "closed": "1"}  # the old report is overdue too
    assert 'hx-trigger="every 7000ms"' in html
    assert 'id="overview-map"' in html and "data-grid-cases-url=" in html
    trend = response.context["trend"]
    assert sum(trend["today"]) == 4 and len(trend["yesterday"]) == 24
    assert overdue.number in html  # the overdue top list
    assert "wall.js" in html and "echarts.min.js" in html


def test_the_wall_refresh_sends_its_parts_out_of_band(city, client):
    case_build(city, State.REPORTED)
    client.force_login(city.users["manager"])
    response = client.get(reverse("cases:wall"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    for part in ("wall-updated", "wall-figures", "wall-trend-data-box", "wall-newest", "wall-overdue"):
        assert re.search(rf'id="{part}"[^>]*hx-swap-oob="true"', html), part
    data = json.loads(re.search(r'<script id="wall-trend-data" type="application/json">(.*?)</script>', html).group(1))
    assert sum(data["today"]) == 1


def test_the_wall_is_scoped(city, client):
    case_build(city, State.REPORTED, grid=0)
    mine = case_build(city, State.REPORTED, grid=2, department="sanitation_b")
    client.force_login(city.users["operator_b"])
    response = client.get(reverse("cases:wall"))
    assert response.context["figures"]["intake"] == 1
    assert [c.pk for c in response.context["newest"]] == [mine.pk]


def test_the_wall_makes_the_same_queries_whatever_the_numbers(city, client, django_assert_max_num_queries):
    client.force_login(city.users["manager"])
    url = reverse("cases:wall")
    for state in (State.REPORTED, State.FILED):
        case_build(city, state)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    for _i in range(15):
        overdue = case_build(city, State.FILED)
        Case.objects.filter(pk=overdue.pk).update(current_deadline=timezone.now() - timedelta(hours=1))
        case_build(city, State.REPORTED)
    with django_assert_max_num_queries(len(queries)):
        client.get(url)
    assert len(queries) <= 12


def test_the_old_wall_address_leads_to_the_wall(city, client):
    client.force_login(city.users["manager"])
    response = client.get(reverse("cases:overview"), {"wall": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("cases:wall")
    html = client.get(reverse("cases:overview")).content.decode()
    assert f'href="{reverse("cases:wall")}"' in html
    assert 'data-grid-cases-url="/search/?state=reported&amp;state=verifying' in html
    assert 'data-grid-list-for="overview-map"' in html


def test_search_by_unit_grid(city, client):
    one = case_build(city, State.REPORTED, grid=0)
    case_build(city, State.REPORTED, grid=1)
    closed = case_build(city, State.CLOSED, grid=0)
    client.force_login(city.users["manager"])
    html = client.get(reverse("cases:search"), {"unit_grid": city.grids[0].code, "state": ["reported"]}).content.decode()
    assert one.number in html and closed.number not in html
    assert len(re.findall(r'<tr data-row', html)) == 1
