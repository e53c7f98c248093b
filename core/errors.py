"""ApplicationError: the one exception a service raises for a problem the user caused.

The API exception handler (core.api) and the pages turn it into a 4xx with the message in the
user's language; `extra` carries machine-readable detail (for example the allowed moves).
"""
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _


class ApplicationError(Exception):
    status_code = 400

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        if status_code is not None:
            self.status_code = status_code


class PermissionDeniedError(ApplicationError):
    status_code = 403


class ConflictError(ApplicationError):
    """The move is not allowed from the case's current state (HTTP 409)."""

    status_code = 409


class NotFoundError(ApplicationError):
    status_code = 404


class IdempotencyKeyReusedError(ApplicationError):
    """A retry key sent again with a different submission (HTTP 422): answering with the first
    record would silently drop the second submission."""

    status_code = 422

    def __init__(self):
        super().__init__(_("该幂等键（Idempotency-Key）已用于另一份内容不同的提交；新的提交请使用新的键。"),
                         extra={"field": "idempotency_key"})


def page_refusal_raise(error: ApplicationError) -> None:
    """On a page: a 404 or 403 a service raised becomes Django's own, so the person sees the site's
    error page; any other error is the caller's to show on its form."""
    if error.status_code == 404:
        raise Http404(error.message) from error
    if error.status_code == 403:
        raise PermissionDenied(error.message) from error
