"""`manage.py assess`: computes and prints the ranking table."""
import io

import pytest
from django.core.management import CommandError, call_command

from assessment.models import Composite, Period

from . import scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def october(city, catalogue):
    return scenario.build_october(city)


def _run(*args) -> str:
    out = io.StringIO()
    call_command("assess", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_department_table(october):
    text = _run("--period", "2026-10", "--object", "department")
    lines = text.splitlines()
    assert lines[0].startswith("Assessment 2026-10")
    assert "专业部门" in text and "按期处置率" in text
    row = next(line for line in lines if "西区环卫所" in line)
    assert row.split()[:3] == ["2", "E", "36.00"]
    assert set(Composite.objects.values_list("object_type", flat=True)) == {"department"}


def test_region_level_and_freeze(october):
    text = _run("--period", "2026-10", "--object", "grid")
    assert "单元网格" in text and "88.67" in text
    text = _run("--period", "2026-10", "--freeze")
    assert "frozen" in text.splitlines()[0] and "值班长" in text
    assert Period.objects.get(label="2026-10").is_frozen


def test_errors_are_command_errors(october):
    with pytest.raises(CommandError):
        _run("--period", "2026-13")
    with pytest.raises(CommandError):
        _run("--period", "2026-10", "--object", "mayor")
    _run("--period", "2026-10", "--freeze")
    with pytest.raises(CommandError):
        _run("--period", "2026-10", "--object", "department")  # frozen
