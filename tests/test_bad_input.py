"""Input that once reached a 500 (issue 17), and its siblings: every date and date-time parameter and
field of the API schema, every JSON body, every URL of the URLconf with a NUL character, every body
over the size cap, every boolean and enumerated filter. Each answer is a 4xx with a message in the
user's language, never a 5xx. Also: out-of-scope cases answer as missing ones, a reused
Idempotency-Key with another body is a 422, bidi controls are removed from free text at intake, and
Django's and DRF's English messages come in Chinese."""
import json
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import FakePayload, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from cases.models import Case, CaseEvent, State
from cases.tests.helpers import case_build, image_bytes, photo
from cases.tests.test_transitions import valid_arguments
from cases.transitions import TRANSITIONS
from citygrid.testing import point_in
from core.parsers import JSON_MAX_DEPTH, json_depth_exceeds
from core.text import BIDI_CONTROLS, text_clean
from grids.models import Role, User
from hotline.models import Call, Callback
from hotline.service_codes import service_code
from hotline.services import apikey_create
from video.services import platform_create

pytestmark = pytest.mark.django_db

CHINESE = re.compile("[\u4e00-\u9fff]")
SCHEMA = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
BAD_DATE_TIMES = ["2026-01-01T00:00:00-17:00", "2026-01-01T00:00:00+14:30", "0001-01-01T00:00:00",
                  "9999-12-31T23:00:00-14:00"]
BAD_DATES = ["0001-01-01", "9999-12-31", "1899-12-31"]
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def message_of(response) -> str:
    """The message of a refusal, whatever the part of the site: the API's `detail`, Open311's error
    list (JSON or XML), or the text of a page."""
    content = response.content.decode()
    kind = response.get("Content-Type", "")
    if kind.startswith("application/json"):
        data = response.json()
        return data[0]["description"] if isinstance(data, list) else data["detail"]
    if kind.startswith("text/xml"):
        return re.search(r"<description>(.*?)</description>", content, re.S).group(1)
    return content


def assert_refused(response, status: int | None = None) -> str:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if status is not None:
        assert response.status_code == status, (response.status_code, response.content[:300])
    message = message_of(response)
    assert CHINESE.search(message), message[:300]
    return message


@pytest.fixture
def root(city):
    """A superuser who passes every permission, so that the input itself is what gets checked."""
    return User.objects.create_superuser(username="root", password="x", role=Role.ADMIN)


@pytest.fixture
def web(root):
    client = Client()
    client.force_login(root)
    return client


@pytest.fixture
def allowed(city, root):
    """allowed(method, path, ...) sends the request as the first of the superuser, a collector, a
    hotline agent, a shift leader, a department's handler and a video platform (by its key) whom the
    endpoint lets in (a collector's own endpoints refuse the superuser; joint reviews are a shift
    leader's, a letter's answer its department's, a detected event a platform's), so that the body
    itself is what gets checked."""
    clients = []
    for person in (root, city.users["collector_a"], city.users["hotline_agent"], city.users["shift_leader"],
                   city.users["handler_a"]):
        client = Client()
        client.force_login(person)
        clients.append(client)
    _platform, platform_key = platform_create(name="bad-input")
    clients.append(Client(HTTP_AUTHORIZATION=f"Api-Key {platform_key}"))

    def send(method: str, path: str, *args, **kwargs):
        for client in clients:
            response = getattr(client, method)(path, *args, **kwargs)
            if response.status_code not in (401, 403):
                break
        return response

    return send


@pytest.fixture
def world(city, root, settings):
    """A case of every state, a call, a callback and an API key; generous rate limits."""
    settings.PUBLIC_REPORT_RATE_LIMIT = settings.PUBLIC_LOOKUP_RATE_LIMIT = "100000/h"
    cache.clear()
    city.case = case_build(city, State.DISPATCHED)
    closed = case_build(city, State.CLOSED)
    city.callback = Callback.objects.create(case=closed, case_closed_at=closed.closed_at,
                                            created_at=closed.closed_at, due_at=closed.closed_at)
    city.api_key = apikey_create(name="bad-input")[1]
    return city


def path_of(template: str, world) -> str:
    """An operation's path with its parameters filled from the world."""
    values = {"case_id": world.case.pk, "callback_id": world.callback.pk, "call_id": 1, "action": "request_extension",
              "response_format": "json", "label": "2025-03", "object_type": "region", "level": "district",
              "object_id": 1, "number": world.case.number}
    return re.sub(r"\{(\w+)\}", lambda match: str(values.get(match.group(1), 1)), template)


