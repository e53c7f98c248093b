"""Uploads checked by their content, not their name: real images built by Pillow, a GPS-tagged JPEG
whose stored copy has no position left, a text file named .jpg, an oversize file and a
decompression bomb, through the case API, the public channel and Open311."""
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from cases.models import Attachment, Case, Urgency
from cases.photos import photo_clean, photo_validate
from citygrid.testing import point_in
from core.errors import ApplicationError
from hotline import services as hotline_services

from .helpers import media_files

URL = "/api/cases/"
PUBLIC_URL = "/api/hotline/public/reports/"
OPEN311_URL = "/open311/v2/requests.json"
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def gps_jpeg(*, size=(80, 60), orientation: int | None = None, image_format: str = "JPEG") -> bytes:
    """A photo as a phone takes it: EXIF with the camera, the time and a GPS position (and XMP)."""
    image = Image.new("RGB", size, "orange")
    exif = Image.Exif()
    exif[0x010F] = "CityPhone"  # Make
    exif[0x0132] = "2026:03:01 08:30:00"  # DateTime
    if orientation:
        exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (31.0, 13.0, 42.5), 3: "E", 4: (121.0, 28.0, 12.3)})
    buffer = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>31,13.7N</exif:GPSLatitude></x:xmpmeta>'
    image.save(buffer, format=image_format, exif=exif.tobytes(), xmp=xmp)
    return buffer.getvalue()


def upload(content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_image(attachment: Attachment) -> Image.Image:
    with attachment.file.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def assert_no_location(image: Image.Image) -> None:
    exif = image.getexif()
    assert GPS_IFD not in exif and not exif.get_ifd(GPS_IFD), dict(exif)
    assert "exif" not in image.info and "xmp" not in image.info and "XML:com.adobe.xmp" not in image.info


def report_body(city, **overrides) -> dict:
    lon, lat = point_in(0)
    return {"source": "collector", "minor_id": city.classes["garbage"].pk, "lon": lon, "lat": lat,
            "description": "人行道上有暴露垃圾", "address": "东街1号", **overrides}


def chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


# --- the checks themselves ---------------------------------------------------------------------

def test_the_test_photo_really_carries_a_position():
    image = Image.open(io.BytesIO(gps_jpeg()))
    assert image.getexif().get_ifd(GPS_IFD)[2] == (31.0, 13.0, 42.5)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_clean_removes_the_metadata_and_keeps_the_format(image_format):
    photo = upload(gps_jpeg(image_format=image_format), name=f"../../etc/IMG_0001.{image_format.lower()}")
    content_type = photo_validate(photo)
    cleaned = photo_clean(photo)
    assert content_type == f"image/{image_format.lower()}"
    image = Image.open(cleaned)
    assert image.format == image_format and image.size == (80, 60)
    assert_no_location(image)
    assert cleaned.name == "IMG_0001" + {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}[image_format]


def test_clean_turns_the_photo_upright_before_dropping_the_orientation():
    image = Image.open(photo_clean(upload(gps_jpeg(size=(80, 60), orientation=6))))  # 6 = rotate 90° CW
    assert image.size == (60, 80)
    assert ORIENTATION not in image.getexif()
    assert_no_location(image)


def test_clean_drops_a_jpeg_comment():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(buffer, format="JPEG", comment=b"GPS 31.2284N 121.4667E")
    cleaned = photo_clean(upload(buffer.getvalue())).read()
    assert b"31.2284N" not in cleaned
    assert "comment" not in Image.open(io.BytesIO(cleaned)).info


def test_a_phone_jpeg_with_extra_pictures_is_accepted_and_stored_as_a_plain_jpeg():
    """Many phones write MPO (a JPEG with a depth map or preview appended): a JPEG to the citizen."""
    buffer = io.BytesIO()
    main = Image.open(io.BytesIO(gps_jpeg()))
    main.save(buffer, format="MPO", save_all=True, append_images=[Image.new("RGB", (80, 60), "blue")],
              exif=main.getexif().tobytes())
    photo = upload(buffer.getvalue(), name="IMG_0002.jpg")
    assert Image.open(photo).format == "MPO"
    assert photo_validate(photo) == "image/jpeg"
    cleaned = photo_clean(photo)
    image = Image.open(cleaned)
    assert image.format == "JPEG" and cleaned.name == "IMG_0002.jpg" and image.size == (80, 60)
    assert_no_location(image)
    assert b"CityPhone" not in cleaned.read()


@pytest.mark.parametrize(("content", "name"), [
    (b"<html><script>alert(1)</script></html>", "photo.jpg"),
    (b"hello, I am text", "photo.png"),
    (b"\xff\xd8\xff\xe0 truncated jpeg", "photo.jpg"),
    (b"", "empty.jpg"),
])
def test_not_an_image_whatever_its_name(content, name):
    with pytest.raises(ApplicationError) as refused:
        photo_validate(upload(content, name=name))
    assert "不是有效的图片" in refused.value.message


def test_an_image_of_another_format_named_jpg():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="GIF")
    with pytest.raises(ApplicationError) as refused:
        photo_validate(upload(buffer.getvalue(), name="photo.jpg"))
    assert "GIF" in refused.value.message and "不受支持" in refused.value.message


