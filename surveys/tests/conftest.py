"""Fixtures of the survey tests: a survey of the four grids of the tiny city, for both collectors."""
from datetime import timedelta

import pytest
from django.utils import timezone

from surveys import services


@pytest.fixture
def survey(city):
    today = timezone.localdate()
    return services.survey_create(
        actor=city.users["shift_leader"], name="井盖专项普查", starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=6), minor_ids=[city.classes["manhole"].pk],
        grid_ids=[grid.pk for grid in city.grids],
        collector_ids=[city.users["collector_a"].pk, city.users["collector_b"].pk])


@pytest.fixture
def task_of(survey, city):
    def find(grid: int):
        return survey.tasks.get(unit_grid=city.grids[grid])

    return find
