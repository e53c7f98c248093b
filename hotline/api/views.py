"""Hotline API: calls (log, list, detail), a caller's history, replies, callbacks, the hotline
figures, and the public channel (report, status lookup by case number, classes)."""
from datetime import datetime, time

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from core.parsers import JSONParser

from .. import selectors, services
from ..masking import can_see_personal_data
from ..models import Callback, CallbackStatus, Channel
from ..progress import public_case, public_status, state_words
from ..ratelimit import client_ip, rate_limit_request
from ..service_codes import minor_by_service_code, service_code, services_active
from .serializers import (
    CallbackInput,
    CallbackOutput,
    CallerOutput,
    CallInput,
    CallOutput,
    FeedbackInput,
    FeedbackOutput,
    FiguresOutput,
    FiguresQuery,
    PublicCaseOutput,
    PublicClassOutput,
    PublicReportInput,
    PublicReportOutput,
)


class IsHotlineReader(permissions.BasePermission):
    """Command-center staff who may read hotline records (masked unless hotline staff)."""

    def has_permission(self, request, view) -> bool:
        return selectors.can_read_hotline(request.user)


class IsHotlineAgent(permissions.BasePermission):
    """Hotline agents and administrators: the people who log calls and see callers in full."""

    def has_permission(self, request, view) -> bool:
        return can_see_personal_data(request.user)


