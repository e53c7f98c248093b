"""Shared API pieces: the exception handler that turns ApplicationError and Django's errors into 4xx
(every error body carries a readable `detail`), the schema class of the OpenAPI document, and the
ModelSerializer every app's serializers derive from (and a Serializer alike). Errors outside DRF:
citygrid.error_pages."""
import copy

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import exceptions, serializers
from rest_framework.fields import empty
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ApplicationError
from .parsers import request_limit_error


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response({"detail": str(exc.message), **exc.extra}, status=exc.status_code)
    exc = request_limit_error(exc) or untranslated_replaced(exc)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = _with_detail(response.data)
    return response


def untranslated_replaced(exc: Exception) -> Exception:
    """The exception, or one saying the same in the user's language where Django or DRF wrote an
    English message that no catalogue translates: get_object_or_404's "No Call matches the given
    query.", the CSRF refusal of DRF's session authentication, a multipart body it cannot parse,
    and a body of JSON `null` ("No data provided")."""
    message = str(exc.args[0]) if isinstance(exc, Http404) and exc.args else ""
    if isinstance(exc, Http404) and (not message or message.endswith("matches the given query.")):
        return exceptions.NotFound(_("未找到。"))
    detail = str(getattr(exc, "detail", ""))
    if isinstance(exc, exceptions.PermissionDenied) and detail.startswith("CSRF Failed"):
        return exceptions.PermissionDenied(_("安全校验失败（CSRF），请刷新页面后重试。"))
    if isinstance(exc, exceptions.ParseError) and detail.startswith("Multipart form parse error"):
        return exceptions.ParseError(_("multipart 表单格式有误。"))
    if isinstance(exc, exceptions.ValidationError) and _has_no_data(exc.detail):
        return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [_("请求中没有数据。")]})
    return exc


def _has_no_data(detail) -> bool:
    if isinstance(detail, dict):
        return any(_has_no_data(value) for value in detail.values())
    if isinstance(detail, list):
        return any(_has_no_data(value) for value in detail)
    return str(detail) == "No data provided"


def _with_detail(data):
    """A validation error's body with a `detail` summing it up in one line (the field errors stay
    beside it), so that every 4xx of the API has the same {"detail": …} shape as the others."""
    if isinstance(data, dict) and "detail" not in data:
        return {"detail": _summary(data), **data}
    if isinstance(data, list):
        return {"detail": _summary(data)}
    return data


def _summary(errors, field: str = "") -> str:
    if isinstance(errors, dict):
        return "; ".join(_summary(value, key) for key, value in errors.items())
    if isinstance(errors, list):
        return "; ".join(_summary(value, field) for value in errors)
    if field and field != api_settings.NON_FIELD_ERRORS_KEY:
        return f"{field}: {errors}"
    return str(errors)


# The body of every 4xx of the API (see exception_handler): field errors may stand beside `detail`.
ERROR_SCHEMA = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, with two additions: an output field declared `default=None` (for
    example `CharField(source="department.name", default=None)`) answers null when the relation is
    empty, so the document says it is nullable; and every operation documents its client errors
    ("4XX") with the error body, so that clients and the schema fuzzing check them too. A view with
    its own error shape says so in `openapi_error_schema` (Open311's error list)."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        error_schema = getattr(self.view, "openapi_error_schema", ERROR_SCHEMA)
        if direction == "response" and error_schema is not None and "4XX" not in responses:
            responses["4XX"] = self._get_response_for_code(error_schema, "4XX", direction=direction)
            responses["4XX"]["description"] = "client error"
        return responses

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and getattr(field, "default", empty) is None:
            meta["nullable"] = True
        return meta


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer with its fields built from the model once per class. DRF introspects
    the model on every instantiation (each field's kwargs from the model field, validators,
    choices). Here the built fields are kept on the class and copied for each instance, which is
    what DRF already does with declared fields. The fields depend only on the class and its Meta,
    never on the context, in this project. Kept for what it saves (`.venv/bin/python
    bench/overrides.py`, 2026-12-07, PostgreSQL): a case detail's serialization 4.3 → 1.2 CPU-ms
    (12,800 → 4,100 Python calls), a 50-row list's 2.6 → 1.7, the whole GET /api/cases/{id}/
    12.5 → 9.4 (a quarter)."""

    def get_fields(self):
        cls = type(self)
        prototype = cls.__dict__.get("_fields_prototype")
        if prototype is None:
            prototype = super().get_fields()
            cls._fields_prototype = prototype  # a race builds it twice, the same
        return _fields_copied(prototype)


class Serializer(serializers.Serializer):
    """DRF's Serializer with its declared fields deep-copied once per class and copied for each
    instance as ModelSerializer's above, where DRF deep-copies them all on every instantiation
    (the intake's ReportInput: every report)."""

    def get_fields(self):
        cls = type(self)
        prototype = cls.__dict__.get("_fields_prototype")
        if prototype is None:
            prototype = super().get_fields()
            cls._fields_prototype = prototype
        return _fields_copied(prototype)


def _fields_copied(prototype: dict) -> dict:
    # A field of its own for each instance, to be bound to it; a plain field as a shallow copy
    # (binding sets its name, parent and source on the copy; nothing else of it changes per
    # instance), a nested serializer or a field with a child (ListField, a many relation: the
    # child is bound to its parent once, at creation) as a deep one. DRF deep-copies every
    # field and its validators and messages: a tenth of a case detail's CPU.
    return {name: copy.deepcopy(field) if _has_bound_parts(field) else copy.copy(field)
            for name, field in prototype.items()}


def _has_bound_parts(field) -> bool:
    return (isinstance(field, serializers.BaseSerializer) or hasattr(field, "child")
            or hasattr(field, "child_relation"))
