"""The request id: taken from the proxy's X-Request-ID (or made here), returned in the response,
put on every log line (RequestIdLogFilter) and carried into the Celery tasks the request causes
(a message header set at publish, read back when the task starts), whose log lines carry it too.
With LOG_FORMAT=json every line is one JSON object (python-json-logger), see `logging_config`."""
from __future__ import annotations

import contextvars
import logging
import re
import uuid

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
CELERY_HEADER = "citygrid_request_id"
# What a proxy may send: its own ids are hex, UUIDs or similar; anything else is replaced.
ACCEPTED = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def request_id_get() -> str:
    return request_id_var.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = given if ACCEPTED.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get() or "-"
        return True


# --- Celery: connected in citygrid.celery ---------------------------------------------------------

def celery_before_publish(headers=None, **kwargs) -> None:
    """before_task_publish: the request's id travels in the message's headers."""
    request_id = request_id_var.get()
    if request_id and headers is not None and CELERY_HEADER not in headers:
        headers[CELERY_HEADER] = request_id


_task_tokens: dict[str, contextvars.Token] = {}


def celery_task_prerun(task_id=None, task=None, **kwargs) -> None:
    """task_prerun: the task's log lines carry the id of the request that caused it. (Run in-process,
    eager, the task is already in the request's context and keeps its id.)"""
    request = getattr(task, "request", None)
    request_id = getattr(request, CELERY_HEADER, None) or ((getattr(request, "headers", None) or {})
                                                           .get(CELERY_HEADER))
    if request_id and task_id:
        _task_tokens[task_id] = request_id_var.set(str(request_id))


def celery_task_postrun(task_id=None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        request_id_var.reset(token)


def logging_config(*, log_format: str, level: str) -> dict:
    """Django's LOGGING: plain lines by default, one JSON object a line with LOG_FORMAT=json, the
    request id on both."""
    formatters = {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "core.request_id.RequestIdLogFilter"}},
        "formatters": formatters,
        "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"],
                                 "formatter": "json" if log_format == "json" else "plain"}},
        "root": {"handlers": ["console"], "level": level},
        # Celery's own loggers propagate to the root (the worker does not hijack it, see settings).
        "loggers": {"celery": {"level": level}},
    }
