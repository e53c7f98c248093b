"""Prometheus metrics at /metrics: django-prometheus's request, response and cache metrics, and the
city's own gauges, computed when Prometheus scrapes (one query each, no background thread):
outbox messages pending and the oldest one's age, the Celery queues' lengths (Redis LLEN), overdue
cases, running deadlines resting on the work calendar's weekday fallback, and each read replica's
lag. Only for METRICS_TOKEN (Authorization: Bearer …) or an address in METRICS_ALLOWED_NETWORKS."""
from __future__ import annotations

import hmac
import ipaddress
import logging
import os

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)


class CityCollector(Collector):
    def collect(self):
        from cases.calendar_health import calendar_health
        from cases.models import CLOCK_RUNNING_STATES, Case, OutboxMessage
        from core.db_router import replica_aliases, replica_lag_seconds

        now = timezone.now()
        pending = OutboxMessage.objects.filter(sent_at__isnull=True).aggregate(n=Count("pk"), oldest=Min("created_at"))
        yield GaugeMetricFamily("citygrid_outbox_pending_messages",
                                "Outbox messages not yet handed to the broker", value=pending["n"])
        yield GaugeMetricFamily("citygrid_outbox_oldest_pending_age_seconds",
                                "Age of the oldest outbox message not yet sent (0 when none)",
                                value=(now - pending["oldest"]).total_seconds() if pending["oldest"] else 0)

        queues = GaugeMetricFamily("citygrid_celery_queue_length", "Messages waiting in a Celery queue",
                                   labels=["queue"])
        for queue, length in celery_queue_lengths().items():
            queues.add_metric([queue], length)
        yield queues

        overdue = Case.objects.filter(state__in=CLOCK_RUNNING_STATES, current_deadline__lt=now).count()
        yield GaugeMetricFamily("citygrid_cases_overdue", "Open cases whose running deadline has passed",
                                value=overdue)

        health = calendar_health()  # two queries, shared with the pages for a minute
        yield GaugeMetricFamily("citygrid_calendar_fallback_running_steps",
                                "Running steps whose deadline rests on the work calendar's weekday fallback",
                                value=health.running_steps)
        yield GaugeMetricFamily("citygrid_calendar_fallback_years",
                                "Years the work calendar answers by the weekday fallback (running or coming)",
                                value=len(health.fallback_years))

        lag = GaugeMetricFamily("citygrid_replica_lag_seconds",
                                "How far a read replica is behind the primary", labels=["replica"])
        up = GaugeMetricFamily("citygrid_replica_up", "1 when the read replica answers", labels=["replica"])
        for alias in replica_aliases():
            seconds = replica_lag_seconds(alias)
            up.add_metric([alias], 0 if seconds is None else 1)
            if seconds is not None:
                lag.add_metric([alias], seconds)
        yield lag
        yield up


def celery_queue_lengths() -> dict[str, int]:
    """LLEN of every queue this installation routes to, in one round trip (Redis brokers only)."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return {}
    import redis

    names = celery_queue_names()
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        pipeline = client.pipeline(transaction=False)
        for name in names:
            pipeline.llen(name)
        lengths = pipeline.execute()
    except redis.RedisError as exc:
        logger.warning("metrics: the broker's queues could not be read: %s", exc)
        return {}
    finally:
        client.close()
    return dict(zip(names, lengths, strict=True))


def celery_queue_names() -> list[str]:
    names = {settings.CELERY_TASK_DEFAULT_QUEUE}
    for route in (getattr(settings, "CELERY_TASK_ROUTES", None) or {}).values():
        if isinstance(route, dict) and route.get("queue"):
            names.add(route["queue"])
    return sorted(names)


city_registry = CollectorRegistry(auto_describe=False)
city_registry.register(CityCollector())


def metrics_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in settings.METRICS_ALLOWED_NETWORKS)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponse("Forbidden: metrics are for METRICS_TOKEN or METRICS_ALLOWED_NETWORKS.\n",
                            status=403, content_type="text/plain; charset=utf-8")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # gunicorn's workers each count their own requests: summed from the shared directory.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry) + generate_latest(city_registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
