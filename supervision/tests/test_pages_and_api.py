"""Pages and API of supervision: the lists keep their number of queries whatever their length, the
review page records a decision, the API is scoped, in the schema and answers bad input with a 4xx."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import State
from cases.tests.helpers import case_build
from supervision import services
from supervision.models import LetterKind, Outcome

pytestmark = pytest.mark.django_db


def _reviews(city, count):
    for index in range(count):
        cases = [case_build(city, State.FILED, department=None) for _ in range(2)]
        review = services.review_create(actor=city.users["shift_leader"], title=f"会审{index}",
                                        held_on=timezone.localdate(), case_numbers=[c.number for c in cases])
        services.review_record(actor=city.users["shift_leader"], review_id=review.pk,
                               department_ids=[city.departments["municipal"].pk])


def _letters(city, count):
    for _ in range(count):
        case = case_build(city, State.DISPATCHED)
        letter = services.letter_draft(actor=city.users["dispatcher"], kind=LetterKind.URGE,
                                       department_id=city.departments["sanitation_a"].pk, case_numbers=[case.number])
        services.letter_send(actor=city.users["dispatcher"], letter_id=letter.pk)


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize("path, build", [("/supervision/reviews/", _reviews), ("/supervision/letters/", _letters),
                                         ("/api/supervision/reviews/", _reviews),
                                         ("/api/supervision/letters/", _letters)])
def test_lists_keep_their_number_of_queries(city, client, path, build, django_assert_num_queries):
    client.force_login(city.users["dispatcher"] if "letters" in path else city.users["shift_leader"])
    build(city, 2)
    few = _queries(client, path)
    build(city, 6)
    with django_assert_num_queries(few):
        client.get(path)


def test_the_review_page_records_the_decision(city, client):
    case = case_build(city, State.FILED, department=None)
    _reviews_with = services.review_create(actor=city.users["shift_leader"], title="会审", held_on=timezone.localdate(),
                                           case_numbers=[case.number])
    client.force_login(city.users["shift_leader"])
    page = client.get(f"/supervision/reviews/{_reviews_with.pk}/").content.decode()
    assert case.number in page and "确认决定" in page
    item = _reviews_with.items.get()
    deadline = (timezone.localdate() + timedelta(days=2)).isoformat()
    refused = client.post(f"/supervision/reviews/items/{item.pk}/decide/", {
        "outcome": "assigned", "department_id": city.departments["municipal"].pk, "deadline": deadline})
    assert refused.status_code == 400 and "请先登记参会部门" in refused.content.decode()
    client.post(f"/supervision/reviews/{_reviews_with.pk}/record/", {"attendees": [city.departments["municipal"].pk]})
    done = client.post(f"/supervision/reviews/items/{item.pk}/decide/", {
        "outcome": "assigned", "department_id": city.departments["municipal"].pk, "deadline": deadline})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.department == city.departments["municipal"]


def test_the_api_drafts_sends_answers_and_signs_off(city):
    case = case_build(city, State.DISPATCHED)
    center, department = APIClient(), APIClient()
    center.force_authenticate(city.users["dispatcher"])
    department.force_authenticate(city.users["handler_a"])
    bad = center.post("/api/supervision/letters/", {"kind": "urge", "department_id": 0, "case_numbers": [case.number]},
                      format="json")
    assert bad.status_code == 400 and "主送部门" in bad.json()["detail"]
    letter = center.post("/api/supervision/letters/", {"kind": "urge", "department_id": city.departments[
        "sanitation_a"].pk, "case_numbers": [case.number]}, format="json").json()
    assert letter["status"] == "draft" and letter["reference"] == ""
    assert department.get(f"/api/supervision/letters/{letter['id']}/").status_code == 404  # a draft is not theirs
    sent = center.post(f"/api/supervision/letters/{letter['id']}/send/").json()
    assert sent["reference"].endswith("督字第 1 号") and sent["status"] == "sent"
    assert [row["id"] for row in department.get("/api/supervision/letters/").json()["results"]] == [letter["id"]]
    answered = department.post(f"/api/supervision/letters/{letter['id']}/answer/", {"answer": "已处置"}, format="json")
    assert answered.json()["status"] == "answered"
    assert center.post(f"/api/supervision/letters/{letter['id']}/sign-off/").json()["status"] == "signed_off"
    again = center.post(f"/api/supervision/letters/{letter['id']}/sign-off/")
    assert again.status_code == 409


def test_the_api_decides_a_review(city):
    case = case_build(city, State.DISPATCHED)
    leader = APIClient()
    leader.force_authenticate(city.users["manager"])
    review = leader.post("/api/supervision/reviews/", {"title": "会审", "held_on": timezone.localdate().isoformat(),
                                                        "case_numbers": [case.number]}, format="json").json()
    leader.post(f"/api/supervision/reviews/{review['id']}/attendance/",
                {"department_ids": [city.departments["municipal"].pk]}, format="json")
    item = review["items"][0]["id"]
    decided = leader.post(f"/api/supervision/review-items/{item}/decide/", {"outcome": "voided", "note": "重复"},
                          format="json").json()
    assert decided["status"] == "concluded" and decided["items"][0]["outcome"] == Outcome.VOIDED
    case.refresh_from_db()
    assert case.state == State.VOIDED


def test_the_schema_has_the_endpoints(client, city):
    client.force_login(city.users["manager"])
    schema = client.get("/api/schema/").content.decode()
    for path in ("/api/supervision/reviews/", "/api/supervision/review-items/{item_id}/decide/",
                 "/api/supervision/letters/{letter_id}/sign-off/"):
        assert path in schema


def test_the_review_moves_are_refused_outside_a_review(city, client):
    """Neither the case API nor the case page makes a review's move without its review."""
    case = case_build(city, State.FILED, department=None)
    api = APIClient()
    api.force_authenticate(city.users["shift_leader"])
    refused = api.post(f"/api/cases/{case.pk}/actions/review_void/", {"note": "无人认领"}, format="json")
    assert refused.status_code == 400 and "联合会审" in refused.json()["detail"]
    client.force_login(city.users["shift_leader"])
    assert client.post(f"/cases/{case.pk}/act/review_void/", {"note": "无人认领"}).status_code == 404
    case.refresh_from_db()
    assert case.state == State.FILED
