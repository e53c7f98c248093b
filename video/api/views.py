"""Video API (/api/video/): a platform sends its detected events (key per platform, idempotent by its
event id); operators list pending events and confirm or reject them; the recognition accuracy."""
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError
from core.parsers import JSONParser

from .. import selectors, services
from .auth import IsVideoPlatform, PlatformKeyAuthentication
from .serializers import (
    AccuracyOutput,
    DecisionOutput,
    EventInput,
    EventReceiptOutput,
    PendingEventOutput,
    RejectInput,
)


class EventReceiveApi(APIView):
    """POST: one detected event. 201 with the case number (or status pending below the confidence
    threshold); 200 with the first answer for the same event_id; 422 for the same event_id with
    another body."""

    authentication_classes = [PlatformKeyAuthentication]
    permission_classes = [IsVideoPlatform]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request=EventInput, responses={201: EventReceiptOutput, 200: EventReceiptOutput})
    def post(self, request):
        data = EventInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        frame = fields.get("frame") or services.frame_from_bytes(fields["frame_base64"])
        result = services.video_event_receive(
            platform=request.auth, external_id=fields["event_id"], camera_code=fields["camera_code"],
            detected_at=fields["detected_at"], class_code=fields["class_code"], confidence=fields["confidence"],
            frame=frame)
        return Response(EventReceiptOutput(result.event).data,
                        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


def _viewer(request) -> None:
    if not selectors.can_view_video(request.user):
        raise ApplicationError(_("您无权查看视频事件。"), status_code=403)


class PendingEventsApi(APIView):
    """GET: the pending events of the caller's region, oldest first (at most 200)."""

    @extend_schema(responses=PendingEventOutput(many=True))
    def get(self, request):
        _viewer(request)
        return Response(PendingEventOutput(selectors.events_pending(request.user), many=True).data)


class ConfirmEventApi(APIView):
    @extend_schema(request=None, responses=DecisionOutput)
    def post(self, request, event_id: int):
        event = services.video_event_confirm(actor=request.user, event_id=event_id)
        return Response(DecisionOutput(event).data)


class RejectEventApi(APIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(request=RejectInput, responses=DecisionOutput)
    def post(self, request, event_id: int):
        data = RejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.video_event_reject(actor=request.user, event_id=event_id,
                                            reason=data.validated_data["reason"])
        return Response(DecisionOutput(event).data)


class AccuracyApi(APIView):
    """GET: confirmed / (confirmed + rejected) per camera and per class, in the caller's region."""

    @extend_schema(responses=AccuracyOutput)
    def get(self, request):
        _viewer(request)
        tables = selectors.accuracy(request.user)
        return Response(AccuracyOutput({"cameras": tables["camera"], "classes": tables["class"]}).data)
