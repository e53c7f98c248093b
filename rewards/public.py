"""The citizen's own statement in the public channel: asked with the phone and the number of one
of the citizen's reports (the receipt they were given), rate-limited per client address like the
public progress lookup. The phone is shown masked whatever is typed."""
from django.conf import settings
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from cases.models import Case
from core.errors import ApplicationError, NotFoundError
from core.phones import phone_normalize

from . import selectors


def _client_ip(request) -> str:
    header = getattr(settings, "PUBLIC_CLIENT_IP_HEADER", "")
    value = request.META.get(header, "") if header else ""
    return (value.split(",")[0].strip() if value else "") or request.META.get("REMOTE_ADDR", "") or "unknown"


def public_statement(request, *, phone: str, case_number: str) -> selectors.Statement:
    """The statement of the citizen whose report `case_number` gave `phone`; the same 404 for a
    wrong number and for a number of someone else's, so neither tells whose phone it is."""
    usage = get_usage(request, group="citygrid:rewards-statement",
                      key=lambda _group, _request: f"ip:{_client_ip(request)}",
                      rate=settings.PUBLIC_LOOKUP_RATE_LIMIT, increment=True)
    if usage is not None and usage["should_limit"]:
        raise ApplicationError(_("查询过于频繁，请稍后再试。"), status_code=429)
    digits = phone_normalize(phone)
    number = (case_number or "").strip()
    if not number:
        raise ApplicationError(_("请填写您上报案件的编号。"), extra={"field": "case_number"})
    if not Case.objects.filter(number=number, reporter_phone=digits).exists():
        raise NotFoundError(_("没有找到与该电话对应的案件编号，请核对后再查。"))
    return selectors.statement(digits, viewer=None)
