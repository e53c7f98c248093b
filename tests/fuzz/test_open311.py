"""Fuzzing of Open311 GeoReport v2 (hypothesis): query parameters, path segments and form fields,
well-formed and not, in both formats. Never a 5xx; every error is the spec's list of
{code, description} with the HTTP status as its code (JSON) or <errors><error> (XML); and no
answer ever carries a citizen's name, phone or e-mail."""
import os
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from cases.tests.helpers import image_bytes
from citygrid.testing import point_in
from hotline.service_codes import service_code
from hotline.services import apikey_create

pytestmark = [pytest.mark.fuzz]

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25")) * 4
# The same examples on every run (FUZZ_RANDOM=1 for new ones): CI judges the code, not the draw.
DERANDOMIZE = os.environ.get("FUZZ_RANDOM", "") != "1"
FUZZ_SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=DERANDOMIZE,
                         suppress_health_check=list(HealthCheck))
BASE = "/open311/v2"
# What the fuzz city's citizens told us (tests/fuzz/conftest.py): it must never come back out.
PERSONAL = ["13900000000", "李四", "13800000000", "张三", "13700000000", "王五", "li@example.com"]

junk = st.text(max_size=40)
formats = st.sampled_from(["json", "xml"])
w3c = st.one_of(
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.dates().map(str),
    st.sampled_from(["2026-03-01T00:00:00+08:00", "2026-03-01T00:00:00Z", "2026-13-01", "0000-00-00", ""]),
    junk,
)


@pytest.fixture
def open311(fuzz_city, settings):
    settings.PUBLIC_REPORT_RATE_LIMIT = settings.PUBLIC_LOOKUP_RATE_LIMIT = "1000000/h"
    cache.clear()
    _api_key, raw = apikey_create(name="fuzz")
    fuzz_city.api_key = raw
    fuzz_city.service_codes = [service_code(minor) for minor in fuzz_city.classes.values()]
    fuzz_city.numbers = [case.number for case in fuzz_city.cases] + [fuzz_city.public_report.case.number]
    return fuzz_city


def check(response, response_format: str) -> None:
    """No 5xx; errors in the spec's shape; nothing personal."""
    status = response.status_code
    assert status < 500, (status, response.content[:500])
    body = response.content.decode()
    for value in PERSONAL:
        assert value not in body, f"personal data {value!r} in an Open311 answer"
    if response_format == "json":
        assert response["Content-Type"].startswith("application/json")
        data = response.json()
        if status >= 400:
            assert isinstance(data, list) and data, data
            assert all(set(item) == {"code", "description"} and item["code"] == status for item in data), data
    else:
        assert response["Content-Type"].startswith("text/xml")
        root = ElementTree.fromstring(response.content)
        if status >= 400:
            assert root.tag == "errors", body
            errors = root.findall("error")
            assert errors and all(error.findtext("code") == str(status) and error.find("description") is not None
                                  for error in errors), body


def pick(real: list[str]):
    return st.one_of(st.sampled_from(real), junk)


@FUZZ_SETTINGS
@given(data=st.data(), response_format=formats)
def test_reads(open311, data, response_format):
    client = APIClient()
    city = open311
    endpoint = data.draw(st.sampled_from(["discovery", "services", "service", "requests", "request", "token"]))
    params = {}
    segment = {"service": lambda: data.draw(pick(city.service_codes)),
               "request": lambda: data.draw(pick(city.numbers)),
               "token": lambda: data.draw(pick([city.public_report.token]))}.get(endpoint, lambda: "")()
    # A path segment can hold anything but "/" (that would be another URL) and cannot be empty.
    segment = quote(segment.replace("/", "") or "x", safe="")
    path = {"service": f"services/{segment}", "request": f"requests/{segment}",
            "token": f"tokens/{segment}"}.get(endpoint, endpoint)
    if endpoint == "requests":
        params = data.draw(st.fixed_dictionaries({}, optional={
            "service_request_id": st.lists(pick(city.numbers), max_size=3).map(",".join),
            "service_code": st.lists(pick(city.service_codes), max_size=3).map(",".join),
            "start_date": w3c, "end_date": w3c,
            "status": st.one_of(st.sampled_from(["open", "closed", "open,closed"]), junk),
            "api_key": pick([city.api_key]),
            "jurisdiction_id": junk,
        }))
    params.update(data.draw(st.dictionaries(st.text(min_size=1, max_size=10), junk, max_size=2)))
    response = client.get(f"{BASE}/{path}.{response_format}", params)
    check(response, response_format)


def _photo(kind: str) -> SimpleUploadedFile:
    if kind == "png":
        return SimpleUploadedFile("p.png", image_bytes("PNG"), content_type="image/png")
    if kind == "gif":
        return SimpleUploadedFile("p.gif", image_bytes("GIF"), content_type="image/gif")
    return SimpleUploadedFile("p.jpg", b"not an image at all", content_type="image/jpeg")


@FUZZ_SETTINGS
@given(data=st.data(), response_format=formats)
def test_posts(open311, data, response_format):
    city = open311
    lon, lat = point_in(data.draw(st.integers(0, 3)))
    number = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str), junk)
    fields = data.draw(st.fixed_dictionaries({}, optional={
        "api_key": pick([city.api_key, city.api_key]),
        "service_code": pick(city.service_codes),
        "lat": st.one_of(st.just(str(lat)), number),
        "long": st.one_of(st.just(str(lon)), number),
        "address_string": junk, "address_id": junk,
        "description": st.text(max_size=300),
        "first_name": junk, "last_name": junk, "email": junk, "phone": junk,
        "device_id": st.text(max_size=200), "account_id": st.text(max_size=200),
        "attribute[component_code]": junk, "attribute[other][]": junk,
    }))
    encode = data.draw(st.sampled_from(["multipart", "form"]))
    client = APIClient()
    url = f"{BASE}/requests.{response_format}"
    if encode == "multipart":
        media = data.draw(st.lists(st.sampled_from(["png", "gif", "junk"]), max_size=2))
        if media:
            fields["media"] = [_photo(kind) for kind in media]
        response = client.post(url, fields, format="multipart")
    else:
        response = client.post(url, urlencode(fields), content_type="application/x-www-form-urlencoded")
    check(response, response_format)
