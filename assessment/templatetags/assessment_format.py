"""One number format for every assessment figure: scores with two decimals (0.00, never "—" for a
zero), rates as percentages with their indicator's decimals, "不参评" for an object below its
catalogue's participation threshold, "不适用" for a rate without a denominator."""
from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

register = template.Library()
DASH = "—"


def score_text(value) -> str:
    if value is None or value == "":
        return DASH
    return f"{Decimal(value):.2f}"


def composite_text(row) -> str:
    """The composite score of a result row (a Composite, or a dict with score and participating)."""
    participating = row.get("participating", True) if isinstance(row, dict) else getattr(row, "participating", True)
    if not participating:
        return _("不参评")
    return score_text(row.get("score") if isinstance(row, dict) else getattr(row, "score", None))


def figure_text(snapshot) -> str:
    """The published figure of an indicator snapshot, per its kind."""
    if snapshot is None:
        return DASH
    kind = getattr(snapshot, "kind", "ratio" if snapshot.denominator_key else "count")
    if kind == "count":
        return str(snapshot.numerator)
    if kind in ("deduction", "bonus"):
        return score_text(snapshot.score)
    if kind in ("average", "median"):  # working hours
        value = getattr(snapshot, "value", None)
        return _("不适用") if value is None else _("%(hours)s 小时") % {"hours": _trim(value)}
    if snapshot.rate is None:
        return _("不适用")
    value = snapshot.value if getattr(snapshot, "value", None) is not None else snapshot.rate * 100
    return f"{_trim(value)}%"


def _trim(value) -> str:
    """A stored value (six places) shown with the places it was rounded to (at least two)."""
    text = f"{Decimal(value):f}"
    if "." not in text:
        return text + ".00"
    whole, fraction = text.split(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{whole}.{fraction}"


register.filter("score", score_text)
register.filter("composite", composite_text)
register.filter("figure", figure_text)


@register.filter
def rank_text(row) -> str:
    if not getattr(row, "participating", True):
        return _("不参评")
    return str(row.rank) if getattr(row, "rank", None) else DASH


@register.filter
def change(value) -> str:
    """A signed change (+5.72, −1.00, 0.00), "—" when there is nothing to compare with."""
    if value is None:
        return DASH
    value = Decimal(value).quantize(Decimal("0.01"))
    return f"+{value}" if value > 0 else (f"−{-value}" if value < 0 else "0.00")
