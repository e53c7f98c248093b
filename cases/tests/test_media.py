"""Photos behind the case's scope (cases.media): stored under random names with a thumbnail made at
upload, served to the people whose scope holds the case, the same 404 to everyone else, and handed
to the front server by one setting."""
import io
import re
from pathlib import Path

import pytest
from django.test import Client
from PIL import Image

from cases import services
from cases.models import Attachment, AttachmentKind

from .helpers import photo, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def attachment(city) -> Attachment:
    case = report(city, by="collector_a", grid=0)  # the east district
    services.attachments_add(case=case, photos=[photo("passwd.jpg", "JPEG", size=(1200, 900))],
                             kind=AttachmentKind.BEFORE, actor=city.users["collector_a"])
    return case.attachments.get()


def browser_as(city, username: str | None) -> Client:
    client = Client()
    if username:
        client.force_login(city.users[username])
    return client


def test_stored_under_a_random_name_with_a_thumbnail(attachment, settings):
    for field_file in (attachment.file, attachment.thumbnail):
        assert re.fullmatch(r"cases/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", field_file.name), field_file.name
        assert (Path(settings.MEDIA_ROOT) / field_file.name).is_file()
    assert attachment.file.name != attachment.thumbnail.name
    with attachment.thumbnail.open("rb") as handle:
        thumbnail = Image.open(io.BytesIO(handle.read()))
    assert thumbnail.format == "JPEG" and thumbnail.size == (320, 240)


@pytest.mark.parametrize("username", ["operator", "collector_a", "manager"])
def test_served_within_the_scope(city, attachment, username):
    response = browser_as(city, username).get(f"/photos/{attachment.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert image.size == (1200, 900)
    assert response["Cache-Control"] == "private, max-age=43200"
    assert "passwd" not in response["Content-Disposition"]


def test_thumbnail_served_within_the_scope(city, attachment):
    response = browser_as(city, "operator").get(f"/photos/{attachment.pk}/thumbnail/")
    assert response.status_code == 200
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (320, 240)


@pytest.mark.parametrize("username", [None, "operator_b", "collector_b", "handler_b"])
def test_out_of_scope_and_anonymous_get_the_same_404_as_an_unknown_photo(city, attachment, username):
    client = browser_as(city, username)
    for path in (f"/photos/{attachment.pk}/", f"/photos/{attachment.pk}/thumbnail/"):
        out_of_scope = client.get(path)
        unknown = client.get(path.replace(str(attachment.pk), str(attachment.pk + 1000)))
        assert out_of_scope.status_code == unknown.status_code == 404
        assert "照片不存在或您无权查看" in out_of_scope.content.decode()
        assert attachment.case.number not in out_of_scope.content.decode()


def test_media_url_is_not_served(city, attachment):
    assert browser_as(city, "operator").get(f"/media/{attachment.file.name}").status_code == 404


def test_api_token_of_the_field_app_is_enough(city, attachment):
    from citygrid.services import token_issue

    _, key = token_issue(user=city.users["collector_a"])
    assert Client().get(f"/photos/{attachment.pk}/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    _, other_key = token_issue(user=city.users["collector_b"])
    assert Client().get(f"/photos/{attachment.pk}/", HTTP_AUTHORIZATION=f"Token {other_key}").status_code == 404
    assert Client().get(f"/photos/{attachment.pk}/", HTTP_AUTHORIZATION="Token nonsense").status_code == 404


def test_handed_to_the_front_server_after_the_check(city, attachment, settings):
    settings.PHOTO_SENDFILE_HEADER = "X-Accel-Redirect"
    settings.PHOTO_SENDFILE_PREFIX = "/protected-media/"
    response = browser_as(city, "operator").get(f"/photos/{attachment.pk}/")
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/protected-media/{attachment.file.name}"
    refused = browser_as(city, "operator_b").get(f"/photos/{attachment.pk}/")
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused


def test_api_and_case_page_link_the_serving_view(city, attachment, client_as):
    body = client_as("operator").get(f"/api/cases/{attachment.case_id}/").json()
    assert body["attachments"][0]["url"].endswith(f"/photos/{attachment.pk}/")
    assert body["attachments"][0]["thumbnail_url"].endswith(f"/photos/{attachment.pk}/thumbnail/")
    page = browser_as(city, "operator").get(f"/cases/{attachment.case_id}/").content.decode()
    assert f'src="/photos/{attachment.pk}/thumbnail/"' in page and f'href="/photos/{attachment.pk}/"' in page
    assert "/media/" not in page
