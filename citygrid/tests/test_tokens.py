"""Staff API tokens (citygrid.models.ApiToken, citygrid.auth.TokenAuthentication, citygrid.api_auth):
stored as a digest only and shown once, expiring, refused and deleted after a password change or a
deactivation, one query per request, and the login / logout / logoutall endpoints with the lock-out."""
import hashlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from citygrid.auth import TokenAuthentication
from citygrid.models import ApiToken
from citygrid.services import token_issue, token_revoke_all, user_deactivate
from citygrid.testing import PASSWORD
from grids.models import User

CASES = "/api/cases/"
LOGIN = "/api/auth/login/"
LOGOUT = "/api/auth/logout/"
LOGOUT_ALL = "/api/auth/logoutall/"


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def assert_refused(raw: str, message: str) -> None:
    response = bearer(raw).get(CASES)
    # 403 rather than 401: the session authentication comes first and sends no WWW-Authenticate.
    assert response.status_code in (401, 403), response.content
    assert response.json()["detail"] == message


# --- at rest ----------------------------------------------------------------------------------


def test_only_a_digest_and_the_first_characters_are_stored(collector_a):
    token, raw = token_issue(user=collector_a)
    assert raw.startswith("cgt_") and len(raw) == 4 + 64
    stored = ApiToken.objects.values().get()
    assert raw not in [str(value) for value in stored.values()]
    assert stored["digest"] == hashlib.sha512(raw.encode()).hexdigest()
    assert stored["token_key"] == raw[:15]
    assert bearer(raw).get(CASES).status_code == 200


def test_each_token_is_new(collector_a):
    raws = {token_issue(user=collector_a)[1] for _ in range(3)}
    assert len(raws) == 3 and ApiToken.objects.filter(user=collector_a).count() == 3


def test_the_admin_shows_the_first_characters_and_never_the_token(collector_a):
    superuser = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    token, raw = token_issue(user=collector_a)
    client = Client()
    client.force_login(superuser)
    listing = client.get(reverse("admin:citygrid_apitoken_changelist")).content.decode()
    page = client.get(reverse("admin:citygrid_apitoken_change", args=[token.pk])).content.decode()
    assert token.token_key in listing
    assert raw not in listing and raw not in page
    assert raw[15:30] not in listing + page
    assert client.get(reverse("admin:citygrid_apitoken_add")).status_code == 403


# --- expiry ----------------------------------------------------------------------------------


def test_a_token_expires_after_the_configured_hours(collector_a, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(hours=3)}
    before = timezone.now()
    token, raw = token_issue(user=collector_a)
    assert before + timedelta(hours=3) <= token.expiry <= timezone.now() + timedelta(hours=3)
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    assert_refused(raw, "令牌已过期，请重新登录。")
    assert not ApiToken.objects.exists()


def test_issuing_removes_the_persons_expired_tokens(collector_a, collector_b):
    old, _raw = token_issue(user=collector_a)
    other, _raw = token_issue(user=collector_b)
    ApiToken.objects.update(expiry=timezone.now() - timedelta(minutes=1))
    current, _raw = token_issue(user=collector_a)
    assert set(ApiToken.objects.values_list("pk", flat=True)) == {current.pk, other.pk}


# --- revoked by a password change or a deactivation ------------------------------------------


def test_set_password_in_code_revokes_the_tokens_issued_before(collector_a):
    _token, before = token_issue(user=collector_a)
    collector_a.set_password("A-new-pass-2026")
    collector_a.save(update_fields=["password"])
    _token, after = token_issue(user=collector_a)
    assert_refused(before, "密码已更改，请重新登录。")
    assert bearer(after).get(CASES).status_code == 200
    assert ApiToken.objects.count() == 1  # the refused one is gone for good


def test_a_password_changed_in_the_admin_revokes_the_tokens(collector_a):
    superuser = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    _token, raw = token_issue(user=collector_a)
    client = Client()
    client.force_login(superuser)
    response = client.post(reverse("admin:auth_user_password_change", args=[collector_a.pk]),
                           {"password1": "A-new-pass-2026", "password2": "A-new-pass-2026"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_refused(raw, "密码已更改，请重新登录。")


def test_a_password_changed_by_the_person_revokes_the_tokens(collector_a):
    _token, raw = token_issue(user=collector_a)
    client = Client()
    client.force_login(collector_a)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "A-new-pass-2026", "new_password2": "A-new-pass-2026"})
    assert response.status_code == 302
    assert_refused(raw, "密码已更改，请重新登录。")


def test_a_deactivated_person_is_refused(collector_a):
    _token, raw = token_issue(user=collector_a)
    collector_a.is_active = False
    collector_a.save(update_fields=["is_active"])
    assert_refused(raw, "账号已停用。")
    assert not ApiToken.objects.exists()


def test_deactivation_revokes_so_that_reactivation_brings_nothing_back(collector_a, collector_b):
    token_issue(user=collector_a)
    token_issue(user=collector_a)
    _other, other_raw = token_issue(user=collector_b)
    user_deactivate(user=collector_a)
    collector_a.refresh_from_db()
    assert not collector_a.is_active
    assert not ApiToken.objects.filter(user=collector_a).exists()
    assert bearer(other_raw).get(CASES).status_code == 200


