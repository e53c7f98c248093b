"""citygrid.auth's session backend and the session store: the person of a session comes with their
region in one query, and with a shared cache the session is read from it (a query fewer per page)
while a logout still ends it everywhere."""
import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from citygrid.auth import PasswordBackend

PASSWORD = "Zx9-shift-leader-pass"


@pytest.fixture
def district_operator(city):
    return city.users["operator_b"]


def test_the_session_person_comes_with_their_region(district_operator, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = PasswordBackend().get_user(district_operator.pk)
        assert user == district_operator
        assert user.region.code == district_operator.region.code


def test_no_person_for_an_unknown_or_inactive_id(operator):
    assert PasswordBackend().get_user(10**9) is None
    operator.is_active = False
    operator.save(update_fields=["is_active"])
    assert PasswordBackend().get_user(operator.pk) is None


def _login(client: Client, user) -> None:
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    response = client.post(settings.LOGIN_URL, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]


def test_a_password_login_is_held_by_our_backend(district_operator):
    client = Client()
    _login(client, district_operator)
    assert client.session["_auth_user_backend"] == "citygrid.auth.PasswordBackend"
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code in (200, 302)
    assert not any('FROM "grids_region" WHERE "grids_region"."id" =' in q["sql"] for q in queries.captured_queries)


def _redis_cache() -> str:
    broker = urlsplit(settings.CELERY_BROKER_URL)
    return f"redis://{broker.hostname}:{broker.port or 6379}/13"


@pytest.mark.broker
def test_with_a_shared_cache_pages_read_the_session_from_it_and_a_logout_ends_it(district_operator, settings):
    import redis

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": _redis_cache()}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    redis.Redis.from_url(_redis_cache()).flushdb()
    try:
        client = Client()
        _login(client, district_operator)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code in (200, 302)
        assert not any("django_session" in q["sql"] for q in queries.captured_queries)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

        client.post("/accounts/logout/")
        other_worker = Client()  # the old cookie, as another worker would see it: neither cache nor table has it
        other_worker.cookies[settings.SESSION_COOKIE_NAME] = cookie
        response = other_worker.get("/")
        assert response.status_code == 302 and settings.LOGIN_URL in response["Location"]
    finally:
        redis.Redis.from_url(_redis_cache()).flushdb()


@pytest.mark.parametrize(("cache_url", "engine"), [
    ("redis://127.0.0.1:6379/1", "django.contrib.sessions.backends.cached_db"),
    ("", "django.contrib.sessions.backends.db"),  # a per-process cache never holds sessions
])
def test_sessions_are_cached_only_in_a_shared_cache(cache_url, engine):
    env = {k: v for k, v in os.environ.items() if k != "CACHE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="citygrid.settings", CACHE_URL=cache_url)
    code = ("import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps([s.SESSION_ENGINE, s.CACHES['default']['BACKEND']]))")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            cwd=settings.BASE_DIR, timeout=120)
    assert result.returncode == 0, result.stderr
    session_engine, cache = json.loads(result.stdout.strip().splitlines()[-1])
    assert session_engine == engine
    assert ("Redis" in cache) == bool(cache_url)
