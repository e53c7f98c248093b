"""From counters to scores: rates (None when the denominator is zero: "not applicable", never a
fake 100 %), 0–100 scores (rate × 100, (1 − rate) × 100 for lower-is-better, volume bands), the
weighted composite, the grade and the rank. Pure functions of numbers, no database."""
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.utils.translation import gettext as _

RATE_PLACES = Decimal("0.000001")
SCORE_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)
GRADES = [(Decimal(90), "A"), (Decimal(75), "B"), (Decimal(60), "C"), (Decimal(40), "D")]
GRADE_E = "E"
# The indicator's rounding (Indicator.rounding) → the decimal module's mode. Truncation is toward
# zero (a city that "drops the rest" publishes 78.18 for 78.189).
ROUNDINGS = {"half_up": ROUND_HALF_UP, "truncate": ROUND_DOWN, "bankers": ROUND_HALF_EVEN}


def round_to(value: Decimal, decimals: int, rounding: str = "half_up") -> Decimal:
    return value.quantize(Decimal(1).scaleb(-int(decimals)), ROUNDINGS.get(rounding, ROUND_HALF_UP))


def ratio_figure(numerator: int, denominator: int, decimals: int = 2, rounding: str = "half_up") -> Decimal | None:
    """The published percentage of numerator / denominator, from the exact fraction (not from a
    rounded rate: no double rounding), with the indicator's decimals and rounding."""
    if not denominator:
        return None
    return round_to(Decimal(numerator) * HUNDRED / Decimal(denominator), decimals, rounding)


def score_ratio(numerator: int, denominator: int, direction: str, rounding: str = "half_up") -> Decimal | None:
    """The 0–100 score of a ratio (the percentage, or 100 − it when lower is better), from the exact
    fraction, to two places with the indicator's rounding."""
    if not denominator:
        return None
    share = Decimal(numerator) * HUNDRED / Decimal(denominator)
    raw = HUNDRED - share if direction == "lower" else share
    return round_to(min(HUNDRED, max(Decimal(0), raw)), 2, rounding)


def adjustment_of(count: int, points, cap, *, bonus: bool) -> Decimal:
    """Points of a deduction (negative) or bonus (positive) item: points per occurrence, at most
    `cap` (None: no cap)."""
    total = Decimal(count) * Decimal(points or 0)
    if cap is not None:
        total = min(total, Decimal(cap))
    total = total.quantize(SCORE_PLACES, ROUND_HALF_UP)
    return total if bonus else -total


def target_met(value: Decimal | None, target: Decimal | None, direction: str) -> bool | None:
    """Whether the figure reaches its target (None without either)."""
    if value is None or target is None:
        return None
    return value <= target if direction == "lower" else value >= target


def rate_of(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, ROUND_HALF_UP)


def percent(rate: Decimal | None) -> Decimal | None:
    """The rate as a percentage with two decimals (78.18), as cities publish it."""
    return None if rate is None else (rate * HUNDRED).quantize(SCORE_PLACES, ROUND_HALF_UP)


def _clamp(value: Decimal) -> Decimal:
    return min(HUNDRED, max(Decimal(0), value)).quantize(SCORE_PLACES, ROUND_HALF_UP)


def score_rate(rate: Decimal | None, direction: str) -> Decimal | None:
    if rate is None:
        return None
    return _clamp((Decimal(1) - rate) * HUNDRED if direction == "lower" else rate * HUNDRED)


def bands_for_level(bands, level: str | None) -> list:
    if isinstance(bands, list):
        return bands
    if not isinstance(bands, dict):
        return []
    return bands.get(level or "", bands.get("default", []))


