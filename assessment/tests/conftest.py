"""Fixtures of the assessment tests: the active catalogue (installed if a transactional test
elsewhere flushed the migration's rows) and a builder of hand-made cases, steps, tasks and events."""
import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from assessment.catalogue import DEFAULT_CATALOGUE_NAME
from assessment.models import IndicatorCatalogue
from cases.models import Case, CaseEvent, CaseStep, Source, State, Task
from citygrid.testing import case_ids_give
from grids.models import Role, User

TZ = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 10, minute: int = 0, *, month: int = 10, year: int = 2026) -> datetime:
    """A local instant in the test month (October 2026 unless told)."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def catalogue(db):
    """The active default catalogue."""
    from assessment.services import catalogue_activate, catalogue_install_default

    existing = IndicatorCatalogue.objects.filter(name=DEFAULT_CATALOGUE_NAME).first()
    if existing is None:
        existing = catalogue_install_default(activate=True)
    elif not existing.is_active:
        existing = catalogue_activate(catalogue=existing)
    return existing


class Builder:
    """Cases with hand-set milestones, written in bulk; steps, tasks and events beside them."""

    numbers = itertools.count(1)

    def __init__(self, city):
        self.city = city
        self.cases: list[Case] = []

    def case(self, grid: int = 0, *, minor: str = "garbage", department: str | None = None, **fields) -> Case:
        unit_grid = self.city.grids[grid]
        fields.setdefault("reported_at", at(5))
        fields.setdefault("source", Source.COLLECTOR)
        fields.setdefault("state", State.REPORTED)
        case = Case(
            number=f"T{next(self.numbers):012d}", kind=self.city.classes[minor].kind, minor=self.city.classes[minor],
            lon=unit_grid.center_lon, lat=unit_grid.center_lat, unit_grid=unit_grid,
            community_id=unit_grid.community_id, street_id=unit_grid.street_id, district_id=unit_grid.district_id,
            responsibility_grid_id=unit_grid.responsibility_grid_id, description="test",
            department=self.city.departments[department] if department else None, **fields,
        )
        self.cases.append(case)
        return case

    def save(self) -> list[Case]:
        Case.objects.bulk_create(case_ids_give(self.cases))  # ids of their reported months
        saved, self.cases = self.cases, []
        return saved


AUTO = object()


def step(case, kind, *, started, minutes=30, completed=None, on_time=AUTO, by=None, department=None):
    """A clocked step; on_time follows from the deadline unless given (None = ended without a
    verdict: a return, a void, a merge)."""
    deadline = started + timedelta(minutes=minutes)
    if on_time is AUTO:
        on_time = (completed <= deadline) if completed is not None else None
    return CaseStep.objects.create(case=case, kind=kind, started_at=started, deadline=deadline,
                                   completed_at=completed, on_time=on_time, completed_by=by, department=department)


def task(case, kind, *, created, minutes=60, completed=None, by=None, created_by=None, result=True):
    return Task.objects.create(case=case, kind=kind, responsibility_grid_id=case.responsibility_grid_id,
                               created_by=created_by, created_at=created, deadline=created + timedelta(minutes=minutes),
                               completed_at=completed, completed_by=by if completed else None,
                               result=result if completed else None)


def event(case, action, when, actor=None):
    return CaseEvent.objects.create(case=case, action=action, created_at=when, actor=actor)


@pytest.fixture
def build(city):
    return Builder(city)


@pytest.fixture
def admin(db):
    """A test client signed in as a superuser, for rules configured through the admin's forms."""
    user = User.objects.create_superuser(username="root", password="x", email="r@example.org", role=Role.ADMIN)
    client = Client()
    client.force_login(user)
    return client
