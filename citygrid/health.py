"""Probes for the reverse proxy and the orchestrator: /healthz (the process answers; no database)
and /readyz (the database, the cache and the broker answer; 503 with JSON naming what failed).
Answered by a middleware at the top of the stack, before the host check, the redirect to HTTPS,
sessions and login: a probe comes over plain HTTP to the host's address, with no session. So is
Prometheus's /metrics (citygrid.metrics, which checks its own token or network)."""
from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 2


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz" or request.path == "/healthz/":
            return JsonResponse({"status": "alive"})
        if request.path == "/readyz" or request.path == "/readyz/":
            return readiness_response()
        if request.path == "/metrics":
            from citygrid.metrics import metrics_view

            return metrics_view(request)
        return self.get_response(request)


def readiness_response() -> JsonResponse:
    checks = {"database": _database, "cache": _cache, "broker": _broker}
    results: dict[str, dict] = {}
    for name, check in checks.items():
        started = time.monotonic()
        try:
            detail = check()
        except Exception as exc:  # any failure of a dependency is a "not ready", never a 500
            logger.warning("readyz: %s failed: %s", name, exc)
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            results[name] = {"ok": True, **({"detail": detail} if detail else {})}
        results[name]["ms"] = round(1000 * (time.monotonic() - started), 1)
    failed = [name for name, result in results.items() if not result["ok"]]
    # A replica that is down does not make the host unready: its reads go to the primary.
    replicas = _replicas()
    body = {"status": "unavailable" if failed else "ready", "failed": failed, "checks": results}
    if replicas:
        body["replicas"] = replicas
    return JsonResponse(body, status=503 if failed else 200)


def _database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return ""


def _cache() -> str:
    cache.set("citygrid:readyz", "1", timeout=10)
    if cache.get("citygrid:readyz") != "1":
        raise RuntimeError("the cache did not return what was just stored")
    return ""


def _broker() -> str:
    url = settings.CELERY_BROKER_URL
    if not url:
        return "no broker configured: tasks run in-process"
    if url.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
                                      socket_timeout=PROBE_TIMEOUT_SECONDS)
        try:
            client.ping()
        finally:
            client.close()
        return ""
    from kombu import Connection

    with Connection(url, connect_timeout=PROBE_TIMEOUT_SECONDS) as connection:
        connection.ensure_connection(max_retries=1)
    return ""


def _replicas() -> dict[str, dict]:
    from core.db_router import replica_aliases, replica_lag_seconds

    report: dict[str, dict] = {}
    for alias in replica_aliases():
        lag = replica_lag_seconds(alias)
        report[alias] = {"ok": lag is not None, "lag_seconds": lag}
    return report


