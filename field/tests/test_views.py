"""The field app's pages: the shell for collectors and handlers (others are told it is not theirs),
its login, the manifest that makes it installable and the service worker that keeps it offline."""
import json

import pytest
from django.test import Client

from citygrid.testing import PASSWORD

pytestmark = pytest.mark.django_db


def client_for(city, username: str) -> Client:
    client = Client()
    client.force_login(city.users[username])
    return client


def shell_config(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="field-config" type="application/json">') + len(
        '<script id="field-config" type="application/json">')
    return json.loads(html[start:html.index("</script>", start)])


def test_the_shell_asks_for_a_login_first(city):
    response = Client().get("/m/")
    assert response.status_code == 302 and response.url.startswith("/m/login/")


def test_logging_in_on_the_phone_lands_on_the_app(city):
    client = Client()
    response = client.post("/m/login/", {"username": "collector_a", "password": PASSWORD})
    assert (response.status_code, response.url) == (302, "/m/")
    assert client.get("/m/").status_code == 200


@pytest.mark.parametrize(("username", "title", "tabs"), [
    ("collector_a", "城管通", ["#report", "#tasks", "#patrol", "#queue"]),
    ("handler_a", "处置通", ["#inbox", "#queue"]),
])
def test_the_shell_per_role(city, settings, username, title, tabs):
    settings.PATROL_POINT_SECONDS = 15
    response = client_for(city, username).get("/m/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"<title>{title}</title>" in html
    assert [tab for tab in ["#report", "#tasks", "#patrol", "#inbox", "#queue"] if f'href="{tab}"' in html] == tabs
    config = shell_config(response)
    assert config["role"] == city.users[username].role
    assert config["track_interval_s"] == 15
    assert config["texts"]["submit_report"] == "提交上报"
    # No inline script or style: the strict CSP holds (the config is JSON, not executed).
    assert "<script>" not in html and "style=" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("username", ["operator", "dispatcher", "manager"])
def test_the_shell_is_not_for_the_command_center(city, username):
    response = client_for(city, username).get("/m/")
    assert response.status_code == 403
    assert "移动端只供监督员和专业部门使用" in response.content.decode()


def test_the_manifest_makes_it_installable(city):
    response = Client().get("/m/manifest.webmanifest")
    body = response.json()
    assert response["Content-Type"] == "application/manifest+json"
    assert (body["start_url"], body["scope"], body["display"]) == ("/m/", "/m/", "standalone")
    assert {icon["sizes"] for icon in body["icons"]} >= {"192x192", "512x512"}


def test_the_service_worker_controls_the_app_and_keeps_its_shell(city):
    response = Client().get("/m/sw.js")
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/m/"
    assert response["Cache-Control"] == "no-cache"
    shell = json.loads(text.split("var SHELL = ", 1)[1].split(";", 1)[0])
    assert shell[0] == "/m/"
    assert any(url.endswith("field/app.js") for url in shell) and any(url.endswith("leaflet.js") for url in shell)


def test_the_collector_and_handler_homes_and_the_report_page_point_to_the_app(city):
    assert 'href="/m/"' in client_for(city, "collector_a").get("/work/collector/").content.decode()
    assert 'href="/m/"' in client_for(city, "handler_a").get("/work/department/").content.decode()
    forbidden = client_for(city, "collector_a").get("/cases/new/")
    assert forbidden.status_code == 403 and 'href="/m/"' in forbidden.content.decode()


def test_a_report_map_without_position_opens_on_the_collectors_own_grids(city):
    from citygrid.testing import BASE_LAT, BASE_LON, STEP
    from grids.models import Role, User

    # collector_a patrols responsibility grid R1: unit grids 0 and 1, side by side.
    config = shell_config(client_for(city, "collector_a").get("/m/"))
    assert config["area"] == pytest.approx([BASE_LON, BASE_LAT, BASE_LON + 2 * STEP, BASE_LAT + STEP])
    # Without grids of their own, their district's; without a region, the whole city's.
    city.responsibility_grids[0].collectors.clear()
    config = shell_config(client_for(city, "collector_a").get("/m/"))
    assert config["area"] == pytest.approx([BASE_LON, BASE_LAT, BASE_LON + 2 * STEP, BASE_LAT + STEP])
    User.objects.create_user(username="roving", password="x", role=Role.COLLECTOR)
    roving = Client()
    roving.force_login(User.objects.get(username="roving"))
    assert shell_config(roving.get("/m/"))["area"] == pytest.approx([BASE_LON, BASE_LAT, BASE_LON + 4 * STEP, BASE_LAT + STEP])
    assert shell_config(client_for(city, "handler_a").get("/m/"))["area"] is None