def test_decompression_bomb_is_refused_before_decoding(settings):
    settings.MAX_IMAGE_PIXELS = 1_000_000
    buffer = io.BytesIO()
    Image.new("L", (2000, 2000)).save(buffer, format="PNG")  # 4 MP of zeros: a few kilobytes
    assert len(buffer.getvalue()) < 50_000
    with pytest.raises(ApplicationError) as refused:
        photo_validate(upload(buffer.getvalue(), name="bomb.png"))
    assert "像素过多" in refused.value.message


# --- through the interfaces --------------------------------------------------------------------

def test_case_api_stores_the_photo_without_its_position(city, client_as, settings):
    response = client_as("collector_a").post(
        URL, report_body(city, photos=[upload(gps_jpeg(), name="IMG_0001.jpg")]), format="multipart")
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/jpeg"
    assert attachment.size == attachment.file.size
    assert_no_location(stored_image(attachment))
    assert b"CityPhone" not in Path(attachment.file.path).read_bytes()
    assert len(media_files(settings)) == 2 * 1


def test_case_api_refuses_html_named_jpg_in_chinese(city, client_as, settings):
    fake = upload(b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>",
                  name="photo.jpg")
    response = client_as("collector_a").post(URL, report_body(city, photos=[fake]), format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert "不是有效的图片" in body["detail"] and chinese(body["detail"])
    assert Case.objects.count() == 0 and media_files(settings) == []


def test_case_api_refuses_an_oversize_photo(city, client_as, settings):
    settings.MAX_UPLOAD_BYTES = 20_000
    big = Image.effect_noise((400, 400), 64).convert("RGB")  # noise does not compress
    buffer = io.BytesIO()
    big.save(buffer, format="PNG")
    assert len(buffer.getvalue()) > settings.MAX_UPLOAD_BYTES
    response = client_as("collector_a").post(
        URL, report_body(city, photos=[upload(buffer.getvalue(), name="big.png", content_type="image/png")]),
        format="multipart")
    # Stopped while it streams in (core.parsers), before the photo is read whole: 413.
    assert response.status_code == 413
    assert "过大" in response.json()["detail"] or "超过" in response.json()["detail"]
    assert Case.objects.count() == 0 and media_files(settings) == []


def test_case_page_form_refuses_a_fake_photo(city, client, settings):
    client.force_login(city.users["operator"])
    lon, lat = point_in(0)
    response = client.post("/cases/new/", {
        "source": "hotline_12319", "minor": city.classes["garbage"].pk, "urgency": Urgency.NORMAL,
        "description": "路口垃圾", "address": "东街",
        "lon": lon, "lat": lat, "photos": upload(b"GIF89a not really", name="x.jpg"),
    })
    assert response.status_code == 400
    assert "不是有效的图片" in response.content.decode()
    assert Case.objects.count() == 0


def test_public_channel_photo_loses_its_position(city, settings):
    lon, lat = point_in(0)
    body = {"minor_id": city.classes["garbage"].pk, "lon": lon, "lat": lat, "description": "路口垃圾桶满了",
            "photos": [upload(gps_jpeg(), name="wx.jpg")]}
    response = APIClient().post(PUBLIC_URL, body, format="multipart")
    assert response.status_code == 201, response.content
    assert_no_location(stored_image(Attachment.objects.get()))


def test_public_channel_refuses_a_text_file_named_jpg(city, settings):
    lon, lat = point_in(0)
    body = {"minor_id": city.classes["garbage"].pk, "lon": lon, "lat": lat, "description": "路口垃圾桶满了",
            "photos": [upload(b"just some text", name="wx.jpg")]}
    response = APIClient().post(PUBLIC_URL, body, format="multipart")
    assert response.status_code == 400
    assert "不是有效的图片" in response.json()["detail"]
    assert Case.objects.count() == 0 and media_files(settings) == []


def test_open311_media_loses_its_position_and_a_fake_is_refused(city, settings):
    api_key = hotline_services.apikey_create(name="FixMyCity")[1]
    lon, lat = point_in(0)
    body = {"api_key": api_key, "service_code": "legacy4-event-0101", "lat": str(lat), "long": str(lon),
            "description": "人行道上有垃圾"}
    refused = APIClient().post(OPEN311_URL, {**body, "media": upload(b"<svg onload=alert(1)>", name="m.jpg")},
                               format="multipart")
    assert refused.status_code == 400
    assert "不是有效的图片" in str(refused.json())
    assert Case.objects.count() == 0
    accepted = APIClient().post(OPEN311_URL, {**body, "media": upload(gps_jpeg(), name="m.jpg")}, format="multipart")
    assert accepted.status_code == 201, accepted.content
    assert_no_location(stored_image(Attachment.objects.get()))
