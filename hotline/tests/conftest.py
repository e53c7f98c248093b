"""Fixtures of the hotline tests: the hotline settings pinned, an empty cache (rate limits count in
it), and a client per role for the pages. The clock fixture is the root conftest's."""
import pytest
from django.core.cache import cache

from cases.calendar import calendar_cache_clear


@pytest.fixture(autouse=True)
def _hotline_settings(settings):
    settings.WORK_WINDOWS = "08:30-12:00,14:00-18:00"
    settings.STEP_LIMITS_HOURS = {"accept": 0.5, "verify": 1, "file": 0.5, "dispatch": 0.5, "check": 2, "close": 0.5}
    settings.DUPLICATE_DISTANCE_M = 50
    settings.HOTLINE_JOIN_DISTANCE_M = 50
    settings.HOTLINE_FEEDBACK_LIMIT_HOURS = 8
    settings.HOTLINE_CALLBACK_LIMIT_HOURS = 24
    settings.HOTLINE_AUTO_FEEDBACK = False
    settings.HOTLINE_FEEDBACK_GATEWAY = "hotline.gateways.LoggingGateway"
    settings.PUBLIC_REPORT_RATE_LIMIT = "100/h"
    settings.PUBLIC_LOOKUP_RATE_LIMIT = "100/h"
    settings.PUBLIC_REPORT_REQUIRE_API_KEY = False
    settings.PUBLIC_CLIENT_IP_HEADER = ""
    cache.clear()
    calendar_cache_clear()
    yield
    cache.clear()
    calendar_cache_clear()


@pytest.fixture
def page_as(city, client):
    """page_as("operator") → Django's test client logged in as that person (for the pages)."""

    def make(username: str):
        client.force_login(city.users[username])
        return client

    return make
