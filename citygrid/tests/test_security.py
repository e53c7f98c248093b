"""Security settings that a regression would silently undo: login lock-out, refusing the default
secret key, password validators, `check --deploy` with production settings, and the
Content-Security-Policy (header, and no inline script, handler or style left in the pages)."""
import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from core.csp import tile_source
from grids.models import User


@pytest.mark.django_db
def test_login_locks_out_after_repeated_failures(client):
    User.objects.create_user(username="seat7", password="a-Long-pass-2026")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "seat7", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    # The failure that reaches the limit locks the account for this address at once.
    assert client.post(reverse("login"), {"username": "seat7", "password": "wrong"}).status_code == 429
    locked = client.post(reverse("login"), {"username": "seat7", "password": "a-Long-pass-2026"})
    assert locked.status_code == 429
    assert "已被暂时锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_correct_login_passes(client):
    User.objects.create_user(username="seat8", password="a-Long-pass-2026")
    response = client.post(reverse("login"), {"username": "seat8", "password": "a-Long-pass-2026"})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_refuses_to_start_on_the_default_secret_key_with_debug_off():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update(DEBUG="0", DJANGO_SETTINGS_MODULE="citygrid.settings")
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env,
                            capture_output=True, text=True, cwd=settings.BASE_DIR)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_password_validators_are_on():
    names = {validator["NAME"].rsplit(".", 1)[1] for validator in settings.AUTH_PASSWORD_VALIDATORS}
    assert {"MinimumLengthValidator", "CommonPasswordValidator", "NumericPasswordValidator"} <= names


def production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           # DJANGO_ALLOW_ASYNC_UNSAFE: set by the e2e conftest for Playwright; never in production.
           if k not in {"DATABASE_URL", "DEBUG", "SECRET_KEY", "CELERY_BROKER_URL", "CACHE_URL",
                        "DJANGO_ALLOW_ASYNC_UNSAFE"}
           and not k.startswith(("SECURE_", "CSP_"))}
    env.update(DJANGO_SETTINGS_MODULE="citygrid.settings", DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50),
               ALLOWED_HOSTS="citygrid.example.gov.cn", CSRF_TRUSTED_ORIGINS="https://citygrid.example.gov.cn",
               SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO", SECURE_SSL_REDIRECT="1")
    env.update(extra)
    return env


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            env=production_env(), capture_output=True, text=True, cwd=settings.BASE_DIR,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_harden_cookies_and_transport():
    code = ("import django, json; django.setup(); from django.conf import settings as s; print(json.dumps(["
            "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY,"
            "s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE, s.SECURE_HSTS_SECONDS >= 31536000,"
            "s.SECURE_SSL_REDIRECT, list(s.SECURE_PROXY_SSL_HEADER), s.X_FRAME_OPTIONS]))")
    result = subprocess.run([sys.executable, "-c", code], env=production_env(), capture_output=True, text=True,
                            cwd=settings.BASE_DIR, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '[true, true, true, true, "Lax", "Lax", true, true, ["HTTP_X_FORWARDED_PROTO", "https"], "DENY"]'
    )


