"""Fixtures of the fuzz tests: the tiny city with cases in every state, a hotline call, a callback
and a public report, so that generated ids sometimes hit real records; an API token per role."""
import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Schemathesis calls the WSGI app directly, not through Django's test client, so Django's
    request signals would close the database connection at the end of each request — inside the
    test's transaction (on PostgreSQL the next query then fails). Keep the connection open, as
    django.test.Client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_city(city):
    from cases.models import State
    from cases.services import case_report
    from cases.tests.helpers import case_build
    from citygrid.testing import point_in
    from hotline.models import Callback
    from hotline.services import call_log, public_report

    users = city.users
    garbage = city.classes["garbage"]
    city.cases = [case_build(city, state, grid=grid, department="sanitation_a" if grid < 2 else "sanitation_b")
                  for state in State.values for grid in (0, 2)]
    lon, lat = point_in(1, dx=0.9)
    city.cases.append(case_report(actor=users["collector_a"], source="collector", minor_id=garbage.pk, lon=lon,
                                  lat=lat, description="暴露垃圾", reporter_name="张三",
                                  reporter_phone="13800000000").case)
    lon, lat = point_in(3, dx=0.9)
    city.public_report = public_report(channel="web", minor_id=garbage.pk, lon=lon, lat=lat, description="路边垃圾",
                                       contact_name="李四", contact_phone="13900000000").report
    lon, lat = point_in(0, dx=0.1)
    city.call = call_log(actor=users["hotline_agent"], channel="12319", phone="13700000000",
                         content="井盖缺失", caller_name="王五", minor_id=city.classes["manhole"].pk,
                         lon=lon, lat=lat).call
    closed = next(case for case in city.cases if case.state == State.CLOSED)
    city.callback = Callback.objects.create(case=closed, case_closed_at=closed.closed_at, created_at=closed.closed_at,
                                            due_at=closed.closed_at)
    return city


@pytest.fixture
def token_of(fuzz_city):
    """token_of("operator") → the value of an Authorization header for that person: a new token on
    every call, since a generated call of /api/auth/logout/ revokes the one it was sent with."""
    from citygrid.services import token_issue

    def make(username: str) -> str:
        return f"Token {token_issue(user=fuzz_city.users[username])[1]}"

    return make
