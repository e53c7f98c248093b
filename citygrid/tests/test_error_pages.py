"""The error pages (citygrid.error_pages) as DEBUG-off serves them: in the site's layout and the
person's language, with the reason where one is known and a way back; JSON under /api/ and /open311/."""
import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.urls import path

from citygrid import error_pages
from citygrid.urls import urlpatterns as project_urls


def forbidden(request):
    raise PermissionDenied("只有值班长可以结案。")


def broken(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("forbidden/", forbidden),
    path("broken/", broken),
    path("api/broken/", broken),
    *project_urls,
]
handler403 = "citygrid.error_pages.permission_denied"
handler404 = "citygrid.error_pages.page_not_found"
handler500 = "citygrid.error_pages.server_error"

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def signed_in(city, username="operator", **extra) -> Client:
    client = Client(raise_request_exception=False, **extra)
    client.force_login(city.users[username])
    return client


def test_404_in_chinese_with_the_navigation_and_a_way_back(city):
    response = signed_in(city).get("/no-such-page/", HTTP_REFERER="http://testserver/search/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "<h1 id=\"error-heading\">页面不存在</h1>" in page
    assert 'class="mainnav"' in page and 'href="/work/operator/"' in page
    assert 'href="/">返回首页' in page and 'href="http://testserver/search/">返回上一页' in page


def test_404_in_english_when_chosen(city):
    client = signed_in(city)
    client.cookies["django_language"] = "en"
    page = client.get("/no-such-page/").content.decode()
    assert "Page not found" in page and "页面不存在" not in page


def test_a_foreign_referer_is_no_way_back(city):
    page = signed_in(city).get("/no-such-page/", HTTP_REFERER="https://evil.example/").content.decode()
    assert "evil.example" not in page and "返回上一页" not in page


def test_403_gives_the_reason(city):
    response = signed_in(city).get("/forbidden/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "无权访问" in page and "只有值班长可以结案。" in page and 'class="mainnav"' in page


def test_anonymous_404_offers_the_login():
    page = Client().get("/no-such-page/").content.decode()
    assert "页面不存在" in page and 'href="/accounts/login/?next=/no-such-page/"' in page


def test_500_page_in_the_layout_and_the_api_in_json(city):
    response = signed_in(city).get("/broken/")
    assert response.status_code == 500
    assert "服务器内部错误" in response.content.decode() and 'class="mainnav"' in response.content.decode()
    api = signed_in(city).get("/api/broken/")
    assert api.status_code == 500 and api.json() == {"detail": "服务器内部错误，已记录，请稍后重试。"}


def test_500_page_falls_back_to_bare_html_when_the_layout_fails(rf, monkeypatch):
    def failing_render(*args, **kwargs):
        raise RuntimeError("template broken")

    monkeypatch.setattr(error_pages, "render", failing_render)
    response = error_pages.server_error(rf.get("/somewhere/"))
    assert response.status_code == 500 and "服务器内部错误" in response.content.decode()


@pytest.mark.parametrize(("url", "body"), [
    ("/api/no-such/", {"detail": "未找到。"}),
    ("/open311/no-such/", [{"code": 404, "description": "未找到。"}]),
])
def test_api_404_is_json(url, body):
    response = Client().get(url)
    assert response.status_code == 404 and response.json() == body


@override_settings(DEBUG=False)
def test_csrf_failure_is_a_page_of_the_site(city):
    client = Client(enforce_csrf_checks=True)
    client.force_login(city.users["operator"])
    response = client.post("/search/", {})
    page = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期" in page and "刷新" in page and 'class="mainnav"' in page
