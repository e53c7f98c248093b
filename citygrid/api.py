"""Shared API pieces: the exception handler that turns ApplicationError and Django's errors into 4xx
(every error body carries a readable `detail`), the schema class of the OpenAPI document, the 404 of
unroutable API URLs, and the ModelSerializer every app's serializers derive from."""
import copy

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import exceptions, serializers
from rest_framework.fields import empty
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ApplicationError


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response({"detail": str(exc.message), **exc.extra}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = _with_detail(response.data)
    return response


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


def not_found(request, exception=None):
    """The project's 404 handler: a URL under /api/ or /open311/ that matches no route answers in the
    API's own error shape (JSON), not with the HTML page a browser gets."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("未找到。")}, status=404)
    if request.path.startswith("/open311/"):
        return JsonResponse([{"code": 404, "description": _("未找到。")}], status=404, safe=False)
    return page_not_found(request, exception)


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer with its fields built from the model once per class. DRF introspects
    the model on every instantiation (each field's kwargs from the model field, validators,
    choices): about half of a case detail's serialization, with its nested events, steps and
    requests (7 → 4 CPU-ms on the bench machine). Here the built fields are kept on the class and deep-copied for each instance,
    which is what DRF already does with declared fields. The fields depend only on the class and
    its Meta, never on the context, in this project."""

    def get_fields(self):
        cls = type(self)
        prototype = cls.__dict__.get("_fields_prototype")
        if prototype is None:
            prototype = super().get_fields()
            cls._fields_prototype = prototype  # a race builds it twice, the same
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
