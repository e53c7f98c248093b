"""ApplicationError: the one exception a service raises for a problem the user caused.

The API exception handler (citygrid.api) and the pages turn it into a 4xx with the message in the
user's language; `extra` carries machine-readable detail (for example the allowed moves).
"""
from typing import Any


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
