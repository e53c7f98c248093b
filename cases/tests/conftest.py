"""Fixtures of the case-loop tests: the case-loop settings pinned, and `act`, one move through
cases.workflow. The clock fixture is the root conftest's; the helpers live in cases.tests.helpers."""
import pytest

from cases import workflow
from cases.calendar import calendar_cache_clear


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


@pytest.fixture
def act(city):
    """act("dispatch", "dispatcher", case, department_id=…): one move through cases.workflow."""

    def move(action: str, by: str, case, **arguments):
        return workflow.ACTIONS[action](actor=city.users[by], case_id=case.pk, **arguments)

    return move
