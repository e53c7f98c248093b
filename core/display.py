"""How values are written for people, the same on every page, export and API: a person's name
(family name first, as Chinese names are written) and a rate as a percentage."""
import re
from decimal import ROUND_HALF_UP, Decimal

DASH = "—"
# Han ideographs (with extension A and the compatibility block): a name written in them follows
# the Chinese order, family name then given name, with no space between.
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def person_name(*, family: str, given: str) -> str:
    """'孙' + '波玉' → '孙波玉'; a name in Latin letters keeps its own order with a space
    ('Anna' + 'Li' → 'Anna Li'). Empty when both parts are empty."""
    family, given = (family or "").strip(), (given or "").strip()
    if _HAN.search(family + given):
        return f"{family}{given}"
    return " ".join(part for part in (given, family) if part)


def percent_text(rate, *, places: int = 2) -> str:
    """A rate (a fraction, 0.6667) as a percentage with two decimals: '66.67%'; '—' for none
    (a rate without a denominator)."""
    if rate is None or rate == "":
        return DASH
    quantum = Decimal(1).scaleb(-places)
    value = (Decimal(str(rate)) * 100).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{value}%"
