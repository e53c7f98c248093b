"""Rate limits of the public endpoints, counted in Django's cache (fixed windows per client: the
API key when one is given, otherwise the client IP). Limits are settings like "10/h"."""
import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class RateLimited(APIException):
    """HTTP 429 with a Retry-After header (DRF's handler sets it from `wait`)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "rate_limited"

    def __init__(self, wait: int):
        self.wait = max(1, int(wait))
        super().__init__(_("提交过于频繁，请 %(wait)d 秒后再试。") % {"wait": self.wait})


def parse_rate(rate: str) -> tuple[int, int]:
    """"10/h" → (10, 3600); also "10/hour", "100/d"."""
    count, _sep, period = str(rate).partition("/")
    return int(count), PERIODS[period.strip()[:1].lower()]


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the header named by PUBLIC_CLIENT_IP_HEADER (for
    example HTTP_X_REAL_IP) when a trusted reverse proxy sets it."""
    header = getattr(settings, "PUBLIC_CLIENT_IP_HEADER", "")
    value = request.META.get(header, "") if header else ""
    return (value.split(",")[0].strip() if value else "") or request.META.get("REMOTE_ADDR", "") or "unknown"


def rate_limit_check(*, scope: str, ident: str, rate: str, now: float | None = None) -> None:
    """Count one hit of `ident` in `scope`; raise RateLimited when it is over `rate`."""
    limit, period = parse_rate(rate)
    now = time.time() if now is None else now
    window = int(now // period)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    key = f"citygrid:rl:{scope}:{digest}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        hits = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        hits = 1
    if hits > limit:
        raise RateLimited(wait=period - int(now % period))


def rate_limit_request(request, *, scope: str, rate: str, api_key=None) -> None:
    """Limit a public request by its API key (with the key's own hourly limit if it has one) or,
    without a key, by client IP."""
    if api_key is not None:
        if api_key.rate_limit_per_hour:
            rate = f"{api_key.rate_limit_per_hour}/h"
        rate_limit_check(scope=scope, ident=f"key:{api_key.pk}", rate=rate)
    else:
        rate_limit_check(scope=scope, ident=f"ip:{client_ip(request)}", rate=rate)
