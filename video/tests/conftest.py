"""Video fixtures: a platform with its key, a camera in each district of the tiny city, frames."""
import base64
import io

import pytest
from PIL import Image
from rest_framework.test import APIClient

from citygrid.testing import point_in
from video import services
from video.models import Camera


def frame_bytes(colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def platform(city):
    platform, raw = services.platform_create(name="视频平台")
    platform.raw_key = raw
    return platform


@pytest.fixture
def cameras(city):
    east = services.camera_save(camera=Camera(code="CAM-E1", name="东区路口", lon=point_in(0)[0], lat=point_in(0)[1],
                                              owner=city.departments["sanitation_a"]))
    west = services.camera_save(camera=Camera(code="CAM-W1", name="西区广场", lon=point_in(2)[0], lat=point_in(2)[1]))
    return {"east": east, "west": west}


@pytest.fixture
def platform_client(platform):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {platform.raw_key}")
    return client


def event_body(event_id="E-1", camera="CAM-E1", confidence=0.95, colour="red", **extra) -> dict:
    return {"event_id": event_id, "camera_code": camera, "detected_at": "2026-03-02T09:15:00+08:00",
            "class_code": "0101", "confidence": confidence,
            "frame_base64": base64.b64encode(frame_bytes(colour)).decode(), **extra}
