"""Photos of cases, served only to people whose scope holds the case (cases.permissions).

Anonymous, out of scope and unknown all answer the same 404, so a photo URL tells nothing about the
case behind it. The file itself is sent by this process, or, with PHOTO_SENDFILE_HEADER set
("X-Accel-Redirect" for nginx, "X-Sendfile" for Apache or lighttpd), handed to the front server
after the check: the header names PHOTO_SENDFILE_PREFIX + the stored name (see cases/README.md, Photos).
"""
import os

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from rest_framework.settings import api_settings

from core.queries import row_by_key

from .models import Attachment
from .permissions import case_in_scope

VARIANTS = {"full": "file", "thumbnail": "thumbnail"}


def _person(request: HttpRequest):
    """The person of the session, else of an API token (the field apps), else None."""
    if request.user.is_authenticated:
        return request.user
    for authentication_class in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        try:
            found = authentication_class().authenticate(request)
        except Exception:  # a malformed or expired token is no person: the same 404 as anonymous
            found = None
        if found is not None:
            return found[0]
    return None


@require_GET
def photo_serve(request: HttpRequest, attachment_id: int, variant: str = "full") -> HttpResponse:
    not_found = Http404(_("照片不存在或您无权查看。"))
    person = _person(request)
    if person is None:
        raise not_found
    attachment = row_by_key(
        Attachment.objects.select_related("case").filter(pk=attachment_id)
    )
    if attachment is None or not case_in_scope(person, attachment.case):
        raise not_found
    field_file = getattr(attachment, VARIANTS[variant])
    if not field_file:  # photos stored before thumbnails existed: the photo itself
        field_file = attachment.file
    content_type = "image/jpeg" if field_file is attachment.thumbnail else attachment.content_type
    header = settings.PHOTO_SENDFILE_HEADER
    if header:
        response = HttpResponse(content_type=content_type)
        response[header] = settings.PHOTO_SENDFILE_PREFIX.rstrip("/") + "/" + field_file.name
    else:
        try:
            response = FileResponse(field_file.open("rb"), content_type=content_type)
        except FileNotFoundError:
            raise not_found from None
    # The browser may keep it for the shift; no shared cache may (the scope is per person).
    response["Cache-Control"] = "private, max-age=43200"
    extension = os.path.splitext(field_file.name)[1]
    response["Content-Disposition"] = f'inline; filename="{attachment.case.number}-{attachment.pk}{extension}"'
    return response
