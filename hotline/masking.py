"""Masking of citizens' personal data: phone numbers like 138****5678, names like 张*. Hotline
agents and administrators see them in full; everyone else, in the API, the pages and the admin,
sees them masked."""
import re

from core.phones import mask_phone  # noqa: F401  (hotline.masking.mask_phone, as before)
from grids.selectors import can_see_personal_data

_DIGITS = re.compile(r"\d")


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***; an empty name stays empty."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def phone_for(user, phone: str) -> str:
    return phone if can_see_personal_data(user) else mask_phone(phone)


def name_for(user, name: str) -> str:
    return name if can_see_personal_data(user) else mask_name(name)


_LONG_DIGIT_RUN = re.compile(r"(?<!\d)(\+?\d[\d\- ]{5,}\d)(?!\d)")


def redact_digits(text: str) -> str:
    """Mask runs of 7+ digits (phone, ID and plate-like numbers) in free text published to the
    public: a citizen's description may carry their own number."""

    def replace(match: re.Match) -> str:
        run = match.group(1)
        if len(_DIGITS.findall(run)) < 7:
            return run
        return _DIGITS.sub("*", run[:-4]) + run[-4:] if len(run) > 4 else "*" * len(run)

    return _LONG_DIGIT_RUN.sub(replace, text or "")
