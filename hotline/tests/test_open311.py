"""Open311 GeoReport v2: discovery, services and definitions, posting a request (form-encoded and
multipart with media and attributes) and reading it back in JSON and XML, the request list's
filters and 90-day window, tokens, and every error case of the spec with its HTTP code."""
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case, Source, State
from citygrid.testing import point_in
from hotline import services
from hotline.models import PublicChannel, PublicReport

from .helpers import PHONE, call, close, dispatch, photo

BASE = "/open311/v2"
GARBAGE = "legacy4-event-0101"
MANHOLE = "legacy4-component-0101"


@pytest.fixture
def api_key(city):
    return services.apikey_create(name="FixMyCity")[1]


@pytest.fixture
def o311():
    return APIClient()


def xml(response) -> ElementTree.Element:
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ElementTree.fromstring(response.content)


def post_body(api_key, **extra):
    lon, lat = point_in(0)
    body = {"api_key": api_key, "service_code": GARBAGE, "lat": str(lat), "long": str(lon),
            "description": "人行道上有垃圾", "first_name": "四", "last_name": "李", "phone": PHONE,
            "email": "li@example.com", "address_string": "人民路12号"}
    body.update(extra)
    return {key: value for key, value in body.items() if value is not None}


# --- discovery and services ------------------------------------------------------------------

