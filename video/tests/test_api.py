"""The platform's endpoint: a report with its frame, idempotent by the platform's event id, pending
below the threshold, refused in Chinese with a 4xx for bad input or no key; the staff endpoints."""
import io

import pytest

from cases.models import Attachment, Case, Source
from video.models import EventStatus, VideoEvent

from .conftest import event_body, frame_bytes

pytestmark = pytest.mark.django_db
URL = "/api/video/events/"


def test_a_confident_event_becomes_a_video_report_with_its_frame(platform_client, cameras, city):
    response = platform_client.post(URL, event_body(), format="json")
    assert response.status_code == 201, response.data
    case = Case.objects.get()
    assert response.data["case_number"] == case.number and response.data["status"] == "reported"
    assert case.source == Source.VIDEO and case.minor == city.classes["garbage"]
    assert case.unit_grid == cameras["east"].unit_grid and case.district == city.districts[0]
    assert "CAM-E1" in case.description
    assert Attachment.objects.filter(case=case).count() == 1


def test_a_multipart_frame_is_taken_too(platform_client, cameras):
    body = event_body()
    del body["frame_base64"]
    body["frame"] = io.BytesIO(frame_bytes())
    body["frame"].name = "frame.jpg"
    response = platform_client.post(URL, body, format="multipart")
    assert response.status_code == 201, response.data
    assert Attachment.objects.count() == 1


def test_the_same_event_id_returns_the_same_case_and_another_body_is_refused(platform_client, cameras):
    first = platform_client.post(URL, event_body(), format="json")
    again = platform_client.post(URL, event_body(), format="json")
    assert again.status_code == 200 and again.data["case_number"] == first.data["case_number"]
    assert Case.objects.count() == 1 and VideoEvent.objects.count() == 1
    other = platform_client.post(URL, event_body(confidence=0.9), format="json")
    assert other.status_code == 422 and "幂等键" in other.data["detail"]
    other_frame = platform_client.post(URL, event_body(colour="blue"), format="json")
    assert other_frame.status_code == 422
    assert Case.objects.count() == 1


def test_event_ids_are_per_platform(platform_client, cameras, api_client):
    from video import services

    _other, raw = services.platform_create(name="另一平台")
    platform_client.post(URL, event_body(), format="json")
    api_client.credentials(HTTP_X_API_KEY=raw)
    response = api_client.post(URL, event_body(), format="json")
    assert response.status_code == 201
    assert Case.objects.count() == 2


def test_below_the_threshold_the_event_waits_for_an_operator(platform_client, cameras, settings):
    settings.VIDEO_CONFIRM_THRESHOLD = 0.8
    response = platform_client.post(URL, event_body(confidence=0.5), format="json")
    assert response.status_code == 201 and response.data["status"] == "pending"
    assert response.data["case_number"] is None
    event = VideoEvent.objects.get()
    assert event.status == EventStatus.PENDING and event.frame and not Case.objects.exists()


@pytest.mark.parametrize(("change", "status", "word"), [
    ({"camera": "NOPE"}, 400, "未登记"),
    ({"confidence": 1.5}, 400, "1"),
    ({"event_id": ""}, 400, "不能为空"),
    ({"frame_base64": "@@@"}, 400, "base64"),
    ({"frame_base64": "aGVsbG8="}, 400, "图片"),
    ({"class_code": "9999"}, 400, "不存在"),
    ({"detected_at": "昨天"}, 400, ""),
])
def test_bad_input_is_a_4xx_in_chinese(platform_client, cameras, change, status, word):
    response = platform_client.post(URL, event_body(**change), format="json")
    assert response.status_code == status, response.data
    assert word in str(response.data)
    assert not VideoEvent.objects.exists() and not Case.objects.exists()


def test_no_frame_is_refused(platform_client, cameras):
    body = event_body()
    del body["frame_base64"]
    response = platform_client.post(URL, body, format="json")
    assert response.status_code == 400 and "抓拍图片" in str(response.data)


def test_a_platform_key_is_required(api_client, cameras, platform, client_as):
    assert api_client.post(URL, event_body(), format="json").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Api-Key vp_wrong")
    refused = api_client.post(URL, event_body(), format="json")
    assert refused.status_code == 401 and "密钥无效" in refused.data["detail"]
    platform.is_active = False
    platform.save()
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {platform.raw_key}")
    assert api_client.post(URL, event_body(), format="json").status_code == 401
    # A staff session is no platform key.
    assert client_as("operator").post(URL, event_body(), format="json").status_code in (401, 403)


def test_staff_confirm_and_reject_through_the_api(platform_client, cameras, client_as, settings):
    settings.VIDEO_CONFIRM_THRESHOLD = 0.8
    platform_client.post(URL, event_body("E-1", confidence=0.5), format="json")
    platform_client.post(URL, event_body("E-2", confidence=0.4), format="json")
    operator = client_as("operator")
    pending = operator.get("/api/video/events/pending/")
    assert [row["external_id"] for row in pending.data] == ["E-1", "E-2"]
    first, second = (row["id"] for row in pending.data)
    confirmed = operator.post(f"/api/video/events/{first}/confirm/")
    assert confirmed.status_code == 200 and confirmed.data["case_number"]
    assert Case.objects.get().source == Source.VIDEO and Attachment.objects.count() == 1
    blank = operator.post(f"/api/video/events/{second}/reject/", {"reason": " "}, format="json")
    assert blank.status_code == 400 and "驳回原因" in blank.data["detail"]
    rejected = operator.post(f"/api/video/events/{second}/reject/", {"reason": "树影误识别"}, format="json")
    assert rejected.status_code == 200 and rejected.data["status"] == "rejected"
    twice = operator.post(f"/api/video/events/{first}/confirm/")
    assert twice.status_code == 409 and "已处理" in twice.data["detail"]


def test_scope_and_role_of_the_staff_endpoints(platform_client, cameras, client_as, settings):
    settings.VIDEO_CONFIRM_THRESHOLD = 0.8
    platform_client.post(URL, event_body("E-1", confidence=0.5), format="json")
    event_id = VideoEvent.objects.get().pk
    west_operator = client_as("operator_b")  # district 1; the camera is in district 0
    assert west_operator.get("/api/video/events/pending/").data == []
    assert west_operator.post(f"/api/video/events/{event_id}/confirm/").status_code == 404
    handler = client_as("handler_a")
    assert handler.get("/api/video/events/pending/").status_code == 403
    assert handler.post(f"/api/video/events/{event_id}/confirm/").status_code == 403
    dispatcher = client_as("dispatcher")  # may read, not decide
    assert dispatcher.get("/api/video/events/pending/").status_code == 200
    assert dispatcher.post(f"/api/video/events/{event_id}/confirm/").status_code == 403
    assert VideoEvent.objects.get().status == EventStatus.PENDING
