"""Video intake in a real headless Chromium: a platform posts three low-confidence events over HTTP;
the operator (1366×768) confirms one, rejects one with a reason, and reads the accuracy (50%) on the
page. Screenshots go to /tmp/h/shots/ (or VIDEO_SHOTS)."""
import base64
import io
import json
import os
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from cases.models import Case
from citygrid.testing import point_in, tiny_city_build
from video import services
from video.models import Camera, EventStatus, VideoEvent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("VIDEO_SHOTS", "/tmp/h/shots"))


def _frame(colour: str) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 180), colour).save(buffer, "JPEG")
    return base64.b64encode(buffer.getvalue()).decode()


def _post(url: str, key: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Api-Key {key}"})
    with urllib.request.urlopen(request) as response:
        return response.status, json.loads(response.read())


def test_events_confirmed_and_rejected_give_the_accuracy(live_server, login_page, settings):
    from cases.calendar import calendar_cache_clear

    calendar_cache_clear()
    tiny_city_build()
    settings.VIDEO_CONFIRM_THRESHOLD = 0.8
    _platform, key = services.platform_create(name="雪亮工程平台")
    lon, lat = point_in(0)
    services.camera_save(camera=Camera(code="CAM-E1", name="东区解放路口", lon=lon, lat=lat))
    for number, colour in enumerate(["green", "gray", "olive"], start=1):
        status, body = _post(f"{live_server.url}/api/video/events/", key, {
            "event_id": f"EV-{number}", "camera_code": "CAM-E1", "detected_at": "2026-03-02T09:15:00+08:00",
            "class_code": "0101", "confidence": 0.6, "frame_base64": _frame(colour)})
        assert status == 201 and body["status"] == "pending"

    page = login_page("operator")
    page.click("nav >> text=视频")
    assert page.locator("tbody tr").count() == 3
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "video-pending.png"))
    first, second = VideoEvent.objects.order_by("pk")[:2]
    page.click(f"#event-{first.pk} >> text=确认属实")
    page.wait_for_load_state()
    assert "生成案件" in page.locator(".messages").inner_text()
    page.fill(f"#event-{second.pk} input[name=reason]", "树影误识别为垃圾")
    page.click(f"#event-{second.pk} >> button:has-text('驳回')")
    page.wait_for_load_state()
    assert page.locator("tbody tr").count() == 1

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == EventStatus.CONFIRMED and Case.objects.get().source == "video"
    assert second.status == EventStatus.REJECTED and second.reject_reason == "树影误识别为垃圾"

    page.click("text=识别准确率")
    page.wait_for_load_state()
    camera_row = page.locator("table.accuracy").first.locator("tbody tr").first
    assert "CAM-E1" in camera_row.inner_text() and "50.00%" in camera_row.inner_text()
    page.screenshot(path=str(SHOTS / "video-accuracy.png"))
