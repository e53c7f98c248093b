"""Rates, scores, bands, composite, grades and ranks (pure functions)."""
from decimal import Decimal as D

import pytest

from assessment.scoring import (
    ScoredItem,
    bands_validate,
    composite_of,
    grade_of,
    percent,
    ranks_of,
    rate_of,
    score_rate,
    score_volume,
    volume_factor,
)


def test_rate_zero_denominator_is_not_applicable():
    assert rate_of(0, 0) is None
    assert rate_of(5, 0) is None
    assert score_rate(None, "higher") is None
    assert rate_of(0, 5) == D("0")
    assert rate_of(2, 3) == D("0.666667")
    assert percent(rate_of(201260, 257421)) == D("78.18")


@pytest.mark.parametrize("rate, direction, score", [
    (D("0.75"), "higher", D("75.00")), (D("0.2"), "lower", D("80.00")), (D("1"), "higher", D("100.00")),
    (D("0"), "lower", D("100.00")), (D("1.5"), "lower", D("0.00")), (D("1.5"), "higher", D("100.00")),
    (D("0.666667"), "higher", D("66.67")),
])
def test_score_rate(rate, direction, score):
    assert score_rate(rate, direction) == score


def test_volume_bands_per_level_and_period_length():
    bands = {"default": [[0, 40], [1, 60], [50, 80], [200, 100]], "grid": [[0, 0], [3, 100]]}
    assert [score_volume(n, bands, "district") for n in (0, 1, 49, 50, 199, 200, 5000)] == \
        [D(40), D(60), D(60), D(80), D(80), D(100), D(100)]
    assert score_volume(2, bands, "grid") == D(0) and score_volume(3, bands, "grid") == D(100)
    assert score_volume(5, [[0, 10], [5, 90]], None) == D(90)  # a plain list applies to every level
    # A year: bounds × 365/30; a month is always × 1 whatever its length.
    assert volume_factor(31, "month") == D(1) and volume_factor(7, "week") == D("0.2333")
    year = volume_factor(365, "year")  # 12.1667: 80 from 608.3, 100 from 2433.3
    assert score_volume(600, bands, "district", year) == D(60)
    assert score_volume(609, bands, "district", year) == D(80)
    assert score_volume(2000, bands, "district", year) == D(80)
    assert score_volume(2434, bands, "district", year) == D(100)


def test_bands_validation():
    assert bands_validate({"default": [[0, 40], [10, 80]]}) == ""
    assert bands_validate([[0, 40]]) == ""
    assert bands_validate({"default": [[0, 140]]})
    assert bands_validate({"default": []})
    assert bands_validate("50")


def test_composite_weights_applicable_scores_only():
    items = [ScoredItem(D(30), D(80), False), ScoredItem(D(40), D(60), False), ScoredItem(D(10), None, False),
             ScoredItem(D(20), D(60), True), ScoredItem(D(0), D(0), False)]
    # (30×80 + 40×60 + 20×60) / 90
    assert composite_of(items) == D("66.67")
    assert composite_of([ScoredItem(D(100), D(75), False)]) == D("75.00")
    # Only a volume applies: not graded.
    assert composite_of([ScoredItem(D(20), D(60), True), ScoredItem(D(80), None, False)]) is None
    assert composite_of([]) is None


@pytest.mark.parametrize("score, grade", [
    (D("100"), "A"), (D("90"), "A"), (D("89.99"), "B"), (D("75"), "B"), (D("74.99"), "C"), (D("60"), "C"),
    (D("59.99"), "D"), (D("40"), "D"), (D("39.99"), "E"), (D("0"), "E"), (None, ""),
])
def test_grades(score, grade):
    assert grade_of(score) == grade


def test_competition_ranking_with_ties_and_unranked():
    ranks = ranks_of({1: D("80"), 2: D("90"), 3: D("80"), 4: None, 5: D("70")})
    assert ranks == {2: 1, 1: 2, 3: 2, 5: 4}