@pytest.mark.django_db
def test_https_behind_the_proxy_gets_hsts_and_plain_http_is_redirected(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    plain = client.get("/accounts/login/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    secure = client.get("/accounts/login/", headers={"x-forwarded-proto": "https"})
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")


# --- Content-Security-Policy -------------------------------------------------------------------------

def directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_every_response_has_the_policy(client, operator):
    client.force_login(operator)
    for url in ("/accounts/login/", "/work/operator/", "/api/cases/cases/", "/no-such-page/"):
        policy = directives(client.get(url)["Content-Security-Policy"])
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
        assert policy["img-src"] == ["'self'", "data:", "blob:"]


@pytest.mark.django_db
def test_the_tile_server_is_allowed_for_images(client, settings):
    settings.MAP_TILE_URL = "https://{s}.tiles.city.gov.cn:8443/osm/{z}/{x}/{y}.png"
    policy = directives(client.get("/accounts/login/")["Content-Security-Policy"])
    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://*.tiles.city.gov.cn:8443"]


@pytest.mark.parametrize(("url", "source"), [
    ("", None),
    ("/tiles/{z}/{x}/{y}.png", None),
    ("http://tiles.intranet/{z}/{x}/{y}.png", "http://tiles.intranet"),
    ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
])
def test_tile_source(url, source):
    assert tile_source(url) == source


@pytest.mark.django_db
def test_docs_and_charts_relax_styles_only_on_their_own_paths(admin_client):
    docs = directives(admin_client.get("/api/docs/")["Content-Security-Policy"])
    assert docs["style-src"] == ["'self'", "'unsafe-inline'"]
    assert docs["script-src"] == ["'self'"]
    page = admin_client.get("/api/docs/").content.decode()
    assert "<script>" not in page  # the start-up script comes from /api/docs/?script
    script = admin_client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
    redoc = admin_client.get("/api/redoc/")
    assert "<script>" not in redoc.content.decode() and "fonts.googleapis" not in redoc.content.decode()
    assert directives(redoc["Content-Security-Policy"])["script-src"] == ["'self'"]
    assert directives(admin_client.get("/api/schema/")["Content-Security-Policy"])["style-src"] == ["'self'"]
    charts = directives(admin_client.get("/assessment/")["Content-Security-Policy"])
    assert charts["style-src-attr"] == ["'unsafe-inline'"]  # ECharts' hover styles
    assert charts["style-src"] == ["'self'"] and charts["script-src"] == ["'self'"]


def test_path_overrides_apply_under_a_deployment_prefix(rf):
    """Served below a prefix (SCRIPT_NAME=/citygrid), the docs still get their own policy."""
    from django.http import HttpResponse

    from core.csp import ContentSecurityPolicyMiddleware

    request = rf.get("/api/docs/", SCRIPT_NAME="/citygrid")
    assert request.path == "/citygrid/api/docs/"
    response = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())(request)
    assert directives(response["Content-Security-Policy"])["style-src"] == ["'self'", "'unsafe-inline'"]


@pytest.mark.django_db
def test_report_only_mode(client, settings):
    # What CSP_REPORT_ONLY=1 does in citygrid/settings.py.
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None
    response = client.get("/accounts/login/")
    assert "Content-Security-Policy" not in response
    assert "script-src 'self'" in response["Content-Security-Policy-Report-Only"]


INLINE_CODE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>"  # an inline script block
    r"|\son[a-z]+\s*=\s*[\"']"                                      # an event handler attribute
    r"|\sstyle\s*=\s*[\"']"                                         # a style attribute
    r"|\shx-on[:-]|javascript:",                                    # htmx's eval'd handlers, js: URLs
    re.IGNORECASE,
)


def test_no_inline_script_handler_or_style_in_the_templates():
    root = Path(settings.BASE_DIR)
    found = []
    for app in ("citygrid", "grids", "cases", "hotline", "assessment"):
        for template in sorted((root / app / "templates").rglob("*.html")):
            for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
                if INLINE_CODE.search(line):
                    found.append(f"{template.relative_to(root)}:{number}: {line.strip()[:120]}")
    assert not found, "inline code the Content-Security-Policy blocks:\n" + "\n".join(found)


class InlineCodeFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src") and attributes.get("type") != "application/json":
            self.found.append(f"inline <script> {attributes}")
        for name, value in attrs:
            if name.startswith("on") or name == "style" or name.startswith("hx-on") or (
                    name in {"href", "src", "action"} and (value or "").strip().lower().startswith("javascript:")):
                self.found.append(f"<{tag} {name}={value!r}>")


@pytest.mark.django_db
def test_rendered_pages_carry_no_inline_code(client, city):
    from cases.tests.helpers import photo, report

    case = report(city, photos=[photo()])
    pages = {
        "operator": ["/work/operator/", f"/cases/{case.pk}/", "/overview/", "/cases/new/", "/search/"],
        "hotline_agent": ["/hotline/", "/hotline/callbacks/"],
        "handler_a": ["/work/department/"],
        "collector_a": ["/work/collector/"],
    }
    for role, urls in pages.items():
        client.force_login(city.users[role])
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            finder = InlineCodeFinder()
            finder.feed(response.content.decode())
            assert not finder.found, (url, finder.found)


@pytest.mark.django_db
def test_report_only_mode_keeps_the_path_overrides_and_the_tile_host(client, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None
    settings.MAP_TILE_URL = "https://tiles.city.gov.cn/{z}/{x}/{y}.png"
    response = client.get("/api/docs/")
    policy = directives(response["Content-Security-Policy-Report-Only"])
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://tiles.city.gov.cn"]


def test_a_views_own_replace_wins_over_its_paths(rf):
    from csp.decorators import csp_replace
    from django.http import HttpResponse

    from core.csp import ContentSecurityPolicyMiddleware

    view = csp_replace({"style-src": ["'self'", "https://fonts.city.gov.cn"]})(lambda request: HttpResponse())
    response = ContentSecurityPolicyMiddleware(view)(rf.get("/api/docs/"))
    assert directives(response["Content-Security-Policy"])["style-src"] == ["'self'", "https://fonts.city.gov.cn"]