def operations():
    for path, item in SCHEMA["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def component(reference: str) -> dict:
    return SCHEMA["components"]["schemas"][reference.rsplit("/", 1)[-1]]


def body_schemas(operation) -> dict[str, dict]:
    content = operation.get("requestBody", {}).get("content", {})
    return {media: component(spec["schema"]["$ref"]) if "$ref" in spec.get("schema", {}) else spec.get("schema", {})
            for media, spec in content.items()}


# --- dates and date-times ---------------------------------------------------------------------------

DATE_QUERIES = [(path, name, parameter["schema"]["format"])
                for path, method, operation in operations() if method == "get"
                for parameter in operation.get("parameters", [])
                if parameter["in"] == "query" and parameter["schema"].get("format") in ("date", "date-time")
                for name in [parameter["name"]]]
DATE_FIELDS = [(path, method, name, spec["format"])
               for path, method, operation in operations()
               for media, schema in body_schemas(operation).items() if media == "application/json"
               for name, spec in schema.get("properties", {}).items() if spec.get("format") in ("date", "date-time")]


def test_the_schema_has_the_dates_of_the_issue():
    assert {("/api/cases/", "reported_after"), ("/api/hotline/figures/", "start")} <= {
        (path, name) for path, name, _format in DATE_QUERIES}
    assert {"requested_deadline", "called_at", "transfer_deadline"} <= {name for *_rest, name, _f in DATE_FIELDS}


@pytest.mark.parametrize(("path", "name", "kind"), DATE_QUERIES)
def test_date_query_parameters_are_bounded(world, web, path, name, kind):
    valid = {"start": "2025-03-01", "end": "2025-03-02"}  # the figures' other (required) bound
    for value in BAD_DATE_TIMES if kind == "date-time" else BAD_DATES:
        response = web.get(path_of(path, world), {**valid, name: value})
        assert name in assert_refused(response, 400)


@pytest.mark.parametrize(("path", "method", "name", "kind"), DATE_FIELDS)
def test_date_fields_of_bodies_are_bounded(world, allowed, path, method, name, kind):
    for value in BAD_DATE_TIMES if kind == "date-time" else BAD_DATES:
        response = allowed(method, path_of(path, world), {name: value}, content_type="application/json")
        assert name in assert_refused(response, 400)


@pytest.mark.parametrize("response_format", ["json", "xml"])
@pytest.mark.parametrize("query", [
    "end_date=0001-01-01", "start_date=9999-12-30", "start_date=2026-01-01T00:00:00-16:00",
    "end_date=2026-01-01T00:00:00%2B15:00", "start_date=1899-12-31",
])
def test_open311_dates_are_bounded(world, response_format, query):
    response = Client().get(f"/open311/v2/requests.{response_format}?{query}")
    assert query.split("=")[0] in assert_refused(response, 400)
    assert response["Content-Type"].startswith("application/json" if response_format == "json" else "text/xml")


@pytest.mark.parametrize("url", ["/search/", "/search/export.xlsx"])
@pytest.mark.parametrize("query", ["reported_to=9999-12-31", "reported_from=0001-01-01", "reported_to=2999-13-01"])
def test_the_search_page_and_its_export_bound_their_dates(world, web, url, query):
    assert_refused(web.get(f"{url}?{query}"), 400)


def test_the_last_day_within_the_bounds_is_searched(world, web):
    assert web.get("/search/?reported_to=2999-12-31").status_code == 200
    assert web.get("/api/cases/?reported_after=2026-01-01T00:00:00-14:00").status_code == 200


# --- NUL characters -----------------------------------------------------------------------------------

def sample_paths(patterns, prefix: str = ""):
    """Paths of every route of the URLconf, its parameters filled with a plain value (every
    alternative of a converter such as Open311's json|xml)."""
    for pattern in patterns:
        route = str(pattern.pattern)
        if not hasattr(pattern.pattern, "_route"):  # a regular expression: only literal ones
            route = route.lstrip("^").rstrip("$").replace("\\", "")
            if re.search(r"[()\[\]?*+]", route):
                continue
        routes = [route]
        for name, converter in getattr(pattern.pattern, "converters", {}).items():
            alternatives = converter.regex.split("|") if re.fullmatch(r"\w+(\|\w+)+", converter.regex) else [
                "1" if converter.regex == "[0-9]+" else "x"]
            routes = [re.sub(rf"<(?:\w+:)?{name}>", value, each) for each in routes for value in alternatives]
        for each in routes:
            if isinstance(pattern, URLResolver):
                yield from sample_paths(pattern.url_patterns, prefix + each)
            elif isinstance(pattern, URLPattern):
                yield "/" + prefix + each


PATHS = sorted(set(sample_paths(get_resolver().url_patterns)))


def test_every_part_of_the_site_is_sampled():
    assert len(PATHS) > 50
    assert {"/api/cases/", "/open311/v2/requests.json", "/hotline/", "/search/", "/admin/"} <= set(PATHS)


@pytest.mark.parametrize("path", PATHS)
def test_a_nul_in_the_query_or_the_path_is_a_400(path):
    """Refused before any view, logged in or not (so no login here: a test of a few milliseconds)."""
    for url in (f"{path}?q=%00", f"{path}?%00=1", f"{path.rstrip('/')}/%00/"):
        response = Client().get(url)
        assert "NUL" in assert_refused(response, 400)
        expected = "text/plain"
        if path.startswith("/api/"):
            expected = "application/json"
        elif path.startswith("/open311/"):
            expected = "text/xml" if url.split("?")[0].endswith(".xml") else "application/json"
        assert response["Content-Type"].startswith(expected), (url, response["Content-Type"])


def test_a_nul_in_a_header_is_a_400(world):
    response = Client().post("/api/hotline/public/reports/", {}, content_type="application/json",
                             HTTP_X_API_KEY="cg_\x00")
    assert "NUL" in assert_refused(response, 400)


@pytest.mark.parametrize("path", ["/api/cases/", "/api/hotline/public/reports/", "/api/hotline/calls/"])
def test_a_nul_in_a_json_string_is_a_400(world, web, path):
    assert_refused(web.post(path, {"description": "垃圾\x00", "content": "x\x00", "phone": "1\x00"},
                            content_type="application/json"), 400)


# --- JSON nesting, bodies ------------------------------------------------------------------------------

JSON_BODIES = [(path, method) for path, method, operation in operations()
               if "application/json" in body_schemas(operation)]


def test_every_endpoint_that_takes_json_is_checked():
    assert {("/api/cases/", "post"), ("/api/hotline/public/reports/", "post")} <= set(JSON_BODIES)
    assert len(JSON_BODIES) >= 8


@pytest.mark.parametrize(("path", "method"), JSON_BODIES)
def test_json_nested_too_deep_is_a_400(world, allowed, path, method):
    for depth in (JSON_MAX_DEPTH + 1, 100_000):
        body = "[" * depth + "]" * depth
        response = allowed(method, path_of(path, world), body, content_type="application/json")
        assert "嵌套" in assert_refused(response, 400)


@pytest.mark.parametrize(("path", "method"), JSON_BODIES)
def test_broken_and_empty_json_bodies_are_400s_in_chinese(world, allowed, path, method):
    for body in ("{", "null", "[1, 2"):
        assert_refused(allowed(method, path_of(path, world), body, content_type="application/json"), 400)


def test_the_nesting_limit():
    nested = {"a": [{"b": [1]}]}  # 4 levels
    assert not json_depth_exceeds(nested, 4) and json_depth_exceeds(nested, 3)
    assert not json_depth_exceeds("flat", 0)


class CountingPayload(FakePayload):
    """A request body that counts what the server read of it."""

    def __init__(self, content: bytes):
        super().__init__(content)
        self.bytes_read = 0

    def read(self, size=-1, /):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size=-1, /):
        line = super().readline(size)
        self.bytes_read += len(line)
        return line


