"""The live panels of the workbench homes (cases.panels): the fragment htmx polls, its scope, its
pages ("还有 N 条"), and a number of queries that does not grow with the list."""
import dataclasses
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import views
from cases.models import State
from cases.panels import PANEL_HEADER
from cases.tests.helpers import case_build

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def numbers(html: str) -> list[str]:
    return re.findall(r'<a class="mono" href="/cases/\d+/">([^<]+)</a>', html)


def fragment(client, url_name: str, part: str, **params):
    return client.get(reverse(url_name), {"part": part, **params}, **HTMX)


def test_the_fragment_is_one_panel_that_polls_at_the_configured_interval(city, client, settings):
    settings.LIVE_QUEUE_SECONDS = 2.5
    case = case_build(city, State.REPORTED)
    client.force_login(city.users["operator"])
    response = fragment(client, "cases:operator", "intake")
    html = response.content.decode()
    assert response.status_code == 200
    assert response[PANEL_HEADER] == "intake"
    assert "<html" not in html and "<nav class=\"mainnav\"" not in html
    assert html.count("data-live-panel=") == 1
    assert 'hx-trigger="every 2500ms, cg:poll"' in html
    assert 'hx-get="/work/operator/?part=intake&amp;intake_page=1"' in html
    assert "data-announce=" in html  # new reports are announced
    assert numbers(html) == [case.number]
    assert "HX-Request" in response["Vary"] and response["Cache-Control"] == "no-store"


def test_the_full_page_has_every_panel_and_the_controls(city, client):
    client.force_login(city.users["operator"])
    html = client.get(reverse("cases:operator")).content.decode()
    assert re.findall(r'data-live-panel="(\w+)"', html) == ["intake", "to_check", "results", "out"]
    assert "data-live-sound=" in html and 'aria-pressed="false"' in html
    assert 'aria-live="polite"' in html
    # Without htmx, ?part= is the whole page (e.g. after an action sent the person back there).
    assert "<html" in client.get(reverse("cases:operator"), {"part": "intake"}).content.decode()


def test_an_unknown_part_is_the_whole_page_and_other_roles_are_refused(city, client):
    client.force_login(city.users["operator"])
    whole = fragment(client, "cases:operator", "nothing")
    assert whole.status_code == 200 and PANEL_HEADER not in whole
    client.force_login(city.users["handler_a"])
    assert fragment(client, "cases:operator", "intake").status_code == 403


@pytest.mark.parametrize(("username", "url_name", "part", "state", "grid"), [
    ("operator_b", "cases:operator", "intake", State.REPORTED, 2),
    ("handler_b", "cases:department", "inbox", State.DISPATCHED, 2),
])
def test_the_fragment_is_scoped(city, client, username, url_name, part, state, grid):
    department = "sanitation_b" if grid >= 2 else "sanitation_a"
    mine = case_build(city, state, grid=grid, department=department)
    case_build(city, state, grid=0, department="sanitation_a")  # the other district's
    client.force_login(city.users[username])
    assert numbers(fragment(client, url_name, part).content.decode()) == [mine.number]


@pytest.fixture
def two_per_page(monkeypatch):
    panels = [dataclasses.replace(panel, per_page=2) for panel in views.OPERATOR_PANELS]
    monkeypatch.setattr(views, "OPERATOR_PANELS", panels)


def test_a_panel_says_how_many_more_and_pages_on(city, client, two_per_page):
    cases = [case_build(city, State.VERIFYING) for _i in range(5)]  # the "在外" list
    client.force_login(city.users["operator"])
    pages = [fragment(client, "cases:operator", "out", out_page=n).content.decode() for n in (1, 2, 3)]
    assert [len(numbers(html)) for html in pages] == [2, 2, 1]
    assert sorted(n for html in pages for n in numbers(html)) == sorted(c.number for c in cases)
    assert "第 1–2 条，共 5 条，还有 3 条" in pages[0]
    assert "第 3–4 条，共 5 条，还有 1 条" in pages[1]
    assert "第 5–5 条，共 5 条" in pages[2] and "还有" not in pages[2]
    assert 'hx-get="/work/operator/?part=out&amp;out_page=2"' in pages[0]  # 下一页 (and the poll of page 2)
    assert 'href="/work/operator/?out_page=2"' in pages[0]  # without JavaScript, the page itself
    assert 'rel="next"' not in pages[2] and 'rel="prev"' in pages[2]
    # The page itself opens on the page asked for, and its head counts the whole queue.
    html = client.get(reverse("cases:operator"), {"out_page": 3}).content.decode()
    assert "第 5–5 条，共 5 条" in html


def test_the_head_counts_the_whole_intake_queue(city, client, two_per_page):
    for _i in range(3):
        case_build(city, State.REPORTED)
    client.force_login(city.users["operator"])
    html = client.get(reverse("cases:operator")).content.decode()
    assert '<span data-live-total="intake">3</span>' in html
    assert "还有 1 条" in html


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params, **HTMX).status_code == 200
    return len(queries)


@pytest.fixture
def three_per_page(monkeypatch):
    for name in ("OPERATOR_PANELS", "SHIFT_LEADER_PANELS", "DISPATCHER_PANELS", "DEPARTMENT_PANELS"):
        monkeypatch.setattr(views, name, [dataclasses.replace(panel, per_page=3) for panel in getattr(views, name)])


@pytest.mark.parametrize(("username", "url_name", "part", "state"), [
    ("operator", "cases:operator", "intake", State.REPORTED),
    ("operator", "cases:operator", "out", State.VERIFYING),
    ("operator", "cases:operator", "to_check", State.HANDLED),
    ("shift_leader", "cases:shift_leader", "to_close", State.CHECKED),
    ("shift_leader", "cases:shift_leader", "suspended", State.SUSPENDED),
    ("dispatcher", "cases:dispatcher", "to_dispatch", State.FILED),
    ("handler_a", "cases:department", "inbox", State.DISPATCHED),
])
def test_a_fragment_makes_the_same_queries_whatever_the_list(city, client, django_assert_max_num_queries,
                                                             three_per_page, username, url_name, part, state):
    """A list that fits its page is read in one query; a longer one is counted too, and no more."""
    client.force_login(city.users[username])
    url, params = reverse(url_name), {"part": part}
    for _i in range(3):
        case_build(city, state)
    client.get(url, params, **HTMX)  # warm the per-process caches (work calendar)
    fits = _queries(client, url, params)
    case_build(city, state)
    overflowing = _queries(client, url, params)
    assert overflowing == fits + 1  # the COUNT, only now
    for _i in range(30):
        case_build(city, state)
    with django_assert_max_num_queries(overflowing):
        html = client.get(url, params, **HTMX).content.decode()
    assert len(numbers(html)) == 3
    assert "共 34 条，还有 31 条" in html
    with django_assert_max_num_queries(overflowing):
        html = client.get(url, {**params, f"{part}_page": 5}, **HTMX).content.decode()
    assert "第 13–15 条，共 34 条，还有 19 条" in html
    assert overflowing <= 12
