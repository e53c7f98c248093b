"""Accuracy per camera and class in one query (operator decisions and the fate of reported cases),
the pending page (constant queries, confirm and reject), and the scoped frame."""
import pytest
from django.utils import timezone

from cases.models import Case, State
from video import selectors, services
from video.models import EventStatus, VideoEvent

from .conftest import event_body

pytestmark = pytest.mark.django_db
URL = "/api/video/events/"


def _send(client, n, camera="CAM-E1", confidence=0.5):
    for i in range(n):
        client.post(URL, event_body(f"{camera}-{confidence}-{i}", camera=camera, confidence=confidence), format="json")


def test_accuracy_counts_decisions_and_the_fate_of_reported_cases(platform_client, cameras, city, settings, client,
                                                                  django_assert_num_queries):
    settings.VIDEO_CONFIRM_THRESHOLD = 0.8
    _send(platform_client, 3)  # pending on the east camera
    _send(platform_client, 3, confidence=0.9)  # reported at once
    _send(platform_client, 1, camera="CAM-W1")  # pending on the west camera
    operator = city.users["operator"]
    east_pending = list(VideoEvent.objects.filter(status=EventStatus.PENDING, camera__code="CAM-E1"))
    services.video_event_confirm(actor=operator, event_id=east_pending[0].pk)
    services.video_event_confirm(actor=operator, event_id=east_pending[1].pk)
    services.video_event_reject(actor=operator, event_id=east_pending[2].pk, reason="误识别")
    reported = list(VideoEvent.objects.filter(status=EventStatus.REPORTED).order_by("pk"))
    Case.objects.filter(pk=reported[0].case_id).update(filed_at=timezone.now(), state=State.FILED)
    Case.objects.filter(pk=reported[1].case_id).update(state=State.VOIDED)  # voided unfiled: rejected
    # reported[2] is still at acceptance: in neither count
    with django_assert_num_queries(1):
        tables = selectors.accuracy(operator)
    east = next(row for row in tables["camera"] if row["key"] == "CAM-E1")
    assert (east["events"], east["confirmed"], east["rejected"], east["pending"]) == (6, 3, 2, 0)
    assert east["accuracy"] == pytest.approx(0.6)
    west = next(row for row in tables["camera"] if row["key"] == "CAM-W1")
    assert west["accuracy"] is None and west["pending"] == 1
    garbage, = tables["class"]
    assert (garbage["key"], garbage["events"], garbage["confirmed"], garbage["rejected"]) == ("0101", 7, 3, 2)
    # The west district's operator sees the west camera only.
    assert [row["key"] for row in selectors.accuracy(city.users["operator_b"])["camera"]] == ["CAM-W1"]
    api = __import__("rest_framework.test", fromlist=["APIClient"]).APIClient()
    api.force_authenticate(operator)
    body = api.get("/api/video/accuracy/").data
    assert {row["key"]: row["accuracy"] for row in body["cameras"]}["CAM-E1"] == pytest.approx(0.6)
    # The page writes the rate as every page does (the shared `percent` filter); none is a dash.
    client.force_login(operator)
    page = client.get("/video/accuracy/").content.decode()
    assert "<td>60.00%</td>" in page and "<td>—</td>" in page and "60.0%" not in page


@pytest.mark.parametrize("count", [1, 6])
def test_the_pending_page_has_constant_queries(platform_client, cameras, client, city, settings, count,
                                               django_assert_num_queries):
    settings.VIDEO_CONFIRM_THRESHOLD = 0.8
    _send(platform_client, count)
    client.force_login(city.users["operator"])
    client.get("/video/")  # warm the session and the person
    with django_assert_num_queries(3):  # session, person, the events with camera, class and platform
        page = client.get("/video/")
    assert page.status_code == 200 and page.content.decode().count('class="btn btn-primary"') == count


def test_confirm_and_reject_from_the_page(platform_client, cameras, client, city, settings):
    settings.VIDEO_CONFIRM_THRESHOLD = 0.8
    _send(platform_client, 2)
    first, second = VideoEvent.objects.order_by("pk")
    client.force_login(city.users["operator"])
    assert client.get(f"/video/events/{first.pk}/frame/")["Content-Type"].startswith("image/")
    response = client.post(f"/video/events/{first.pk}/confirm/")
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == EventStatus.CONFIRMED and first.case.source == "video"
    blank = client.post(f"/video/events/{second.pk}/reject/", {"reason": ""})
    assert blank.status_code == 400 and "请填写驳回原因" in blank.content.decode()
    client.post(f"/video/events/{second.pk}/reject/", {"reason": "阴影"})
    second.refresh_from_db()
    assert second.status == EventStatus.REJECTED and second.reject_reason == "阴影"
    assert "识别准确率" in client.get("/video/accuracy/").content.decode()


def test_pages_and_frames_are_scoped(platform_client, cameras, client, city, settings):
    settings.VIDEO_CONFIRM_THRESHOLD = 0.8
    _send(platform_client, 1)
    event = VideoEvent.objects.get()
    client.force_login(city.users["operator_b"])
    assert client.get(f"/video/events/{event.pk}/frame/").status_code == 404
    assert client.post(f"/video/events/{event.pk}/confirm/").status_code == 404
    client.force_login(city.users["handler_a"])
    assert client.get("/video/").status_code == 403
    assert VideoEvent.objects.get().status == EventStatus.PENDING