class CallListCreateApi(generics.ListAPIView):
    """GET: calls the person may read, newest first (filters: case number, channel, phone for
    hotline staff). POST: log a call, creating a case or joining the open one."""

    serializer_class = CallOutput
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_permissions(self):
        return [IsHotlineAgent()] if self.request.method == "POST" else [IsHotlineReader()]

    @extend_schema(parameters=[
        OpenApiParameter("case_number", str, required=False),
        OpenApiParameter("channel", str, required=False, enum=Channel.values),
        OpenApiParameter("phone", str, required=False, description=_("仅热线坐席可按号码查询")),
    ])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        calls = selectors.calls_visible(self.request.user)
        params = self.request.query_params
        if params.get("case_number"):
            calls = calls.filter(case__number=params["case_number"].strip())
        if "channel" in params:
            if params["channel"] not in Channel.values:
                raise ApplicationError(_("来电渠道无效。"), extra={"field": "channel"})
            calls = calls.filter(channel=params["channel"])
        if params.get("phone"):
            # Searching by number would let masked readers confirm who called: hotline staff only.
            if not can_see_personal_data(self.request.user):
                raise PermissionDeniedError(_("只有热线坐席可以按电话号码查询。"))
            calls = calls.filter(caller__phone=services.phone_normalize(params["phone"]))
        return calls.order_by("-called_at", "-pk")

    @extend_schema(request=CallInput, responses={201: CallOutput, 200: CallOutput},
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)])
    def post(self, request):
        data = CallInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        key = request.headers.get("Idempotency-Key") or fields.pop("client_id", "") or None
        fields.pop("client_id", None)
        result = services.call_log(actor=request.user, idempotency_key=key, **fields)
        body = CallOutput(result.call, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class CallDetailApi(generics.RetrieveAPIView):
    serializer_class = CallOutput
    permission_classes = [IsHotlineReader]
    lookup_url_kwarg = "call_id"

    def get_queryset(self):
        return selectors.calls_visible(self.request.user)


class CallerApi(APIView):
    """A caller's earlier calls and their cases, by phone number (hotline staff only)."""

    permission_classes = [IsHotlineAgent]

    @extend_schema(parameters=[OpenApiParameter("phone", str, required=True)], responses=CallerOutput)
    def get(self, request):
        phone = services.phone_normalize(request.query_params.get("phone", ""))
        caller = selectors.caller_by_phone(phone)
        if caller is None:
            raise NotFoundError(_("没有该号码的来电记录。"))
        data = {"caller": caller, "calls": selectors.caller_calls(caller)}
        return Response(CallerOutput(data, context={"request": request}).data)


class CaseFeedbackApi(APIView):
    """Record a reply to the citizen of a case (by phone: done; by SMS/WeChat: via the gateway)."""

    permission_classes = [IsHotlineAgent]

    @extend_schema(request=FeedbackInput, responses={201: FeedbackOutput})
    def post(self, request, case_id: int):
        data = FeedbackInput(data=request.data)
        data.is_valid(raise_exception=True)
        feedback = services.feedback_send(actor=request.user, case_id=case_id, **data.validated_data)
        return Response(FeedbackOutput(feedback, context={"request": request}).data, status=status.HTTP_201_CREATED)


class CallbackListApi(generics.ListAPIView):
    """Callback tasks, earliest deadline first; `status=pending` (default) includes unreachable ones."""

    serializer_class = CallbackOutput
    permission_classes = [IsHotlineReader]

    @extend_schema(parameters=[OpenApiParameter("status", str, required=False,
                                                enum=["pending", "done", "unreachable", "cancelled", "all"])])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Callback.objects.none()
        wanted = self.request.query_params.get("status", CallbackStatus.PENDING)
        if wanted not in [*CallbackStatus.values, "all"]:
            raise ApplicationError(_("回访状态无效。"), extra={"field": "status"})
        return selectors.callbacks_queue(user=self.request.user, status=None if wanted == "all" else wanted)


class CallbackRecordApi(APIView):
    """Record a callback; with `reopen` a dissatisfied citizen's case goes back as rework."""

    permission_classes = [IsHotlineAgent]

    @extend_schema(request=CallbackInput, responses=CallbackOutput)
    def post(self, request, callback_id: int):
        data = CallbackInput(data=request.data)
        data.is_valid(raise_exception=True)
        callback = services.callback_record(actor=request.user, callback_id=callback_id, **data.validated_data)
        return Response(CallbackOutput(callback, context={"request": request}).data)


class FiguresApi(APIView):
    """The hotline figures of a period (dates in the city's time zone, end exclusive)."""

    permission_classes = [IsHotlineReader]

    @extend_schema(parameters=[FiguresQuery], responses=FiguresOutput)
    def get(self, request):
        query = FiguresQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        tz = timezone.get_current_timezone()
        start = datetime.combine(query.validated_data["start"], time.min, tzinfo=tz)
        end = datetime.combine(query.validated_data["end"], time.min, tzinfo=tz)
        district_id = query.validated_data["district_id"]
        # A district's staff read their own district's figures, never another's or the city's.
        own = selectors.district_of(request.user)
        if own is not None and district_id not in (None, own):
            raise PermissionDeniedError(_("只能查看本辖区的热线指标。"))
        figures = selectors.hotline_figures(start=start, end=end, district_id=own or district_id)
        return Response(FiguresOutput(figures).data)


# --- public channel --------------------------------------------------------------------------

def api_key_from(request):
    """The client's API key from the X-Api-Key header or an `api_key` parameter; 403 when a key is
    given but unknown (or required by PUBLIC_REPORT_REQUIRE_API_KEY and missing)."""
    raw = request.headers.get("X-Api-Key") or request.query_params.get("api_key") or ""
    if not raw and hasattr(request, "data") and hasattr(request.data, "get"):
        raw = request.data.get("api_key") or ""
    if not raw:
        if getattr(settings, "PUBLIC_REPORT_REQUIRE_API_KEY", False):
            raise PermissionDeniedError(_("请提供 API 密钥。"))
        return None
    api_key = services.apikey_authenticate(str(raw))
    if api_key is None:
        raise PermissionDeniedError(_("API 密钥无效或已停用。"))
    return api_key


class PublicApi(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]


class PublicReportApi(PublicApi):
    """A citizen's report from the web/WeChat channel (JSON, or multipart with `photos`). Optional
    contact; rate limited per API key or client IP. It enters the operator's queue as source
    "public" in state reported; the operator sends a verify task before filing."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request=PublicReportInput, responses={201: PublicReportOutput, 200: PublicReportOutput},
                   parameters=[OpenApiParameter("X-Api-Key", str, OpenApiParameter.HEADER, required=False)])
    def post(self, request):
        api_key = api_key_from(request)
        rate_limit_request(request, scope="public-report", rate=settings.PUBLIC_REPORT_RATE_LIMIT, api_key=api_key)
        data = PublicReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        minor_id = fields["minor_id"]
        if not minor_id:
            minor = minor_by_service_code(fields["service_code"])
            if minor is None:
                raise ApplicationError(_("服务代码“%(code)s”不存在。") % {"code": fields["service_code"]},
                                       extra={"field": "service_code"})
            minor_id = minor.pk
        result = services.public_report(
            channel=fields["channel"], minor_id=minor_id, lon=fields["lon"], lat=fields["lat"],
            description=fields["description"], address=fields["address"], contact_name=fields["contact_name"],
            contact_phone=fields["contact_phone"], photos=request.FILES.getlist("photos"), api_key=api_key,
            client_ip=client_ip(request), idempotency_key=request.headers.get("Idempotency-Key")
            or fields["client_id"] or None,
        )
        case = result.case
        body = {"number": case.number, "token": result.report.token, "status": public_status(case.state),
                "status_text": state_words(case.state)}
        return Response(PublicReportOutput(body).data,
                        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class PublicCaseApi(PublicApi):
    """Progress of a case by its number, in plain words; no personal data."""

    @extend_schema(responses=PublicCaseOutput)
    def get(self, request, number: str):
        rate_limit_request(request, scope="public-lookup", rate=settings.PUBLIC_LOOKUP_RATE_LIMIT)
        case = selectors.case_public(number.strip())
        if case is None:
            raise NotFoundError(_("没有找到编号为 %(number)s 的案件，请核对后再查。") % {"number": number})
        return Response(PublicCaseOutput(public_case(case)).data)


class PublicClassListApi(PublicApi):
    """The classes a citizen may report (the same as the Open311 services)."""

    @extend_schema(responses=PublicClassOutput(many=True))
    def get(self, request):
        rows = [{"id": minor.pk, "service_code": service_code(minor), "name": minor.name, "group": minor.major.name,
                 "kind": minor.get_kind_display()} for minor in services_active()]
        return Response(PublicClassOutput(rows, many=True).data)

