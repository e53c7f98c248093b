"""Fixtures of the case-loop tests: a settable clock and the case-loop settings pinned (the helpers
they use live in cases.tests.helpers)."""
import pytest
from django.utils import timezone

from cases.calendar import calendar_cache_clear

from .helpers import START, Clock, at


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Time stands still at START until the test moves it (clock.set / clock.advance)."""
    clock = Clock(at(START))
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture(autouse=True)
def _case_loop_settings(settings):
    """The figures the expected deadlines are computed from, whatever the environment says."""
    settings.WORK_WINDOWS = "08:30-12:00,14:00-18:00"
    settings.STEP_LIMITS_HOURS = {"accept": 0.5, "verify": 1, "file": 0.5, "dispatch": 0.5, "check": 2, "close": 0.5}
    settings.DUPLICATE_DISTANCE_M = 50
    settings.DUPLICATE_WINDOW_HOURS = 24
    settings.MAX_UPLOAD_BYTES = 8 * 1024 * 1024
    calendar_cache_clear()
    yield
    calendar_cache_clear()
