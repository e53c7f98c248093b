"""Root fixtures: the tiny test city, one fixture per role, API clients, a settable clock, and the
database markers."""
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from citygrid.testing import START, Clock, at, tiny_city_build


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://…)")
    skip_broker = pytest.mark.skip(reason="needs a real broker (set CELERY_BROKER_URL=redis://…)")
    skip_replica = pytest.mark.skip(reason="needs a streaming replica (DATABASE_REPLICA_URLS; .ci/replica starts one)")
    has_replica = any(alias.startswith("replica_") for alias in settings.DATABASES)
    for item in items:
        if "postgres" in item.keywords and not settings.USING_POSTGRES:
            item.add_marker(skip_pg)
        if "broker" in item.keywords and not settings.CELERY_BROKER_URL:
            item.add_marker(skip_broker)
        if "replica" in item.keywords and not has_replica:
            item.add_marker(skip_replica)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def city(db):
    from cases.calendar import calendar_cache_clear

    calendar_cache_clear()
    return tiny_city_build()


def _role(name):
    @pytest.fixture
    def fixture(city):
        return city.users[name]

    return fixture


operator = _role("operator")
shift_leader = _role("shift_leader")
dispatcher = _role("dispatcher")
manager = _role("manager")
hotline_agent = _role("hotline_agent")
handler_a = _role("handler_a")
handler_b = _role("handler_b")
collector_a = _role("collector_a")
collector_b = _role("collector_b")
operator_b = _role("operator_b")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_as(city):
    """client_as("operator") → an APIClient logged in as that person of the tiny city."""

    def make(username: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(city.users[username])
        return client

    return make


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Time stands still at START until the test moves it (clock.set / clock.advance)."""
    clock = Clock(at(START))
    monkeypatch.setattr(timezone, "now", clock)
    return clock
