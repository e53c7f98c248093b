"""Assessment API: periods, a ranking table, one object's result with its trend, and the
compute / recompute-frozen actions (managers only, each one service call)."""
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors
from ..models import ObjectType, Period, RegionLevelKey, Snapshot, Trigger
from ..periods import period_spec_parse
from ..services import assessment_compute, assessment_recompute_frozen, can_manage_assessment
from .serializers import (
    CompositeDetailOutput,
    CompositeOutput,
    ComputeInput,
    PeriodOutput,
    RecomputeInput,
    SnapshotOutput,
)


class IsAssessmentManager(BasePermission):
    message = gettext_lazy("考核评价仅对领导和系统管理员开放。")

    def has_permission(self, request, view):
        return can_manage_assessment(request.user)


def _stored_period(label: str) -> Period:
    period = Period.objects.filter(label=period_spec_parse(label).label).first()
    if period is None:
        raise Http404(_("该周期尚未计算。"))
    return period


def _text(value):
    """Decimals as strings, like the serializers' decimal fields."""
    return None if value is None else str(value)


class PeriodListApi(APIView):
    permission_classes = [IsAssessmentManager]

    @extend_schema(responses=PeriodOutput(many=True))
    def get(self, request):
        return Response(PeriodOutput(selectors.periods_recent(limit=120), many=True).data)


class RankingApi(APIView):
    """One ranking table with every object's indicators (three queries whatever the size)."""

    permission_classes = [IsAssessmentManager]

    @extend_schema(responses=CompositeOutput(many=True),
                   parameters=[OpenApiParameter("level", str, required=False)])
    def get(self, request, label, object_type):
        if object_type not in ObjectType.values:
            raise Http404
        period = _stored_period(label)
        level = request.query_params.get("level") or (
            RegionLevelKey.DISTRICT if object_type == ObjectType.REGION else None)
        rows = list(selectors.ranking(period=period, object_type=object_type, level=level,
                                      scope=selectors.scope_of(request.user)))
        snapshots: dict[tuple[str, int], list[Snapshot]] = {}
        query = Snapshot.objects.filter(period=period, object_type=object_type)
        if level:
            query = query.filter(level=level)
        for snap in query.order_by("order"):
            snapshots.setdefault((snap.level, snap.object_id), []).append(snap)
        return Response(CompositeOutput(rows, many=True, context={"snapshots": snapshots}).data)


class ObjectApi(APIView):
    permission_classes = [IsAssessmentManager]

    @extend_schema(responses=CompositeDetailOutput)
    def get(self, request, label, object_type, level, object_id):
        period = _stored_period(label)
        composite = selectors.composite_get(period=period, object_type=object_type, level=level,
                                            object_id=object_id, scope=selectors.scope_of(request.user))
        if composite is None:
            raise Http404
        snapshots = selectors.object_snapshots(period=period, object_type=object_type, level=level,
                                               object_id=object_id)
        data = CompositeDetailOutput(composite, context={"snapshots": {(level, object_id): snapshots}}).data
        if period.kind == "month":
            trend = selectors.object_trend(label=period.label, object_type=object_type, level=level,
                                           object_id=object_id)
            data["trend"] = {
                "labels": trend["labels"], "composite": [_text(v) for v in trend["composite"]],
                "indicators": [{**row, "values": [_text(v) for v in row["values"]]} for row in trend["indicators"]],
            }
        return Response(data)


class ComputeApi(APIView):
    permission_classes = [IsAssessmentManager]

    @extend_schema(request=ComputeInput, responses=PeriodOutput)
    def post(self, request, label):
        data = ComputeInput(data=request.data)
        data.is_valid(raise_exception=True)
        run = assessment_compute(period=label, object_type=data.validated_data.get("object_type"),
                                 levels=data.validated_data.get("levels") or None, trigger=Trigger.MANUAL,
                                 actor=request.user)
        return Response({**PeriodOutput(run.period).data, "run": run.pk, "snapshots": run.snapshots,
                         "catalogue_version": run.catalogue_version})


class RecomputeFrozenApi(APIView):
    permission_classes = [IsAssessmentManager]

    @extend_schema(request=RecomputeInput, responses=SnapshotOutput)
    def post(self, request, label):
        data = RecomputeInput(data=request.data)
        data.is_valid(raise_exception=True)
        audit = assessment_recompute_frozen(period=label, actor=request.user, note=data.validated_data["note"])
        return Response({"period": audit.period.label, "audit": audit.pk, "changes": audit.changes,
                         "catalogue_version": audit.catalogue_version})
