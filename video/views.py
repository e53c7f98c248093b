"""Command-center pages of video intake: the pending events with their frames (confirm, or reject
with a reason), a pending event's frame (scoped), and the recognition accuracy per camera and class."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError, page_refusal_raise
from core.queries import row_by_key

from . import selectors, services


def _viewer(request: HttpRequest) -> None:
    if not selectors.can_view_video(request.user):
        raise PermissionDenied(_("您无权查看视频事件。"))


def _pending_context(request: HttpRequest, **extra) -> dict:
    return {"events": selectors.events_pending(request.user), "can_decide": selectors.can_decide(request.user),
            "threshold": settings.VIDEO_CONFIRM_THRESHOLD, **extra}


@login_required
def pending_page(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    return render(request, "video/pending.html", _pending_context(request))


@login_required
@require_POST
def decide(request: HttpRequest, event_id: int, decision: str) -> HttpResponse:
    try:
        if decision == "confirm":
            event = services.video_event_confirm(actor=request.user, event_id=event_id)
            messages.success(request, _("已确认，生成案件 %(number)s。") % {"number": event.case.number})
        else:
            services.video_event_reject(actor=request.user, event_id=event_id, reason=request.POST.get("reason", ""))
            messages.success(request, _("已驳回该视频事件。"))
    except ApplicationError as error:
        page_refusal_raise(error)
        return render(request, "video/pending.html", _pending_context(request, failed=(event_id, error.message)),
                      status=error.status_code)
    return redirect("video:pending")


@login_required
def frame(request: HttpRequest, event_id: int) -> HttpResponse:
    """A pending or rejected event's frame, to a person whose region holds its camera (the same 404
    for everyone else). A confirmed event's frame is the case's photo, served by the case."""
    event = row_by_key(selectors.events_in_scope(request.user).filter(pk=event_id))
    if event is None or not event.frame:
        raise Http404(_("图片不存在或您无权查看。"))
    try:
        response = FileResponse(event.frame.open("rb"), content_type="image/" + (
            "png" if event.frame.name.endswith(".png") else "webp" if event.frame.name.endswith(".webp") else "jpeg"))
    except FileNotFoundError:
        raise Http404(_("图片不存在或您无权查看。")) from None
    response["Cache-Control"] = "private, max-age=43200"
    return response


@login_required
def accuracy_page(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    tables = selectors.accuracy(request.user)
    return render(request, "video/accuracy.html", {"cameras": tables["camera"], "classes": tables["class"]})
