"""Operating on many hosts: the probes (citygrid.health), the Prometheus metrics (citygrid.metrics)
and the request id on log lines and into Celery tasks (core.request_id)."""
import json
import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case, OutboxMessage, State
from citygrid import metrics
from citygrid.testing import point_in
from core import request_id
from core.request_id import RequestIdLogFilter, logging_config

# --- probes --------------------------------------------------------------------------------------


def test_healthz_answers_without_the_database_a_host_or_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["citygrid.example"]
    # No django_db mark: a query would raise.
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")  # the probe's own address
    assert response.status_code == 200 and response.json() == {"status": "alive"}


@pytest.mark.django_db
def test_readyz_names_what_it_checked(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/readyz", HTTP_HOST="10.0.0.7:8000")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ready" and body["failed"] == []
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db
def test_readyz_is_503_naming_the_database_cache_or_broker_that_failed(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    with mock.patch("citygrid.health.cache.set", side_effect=ConnectionError("cache down")):
        response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503 and body["status"] == "unavailable"
    assert body["failed"] == ["cache", "broker"]
    assert "cache down" in body["checks"]["cache"]["error"] and body["checks"]["database"]["ok"]
    with mock.patch("citygrid.health.connections") as connections:
        connections.__getitem__.return_value.cursor.side_effect = RuntimeError("db down")
        response = client.get("/readyz")
    assert response.status_code == 503 and "database" in response.json()["failed"]


# --- metrics -------------------------------------------------------------------------------------


def scrape(client, **extra) -> str:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    return response.content.decode()


def sample(text: str, name: str, labels: str = "") -> float:
    for line in text.splitlines():
        if line.startswith(f"{name}{labels} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name}{labels} not in the metrics")


@pytest.mark.django_db
def test_metrics_are_for_the_token_or_the_allowed_networks(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    settings.METRICS_TOKEN = "s3cret"
    assert client.get("/metrics").status_code == 403  # the test client is 127.0.0.1
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert "citygrid_cases_overdue" in scrape(client, HTTP_AUTHORIZATION="Bearer s3cret")
    assert "citygrid_cases_overdue" in scrape(client, REMOTE_ADDR="10.1.2.3")
    # Scraped on the host's own address over plain HTTP, whatever ALLOWED_HOSTS and the redirect say.
    settings.ALLOWED_HOSTS, settings.SECURE_SSL_REDIRECT = ["cg.example.gov.cn"], True
    assert "citygrid_cases_overdue" in scrape(client, REMOTE_ADDR="10.1.2.3", HTTP_HOST="10.1.0.5:8000")
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_the_gauges_count_the_outbox_overdue_cases_and_the_calendar(city, client, clock):
    now = timezone.now()
    OutboxMessage.objects.create(task="cases.x", kwargs={}, created_at=now - timedelta(seconds=90))
    OutboxMessage.objects.create(task="cases.x", kwargs={}, created_at=now - timedelta(seconds=30))
    OutboxMessage.objects.create(task="cases.x", kwargs={}, created_at=now - timedelta(hours=2), sent_at=now)
    reporter = APIClient()
    reporter.force_authenticate(city.users["collector_a"])
    lon, lat = point_in(0)
    for _ in range(3):
        assert reporter.post("/api/cases/", {"source": "collector", "minor_id": city.classes["garbage"].pk,
                                             "lon": lon, "lat": lat, "description": "暴露垃圾"},
                             format="json").status_code == 201
    reported = list(Case.objects.order_by("pk"))
    Case.objects.filter(pk__in=[reported[0].pk, reported[1].pk]).update(current_deadline=now - timedelta(minutes=1))
    Case.objects.filter(pk=reported[1].pk).update(state=State.SUSPENDED)  # its clock is paused
    OutboxMessage.objects.filter(task__startswith="cases.", created_at__gt=now - timedelta(seconds=1)).exclude(
        task="cases.x").update(sent_at=now)
    text = scrape(client)
    assert sample(text, "citygrid_outbox_pending_messages") == 2
    assert sample(text, "citygrid_outbox_oldest_pending_age_seconds") == pytest.approx(90, abs=1)
    assert sample(text, "citygrid_cases_overdue") == 1
    assert "citygrid_calendar_fallback_running_steps" in text
    assert "django_http_requests_total_by_method_total" in text  # django-prometheus's own


def test_the_city_gauges_cost_one_query_each(city):
    from cases.calendar_health import calendar_health

    calendar_health()  # the calendar report is shared with the pages for a minute
    with CaptureQueriesContext(connection) as queries:
        list(metrics.city_registry.collect())
    assert len(queries) == 2  # the outbox (count and oldest together), the overdue cases


def test_celery_queue_lengths_are_read_from_redis(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_TASK_DEFAULT_QUEUE = "citygrid_ops_metrics_test"
    settings.CELERY_TASK_ROUTES = {"x.y": {"queue": "citygrid_ops_metrics_test_b"}}
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1)
    try:
        client.delete("citygrid_ops_metrics_test", "citygrid_ops_metrics_test_b")
        client.rpush("citygrid_ops_metrics_test_b", "a", "b", "c")
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    try:
        assert metrics.celery_queue_lengths() == {"citygrid_ops_metrics_test": 0, "citygrid_ops_metrics_test_b": 3}
    finally:
        client.delete("citygrid_ops_metrics_test_b")


def test_a_broker_that_is_down_leaves_the_queue_gauge_empty(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    assert metrics.celery_queue_lengths() == {}


# --- request id and logs -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_request_id_is_taken_or_made_and_returned(client):
    assert client.get("/accounts/login/", HTTP_X_REQUEST_ID="proxy-id-42")["X-Request-ID"] == "proxy-id-42"
    made = client.get("/accounts/login/")["X-Request-ID"]
    assert len(made) == 32 and made != client.get("/accounts/login/")["X-Request-ID"]
    # Something a client could use to forge log lines is replaced.
    assert client.get("/accounts/login/", HTTP_X_REQUEST_ID='a" b\n')["X-Request-ID"] != 'a" b\n'


def json_line(record: logging.LogRecord) -> dict:
    config = logging_config(log_format="json", level="INFO")
    formatter_config = dict(config["formatters"]["json"])
    factory = formatter_config.pop("()")
    module, name = factory.rsplit(".", 1)
    import importlib

    formatter = getattr(importlib.import_module(module), name)(**formatter_config)
    RequestIdLogFilter().filter(record)
    line = formatter.format(record)
    assert "\n" not in line
    return json.loads(line)


def test_log_format_json_makes_each_line_one_object_with_the_request_id():
    token = request_id.request_id_var.set("req-7")
    try:
        record = logging.LogRecord("cases.services", logging.WARNING, __file__, 1, "案件 %s 已立案\n第二行", ("C1",), None)
        line = json_line(record)
    finally:
        request_id.request_id_var.reset(token)
    assert line["request_id"] == "req-7" and line["level"] == "WARNING" and line["logger"] == "cases.services"
    assert line["message"] == "案件 C1 已立案\n第二行"
    outside = json_line(logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None))
    assert outside["request_id"] == "-"


def test_the_request_id_travels_in_the_task_headers_and_into_its_logs():
    headers: dict = {}
    token = request_id.request_id_var.set("req-9")
    try:
        request_id.celery_before_publish(headers=headers)
    finally:
        request_id.request_id_var.reset(token)
    assert headers == {request_id.CELERY_HEADER: "req-9"}

    class Task:  # what a worker's task.request holds: the message's headers as attributes
        request = type("Request", (), {request_id.CELERY_HEADER: "req-9"})()

    request_id.celery_task_prerun(task_id="t1", task=Task())
    try:
        record = logging.LogRecord("cases.tasks", logging.INFO, __file__, 1, "ran", (), None)
        RequestIdLogFilter().filter(record)
        assert record.request_id == "req-9"
    finally:
        request_id.celery_task_postrun(task_id="t1")
    assert request_id.request_id_get() == ""


@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_logs_the_task_a_request_caused_as_json_with_its_request_id(city):
    """A real worker (LOG_FORMAT=json) runs the report's side effect: its log lines are JSON objects
    carrying the X-Request-ID of the request that reported the case."""
    import uuid

    from celery import current_app

    from citygrid.testing import celery_worker

    queue = f"ops-request-id-{uuid.uuid4().hex[:8]}"
    saved = {key: current_app.conf.get(key) for key in ("CELERY_TASK_ALWAYS_EAGER", "CELERY_TASK_DEFAULT_QUEUE")}
    current_app.conf.update(CELERY_TASK_ALWAYS_EAGER=False, CELERY_TASK_DEFAULT_QUEUE=queue)
    try:
        with celery_worker(queue, CELERY_QUEUE=queue, LOG_FORMAT="json") as worker:
            reporter = APIClient()
            reporter.force_authenticate(city.users["collector_a"])
            lon, lat = point_in(0)
            response = reporter.post("/api/cases/", {"source": "collector", "minor_id": city.classes["garbage"].pk,
                                                     "lon": lon, "lat": lat, "description": "路边有暴露垃圾"},
                                     format="json", HTTP_X_REQUEST_ID="ops-rid-4711")
            assert response.status_code == 201 and response["X-Request-ID"] == "ops-rid-4711"

            def task_lines() -> list[dict]:
                lines = [json.loads(line) for line in worker.output().splitlines() if line.startswith("{")]
                return [line for line in lines if "cases.report_received" in line.get("message", "")]

            assert worker.wait_for(lambda: any("succeeded" in line["message"] for line in task_lines()), 60), \
                worker.output()
            # "Task … received" is logged by the worker's consumer before the task starts; from then
            # on, every line of the task carries the request's id.
            ran = [line for line in task_lines() if line["logger"] != "celery.worker.strategy"]
            assert ran and {line["request_id"] for line in ran} == {"ops-rid-4711"}, task_lines()
    finally:
        current_app.conf.update(saved)


@pytest.mark.django_db
def test_every_routed_task_kind_names_tasks_that_exist(settings):
    from fnmatch import fnmatch

    from celery import current_app

    current_app.loader.import_default_modules()
    names = [name for name in current_app.tasks if not name.startswith("celery.")]
    for queue, patterns in settings.CELERY_QUEUES_BY_KIND.items():
        for pattern in patterns:
            assert any(fnmatch(name, pattern) for name in names), (queue, pattern)
