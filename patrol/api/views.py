"""Patrol API (/api/patrol/): the collector's duty, track points, posts, check-ins and work log
(collectors only; every write takes an Idempotency-Key), and for the command center the map of
collectors and one collector's track of a day."""
from datetime import date

from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.dates import moment_problem
from core.errors import ApplicationError, NotFoundError

from .. import days, selectors, services
from .serializers import (
    CheckInInput,
    CheckInOutput,
    CollectorPositionOutput,
    DutyInput,
    DutyOutput,
    PointsInput,
    PointsOutput,
    PostOutput,
    TrackPointOutput,
    WorkLogOutput,
)

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="客户端为每次提交生成的唯一键；同一键重试时返回第一次的结果（200 而非 201）",
)


class IsCollector(BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.user.is_authenticated and request.user.role != "collector":
            raise PermissionDenied(_("只有监督员可以使用巡查功能。"))
        return request.user.is_authenticated


class CanViewPatrol(BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.user.is_authenticated and not selectors.can_view_patrol(request.user):
            raise PermissionDenied(_("您无权查看监督员的位置。"))
        return request.user.is_authenticated


def _key(request) -> str | None:
    return (request.headers.get("Idempotency-Key") or "").strip()[:200] or None


def _answer(result: services.WriteResult, output) -> Response:
    return Response(output(result.body).data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class DutyApi(APIView):
    """GET: the collector's duty state. POST: go on (上岗) or off (下岗) duty."""

    permission_classes = [IsCollector]

    @extend_schema(responses=DutyOutput)
    def get(self, request):
        return Response(DutyOutput(services.duty_state(selectors.shift_current(request.user))).data)

    @extend_schema(request=DutyInput, responses={201: DutyOutput, 200: DutyOutput}, parameters=[IDEMPOTENCY_KEY])
    def post(self, request):
        data = DutyInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.duty_set(actor=request.user, idempotency_key=_key(request), **data.validated_data)
        return _answer(result, DutyOutput)


class PointsApi(APIView):
    """POST: a batch of track points (at most 500); points outside every duty shift are dropped."""

    permission_classes = [IsCollector]

    @extend_schema(request=PointsInput, responses={201: PointsOutput, 200: PointsOutput}, parameters=[IDEMPOTENCY_KEY])
    def post(self, request):
        data = PointsInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.points_record(actor=request.user, points=data.validated_data["points"],
                                        idempotency_key=_key(request))
        return _answer(result, PointsOutput)


class PostsApi(APIView):
    """GET: the collector's posts (岗点), each with whether they checked in there today."""

    permission_classes = [IsCollector]

    @extend_schema(responses=PostOutput(many=True))
    def get(self, request):
        return Response(PostOutput(selectors.posts_of(request.user), many=True).data)


class CheckInApi(APIView):
    """POST: check in (签到) at a post, on duty, within its radius (400 naming the distance if not)."""

    permission_classes = [IsCollector]

    @extend_schema(request=CheckInInput, responses={201: CheckInOutput, 200: CheckInOutput},
                   parameters=[IDEMPOTENCY_KEY])
    def post(self, request):
        data = CheckInInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.checkin_record(actor=request.user, idempotency_key=_key(request), **data.validated_data)
        return _answer(result, CheckInOutput)


class TodayApi(APIView):
    """GET: the collector's work log of today (工作日志)."""

    permission_classes = [IsCollector]

    @extend_schema(responses=WorkLogOutput)
    def get(self, request):
        return Response(WorkLogOutput(selectors.work_log(request.user)).data)


class CollectorsMapApi(APIView):
    """GET: every collector the caller may see, with the last position of today, on/off duty and
    the day's reports (command center and the collectors' supervisors only)."""

    permission_classes = [CanViewPatrol]

    @extend_schema(responses=CollectorPositionOutput(many=True))
    def get(self, request):
        return Response(CollectorPositionOutput(selectors.collectors_map(request.user), many=True).data)


def day_param(text: str | None) -> date | None:
    if not text:
        return None
    try:
        day = parse_date(text)
    except ValueError:
        day = None
    if day is None:
        raise ApplicationError(_("日期格式应为 YYYY-MM-DD。"), extra={"field": "day"})
    problem = moment_problem(day)
    if problem:
        raise ApplicationError(problem, extra={"field": "day"})
    return day


class TrackApi(APIView):
    """GET ?day=YYYY-MM-DD: one collector's track of the day, in time order."""

    permission_classes = [CanViewPatrol]

    @extend_schema(responses=TrackPointOutput(many=True),
                   parameters=[OpenApiParameter("day", str, OpenApiParameter.QUERY, required=False)])
    def get(self, request, collector_id: int):
        if not selectors.collectors_visible(request.user).filter(pk=collector_id).exists():
            raise NotFoundError(_("监督员不存在或不在您的管辖范围内。"))
        day = day_param(request.query_params.get("day")) or days.city_day(timezone.now())
        rows = [{"at": at, "lon": lon, "lat": lat, "accuracy_m": accuracy}
                for at, lon, lat, accuracy in selectors.track_of_day(collector_id, day)]
        return Response(TrackPointOutput(rows, many=True).data)
