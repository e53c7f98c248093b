"""The case API: reporting (JSON and multipart with real images), idempotent retries, bad input
refused with a Chinese message and nothing written, list filters and ordering, detail with the
available actions and the timeline, collector tasks, constant queries per list, token auth."""
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cases import workflow
from cases.calendar import calendar_cache_clear
from cases.models import Attachment, Case, CaseEvent, State
from citygrid.services import token_issue
from citygrid.testing import point_in

from .helpers import at, case_build, media_files, photo, report, row_counts, snapshot

pytestmark = pytest.mark.django_db

URL = "/api/cases/"


def chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def report_body(city, **overrides) -> dict:
    lon, lat = point_in(0)
    return {"source": "collector", "minor_id": city.classes["garbage"].pk, "lon": lon, "lat": lat,
            "description": "人行道上有暴露垃圾", "address": "东街1号", **overrides}


@pytest.fixture
def unchanged(settings):
    """unchanged() → a function that asserts no row and no file was written since."""

    def start():
        counts, files = row_counts(), media_files(settings)

        def check():
            assert row_counts() == counts
            assert media_files(settings) == files

        return check

    return start


# --- reporting ----------------------------------------------------------------------------------

def test_report_json(city, client_as, clock):
    response = client_as("collector_a").post(URL, report_body(city), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get()
    assert (body["id"], body["number"], body["state"]) == (case.pk, case.number, "reported")
    assert body["unit_grid_code"] == city.grids[0].code
    assert body["suggested_department_name"] == "东区环卫所" and body["ownership_unknown"] is False
    assert body["current_step"] == "accept" and body["current_deadline"]
    assert response["Location"] == body["url"] == f"http://testserver{URL}{case.pk}/"
    # The receipt leaves the timeline and the moves to the detail it links to.
    detail = client_as("collector_a").get(body["url"]).json()
    assert [event["action"] for event in detail["events"]] == ["report"]
    assert detail["available_actions"] == []  # a collector has no move on a fresh report
    assert detail["traffic_light"] == "green"
    assert detail["current_deadline"] == body["current_deadline"]
    assert (case.reporter, case.source, case.address) == (city.users["collector_a"], "collector", "东街1号")


def test_report_names_its_duplicate_without_loading_it(city, client_as, clock):
    """The likely duplicate comes into the receipt and the report event from the duplicate check's
    own columns: a report that finds one runs no more queries than the first, which found none."""
    client = client_as("collector_a")
    lon, lat = point_in(1)
    client.post(URL, report_body(city, lon=lon, lat=lat), format="json")  # the caches of a first report
    with CaptureQueriesContext(connection) as alone:
        first = client.post(URL, report_body(city), format="json").json()
    clock.advance(minutes=5)
    with CaptureQueriesContext(connection) as second:
        body = client.post(URL, report_body(city, description="又有暴露垃圾"), format="json").json()
    assert (body["duplicate_of"], body["duplicate_of_number"]) == (first["id"], first["number"])
    assert first["duplicate_of"] is None and len(second) == len(alone)
    event = CaseEvent.objects.get(case_id=body["id"], action="report")
    assert event.payload["duplicate_of"] == first["number"]
    assert Case.objects.get(pk=body["id"]).duplicate_of_id == first["id"]


def test_report_multipart_with_png_and_jpeg(city, client_as, clock, settings):
    body = report_body(city, photos=[photo("a.png"), photo("b.jpg", "JPEG")])
    response = client_as("collector_a").post(URL, body, format="multipart")
    assert response.status_code == 201, response.content
    attachments = response.json()["attachments"]
    assert sorted(row["content_type"] for row in attachments) == ["image/jpeg", "image/png"]
    assert {row["kind"] for row in attachments} == {"before"}
    assert Attachment.objects.count() == 2 and len(media_files(settings)) == 2 * 2


def test_report_by_hotline_agent_lets_the_operator_act(city, client_as, clock):
    response = client_as("hotline_agent").post(URL, report_body(city, source="hotline_12319"), format="json")
    assert response.status_code == 201
    detail = client_as("operator").get(f"{URL}{response.json()['id']}/").json()
    assert detail["available_actions"] == ["send_verify", "propose_file", "merge"]
    detail = client_as("shift_leader").get(f"{URL}{response.json()['id']}/").json()
    assert detail["available_actions"] == ["file", "void", "merge"]


def test_idempotency_key_header_returns_the_first_case(city, client_as, clock, settings):
    client = client_as("collector_a")
    first = client.post(URL, report_body(city, photos=[photo()]), format="multipart", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(URL, report_body(city, photos=[photo()]), format="multipart", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Case.objects.count() == 1 and Attachment.objects.count() == 1 and len(media_files(settings)) == 2 * 1
    assert CaseEvent.objects.count() == 1


def test_client_id_returns_the_first_case(city, client_as, clock):
    client = client_as("collector_a")
    first = client.post(URL, report_body(city, client_id="app-42"), format="json")
    again = client.post(URL, report_body(city, client_id="app-42"), format="json")
    other = client.post(URL, report_body(city, client_id="app-43"), format="json")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert first.json()["id"] == again.json()["id"] != other.json()["id"]
    assert Case.objects.count() == 2


def test_a_reused_client_id_with_another_report_is_422(city, client_as, clock):
    client = client_as("collector_a")
    client.post(URL, report_body(city, client_id="app-42"), format="json")
    reused = client.post(URL, report_body(city, client_id="app-42", description="另一个问题"), format="json")
    assert reused.status_code == 422 and "Idempotency-Key" in reused.json()["detail"]
    assert Case.objects.count() == 1


def test_retry_keys_are_per_person(city, client_as, clock):
    """Two phones that number their reports from 1 must not get each other's case."""
    mine = client_as("collector_a").post(URL, report_body(city, client_id="1"), format="json")
    theirs = client_as("collector_b").post(URL, report_body(city, client_id="1", lon=point_in(2)[0]), format="json")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert Case.objects.get(pk=theirs.json()["id"]).reporter == city.users["collector_b"]


def test_a_long_idempotency_key_is_fine(city, client_as, clock):
    key = "device-7f3a/" + "x" * 200
    first = client_as("collector_a").post(URL, report_body(city), format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = client_as("collector_a").post(URL, report_body(city), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert Case.objects.count() == 1


# --- bad input: a 4xx with a Chinese message, and nothing written ---------------------------------

def test_unknown_class(city, client_as, unchanged):
    check = unchanged()
    response = client_as("collector_a").post(URL, report_body(city, minor_id=999999), format="json")
    assert response.status_code == 400
    assert chinese(response.json()["detail"]) and "999999" in response.json()["detail"]
    check()


def test_point_outside_the_city(city, client_as, unchanged):
    check = unchanged()
    response = client_as("collector_a").post(URL, report_body(city, lon=121.4737, lat=31.2304, photos=[photo()]),
                                             format="multipart")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert chinese(detail) and "121.4737" in detail and "31.2304" in detail
    check()


def test_missing_fields_are_named(city, client_as, unchanged):
    check = unchanged()
    body = report_body(city)
    del body["lat"]
    response = client_as("collector_a").post(URL, body, format="json")
    assert response.status_code == 400
    assert "lat" in response.json() and chinese(response.json()["lat"][0])
    check()


def test_file_that_is_not_an_image(city, client_as, unchanged):
    check = unchanged()
    fake = SimpleUploadedFile("photo.png", b"%PDF-1.4 definitely not a picture", content_type="image/png")
    response = client_as("collector_a").post(URL, report_body(city, photos=[photo(), fake]), format="multipart")
    assert response.status_code == 400
    assert chinese(response.json()["detail"]) and "photo.png" in response.json()["detail"]
    check()


def test_image_format_not_accepted(city, client_as, unchanged):
    check = unchanged()
    gif = photo("anim.gif", "GIF")
    response = client_as("collector_a").post(URL, report_body(city, photos=[gif]), format="multipart")
    assert response.status_code == 400 and "GIF" in response.json()["detail"]
    check()


def test_image_too_large(city, client_as, unchanged, settings):
    settings.MAX_UPLOAD_BYTES = 64
    check = unchanged()
    response = client_as("collector_a").post(URL, report_body(city, photos=[photo()]), format="multipart")
    assert response.status_code == 413  # stopped while it streamed in (core.parsers)
    assert "过大" in response.json()["detail"]
    check()


def test_missing_reason(city, client_as, unchanged):
    case = case_build(city, State.REPORTED)
    check = unchanged()
    response = client_as("shift_leader").post(f"{URL}{case.pk}/actions/void/", {"note": ""}, format="json")
    assert response.status_code == 400
    assert "理由" in response.json()["detail"]
    check()


def test_extension_deadline_in_the_past(city, client_as, unchanged, clock):
    case = case_build(city, State.DISPATCHED)
    check = unchanged()
    response = client_as("handler_a").post(f"{URL}{case.pk}/actions/request_extension/", {
        "requested_deadline": (clock.now - timedelta(days=1)).isoformat(), "note": "需要更多时间"}, format="json")
    assert response.status_code == 400
    assert chinese(response.json()["detail"]) and response.json()["field"] == "requested_deadline"
    check()


def test_action_on_a_closed_case_is_409_with_the_allowed_moves(city, client_as, unchanged):
    case = case_build(city, State.CLOSED)
    check = unchanged()
    response = client_as("dispatcher").post(f"{URL}{case.pk}/actions/urge/", {"note": "督办"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["allowed_actions"] == ["reopen"] and body["state"] == "closed"
    assert "回访不满意重新处置" in body["detail"] and "已结案" in body["detail"]
    check()


def test_handled_report_with_a_bad_photo_changes_nothing(city, client_as, unchanged):
    case = case_build(city, State.DISPATCHED)
    before = snapshot(case.pk)
    check = unchanged()
    fake = SimpleUploadedFile("after.jpg", b"GIF89a garbage", content_type="image/jpeg")
    response = client_as("handler_a").post(f"{URL}{case.pk}/actions/report_handled/",
                                           {"note": "已处理", "photos": [photo(), fake]}, format="multipart")
    assert response.status_code == 400
    check()
    assert snapshot(case.pk) == before


def test_handled_report_with_photos(city, client_as, settings):
    case = case_build(city, State.DISPATCHED)
    response = client_as("handler_a").post(f"{URL}{case.pk}/actions/report_handled/",
                                           {"note": "已处理", "photos": [photo("after.jpg", "JPEG")]},
                                           format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "handled"
    assert [(row["kind"], row["content_type"]) for row in response.json()["attachments"]] == [("after", "image/jpeg")]
    assert len(media_files(settings)) == 2 * 1


def test_verify_needs_its_answer_in_json_and_in_a_form(city, client_as, unchanged):
    case = case_build(city, State.VERIFYING)
    check = unchanged()
    client = client_as("collector_a")
    for form in ("json", "multipart"):
        response = client.post(f"{URL}{case.pk}/actions/verify/", {"note": "看过了"}, format=form)
        assert response.status_code == 400, form
        assert response.json()["field"] == "is_true"
    check()
    response = client.post(f"{URL}{case.pk}/actions/verify/", {"is_true": "false"}, format="multipart")
    assert response.status_code == 200 and response.json()["verified"] is False


@pytest.mark.parametrize(("action", "field"), [("dispatch", "department_id"), ("merge", "into_case_id"),
                                               ("request_extension", "requested_deadline")])
def test_missing_action_arguments(city, client_as, unchanged, action, field):
    state = {"dispatch": State.FILED, "merge": State.REPORTED, "request_extension": State.DISPATCHED}[action]
    case = case_build(city, state)
    username = {"dispatch": "dispatcher", "merge": "operator", "request_extension": "handler_a"}[action]
    check = unchanged()
    response = client_as(username).post(f"{URL}{case.pk}/actions/{action}/", {"note": "理由"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == field and chinese(response.json()["detail"])
    check()


def test_unknown_action_and_unknown_case(city, client_as):
    case = case_build(city, State.REPORTED)
    assert client_as("operator").post(f"{URL}{case.pk}/actions/explode/", {}, format="json").status_code == 404
    response = client_as("operator").post(f"{URL}999999/actions/send_verify/", {}, format="json")
    assert response.status_code == 404 and chinese(response.json()["detail"])


def test_dispatch_to_an_unknown_department(city, client_as, unchanged):
    case = case_build(city, State.FILED)
    check = unchanged()
    response = client_as("dispatcher").post(f"{URL}{case.pk}/actions/dispatch/", {"department_id": 424242},
                                            format="json")
    assert response.status_code == 400 and chinese(response.json()["detail"])
    check()


def test_self_handled_through_the_api(city, client_as, clock, settings):
    body = report_body(city, photos=[photo("before.jpg", "JPEG")], after_photos=[photo("after.png")],
                       client_id="fix-1")
    first = client_as("collector_a").post(f"{URL}self-handled/", body, format="multipart")
    assert first.status_code == 201, first.content
    assert first.json()["state"] == "closed"
    assert sorted(row["kind"] for row in first.json()["attachments"]) == ["after", "before"]
    body = report_body(city, photos=[photo("before.jpg", "JPEG")], after_photos=[photo("after.png")],
                       client_id="fix-1")
    again = client_as("collector_a").post(f"{URL}self-handled/", body, format="multipart")
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    assert len(media_files(settings)) == 2 * 2


def test_self_handled_without_the_after_photo(city, client_as, unchanged):
    check = unchanged()
    response = client_as("collector_a").post(f"{URL}self-handled/", report_body(city, photos=[photo()]),
                                             format="multipart")
    assert response.status_code == 400 and "处置后" in response.json()["detail"]
    check()


# --- actions through the API --------------------------------------------------------------------

def test_a_case_through_the_api(city, client_as, clock):
    response = client_as("collector_a").post(URL, report_body(city), format="json")
    case_id = response.json()["id"]

    def move(username, action, **body):
        response = client_as(username).post(f"{URL}{case_id}/actions/{action}/", body, format="json")
        assert response.status_code == 200, (action, response.content)
        return response.json()

    move("shift_leader", "file", urgency="urgent", filing_condition="面积超过1平方米")
    body = move("dispatcher", "dispatch", department_id=city.departments["sanitation_a"].pk)
    assert body["state"] == "dispatched" and body["department_name"] == "东区环卫所"
    assert Case.objects.get(pk=case_id).handle_deadline == at("2025-03-05 10:00")  # urgent: 1 working hour
    body = move("handler_a", "request_extension", requested_deadline="2025-03-07T12:00:00+08:00", note="需要机械")
    assert body["requests"][0]["status"] == "pending"
    move("dispatcher", "approve_extension")
    assert Case.objects.get(pk=case_id).handle_deadline == at("2025-03-07 12:00")
    body = move("handler_a", "return", note="非本单位职责", reason_code="not_our_duty")
    assert body == {"detail": "操作成功。", "action": "return"}  # the case has left the department's scope
    assert Case.objects.get(pk=case_id).state == State.FILED


# --- list, filters, detail ----------------------------------------------------------------------

@pytest.fixture
def listed(city, clock):
    """Cases for the filters; deadlines an hour apart so that ordering is visible."""
    cases = {
        "reported": report(city, grid=0, description="井盖缺失", cls="manhole"),
        "hotline": report(city, by="hotline_agent", grid=1, source="hotline_12319", description="垃圾桶满溢",
                          address="东街菜市场"),
        "dispatched_a": case_build(city, State.DISPATCHED, grid=0),
        "dispatched_b": case_build(city, State.DISPATCHED, grid=2, department="sanitation_b"),
        "closed": case_build(city, State.CLOSED, grid=3, department="sanitation_b"),
        "suspended": case_build(city, State.SUSPENDED, grid=0),
    }
    for hours, name in enumerate(["dispatched_b", "hotline", "dispatched_a", "reported", "suspended"]):
        Case.objects.filter(pk=cases[name].pk).update(current_deadline=clock.now + timedelta(hours=hours + 1))
    return cases


def _names(response, cases) -> list[str]:
    assert response.status_code == 200, response.content
    by_id = {case.pk: name for name, case in cases.items()}
    return [by_id[row["id"]] for row in response.json()["results"]]


@pytest.mark.parametrize(("query", "expected"), [
    ("state=dispatched", {"dispatched_a", "dispatched_b"}),
    ("state=dispatched&state=closed", {"dispatched_a", "dispatched_b", "closed"}),
    ("source=hotline_12319", {"hotline"}),
    ("district={district_b}", {"dispatched_b", "closed"}),
    ("department={sanitation_b}", {"dispatched_b", "closed"}),
    ("q=菜市场", {"hotline"}),
    ("q=井盖", {"reported"}),
    ("minor_code=0101&kind=component", {"reported"}),
    ("unit_grid={grid_1}", {"hotline"}),
])
def test_list_filters(city, client_as, listed, query, expected):
    query = query.format(district_b=city.districts[1].pk, sanitation_b=city.departments["sanitation_b"].pk,
                         grid_1=city.grids[1].code)
    assert set(_names(client_as("operator").get(f"{URL}?{query}"), listed)) == expected


def test_list_filter_by_number(city, client_as, listed):
    number = listed["hotline"].number
    assert _names(client_as("operator").get(f"{URL}?number={number}"), listed) == ["hotline"]
    assert "hotline" in _names(client_as("operator").get(f"{URL}?q={number}"), listed)


def test_list_overdue_filter_ignores_paused_cases(city, client_as, listed, clock):
    clock.advance(hours=3, minutes=30)  # past the first three deadlines and before the others
    overdue = set(_names(client_as("operator").get(f"{URL}?overdue=true"), listed))
    assert overdue == {"dispatched_b", "hotline", "dispatched_a"}
    clock.advance(hours=10)  # the suspended case's clock is paused: never overdue
    overdue = set(_names(client_as("operator").get(f"{URL}?overdue=true"), listed))
    assert overdue == {"dispatched_b", "hotline", "dispatched_a", "reported"}
    not_overdue = set(_names(client_as("operator").get(f"{URL}?overdue=false"), listed))
    assert not_overdue == {"suspended", "closed"}


def test_list_ordering_by_deadline(city, client_as, listed):
    query = "state=dispatched&state=reported&state=suspended"
    ascending = _names(client_as("operator").get(f"{URL}?{query}&ordering=deadline"), listed)
    assert ascending == ["dispatched_b", "hotline", "dispatched_a", "reported", "suspended"]
    descending = _names(client_as("operator").get(f"{URL}?{query}&ordering=-deadline"), listed)
    assert descending == ascending[::-1]


def test_list_dates(city, client_as, listed, clock):
    later = case_build(city, State.REPORTED, when=clock.now + timedelta(days=3))
    listed = {**listed, "later": later}
    after = (clock.now + timedelta(days=1)).isoformat()
    response = client_as("operator").get(URL, {"reported_after": after})
    assert _names(response, listed) == ["later"]


def test_list_traffic_light(city, client_as, listed, clock):
    rows = {row["id"]: row for row in client_as("operator").get(URL).json()["results"]}
    assert rows[listed["suspended"].pk]["traffic_light"] is None  # paused
    assert rows[listed["closed"].pk]["traffic_light"] is None
    assert rows[listed["dispatched_a"].pk]["traffic_light"] in {"green", "yellow"}
    clock.advance(days=2)
    rows = {row["id"]: row for row in client_as("operator").get(URL).json()["results"]}
    assert rows[listed["dispatched_a"].pk]["traffic_light"] == "red"


def test_detail_has_actions_timeline_and_steps(city, client_as, clock):
    case = report(city)
    clock.advance(minutes=10)
    workflow.case_file(actor=city.users["shift_leader"], case_id=case.pk)
    body = client_as("dispatcher").get(f"{URL}{case.pk}/").json()
    assert body["available_actions"] == ["dispatch", "joint_dispatch", "urge"]
    assert [(event["action"], event["from_state"], event["to_state"], event["actor"]) for event in body["events"]] \
        == [("report", "", "reported", "collector_a"), ("file", "reported", "filed", "shift_leader")]
    assert [step["kind"] for step in body["steps"]] == ["accept", "dispatch"]
    assert body["suggested_department_name"] == "东区环卫所"
    assert client_as("handler_a").get(f"{URL}{case.pk}/").status_code == 404  # not sent to them yet


# --- queries and authentication -----------------------------------------------------------------

def _list_queries(client) -> int:
    calendar_cache_clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{URL}?ordering=deadline")
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("username", ["operator", "collector_a", "handler_a"])
def test_list_uses_a_constant_number_of_queries(city, client_as, clock, username, django_assert_max_num_queries):
    client = client_as(username)
    for state in (State.DISPATCHED, State.CHECKING, State.REPORTED, State.SUSPENDED, State.CLOSED):
        case_build(city, state, grid=0)
    few = _list_queries(client)
    for index in range(25):
        case_build(city, [State.DISPATCHED, State.CHECKING, State.REPORTED][index % 3], grid=index % 2)
    many = _list_queries(client)
    assert len(client.get(URL).json()["results"]) == 30
    assert few == many
    with django_assert_max_num_queries(6):
        client_as("operator").get(f"{URL}?ordering=deadline&state=dispatched&overdue=false&q=测试")


def test_detail_uses_a_bounded_number_of_queries(city, client_as, django_assert_max_num_queries):
    case = case_build(city, State.DISPATCHED)
    for _ in range(5):
        workflow.case_urge(actor=city.users["dispatcher"], case_id=case.pk, note="督办")
    client = client_as("operator")
    client.get(f"{URL}{case.pk}/")  # the process's work calendar (days, years, schedules) is read once a minute
    with django_assert_max_num_queries(7):  # the case with its references, then its lists
        response = client.get(f"{URL}{case.pk}/")
    assert len(response.json()["events"]) == 5


def test_token_authentication(city):
    _token, raw = token_issue(user=city.users["collector_a"])
    client = APIClient()
    assert client.get(URL).status_code in (401, 403)
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get(URL).status_code == 200
    assert client.post(URL, report_body(city), format="json").status_code == 201
    assert Case.objects.get().reporter == city.users["collector_a"]
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(URL).status_code in (401, 403)


def test_token_authentication_loads_the_region_with_the_user_and_refuses_an_inactive_one(city):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = city.users["operator_b"]  # scoped to a district: the list filters by the region's level
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)[1]}")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    assert not [q for q in queries.captured_queries if q["sql"].startswith('SELECT "grids_region"')]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get(URL).status_code in (401, 403)


def test_session_authentication(city):
    from citygrid.testing import PASSWORD

    client = APIClient()
    assert client.login(username="operator", password=PASSWORD)
    assert client.get(URL).status_code == 200


def test_list_rows_are_the_declared_fields_output(city, clock):
    """CaseListOutput builds its rows directly for speed: the same keys and values as DRF's
    field-by-field path, for cases with and without a department, a deadline or a duplicate."""
    from django.utils import timezone
    from rest_framework import serializers

    from cases import selectors
    from cases.api.serializers import CaseListOutput

    for state in ["reported", "filed", "dispatched", "suspended", "closed", "voided"]:
        case_build(city, state, department=None if state in ("reported", "filed", "voided") else "sanitation_a")
    first = Case.objects.order_by("pk").first()
    Case.objects.filter(pk=Case.objects.order_by("pk").last().pk).update(duplicate_of=first)
    rows = selectors.case_rows_complete(list(selectors.case_rows(city.users["operator"]).order_by("pk")))
    context = {"now": timezone.now()}
    fast = CaseListOutput(rows, many=True, context=context).data
    generic = [serializers.ModelSerializer.to_representation(CaseListOutput(context=context), row) for row in rows]
    assert len(fast) == 6 and [dict(row) for row in fast] == [dict(row) for row in generic]
    assert {row["traffic_light"] for row in fast} > {None} and any(row["duplicate_of"] for row in fast)


@pytest.mark.parametrize("page_size", [50, 2])
def test_a_list_on_one_page_is_not_counted_again(city, client_as, listed, page_size):
    """The first page is read a row long: when it holds every match, that is the count, and no
    COUNT query runs; a list longer than a page is counted as before."""
    from unittest import mock

    from cases.api.pagination import CappedCountPagination

    total = Case.objects.count()
    assert 2 < total <= 50
    with mock.patch.object(CappedCountPagination, "page_size", page_size), \
            CaptureQueriesContext(connection) as captured:
        body = client_as("operator").get(f"{URL}?ordering=number").json()
    counts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT COUNT(")]
    assert len(counts) == (0 if page_size >= total else 1)
    assert body["count"] == total and not body["count_capped"]
    assert len(body["results"]) == min(page_size, total)
    assert (body["next"] is None) == (page_size >= total)


def test_a_retried_move_with_its_key_is_made_once(city, client_as, settings):
    """A phone that lost the reply sends the same answer again with the same Idempotency-Key: the
    case as it is, not a 409, and nothing written twice (photos included)."""
    case = case_build(city, State.CHECKING)
    client = client_as("collector_a")
    url = f"{URL}{case.pk}/actions/check_pass/"
    first = client.post(url, {"photos": [photo("after.jpg", "JPEG")]}, format="multipart",
                        HTTP_IDEMPOTENCY_KEY="answer-1")
    again = client.post(url, {"photos": [photo("after.jpg", "JPEG")]}, format="multipart",
                        HTTP_IDEMPOTENCY_KEY="answer-1")
    assert first.status_code == again.status_code == 200, again.content
    assert again.json()["state"] == State.CHECKED
    assert CaseEvent.objects.filter(case=case, action="check_pass").count() == 1
    assert Attachment.objects.filter(case=case).count() == 1
    without_key = client.post(url, {}, format="json")
    assert without_key.status_code == 409  # a new attempt, not a retry


def test_the_key_belongs_to_one_move_of_one_person(city, client_as):
    case = case_build(city, State.DISPATCHED)
    dispatcher = client_as("dispatcher")
    url = f"{URL}{case.pk}/actions/urge/"
    for key in ("urge-1", "urge-1", "urge-2"):
        assert dispatcher.post(url, {"note": "请加快"}, format="json", HTTP_IDEMPOTENCY_KEY=key).status_code == 200
    assert CaseEvent.objects.filter(case=case, action="urge").count() == 2
    manager = client_as("manager")  # the same key from another person is their own move
    assert manager.post(url, {"note": "请加快"}, format="json", HTTP_IDEMPOTENCY_KEY="urge-1").status_code == 200
    assert CaseEvent.objects.filter(case=case, action="urge").count() == 3


@pytest.mark.parametrize("query", ["overdue=", "district=", "reported_after=", "kind="])
def test_a_typed_filter_given_empty_is_refused(city, client_as, query):
    response = client_as("operator").get(f"{URL}?{query}")
    name = query.rstrip("=")
    assert response.status_code == 400
    assert f"参数“{name}”为空" in str(response.json()), response.json()


def test_a_text_filter_may_be_empty(city, client_as):
    assert client_as("operator").get(f"{URL}?q=&number=").status_code == 200
