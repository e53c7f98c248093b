"""Field answers with the phone's position (issue 20): 核实 and 核查 record where they were answered
and the distance from the case, flagged beyond FIELD_ANSWER_RADIUS_M but never refused; a handled
report keeps its position in the event; photos go with the answer."""
import pytest

from cases.models import CaseEvent, State, Task

from .helpers import case_build, photo

URL = "/api/cases/"


@pytest.fixture(autouse=True)
def _radius(settings):
    settings.FIELD_ANSWER_RADIUS_M = 200


def test_verify_with_a_near_position_and_a_photo(city, client_as, client):
    case = case_build(city, State.VERIFYING)
    response = client_as("collector_a").post(
        f"{URL}{case.pk}/actions/verify/",
        {"is_true": "true", "lon": case.lon, "lat": case.lat + 0.0005, "accuracy": "6", "photos": [photo()]},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["distance_m"] == pytest.approx(55.6, abs=0.3) and body["far"] is False
    assert [row["kind"] for row in body["attachments"]] == ["before"]
    task = Task.objects.get(case=case)
    assert (task.answered_lon, task.answered_lat, task.answered_accuracy_m) == (case.lon, case.lat + 0.0005, 6)
    assert task.distance_m == pytest.approx(55.6, abs=0.3) and task.answered_far is False
    event = CaseEvent.objects.get(case=case, action="verify")
    assert event.payload["distance_m"] == task.distance_m and event.payload["far"] is False


def test_a_check_answered_far_away_is_flagged_not_refused_and_shown_to_the_operator(city, client_as, client):
    case = case_build(city, State.CHECKING)
    response = client_as("collector_a").post(f"{URL}{case.pk}/actions/check_pass/",
                                             {"lon": case.lon, "lat": case.lat + 0.003}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == State.CHECKED
    assert response.json()["far"] is True and response.json()["distance_m"] == pytest.approx(333.6, abs=1)
    task = Task.objects.get(case=case)
    assert task.answered_far is True

    client.force_login(city.users["operator"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "距案件 334 米" in page and "距案件过远" in page


def test_check_fail_records_the_position_too(city, client_as):
    case = case_build(city, State.CHECKING)
    response = client_as("collector_a").post(f"{URL}{case.pk}/actions/check_fail/",
                                             {"note": "仍未清理", "lon": case.lon, "lat": case.lat}, format="json")
    assert response.status_code == 200, response.json()
    task = Task.objects.get(case=case)
    assert task.result is False and task.distance_m == 0 and response.json()["far"] is False


def test_the_handlers_feedback_keeps_its_position_in_the_event(city, client_as):
    case = case_build(city, State.DISPATCHED)
    response = client_as("handler_a").post(
        f"{URL}{case.pk}/actions/report_handled/",
        {"note": "已清理", "lon": case.lon + 0.001, "lat": case.lat, "photos": [photo()]}, format="multipart")
    assert response.status_code == 200, response.json()
    payload = CaseEvent.objects.get(case=case, action="report_handled").payload
    assert payload["distance_m"] == pytest.approx(98.0, abs=0.5) and payload["far"] is False
    assert [row["kind"] for row in response.json()["attachments"]] == ["after"]


def test_an_answer_without_a_position_is_as_before(city, client_as):
    case = case_build(city, State.VERIFYING)
    response = client_as("collector_a").post(f"{URL}{case.pk}/actions/verify/", {"is_true": True}, format="json")
    assert response.status_code == 200
    assert response.json()["distance_m"] is None and response.json()["far"] is None
    assert Task.objects.get(case=case).distance_m is None


def test_a_longitude_without_latitude_is_refused(city, client_as):
    case = case_build(city, State.VERIFYING)
    response = client_as("collector_a").post(f"{URL}{case.pk}/actions/verify/",
                                             {"is_true": True, "lon": case.lon}, format="json")
    assert response.status_code == 400 and "lat" in response.json()
    assert Task.objects.get(case=case).completed_at is None


def test_the_task_list_shows_the_answer_fields(city, client_as):
    case_build(city, State.VERIFYING)
    rows = client_as("collector_a").get(f"{URL}tasks/").json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert rows[0]["address"] == "" and rows[0]["distance_m"] is None and rows[0]["far"] is None
