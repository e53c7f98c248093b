"""The hotline pages through Django's test client: logging a call on the desk, the caller's earlier
calls and cases, a case's status from its timeline, a reply, and the API-key admin that shows the
secret once."""
import hashlib
import re

from django.urls import reverse

from cases.models import Case, State
from citygrid.testing import point_in
from hotline.models import ApiKey, Call, CaseLink, Feedback

from .helpers import PHONE, call, close


def desk_post(client, city, **extra):
    lon, lat = point_in(0)
    data = {"channel": "12319", "kind": "report", "phone": PHONE, "caller_name": "张三", "content": "门口有垃圾",
            "minor_id": city.classes["garbage"].pk, "lon": lon, "lat": lat, "urgency": "normal", **extra}
    return client.post(reverse("hotline:home"), data)


def test_agent_logs_a_call_on_the_desk_and_lands_on_the_caller_and_case(city, page_as):
    client = page_as("hotline_agent")
    page = client.get(reverse("hotline:home")).content.decode()
    assert "登记来电" in page and "暴露垃圾" in page and "call-map" in page  # the class picker and the map
    response = desk_post(client, city)
    assert response.status_code == 302
    case = Case.objects.get()
    assert f"case={case.number}" in response["Location"]
    html = client.get(response["Location"]).content.decode()
    assert "新建案件" in html and case.number in html
    assert "可答复市民" in html and "已收到反映，正在受理" in html  # the status in words for the caller

    # The same problem again: joined, not duplicated, and the history shows both calls.
    assert desk_post(client, city, phone="13900000002").status_code == 302
    assert Case.objects.count() == 1 and Call.objects.filter(case_link=CaseLink.JOINED).count() == 1
    history = client.get(reverse("hotline:home"), {"phone": PHONE}).content.decode()
    assert "来电人历史" in history and case.number in history


def test_desk_errors_are_shown_on_the_form(city, page_as):
    client = page_as("hotline_agent")
    lon, lat = point_in(40)
    response = desk_post(client, city, lon=lon, lat=lat)
    assert response.status_code == 200 and "不在本市" in response.content.decode()
    response = desk_post(client, city, channel="12345")
    assert response.status_code == 200 and "工单号" in response.content.decode()
    assert not Case.objects.exists()


def test_other_staff_read_but_cannot_log(city, page_as):
    client = page_as("operator")
    html = client.get(reverse("hotline:home")).content.decode()
    assert "登记来电" not in html
    assert desk_post(client, city).status_code == 403


def test_the_timeline_answers_a_status_question_and_a_reply_is_recorded(city, clock, page_as):
    case = close(city, call(city).case, clock)
    client = page_as("hotline_agent")
    html = client.get(reverse("hotline:home"), {"case": case.number}).content.decode()
    for label in ("立案", "派遣", "处置反馈", "结案", "来电（新建案件）"):
        assert label in html
    response = client.post(reverse("hotline:case-feedback", args=[case.pk]),
                           {"channel": "phone", "kind": "result", "message": "已办结，谢谢", "case_number": case.number})
    assert response.status_code == 302
    assert Feedback.objects.get().on_time is True
    assert "答复市民（电话）" in client.get(response["Location"]).content.decode()


def test_an_unknown_case_number_on_the_desk(city, page_as):
    html = page_as("hotline_agent").get(reverse("hotline:home"), {"case": "209900000001"}).content.decode()
    assert "没有找到" in html


def test_public_status_page_needs_no_login(city, clock, client):
    case = call(city).case
    html = client.get(reverse("hotline:status"), {"number": case.number}).content.decode()
    assert "已收到反映，正在受理" in html
    assert Case.objects.get().state == State.REPORTED


def test_api_key_admin_shows_the_secret_once_and_stores_its_hash(city, admin_client):
    response = admin_client.post("/admin/hotline/apikey/add/", {"name": "市民App", "contact": "", "is_active": "on",
                                                                "rate_limit_per_hour": ""}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    raw = re.search(r"(cg_[A-Za-z0-9_\-]{20,})", html).group(1)
    api_key = ApiKey.objects.get()
    assert api_key.key_hash == hashlib.sha256(raw.encode()).hexdigest() and raw.startswith(api_key.prefix)
    change = admin_client.get(f"/admin/hotline/apikey/{api_key.pk}/change/").content.decode()
    assert raw not in change and api_key.key_hash not in change
