"""A person's name is written one way everywhere, family name first ("孙波玉"): User.get_full_name
(pages, the field app, the login API), display_name (the name or the username), the case API's
events, the hotline API, the patrol map and the assessed people."""
import pytest
from django.test import Client

from assessment.objects import objects_list
from cases.tests.helpers import report
from patrol.selectors import collectors_map

pytestmark = pytest.mark.django_db


@pytest.fixture
def named(city):
    for username, (family, given) in {"collector_a": ("孙", "波玉"), "operator": ("欧阳", "修")}.items():
        user = city.users[username]
        user.last_name, user.first_name = family, given
        user.save(update_fields=["last_name", "first_name"])
    return city


def test_full_name_is_family_name_first(named):
    collector = named.users["collector_a"]
    assert collector.get_full_name() == "孙波玉"
    assert collector.display_name == "孙波玉"
    assert named.users["dispatcher"].display_name == "dispatcher"  # no name: the username


def test_the_page_header_and_the_timeline_show_the_name_not_the_username(named):
    case = report(named, by="collector_a")
    client = Client()
    client.force_login(named.users["operator"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "欧阳修 · " in page  # the header: who is signed in
    assert "孙波玉" in page and "波玉 孙" not in page
    assert "（collector_a" not in page  # the timeline no longer repeats the username


def test_the_case_api_names_the_actor(named, client_as):
    case = report(named, by="collector_a")
    body = client_as("operator").get(f"/api/cases/{case.pk}/").json()
    event = body["events"][0]
    assert (event["actor"], event["actor_name"]) == ("collector_a", "孙波玉")


def test_patrol_map_and_assessment_use_the_same_order(named):
    rows = {row["username"]: row["name"] for row in collectors_map(named.users["manager"])}
    assert rows["collector_a"] == "孙波玉"
    assert rows["collector_b"] == "collector_b"
    assessed = {obj.code: obj.name for obj in objects_list("collector")}
    assert assessed["collector_a"] == "孙波玉"
