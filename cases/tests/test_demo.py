"""The demo cases (cases.demo): every state of the loop, made through the real services, the same
for the same seed, and added by seed_demo."""
from collections import Counter

import pytest
from django.core.management import call_command

from cases.demo import demo_cases_build
from cases.models import Case, CaseEvent, State, event_log_maintenance
from grids.demo import demo_city_build

pytestmark = pytest.mark.django_db


def _signature() -> list[tuple]:
    rows = Case.objects.values_list("idempotency_key", "state", "source", "urgency", "minor__code",
                                    "unit_grid__code", "department__code", "rework_count", "extension_count")
    return sorted(rows, key=lambda row: int(row[0].rsplit("-", 1)[1]))


def _forget_cases() -> None:
    with event_log_maintenance():  # the append-only log: only a maintenance context may forget it
        CaseEvent.objects.all().delete()
        Case.objects.all().delete()


def test_demo_cases_in_every_state_and_deterministic():
    demo_city_build(seed=7, scale=0.2, component_scale=0.01)
    made = demo_cases_build(seed=7, count=60)
    assert made in (60, 61)  # a merge makes its duplicate too
    states = Counter(Case.objects.values_list("state", flat=True))
    assert set(states) == set(State.values), states
    assert Case.objects.filter(state=State.CLOSED, events__action="self_handle").exists()
    assert Case.objects.filter(rework_count__gt=0).exists()
    # Every case went through the event log: one `report` event per case.
    assert CaseEvent.objects.filter(action="report").count() == Case.objects.count()
    assert demo_cases_build(seed=7, count=60) == 0  # already there: nothing added

    first = _signature()
    _forget_cases()
    demo_cases_build(seed=7, count=60)
    assert _signature() == first


def test_seed_demo_adds_the_cases(capsys):
    call_command("seed_demo", "--seed", "3", "--scale", "0.2", "--component-scale", "0.01", "--cases", "40")
    assert 40 <= Case.objects.count() <= 41
    assert "40" in capsys.readouterr().out


def test_progress_is_told_after_each_case_and_ends_full():
    demo_city_build(seed=5, scale=0.2, component_scale=0.01)
    told: list[tuple[int, int]] = []
    demo_cases_build(seed=5, count=30, progress=lambda done, total: told.append((done, total)))
    assert told[0] == (0, 30) and told[-1] == (30, 30)
    assert [done for done, _ in told] == sorted(done for done, _ in told)  # never backwards


def test_seed_demo_is_quiet_off_a_terminal(capsys):
    call_command("seed_demo", "--seed", "4", "--scale", "0.2", "--component-scale", "0.01", "--cases", "30")
    output = capsys.readouterr()
    lines = (output.out + output.err).splitlines()
    assert len(lines) < 40, lines  # the summary and the logins, not a line per case or task
    assert "#" not in output.out  # no progress bar where no one watches