BODY_PATHS = sorted({path for path, method, operation in operations() if operation.get("requestBody")})


@pytest.mark.parametrize("path", BODY_PATHS)
@pytest.mark.parametrize("media", ["application/json", "multipart/form-data; boundary=x"])
def test_a_body_over_the_cap_is_refused_unread(world, web, settings, path, media):
    payload = CountingPayload(b"{}")
    limit = settings.REQUEST_MAX_BYTES if media.startswith("multipart") else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = web.generic("POST", path_of(path, world), **{
        "wsgi.input": payload, "CONTENT_LENGTH": str(limit + 1), "CONTENT_TYPE": media})
    assert "过大" in assert_refused(response, 413)
    assert payload.bytes_read == 0


def multipart_photos(count: int) -> list:
    return [SimpleUploadedFile(f"p{i}.png", image_bytes("PNG"), content_type="image/png") for i in range(count)]


def report_fields(city, **extra) -> dict:
    lon, lat = point_in(0)
    return {"minor_id": city.classes["garbage"].pk, "lon": lon, "lat": lat, "description": "暴露垃圾", **extra}


@pytest.mark.parametrize(("path", "field"), [("/api/cases/", "photos"), ("/api/hotline/public/reports/", "photos"),
                                             ("/open311/v2/requests.json", "media")])
