"""Scores people trust: an object with nothing to assess is 不参评 (the catalogue's participation
threshold), never 100 or A; a score of zero reads 0.00; the unranked come after the ranked; a count
without bands is shown, not scored; `assess` prints every indicator with its weight."""
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from assessment.models import Composite, Indicator, IndicatorKind, ObjectType, Snapshot
from assessment.services import assessment_compute, catalogue_copy
from assessment.templatetags.assessment_format import composite_text, figure_text
from grids.models import Role, User

from . import scenario

pytestmark = pytest.mark.django_db
LABEL = "2026-10"


@pytest.fixture
def idle(city, catalogue):
    """A collector of responsibility grid 0 who reported nothing and had no task in October."""
    scenario.build_october(city)
    user = User.objects.create_user(username="collector_idle", password="x", role=Role.COLLECTOR,
                                    region=city.districts[0])
    city.responsibility_grids[0].collectors.add(user)
    return user


def test_nothing_to_assess_is_not_graded(city, idle):
    assessment_compute(period=LABEL, object_type=ObjectType.COLLECTOR)
    row = Composite.objects.get(object_type=ObjectType.COLLECTOR, object_id=idle.pk)
    # Its grid's missed-report rate alone (others' reports in its grid) used to grade and rank it.
    missed = Snapshot.objects.get(object_type=ObjectType.COLLECTOR, object_id=idle.pk, indicator_code="missed_rate")
    assert missed.denominator > 0 and missed.score is not None
    assert (row.participating, row.score, row.grade, row.rank) == (False, None, "", None)
    ranked = Composite.objects.filter(object_type=ObjectType.COLLECTOR, participating=True)
    assert ranked.count() == 2 and all(r.ranked_count == 2 for r in ranked)
    assert composite_text(row) == "不参评"


def test_ranking_lists_unranked_after_ranked(city, idle, manager):
    assessment_compute(period=LABEL, object_type=ObjectType.COLLECTOR)
    client = Client()
    client.force_login(manager)
    html = client.get(reverse("assessment:ranking", args=[LABEL, ObjectType.COLLECTOR])).content.decode()
    first, second = city.users["collector_a"], city.users["collector_b"]
    idle_name = idle.get_full_name() or idle.username
    positions = [html.index(name) for name in (first.get_full_name() or first.username,
                                                second.get_full_name() or second.username, idle_name)]
    assert positions[2] > max(positions[:2])
    assert "不参评" in html


def test_zero_reads_zero_and_none_reads_dash():
    assert composite_text({"score": Decimal("0.00")}) == "0.00"
    assert composite_text({"score": Decimal("7.5")}) == "7.50"
    assert composite_text({"score": None}) == "—"


def test_count_without_bands_is_shown_not_scored(city, catalogue):
    scenario.build_october(city)
    Indicator.objects.create(catalogue=catalogue, object_type=ObjectType.DEPARTMENT, code="urged_volume",
                             name="督办数", kind=IndicatorKind.COUNT, numerator="urged", weight=0, order=99)
    assessment_compute(period=LABEL, object_type=ObjectType.DEPARTMENT)
    snap = Snapshot.objects.filter(indicator_code="urged_volume").first()
    assert (snap.score, snap.applicable, figure_text(snap)) == (None, True, str(snap.numerator))


def test_assess_prints_every_indicator_with_its_weight(city, catalogue):
    scenario.build_october(city)
    out = io.StringIO()
    call_command("assess", "--period", LABEL, "--object", "department", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    for name, weight in (("立案率", 0), ("处置率", 0), ("按期处置率", 30), ("立案数", 10)):
        assert f"{name}({weight}%)" in text, name


def test_assess_with_another_catalogue(city, catalogue):
    scenario.build_october(city)
    trial = catalogue_copy(catalogue=catalogue, name="试算")
    Indicator.objects.filter(catalogue=trial, object_type=ObjectType.DEPARTMENT, code="filing_rate").update(weight=5)
    out = io.StringIO()
    call_command("assess", "--period", LABEL, "--object", "department", "--catalogue", "试算", stdout=out,
                 stderr=io.StringIO())
    assert "catalogue 试算 v1" in out.getvalue() and "立案率(5%)" in out.getvalue()
    assert set(Composite.objects.values_list("catalogue_id", flat=True)) == {trial.pk}
    err = io.StringIO()
    with pytest.raises(Exception, match="unknown --catalogue"):
        call_command("assess", "--period", LABEL, "--catalogue", "nope", stdout=io.StringIO(), stderr=err)
