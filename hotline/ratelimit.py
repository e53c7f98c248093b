"""Rate limits of the public endpoints: django-ratelimit's counter in Django's cache (fixed windows,
one atomic increment per hit, so Redis shares them across processes) per client: the API key when
one is given, otherwise the client IP. Limits are settings like "10/h"."""
from django.conf import settings
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage
from rest_framework import status
from rest_framework.exceptions import APIException

# Why not DRF's throttling (rest_framework.throttling): its SimpleRateThrottle keeps each client's
# hit times as a list in the cache and writes it back after reading it (get, append, set), with no
# lock, so processes that read it at once each let their request through: 40 requests at once
# against "10/h" on Redis let 27 to 40 of them through, django-ratelimit's increment 10 (five
# rounds each, 2026-12, threads of one process). It would also not cover the status page, which
# is not a DRF view, nor an API key's own limit, known only once the view has looked the key up.


class RateLimited(APIException):
    """HTTP 429 with a Retry-After header (DRF's handler sets it from `wait`)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "rate_limited"

    def __init__(self, wait: int):
        self.wait = max(1, int(wait))
        super().__init__(_("提交过于频繁，请 %(wait)d 秒后再试。") % {"wait": self.wait})


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the header named by PUBLIC_CLIENT_IP_HEADER (for
    example HTTP_X_REAL_IP) when a trusted reverse proxy sets it."""
    header = getattr(settings, "PUBLIC_CLIENT_IP_HEADER", "")
    value = request.META.get(header, "") if header else ""
    return (value.split(",")[0].strip() if value else "") or request.META.get("REMOTE_ADDR", "") or "unknown"


def rate_limit_check(request, *, scope: str, ident: str, rate: str) -> None:
    """Count one hit of `ident` in `scope`; raise RateLimited when it is over `rate`."""
    usage = get_usage(request, group=f"citygrid:{scope}", key=lambda _group, _request: ident, rate=rate,
                      increment=True)
    if usage is not None and usage["should_limit"]:
        raise RateLimited(wait=usage["time_left"])  # -1 when the cache could not count: limited


def rate_limit_request(request, *, scope: str, rate: str, api_key=None) -> None:
    """Limit a public request by its API key (with the key's own hourly limit if it has one) or,
    without a key, by client IP."""
    if api_key is not None:
        if api_key.rate_limit_per_hour:
            rate = f"{api_key.rate_limit_per_hour}/h"
        rate_limit_check(request, scope=scope, ident=f"key:{api_key.pk}", rate=rate)
    else:
        rate_limit_check(request, scope=scope, ident=f"ip:{client_ip(request)}", rate=rate)