def test_too_many_files_are_refused_in_the_apis_shape(world, web, settings, path, field):
    fields = report_fields(world, **{field: multipart_photos(settings.UPLOAD_MAX_FILES + 1)})
    response = web.post(path, {**fields, "api_key": world.api_key})
    message = assert_refused(response, 413)
    assert str(settings.UPLOAD_MAX_FILES) in message
    assert Case.objects.count() == 2  # the world's


def test_too_many_files_on_a_page_is_a_400_page(world, city, settings):
    client = Client()
    client.force_login(city.users["operator"])
    fields = {"source": "other", "minor": city.classes["garbage"].pk, "urgency": "normal", "description": "x",
              "lon": 112.9805, "lat": 28.1905, "photos": multipart_photos(settings.UPLOAD_MAX_FILES + 1)}
    response = client.post("/cases/new/", fields)
    assert response.status_code == 400


def test_a_file_over_the_limit_is_stopped_as_it_streams_in(world, settings):
    settings.MAX_UPLOAD_BYTES = 64 * 1024
    big = SimpleUploadedFile("big.jpg", b"\xff" * (2 * 2**20), content_type="image/jpeg")
    body = encode_multipart("BoUnDaRy", report_fields(world, photos=[big]))
    payload = CountingPayload(body)
    response = Client().generic("POST", "/api/hotline/public/reports/", **{
        "wsgi.input": payload, "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "multipart/form-data; boundary=BoUnDaRy"})
    assert "big.jpg" in assert_refused(response, 413)
    assert payload.bytes_read < len(body) / 4  # stopped a chunk or two past the limit, not at the end


# --- filters that do not filter ------------------------------------------------------------------------

CHOICE_QUERIES = [(path, parameter["name"], parameter["schema"])
                  for path, method, operation in operations() if method == "get" and "{" not in path
                  for parameter in operation.get("parameters", []) if parameter["in"] == "query"
                  and (parameter["schema"].get("type") == "boolean" or "enum" in parameter["schema"]
                       or "enum" in parameter["schema"].get("items", {}))]


def test_the_filters_of_the_issue_are_checked():
    names = {(path, name) for path, name, _schema in CHOICE_QUERIES}
    assert {("/api/cases/", "overdue"), ("/api/cases/", "state"), ("/api/hotline/calls/", "channel"),
            ("/api/grids/minor-classes/", "is_active")} <= names


@pytest.mark.parametrize(("path", "name", "schema"), CHOICE_QUERIES, ids=[f"{p}?{n}" for p, n, _s in CHOICE_QUERIES])
def test_an_unknown_filter_value_is_a_400(world, web, path, name, schema):
    response = web.get(path, {name: "maybe"})
    message = assert_refused(response, 400)
    assert name in message or response.json().get("field") == name


# --- out of scope = missing --------------------------------------------------------------------------

@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_out_of_scope_and_missing_cases_answer_alike(world, city, client_as, action):
    """operator_b, shift_leader_b, dispatcher_b and handler_b on a district-A case: the same 404 as for
    an id that does not exist, through the API and the pages, never naming the case."""
    case = world.case
    missing = Case.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    outsiders = [name for name in ("operator_b", "shift_leader_b", "dispatcher_b", "handler_b")
                 if city.users[name].role in TRANSITIONS[action].roles] or ["operator_b"]
    arguments = {"note": "理由", **valid_arguments(city, action)}
    for name in outsiders:
        api = client_as(name)
        answers = [api.post(f"/api/cases/{case_id}/actions/{action}/", arguments, format="json")
                   for case_id in (case.pk, missing)]
        page = Client()
        page.force_login(city.users[name])
        pages = [page.post(f"/cases/{case_id}/act/{action}/", {f"{action}-note": "x"}) for case_id in (case.pk, missing)]
        # A joint review's move (`through`) is refused by the case API before the case is looked up,
        # with the same 400 whatever the id: still alike, still naming no case.
        expected = 400 if TRANSITIONS[action].through else 404
        assert [a.status_code for a in answers] == [expected, expected] and answers[0].json() == answers[1].json()
        assert [p.status_code for p in pages] == [404, 404]
        for response in answers + pages:
            assert case.number not in response.content.decode()
    reads = [client_as("operator_b").get(f"/api/cases/{case_id}/") for case_id in (case.pk, missing)]
    assert [r.status_code for r in reads] == [404, 404] and reads[0].json() == reads[1].json()


def test_a_merge_target_out_of_scope_is_missing(world, city, client_as):
    in_b = case_build(city, State.REPORTED, grid=2)
    in_a = case_build(city, State.REPORTED, grid=0)
    answers = [client_as("operator_b").post(f"/api/cases/{in_b.pk}/actions/merge/", {"into_case_id": target},
                                            format="json") for target in (in_a.pk, in_a.pk + 1000)]
    assert [a.status_code for a in answers] == [404, 404] and answers[0].json() == answers[1].json()
    assert in_a.number not in answers[0].content.decode()


def test_hotline_replies_and_callbacks_out_of_scope_are_missing(world, city):
    agent_b = User.objects.create_user(username="hotline_agent_b", role=Role.HOTLINE_AGENT, region=city.districts[1])
    client = Client()
    client.force_login(agent_b)
    feedback = [client.post(f"/api/hotline/cases/{case_id}/feedback/", {"channel": "phone", "message": "已处理"},
                            content_type="application/json") for case_id in (world.case.pk, world.case.pk + 1000)]
    callbacks = [client.post(f"/api/hotline/callbacks/{callback_id}/record/", {"reached": True, "satisfaction": "satisfied"},
                             content_type="application/json")
                 for callback_id in (world.callback.pk, world.callback.pk + 1000)]
    for pair in (feedback, callbacks):
        assert [r.status_code for r in pair] == [404, 404] and pair[0].json() == pair[1].json(), [r.json() for r in pair]
    assert world.case.number not in feedback[0].content.decode()


# --- idempotency keys ----------------------------------------------------------------------------------

def test_a_reused_idempotency_key_with_another_body_is_a_422(world, city):
    public = Client()
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
    first = public.post("/api/hotline/public/reports/", report_fields(city), content_type="application/json", **headers)
    again = public.post("/api/hotline/public/reports/", report_fields(city), content_type="application/json", **headers)
    other = public.post("/api/hotline/public/reports/", report_fields(city, description="另一个问题"),
                        content_type="application/json", **headers)
    assert (first.status_code, again.status_code) == (201, 200) and first.json() == again.json()
    assert "Idempotency-Key" in assert_refused(other, 422)

    fields = {"api_key": world.api_key, "service_code": service_code(city.classes["garbage"]), "lat": 28.1905,
              "long": 112.9805, "description": "井盖"}
    open311 = [public.post("/open311/v2/requests.json", {**fields, **change}, HTTP_IDEMPOTENCY_KEY="o-1")
               for change in ({}, {}, {"description": "路灯"})]
    assert [r.status_code for r in open311[:2]] == [201, 200]
    assert "Idempotency-Key" in assert_refused(open311[2], 422)

    agent = Client()
    agent.force_login(city.users["hotline_agent"])
    call = {"phone": "13700000000", "content": "咨询", "kind": "inquiry", "channel": "12319"}
    calls = [agent.post("/api/hotline/calls/", {**call, **change}, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="c-1") for change in ({}, {}, {"content": "另一件事"})]
    assert [r.status_code for r in calls[:2]] == [201, 200]
    assert "Idempotency-Key" in assert_refused(calls[2], 422)
    assert Call.objects.count() == 1


# --- bidi controls -------------------------------------------------------------------------------------

def test_text_clean_removes_every_bidi_control():
    assert text_clean(f" 路边{BIDI}垃圾 ") == "路边垃圾"
    assert all(BIDI_CONTROLS.fullmatch(char) for char in BIDI)
    assert text_clean("مرحبا עברית 中文") == "مرحبا עברית 中文"  # right-to-left letters stay


def test_bidi_controls_are_removed_at_every_intake(world, city, client_as):
    spoofed = "垃圾\u202egpj.exe\u202c"
    lon, lat = point_in(1)
    client_as("collector_a").post("/api/cases/", report_fields(city, description=spoofed, address=spoofed),
                                  format="json")
    Client().post("/api/hotline/public/reports/", report_fields(city, description=spoofed, contact_name=spoofed),
                  content_type="application/json")
    Client().post("/open311/v2/requests.json", {
        "api_key": world.api_key, "service_code": service_code(city.classes["garbage"]), "lat": lat, "long": lon,
        "description": spoofed, "address_string": spoofed})
    client_as("hotline_agent").post("/api/hotline/calls/", {"phone": "13700000000", "content": spoofed,
                                                             "kind": "inquiry", "channel": "12319"}, format="json")
    operator = Client()
    operator.force_login(city.users["operator"])
    operator.post("/cases/new/", {"source": "other", "minor": city.classes["garbage"].pk, "urgency": "normal",
                                  "description": spoofed, "lon": lon, "lat": lat})
    texts = [*Case.objects.exclude(pk__in=[world.case.pk, world.callback.case_id])
             .values_list("description", "address", "reporter_name"),
             *Call.objects.values_list("content", flat=True)]
    assert len(texts) == 5
    assert all(not BIDI_CONTROLS.search(str(text)) for text in texts), texts
    assert Call.objects.get().content == "垃圾gpj.exe"


# --- messages in Chinese -------------------------------------------------------------------------------

def test_the_english_messages_of_django_and_drf_come_in_chinese(world, city, client_as):
    missing_call = client_as("hotline_agent").get("/api/hotline/calls/999999/")
    assert assert_refused(missing_call, 404) == "未找到。"
    no_data = client_as("collector_a").post("/api/cases/", "null", content_type="application/json")
    assert "No data" not in assert_refused(no_data, 400)
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(city.users["collector_a"])
    refused = csrf.post("/api/cases/", report_fields(city), content_type="application/json")
    assert "CSRF" in assert_refused(refused, 403) and "Failed" not in message_of(refused)
    broken = client_as("collector_a").post("/api/cases/", b"--x\r\nbroken", content_type="multipart/form-data")
    assert "parse error" not in assert_refused(broken, 400)


def test_the_lock_out_page_says_how_long_in_words(city, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    for _attempt in range(3):
        response = client.post("/accounts/login/", {"username": "operator", "password": "wrong"})
    body = response.content.decode()
    assert "15\xa0分钟" in body and "PT15M" not in body, body[:2000]


def test_the_lock_out_duration_in_english():
    from django.utils import translation

    from citygrid.templatetags.durations import duration

    with translation.override("en"):
        assert duration(timedelta(hours=1, minutes=30)) == "1\xa0hour, 30\xa0minutes"
    assert duration(timedelta(minutes=15)) == "15\xa0分钟"


def test_a_case_report_keeps_its_digest_only_with_a_key(city, client_as):
    client_as("collector_a").post("/api/cases/", report_fields(city), format="json")
    client_as("collector_a").post("/api/cases/", report_fields(city), format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    payloads = list(CaseEvent.objects.filter(action="report").order_by("pk").values_list("payload", flat=True))
    assert ["digest" in payload for payload in payloads] == [False, True]
    assert "13800000000" not in json.dumps(payloads)


def test_photos_of_a_normal_size_still_go_through(world, client_as):
    response = client_as("collector_a").post("/api/cases/", report_fields(world, photos=[photo(), photo()]),
                                             format="multipart")
    assert response.status_code == 201, response.content


PAGED = sorted({path for path, method, operation in operations() if method == "get" and "{" not in path
                and any(parameter["name"] == "page" for parameter in operation.get("parameters", []))})


@pytest.mark.parametrize("path", PAGED)
def test_an_empty_or_wrong_page_number_is_refused(world, allowed, path):
    for page in ("", "x", "0"):
        assert_refused(allowed("get", path, {"page": page}), 404)
    if any(parameter["name"] == "page_size" for _p, _m, operation in operations() if _p == path
           for parameter in operation.get("parameters", [])):
        assert "page_size" in assert_refused(allowed("get", path, {"page_size": "lots"}), 400)


def test_a_required_boolean_left_out_of_a_form_is_refused(world, city):
    collector = Client()
    collector.force_login(city.users["collector_a"])
    response = collector.post("/api/patrol/duty/", {"lon": 112.98, "lat": 28.19})  # a form, without on_duty
    assert "on_duty" in assert_refused(response, 400)