def test_discovery_in_both_formats(city, o311):
    body = o311.get(f"{BASE}/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = xml(o311.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]
    assert o311.get("/open311/discovery.json").status_code == 200


def test_services_are_our_active_classes(city, o311):
    rows = o311.get(f"{BASE}/services.json").json()
    by_code = {row["service_code"]: row for row in rows}
    assert set(by_code) == {MANHOLE, GARBAGE, "legacy4-event-0501"}
    assert by_code[GARBAGE]["service_name"] == "暴露垃圾" and by_code[GARBAGE]["group"] == "市容环境"
    assert by_code[MANHOLE]["metadata"] is True and by_code[GARBAGE]["metadata"] is False
    assert by_code[GARBAGE]["type"] == "realtime"
    root = xml(o311.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and len(root.findall("service")) == 3
    assert {s.findtext("service_code") for s in root} == set(by_code)
    assert root.find("service/metadata").text in {"true", "false"}

    city.classes["vending"].is_active = False
    city.classes["vending"].save()
    assert len(o311.get(f"{BASE}/services.json").json()) == 2


def test_service_definitions(city, o311):
    body = o311.get(f"{BASE}/services/{MANHOLE}.json").json()
    assert body["service_code"] == MANHOLE
    assert body["attributes"][0]["code"] == "component_code" and body["attributes"][0]["required"] is False
    root = xml(o311.get(f"{BASE}/services/{MANHOLE}.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("attributes/attribute/code") == "component_code"
    assert root.findtext("attributes/attribute/variable") == "true"
    assert o311.get(f"{BASE}/services/{GARBAGE}.json").json()["attributes"] == []


# --- post and read back ----------------------------------------------------------------------

def test_post_and_read_back_in_json(city, o311, api_key):
    response = o311.post(f"{BASE}/requests.json", post_body(api_key))  # multipart, without media
    assert response.status_code == 201
    created = response.json()[0]
    case = Case.objects.get(number=created["service_request_id"])
    assert case.source == Source.PUBLIC and case.state == State.REPORTED
    assert (case.reporter_name, case.reporter_phone) == ("李 四", PHONE)
    report = PublicReport.objects.get(case=case)
    assert report.channel == PublicChannel.OPEN311 and report.contact_email == "li@example.com"
    assert created["token"] == report.token

    one = o311.get(f"{BASE}/requests/{case.number}.json").json()
    assert len(one) == 1
    request = one[0]
    assert request["service_request_id"] == case.number and request["service_code"] == GARBAGE
    assert request["status"] == "open" and request["status_notes"] == "已收到反映，正在受理"
    assert request["description"] == "人行道上有垃圾" and request["address"] == "人民路12号"
    assert request["requested_datetime"].endswith("+08:00")
    assert (request["lat"], request["long"]) == (case.lat, case.lon)
    text = o311.get(f"{BASE}/requests/{case.number}.json").content.decode()
    for secret in (PHONE, "li@example.com", "李"):
        assert secret not in text


def test_post_form_encoded(city, api_key):
    from urllib.parse import urlencode

    client = APIClient()
    response = client.generic("POST", f"{BASE}/requests.xml", urlencode(post_body(api_key)),
                              content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201
    root = xml(response)
    assert root.tag == "service_requests"
    number = root.findtext("request/service_request_id")
    assert Case.objects.filter(number=number).exists()


def test_post_multipart_with_media_and_attributes_and_read_back_in_xml(city, o311, api_key):
    lon, lat = point_in(1)
    body = post_body(api_key, service_code=MANHOLE, lat=str(lat), long=str(lon), description="井盖缺失")
    body.update({"attribute[note]": "很危险", "attribute[tags][]": ["a", "b"], "media": photo("manhole.png")})
    response = o311.post(f"{BASE}/requests.xml", body, format="multipart")
    assert response.status_code == 201
    root = xml(response)
    number = root.findtext("request/service_request_id")
    case = Case.objects.get(number=number)
    assert case.attachments.count() == 1 and case.minor == city.classes["manhole"]
    assert PublicReport.objects.get(case=case).attributes == {"note": "很危险", "tags": ["a", "b"]}

    back = xml(o311.get(f"{BASE}/requests/{number}.xml"))
    assert back.tag == "service_requests"
    request = back.find("request")
    assert request.findtext("service_request_id") == number
    assert request.findtext("status") == "open"
    assert request.findtext("service_code") == MANHOLE
    assert request.findtext("description") == "井盖缺失"
    assert float(request.findtext("lat")) == pytest.approx(lat)
    assert request.find("expected_datetime").text is None  # not dispatched yet


def test_status_notes_and_expected_datetime_follow_the_loop(city, clock, o311):
    case = dispatch(city, call(city).case)
    request = o311.get(f"{BASE}/requests/{case.number}.json").json()[0]
    assert request["status"] == "open" and request["status_notes"] == "处置部门正在办理"
    assert request["expected_datetime"] == timezone.localtime(case.handle_deadline).isoformat(timespec="seconds")
    assert request["agency_responsible"] == "东区环卫所"
    # A hotline case: the caller's words and address are not published.
    assert request["description"] == "" and request["address"] == ""


def test_a_closed_case_is_closed(city, clock, o311):
    case = close(city, call(city).case, clock)
    request = o311.get(f"{BASE}/requests/{case.number}.json").json()[0]
    assert request["status"] == "closed" and request["status_notes"] == "已办结"
    assert request["expected_datetime"] is None


def test_tokens(city, o311, api_key):
    created = o311.post(f"{BASE}/requests.json", post_body(api_key)).json()[0]
    body = o311.get(f"{BASE}/tokens/{created['token']}.json").json()
    assert body == [{"service_request_id": created["service_request_id"], "token": created["token"]}]
    root = xml(o311.get(f"{BASE}/tokens/{created['token']}.xml"))
    assert root.findtext("request/service_request_id") == created["service_request_id"]


def test_descriptions_of_public_reports_are_published_with_numbers_masked(city, o311, api_key):
    created = o311.post(f"{BASE}/requests.json", post_body(api_key, description="垃圾很多，联系我13812345678")).json()
    request = o311.get(f"{BASE}/requests/{created[0]['service_request_id']}.json").json()[0]
    assert request["description"] == "垃圾很多，联系我*******5678"


# --- the request list -------------------------------------------------------------------------

def test_request_list_filters_and_default_window(city, clock, o311):
    old = call(city, grid=3).case
    clock.advance(days=100)
    open_case = call(city, grid=0).case
    closed_case = close(city, call(city, grid=1, cls="vending").case, clock)

    def numbers(**params):
        return [row["service_request_id"] for row in o311.get(f"{BASE}/requests.json", params).json()]

    assert set(numbers()) == {open_case.number, closed_case.number}  # the last 90 days
    assert numbers(status="open") == [open_case.number]
    assert numbers(status="closed") == [closed_case.number]
    assert set(numbers(status="open,closed")) == {open_case.number, closed_case.number}
    assert numbers(service_code="legacy4-event-0501") == [closed_case.number]
    assert numbers(service_code="legacy4-event-0000") == []
    assert numbers(service_request_id=f"{old.number},{open_case.number}") == [open_case.number, old.number]
    start = timezone.localtime(old.reported_at - timedelta(hours=1)).isoformat()
    assert numbers(start_date=start) == [old.number]  # start only: 90 days from it
    assert numbers(start_date=start, end_date=timezone.localtime(old.reported_at + timedelta(days=1)).isoformat()
                   ) == [old.number]
    assert numbers(end_date=timezone.localtime(old.reported_at + timedelta(days=1)).strftime("%Y-%m-%d")
                   ) == [old.number]
    root = xml(o311.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests" and len(root.findall("request")) == 2


def test_request_list_costs_a_constant_number_of_queries(city, clock, o311, django_assert_max_num_queries):
    for grid in range(4):
        dispatch(city, call(city, grid=grid, phone=f"1390000000{grid}").case)
    with django_assert_max_num_queries(2):
        assert len(o311.get(f"{BASE}/requests.json").json()) == 4


def test_requests_never_carry_personal_data(city, clock, o311):
    call(city, name="张三", content="我家门口13812345678", address="幸福小区5栋302")
    text = o311.get(f"{BASE}/requests.json").content.decode() + o311.get(f"{BASE}/requests.xml").content.decode()
    for secret in (PHONE, "张三", "幸福小区", "我家门口", "5678"):
        assert secret not in text


# --- errors ----------------------------------------------------------------------------------

def assert_error(response, code: int, fragment: str = ""):
    assert response.status_code == code
    if response["Content-Type"].startswith("text/xml"):
        root = xml(response)
        assert root.tag == "errors"
        assert root.findtext("error/code") == str(code)
        description = root.findtext("error/description")
    else:
        body = response.json()
        assert isinstance(body, list) and body[0]["code"] == code
        description = body[0]["description"]
    assert description and fragment in description


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_missing_and_bad_api_keys_are_403(city, o311, api_key, fmt):
    assert_error(o311.post(f"{BASE}/requests.{fmt}", post_body(None)), 403, "api_key")
    assert_error(o311.post(f"{BASE}/requests.{fmt}", post_body("cg_wrong")), 403, "api_key")
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_code_errors(city, o311, api_key, fmt):
    assert_error(o311.post(f"{BASE}/requests.{fmt}", post_body(api_key, service_code=None)), 400, "service_code")
    assert_error(o311.post(f"{BASE}/requests.{fmt}", post_body(api_key, service_code="legacy4-event-9999")),
                 404, "legacy4-event-9999")
    assert_error(o311.get(f"{BASE}/services/nonsense.{fmt}"), 404, "nonsense")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_location_errors(city, o311, api_key, fmt):
    assert_error(o311.post(f"{BASE}/requests.{fmt}", post_body(api_key, lat=None, long=None, address_string=None)),
                 400, "lat")
    assert_error(o311.post(f"{BASE}/requests.{fmt}", post_body(api_key, lat=None, long=None)), 400, "lat")
    assert_error(o311.post(f"{BASE}/requests.{fmt}", post_body(api_key, lat="north")), 400, "lat")
    lon, lat = point_in(40)
    assert_error(o311.post(f"{BASE}/requests.{fmt}", post_body(api_key, lat=str(lat), long=str(lon))),
                 400, "不在本市")
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_date_errors(city, o311, fmt):
    assert_error(o311.get(f"{BASE}/requests.{fmt}", {"start_date": "last tuesday"}), 400, "start_date")
    assert_error(o311.get(f"{BASE}/requests.{fmt}", {"end_date": "2025-13-45"}), 400, "end_date")
    assert_error(o311.get(f"{BASE}/requests.{fmt}", {"start_date": "2025-03-10T00:00:00+08:00",
                                                      "end_date": "2025-03-01T00:00:00+08:00"}), 400, "end_date")
    assert_error(o311.get(f"{BASE}/requests.{fmt}", {"start_date": "2025-01-01T00:00:00Z",
                                                      "end_date": "2025-04-02T00:00:00Z"}), 400, "90")
    assert o311.get(f"{BASE}/requests.{fmt}", {"start_date": "2025-01-01T00:00:00Z",
                                                "end_date": "2025-04-01T00:00:00Z"}).status_code == 200


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_other_errors(city, o311, fmt):
    assert_error(o311.get(f"{BASE}/requests.{fmt}", {"status": "pending"}), 400, "status")
    assert_error(o311.get(f"{BASE}/requests/209900000001.{fmt}"), 404, "209900000001")
    assert_error(o311.get(f"{BASE}/tokens/nope.{fmt}"), 404, "nope")
    assert_error(o311.delete(f"{BASE}/requests.{fmt}"), 405)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_nul_character_anywhere_is_a_400_in_the_specs_shape(city, o311, api_key, fmt):
    """PostgreSQL text cannot hold NUL: found by the schema fuzzer as a 500 on the PostgreSQL pass."""
    response = o311.get(f"{BASE}/requests.{fmt}", {"service_request_id": "a\x00b"})
    assert response["Content-Type"].startswith("text/xml" if fmt == "xml" else "application/json")
    assert_error(response, 400, "NUL")
    assert_error(o311.get(f"{BASE}/requests/a%00b.{fmt}"), 400, "NUL")
    assert_error(o311.get(f"{BASE}/tokens/a%00b.{fmt}"), 400, "NUL")
    assert_error(o311.post(f"{BASE}/requests.{fmt}", post_body(api_key, description="a\x00b")), 400, "NUL")


def test_a_plus_sign_in_a_query_string_date_survives(city, o311):
    response = o311.get(f"{BASE}/requests.json?start_date=2025-03-01T00:00:00+08:00")
    assert response.status_code == 200


def test_posting_is_rate_limited_per_key(city, o311, api_key, settings):
    settings.PUBLIC_REPORT_RATE_LIMIT = "1/h"
    assert o311.post(f"{BASE}/requests.json", post_body(api_key)).status_code == 201
    limited = o311.post(f"{BASE}/requests.xml", post_body(api_key))
    assert_error(limited, 429, "提交过于频繁")
    assert int(limited["Retry-After"]) > 0