def bands_validate(bands) -> str:
    """'' when the bands are well formed, else the problem in words."""
    tables = [bands] if isinstance(bands, list) else list(bands.values()) if isinstance(bands, dict) else None
    if tables is None:
        return _("分档应为列表或按层级的字典。")
    for table in tables:
        if not isinstance(table, list) or not table:
            return _("每个分档表应为非空列表，如 [[0, 40], [10, 80]]。")
        for pair in table:
            if (not isinstance(pair, list | tuple) or len(pair) != 2
                    or not all(isinstance(x, int | float) for x in pair) or not 0 <= pair[1] <= 100):
                return _("分档项应为 [下限, 得分]，得分在 0–100 之间：%(pair)s") % {"pair": pair}
    return ""


def score_volume(value: int, bands, level: str | None, factor: Decimal = Decimal(1)) -> Decimal:
    """The score of the highest band whose lower bound (a monthly figure, × factor for other
    period lengths) the value reaches; 0 below the first band."""
    table = sorted(bands_for_level(bands, level), key=lambda pair: pair[0])
    score = Decimal(0)
    for lower, band_score in table:
        if Decimal(value) >= Decimal(str(lower)) * factor:
            score = Decimal(str(band_score))
    return _clamp(score)


def duration_hours(minutes: Decimal | None, decimals: int = 2, rounding: str = "half_up") -> Decimal | None:
    """Working minutes (an exact average or median) as the published hours."""
    if minutes is None:
        return None
    return round_to(Decimal(minutes) / Decimal(60), decimals, rounding)


def score_duration(hours: Decimal | None, bands, level: str | None, direction: str) -> Decimal | None:
    """The score of a duration by its bands ([hours, score] pairs): lower is better, the score of
    the first band whose hours the duration does not exceed (0 beyond the last); higher is better,
    as a volume's bands. None without a duration or without bands."""
    if hours is None or not bands:
        return None
    table = sorted(bands_for_level(bands, level), key=lambda pair: pair[0])
    if direction != "lower":
        return score_volume(hours, bands, level)
    for bound, band_score in table:
        if hours <= Decimal(str(bound)):
            return _clamp(Decimal(str(band_score)))
    return _clamp(Decimal(0))


def volume_factor(days: int, kind: str) -> Decimal:
    """Bands are set for a month; a week, quarter or year scales them by its length."""
    if kind == "month":
        return Decimal(1)
    return (Decimal(days) / Decimal(30)).quantize(Decimal("0.0001"))


class ScoredItem(NamedTuple):  # a tuple: made for every object assessed, 20,000 a month
    weight: Decimal
    score: Decimal | None
    is_volume: bool
    is_adjustment: bool = False


def composite_of(items: list[ScoredItem]) -> Decimal | None:
    """Weighted mean of the applicable weighted scores (weights re-normalised over them), then the
    deduction and bonus items' points added, within 0–100. None when no weighted rate applies: a
    volume alone does not grade an object that had nothing to do."""
    weighted = [item for item in items if item.weight > 0 and item.score is not None and not item.is_adjustment]
    if not any(not item.is_volume for item in weighted):
        return None
    total = sum((item.weight for item in weighted), Decimal(0))
    mean = sum((item.weight * item.score for item in weighted), Decimal(0)) / total
    adjustments = sum((item.score for item in items if item.is_adjustment and item.score is not None), Decimal(0))
    return _clamp(mean + adjustments)


def grade_of(score: Decimal | None) -> str:
    if score is None:
        return ""
    for threshold, grade in GRADES:
        if score >= threshold:
            return grade
    return GRADE_E


def ranks_of(scores: dict[int, Decimal | None]) -> dict[int, int]:
    """Competition ranking (1, 2, 2, 4) by score, highest first; objects without a score are not
    ranked."""
    ordered = sorted(((score, key) for key, score in scores.items() if score is not None),
                     key=lambda pair: (-pair[0], pair[1]))
    ranks: dict[int, int] = {}
    previous, rank = None, 0
    for position, (score, key) in enumerate(ordered, start=1):
        if score != previous:
            rank, previous = position, score
        ranks[key] = rank
    return ranks
