"""PostgreSQL: a platform sending the same event eight times at once gets one event and one case."""
import pytest

from cases.models import Case
from citygrid.testing import race
from video import services
from video.models import VideoEvent

from .conftest import frame_bytes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_event_at_once_makes_one_case(platform, cameras):
    from django.utils.dateparse import parse_datetime

    def send(_index):
        return services.video_event_receive(
            platform=platform, external_id="E-RACE", camera_code="CAM-E1",
            detected_at=parse_datetime("2026-03-02T09:15:00+08:00"), class_code="0101", confidence=0.95,
            frame=services.frame_from_bytes(frame_bytes())).event.case_id

    results = race(send)
    assert all(outcome == "ok" for outcome, _value in results), results
    assert VideoEvent.objects.count() == 1 and Case.objects.count() == 1
    assert {value for _outcome, value in results} == {Case.objects.get().pk}
