"""Citizens' phone numbers: normalised to digits (how the intake stores them) and masked for
display (138****5678). Shared by the hotline and rewards, which both know citizens by phone."""
from django.utils.translation import gettext as _

from core.errors import ApplicationError


def phone_normalize(raw: str) -> str:
    """Digits only, without the +86 / 0086 country prefix; 5 to 20 digits."""
    text = (raw or "").strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("+86") or (digits.startswith("0086") and len(digits) > 12):
        digits = digits[2:] if text.startswith("+86") else digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not 5 <= len(digits) <= 20:
        raise ApplicationError(_("电话号码“%(phone)s”无效。") % {"phone": raw}, extra={"field": "phone"})
    return digits


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; a landline 073188123456 → 073*****3456; short numbers keep only
    their last two digits."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if len(phone) >= 8:
        return phone[:3] + "*" * max(4, len(phone) - 7) + phone[-4:]
    return "*" * (len(phone) - 2) + phone[-2:] if len(phone) > 2 else "*" * len(phone)
