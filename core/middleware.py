"""Requests refused before any view reads them: a NUL character in the path, the query or a header
(PostgreSQL text cannot hold one; the query failed with a 500), and a body over the size cap told
by its Content-Length, refused before it is read (413). Answered in the shape of the part of the
site asked: the API's JSON, Open311's error list (JSON or XML), or plain text for pages."""
from xml.etree import ElementTree

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from .parsers import megabytes


class RequestLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self.refusal(request)
        if refusal is not None:
            return refused(request, *refusal)
        return self.get_response(request)

    @staticmethod
    def refusal(request: HttpRequest) -> tuple[int, str] | None:
        if "\x00" in request.path or any(
            "\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in [*values, ""]
        ) or any("\x00" in str(value) for key, value in request.META.items() if key.startswith("HTTP_")):
            return 400, _("请求中含有不允许的空字符（NUL）。")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None  # Django reads no body then
        multipart = request.content_type == "multipart/form-data"
        limit = settings.REQUEST_MAX_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length > limit:
            return 413, _("请求内容过大（%(size)s MB），上限为 %(limit)s MB。") % {
                "size": megabytes(length), "limit": megabytes(limit)}
        return None


def refused(request: HttpRequest, status: int, message: str) -> HttpResponse:
    path = request.path.replace("\x00", "")
    if path.startswith("/open311/"):
        if path.endswith(".xml"):
            root = ElementTree.Element("errors")
            error = ElementTree.SubElement(root, "error")
            ElementTree.SubElement(error, "code").text = str(status)
            ElementTree.SubElement(error, "description").text = message
            body = '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode")
            return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
        return JsonResponse([{"code": status, "description": message}], status=status, safe=False,
                            json_dumps_params={"ensure_ascii": False})
    if path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