def test_deactivating_in_the_admin_revokes_the_tokens(collector_a):
    superuser = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    request = RequestFactory().post("/")
    request.user = superuser
    user_admin = admin.site._registry[User]
    token_issue(user=collector_a)
    user_admin.save_model(request, collector_a, SimpleNamespace(changed_data=["first_name"]), change=True)
    assert ApiToken.objects.count() == 1  # an edit that leaves the person active keeps them
    collector_a.is_active = False
    user_admin.save_model(request, collector_a, SimpleNamespace(changed_data=["is_active"]), change=True)
    assert not ApiToken.objects.exists()


# --- the request ----------------------------------------------------------------------------


def test_one_query_finds_the_token_the_person_and_their_region(operator_b, django_assert_num_queries):
    _token, raw = token_issue(user=operator_b)
    request = RequestFactory().get(CASES, HTTP_AUTHORIZATION=f"Token {raw}")
    with django_assert_num_queries(1):
        user, auth = TokenAuthentication().authenticate(request)
        assert user == operator_b and user.region.code == operator_b.region.code
    assert isinstance(auth, ApiToken)


@pytest.mark.parametrize("header", [b"Token \xff\xfe", b"Token not-a-real-token", b"Token ", b"Token a b"])
def test_a_bad_token_header_is_refused_not_a_500(city, header):
    response = APIClient().get(CASES, HTTP_AUTHORIZATION=header.decode("latin-1"))
    assert response.status_code in (401, 403)
    assert response.json()["detail"]


# --- login and logout ------------------------------------------------------------------------


def test_login_issues_a_token_shown_once(collector_a):
    response = APIClient().post(LOGIN, {"username": "collector_a", "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["user"] == {"id": collector_a.pk, "username": "collector_a", "name": collector_a.get_full_name(),
                            "role": collector_a.role, "region": collector_a.region_id,
                            "department": collector_a.department_id}
    token = ApiToken.objects.get(user=collector_a)
    assert body["token"][:15] == token.token_key
    assert abs((timezone.datetime.fromisoformat(body["expiry"]) - token.expiry).total_seconds()) < 1
    assert bearer(body["token"]).get(CASES).status_code == 200
    collector_a.refresh_from_db()
    assert collector_a.last_login is not None


@pytest.mark.parametrize("body", [
    {"username": "collector_a", "password": "wrong"},
    {"username": "nobody", "password": PASSWORD},
])
def test_login_refuses_wrong_credentials(city, body):
    response = APIClient().post(LOGIN, body, format="json")
    assert response.status_code == 401
    assert response.json()["detail"] == "用户名或密码不正确。"
    assert not ApiToken.objects.exists()


def test_login_refuses_an_inactive_person(collector_a):
    collector_a.is_active = False
    collector_a.save(update_fields=["is_active"])
    response = APIClient().post(LOGIN, {"username": "collector_a", "password": PASSWORD}, format="json")
    assert response.status_code == 401 and not ApiToken.objects.exists()


def test_login_needs_both_fields(city):
    response = APIClient().post(LOGIN, {"username": "collector_a"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()


def test_api_logins_count_towards_the_lock_out(collector_a, settings):
    client = APIClient(REMOTE_ADDR="10.9.8.7")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(LOGIN, {"username": "collector_a", "password": "wrong"}, format="json").status_code == 401
    locking = client.post(LOGIN, {"username": "collector_a", "password": "wrong"}, format="json")
    assert locking.status_code == 429
    assert locking["Content-Type"] == "application/json"
    # Locked: even the right password gets no token.
    right = client.post(LOGIN, {"username": "collector_a", "password": PASSWORD}, format="json")
    assert right.status_code == 429
    assert right.json()["detail"] == "登录失败次数过多，账号已被暂时锁定，请稍后再试。"
    assert not ApiToken.objects.exists()


def test_logout_revokes_the_presented_token_only(collector_a):
    _one, phone = token_issue(user=collector_a)
    _two, tablet = token_issue(user=collector_a)
    assert bearer(phone).post(LOGOUT).status_code == 204
    assert_refused(phone, "令牌无效，请重新登录。")
    assert bearer(tablet).get(CASES).status_code == 200


def test_logoutall_revokes_every_token_of_the_person(collector_a, collector_b):
    _one, phone = token_issue(user=collector_a)
    _two, tablet = token_issue(user=collector_a)
    _three, colleague = token_issue(user=collector_b)
    assert bearer(phone).post(LOGOUT_ALL).status_code == 204
    assert_refused(tablet, "令牌无效，请重新登录。")
    assert bearer(colleague).get(CASES).status_code == 200


def test_logout_needs_a_token(collector_a):
    client = APIClient()
    client.force_login(collector_a)  # a browser session has no token to revoke
    assert client.post(LOGOUT).status_code == 401
    assert token_revoke_all(user=collector_a) == 0


def test_the_schema_documents_login_and_the_token_scheme(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    login = schema["paths"]["/api/auth/login/"]["post"]
    assert login.get("security", []) in ([], [{}])  # no credentials needed to log in
    assert set(schema["paths"]) >= {"/api/auth/login/", "/api/auth/logout/", "/api/auth/logoutall/"}
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert {"tokenAuth": []} in schema["paths"]["/api/cases/"]["get"]["security"]
