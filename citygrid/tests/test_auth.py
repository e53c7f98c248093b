"""citygrid.auth's session backend: the person of a session comes with their region in one query."""
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

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
        response = client.get(reverse("cases:search"))  # a list scoped by the person's district
    assert response.status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert any('INNER JOIN "grids_region"' in q or 'LEFT OUTER JOIN "grids_region"' in q
               for q in sql if 'FROM "grids_user"' in q)
    assert not any(q.startswith('SELECT "grids_region"') and '"grids_region"."id" = ' in q for q in sql)
