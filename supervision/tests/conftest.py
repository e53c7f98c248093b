"""Supervision fixtures: cases of the tiny city waiting at dispatch or with a department."""
import pytest

from cases.models import State
from cases.tests.helpers import case_build


@pytest.fixture
def disputed(city):
    """Two district-A cases nobody takes: one filed (待派遣), one dispatched to sanitation_a."""
    return {"filed": case_build(city, State.FILED, department=None),
            "dispatched": case_build(city, State.DISPATCHED)}
