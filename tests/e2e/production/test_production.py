"""The product as a city runs it: gunicorn with DEBUG off behind TLS, static files from collectstatic,
photos behind the case's scope, the error pages. A collector reports with a photo through the API,
an operator of that district works it in Chromium, and others try the photo's URL."""
import io
import json
import re
import uuid

import pytest
from PIL import Image

from citygrid.testing import PASSWORD, point_in

from .conftest import PRODUCTION_URL

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def town(django_db_blocker):
    """The tiny test city in the server's database (once per fresh database: the pass starts from
    one), with an operator for each district."""
    from citygrid.testing import tiny_city_build
    from grids.models import MinorClass, Region, Role, User

    with django_db_blocker.unblock():
        if not Region.objects.filter(code="439900").exists():
            town = tiny_city_build()
            User.objects.create_user(username="operator_a", password=PASSWORD, role=Role.OPERATOR,
                                     region=town.districts[0])
        minor_id = MinorClass.objects.get(name="暴露垃圾").pk
    return {"minor_id": minor_id}


def _context(browser, **options):
    # The pass's certificate is self-signed for 127.0.0.1; a city's is signed by its CA.
    return browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                               timezone_id="Asia/Shanghai", ignore_https_errors=True, **options)


def _log_in(browser, username: str):
    context = _context(browser)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(f"{PRODUCTION_URL}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"login failed for {username}: {page.content()[:500]}"
    return context, page


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), (180, 60, 40)).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _watch(page) -> list[str]:
    """Every request of the page that failed or answered 4xx/5xx."""
    failures: list[str] = []
    # A request the page itself cancelled (ERR_ABORTED: Swagger UI replaces its favicon link while
    # it starts) is no failure; any other, and any 4xx/5xx answer, is.
    page.on("requestfailed", lambda request: "ERR_ABORTED" not in (request.failure or "")
            and failures.append(f"failed {request.url}: {request.failure}"))
    page.on("response", lambda response: response.status >= 400 and failures.append(
        f"{response.status} {response.url}"))
    return failures


@pytest.fixture(scope="module")
def reported(browser, town):
    """A collector of the east district reports exposed garbage with a photo, through the API
    with their session (as the field app's browser does)."""
    context, page = _log_in(browser, "collector_a")
    token = json.loads(page.get_attribute("body", "hx-headers"))["X-CSRFToken"]
    lon, lat = point_in(0)
    response = page.request.post(
        f"{PRODUCTION_URL}/api/cases/",
        headers={"X-CSRFToken": token, "Referer": f"{PRODUCTION_URL}/", "Idempotency-Key": str(uuid.uuid4())},
        multipart={
            "minor_id": str(town["minor_id"]), "lon": str(lon), "lat": str(lat),
            "description": "路边暴露垃圾一堆", "source": "collector",
            "photos": {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()},
        },
    )
    assert response.status == 201, response.text()
    body = response.json()
    context.close()
    return body


def test_operator_works_the_case_with_styles_scripts_and_photo(browser, reported):
    context, page = _log_in(browser, "operator_a")
    failures = _watch(page)
    page.goto(f"{PRODUCTION_URL}/work/operator/")
    page.wait_for_load_state("networkidle")
    assert reported["number"] in page.content()
    # The stylesheet applies (the top bar is the brand colour, not the browser's default) and the
    # scripts ran (htmx is loaded).
    background = page.eval_on_selector(".topbar", "el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    assert page.evaluate("typeof window.htmx") == "object"
    # Hashed, compressed static files with a long cache.
    stylesheet = page.get_attribute("link[rel=stylesheet]", "href")
    assert re.search(r"app\.[0-9a-f]{12}\.css$", stylesheet), stylesheet
    css = page.request.get(PRODUCTION_URL + stylesheet, headers={"Accept-Encoding": "gzip"})
    assert css.status == 200 and "max-age=315360000" in css.headers["cache-control"]

    page.goto(f"{PRODUCTION_URL}/cases/{reported['id']}/")
    page.wait_for_load_state("networkidle")
    thumbnail = page.locator(".photos img").first
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth") == 320
    assert failures == []

    photo = page.request.get(reported["attachments"][0]["url"])
    assert photo.status == 200 and photo.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(photo.body())).size == (1600, 1200)
    assert "IMG_0001" not in reported["attachments"][0]["url"]
    context.close()


def _main(html: str) -> str:
    """What the page says (its <main>), without the chrome that names the URL asked for."""
    return re.search(r"<main.*</main>", html, re.S).group(0)


def test_the_photo_is_the_same_404_out_of_scope_and_anonymous(browser, reported):
    url = reported["attachments"][0]["url"]
    context, page = _log_in(browser, "operator_b")  # the west district's operator
    out_of_scope = page.request.get(url)
    unknown = page.request.get(re.sub(r"/photos/\d+/", "/photos/999999999/", url))
    assert out_of_scope.status == unknown.status == 404
    assert _main(out_of_scope.text()) == _main(unknown.text())
    context.close()
    anonymous_context = _context(browser)
    anonymous = anonymous_context.request.get(url)
    media = anonymous_context.request.get(f"{PRODUCTION_URL}/media/cases/")
    assert anonymous.status == media.status == 404
    assert "image" not in anonymous.headers["content-type"]
    anonymous_context.close()


def test_404_page_is_chinese_with_the_navigation(browser, town):
    context, page = _log_in(browser, "operator_a")
    response = page.goto(f"{PRODUCTION_URL}/no-such-page/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "页面不存在"
    assert page.locator("nav.mainnav a").count() >= 2
    assert page.locator("a", has_text="返回首页").count() == 1
    assert page.eval_on_selector(".topbar", "el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"
    context.close()


def test_api_docs_load_their_vendored_bundle(browser, town):
    context, page = _log_in(browser, "operator_a")
    failures = _watch(page)
    page.goto(f"{PRODUCTION_URL}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert failures == []
    context.close()
