"""The public channel: the web/WeChat report endpoint (JSON and multipart, optional contact, rate
limited per client), reports entering the operator's queue, and the status lookup by case number
that shows progress in plain words and never personal data."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cases import selectors as case_selectors
from cases.models import Case, Source, State
from cases.permissions import available_actions
from citygrid.testing import point_in
from hotline import services
from hotline.models import PublicChannel, PublicReport
from hotline.service_codes import service_code

from .helpers import PHONE, call, close, photo

REPORT_URL = "/api/hotline/public/reports/"


def report_body(city, **extra):
    lon, lat = point_in(0)
    return {"minor_id": city.classes["garbage"].pk, "lon": lon, "lat": lat, "description": "路口垃圾桶满了", **extra}


def test_a_public_report_enters_the_operator_queue(city):
    response = APIClient().post(REPORT_URL, report_body(city, contact_phone=PHONE, contact_name="李四"),
                                format="json")
    assert response.status_code == 201
    body = response.json()
    case = Case.objects.get(number=body["number"])
    assert case.source == Source.PUBLIC and case.state == State.REPORTED and case.reporter is None
    assert (case.reporter_phone, case.reporter_name) == (PHONE, "李四")
    assert body["status"] == "open" and body["status_text"] == "已收到反映，正在受理"
    assert PHONE not in response.content.decode()  # nothing personal echoed
    assert case in case_selectors.case_queue(city.users["operator"])
    # The operator sends it for verification before it is filed, like any report in the queue.
    assert "send_verify" in client_actions(city, case)


def client_actions(city, case):
    return available_actions(city.users["operator"], case)


def test_contact_is_optional_and_service_codes_work(city):
    body = report_body(city)
    body.pop("minor_id")
    body["service_code"] = service_code(city.classes["garbage"])
    response = APIClient().post(REPORT_URL, body, format="json")
    assert response.status_code == 201
    assert Case.objects.get().reporter_phone == ""


def test_multipart_with_photos(city):
    response = APIClient().post(REPORT_URL, {**report_body(city), "photos": [photo("a.png"), photo("b.png")]},
                                format="multipart")
    assert response.status_code == 201
    assert Case.objects.get().attachments.count() == 2


def test_a_retry_returns_the_first_report(city):
    first = APIClient().post(REPORT_URL, report_body(city), format="json", HTTP_IDEMPOTENCY_KEY="wx-0001")
    again = APIClient().post(REPORT_URL, report_body(city), format="json", HTTP_IDEMPOTENCY_KEY="wx-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"] and PublicReport.objects.count() == 1


def test_bad_reports_get_clear_messages(city):
    client = APIClient()
    lon, lat = point_in(40)
    outside = client.post(REPORT_URL, report_body(city, lon=lon, lat=lat), format="json")
    assert outside.status_code == 400 and "不在本市" in outside.json()["detail"]
    no_class = report_body(city)
    no_class.pop("minor_id")
    assert client.post(REPORT_URL, no_class, format="json").status_code == 400
    unknown = client.post(REPORT_URL, {**no_class, "service_code": "legacy4-event-9999"}, format="json")
    assert unknown.status_code == 400 and "不存在" in unknown.json()["detail"]


def test_reports_are_rate_limited_per_client_ip_with_a_chinese_message(city, settings):
    settings.PUBLIC_REPORT_RATE_LIMIT = "2/h"
    client = APIClient(REMOTE_ADDR="10.0.0.1")
    for n in range(2):
        assert client.post(REPORT_URL, report_body(city, description=f"第{n}次"), format="json").status_code == 201
    limited = client.post(REPORT_URL, report_body(city), format="json")
    assert limited.status_code == 429
    assert "提交过于频繁" in limited.json()["detail"] and int(limited["Retry-After"]) > 0
    # Another client is not affected.
    assert APIClient(REMOTE_ADDR="10.0.0.2").post(REPORT_URL, report_body(city), format="json").status_code == 201


def test_rate_limits_follow_the_api_key_and_its_own_limit(city, settings):
    settings.PUBLIC_REPORT_RATE_LIMIT = "1/h"
    generous, generous_raw = services.apikey_create(name="微信公众号", rate_limit_per_hour=3)
    _other, other_raw = services.apikey_create(name="网站")
    client = APIClient(REMOTE_ADDR="10.0.0.1")
    for _n in range(3):
        assert client.post(REPORT_URL, report_body(city), format="json",
                           HTTP_X_API_KEY=generous_raw).status_code == 201
    assert client.post(REPORT_URL, report_body(city), format="json", HTTP_X_API_KEY=generous_raw).status_code == 429
    # Same IP, different key: its own budget (the default 1/h).
    assert client.post(REPORT_URL, report_body(city), format="json", HTTP_X_API_KEY=other_raw).status_code == 201
    assert PublicReport.objects.filter(api_key=generous).count() == 3


def test_an_unknown_api_key_is_refused_and_keys_can_be_required(city, settings):
    assert APIClient().post(REPORT_URL, report_body(city), format="json",
                            HTTP_X_API_KEY="cg_nope").status_code == 403
    settings.PUBLIC_REPORT_REQUIRE_API_KEY = True
    assert APIClient().post(REPORT_URL, report_body(city), format="json").status_code == 403


def test_public_classes(city):
    rows = APIClient().get("/api/hotline/public/classes/").json()
    assert {row["service_code"] for row in rows} == {"legacy4-component-0101", "legacy4-event-0101",
                                                     "legacy4-event-0501"}


# --- public status lookup ---------------------------------------------------------------------

SECRETS = [PHONE, "张三", "幸福小区5栋302", "我家门口"]


def hotline_case(city, clock):
    result = call(city, name="张三", content="我家门口有垃圾，电话13812345678", address="幸福小区5栋302")
    return close(city, result.case, clock)


def test_public_lookup_shows_progress_in_plain_words_and_no_personal_data(city, clock):
    case = hotline_case(city, clock)
    response = APIClient().get(f"/api/hotline/public/cases/{case.number}/")
    assert response.status_code == 200
    body = response.json()
    text = response.content.decode()
    for secret in [*SECRETS, "shift_leader", "handler_a", "collector_a", "hotline_agent"]:
        assert secret not in text
    assert body["status"] == "closed" and body["status_text"] == "已办结"
    assert [item["text"] for item in body["progress"]] == [
        "已收到反映", "已立案", "已交处置部门办理", "处置部门已处理", "正在现场核查处理结果", "现场核查通过", "已办结",
    ]
    assert set(body) == {"number", "service_name", "status", "status_text", "reported_at", "expected_at",
                         "closed_at", "merged_into", "progress"}


def test_public_lookup_page_has_no_personal_data(city, clock, client):
    case = hotline_case(city, clock)
    html = client.get(reverse("hotline:status"), {"number": case.number}).content.decode()
    assert "已办结" in html and case.number in html
    for secret in SECRETS:
        assert secret not in html


def test_public_lookup_of_an_unknown_number(city, client):
    assert APIClient().get("/api/hotline/public/cases/209900000001/").status_code == 404
    assert "没有找到" in client.get(reverse("hotline:status"), {"number": "209900000001"}).content.decode()


def test_public_lookup_is_rate_limited(city, settings):
    settings.PUBLIC_LOOKUP_RATE_LIMIT = "2/m"
    client = APIClient()
    for _n in range(2):
        assert client.get("/api/hotline/public/cases/209900000001/").status_code == 404
    limited = client.get("/api/hotline/public/cases/209900000001/")
    assert limited.status_code == 429 and "频繁" in limited.json()["detail"]


@pytest.mark.parametrize("channel", [PublicChannel.WEB, PublicChannel.WECHAT])
def test_public_report_channels(city, channel):
    response = APIClient().post(REPORT_URL, report_body(city, channel=channel), format="json")
    assert response.status_code == 201 and PublicReport.objects.get().channel == channel
