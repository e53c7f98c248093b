"""Read API of the registry: read-only viewsets (each list a constant number of queries, whatever
the page size), the locator endpoint and the ownership endpoint. The registry is reference data,
readable by every signed-in person; the case API does the scoping of people's work."""
from django.db.models import Count, Prefetch
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError
from core.pagination import PageNumberPagination

from ..locator import locate
from ..models import (
    Component,
    Department,
    DepartmentType,
    MajorClass,
    MinorClass,
    OwnershipRule,
    Region,
    ResponsibilityGrid,
    Role,
    UnitGrid,
    User,
)
from ..selectors import collectors_for_responsibility_grid, ownership_resolve
from . import filters, serializers


class RegistryPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        # DRF ignores a page_size that is not a positive number (the default page came back): refused.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) > 0):
            raise ValidationError({self.page_size_query_param: [_("每页条数须为正整数。")]})
        return super().get_page_size(request)


class RegistryViewSet(viewsets.ReadOnlyModelViewSet):
    pagination_class = RegistryPagination
    filter_backends = [DjangoFilterBackend, SearchFilter, OrderingFilter]
    ordering_fields = ["code"]


@extend_schema_view(list=extend_schema(summary=_("行政区域列表")), retrieve=extend_schema(summary=_("行政区域")))
class RegionViewSet(RegistryViewSet):
    queryset = Region.objects.select_related("parent").order_by("code")
    serializer_class = serializers.RegionOutput
    filterset_class = filters.RegionFilter
    search_fields = ["name", "code"]


@extend_schema_view(list=extend_schema(summary=_("单元网格列表（含 GeoJSON 边界）")),
                    retrieve=extend_schema(summary=_("单元网格")))
class UnitGridViewSet(RegistryViewSet):
    queryset = UnitGrid.objects.select_related("community", "street", "district", "responsibility_grid").order_by(
        "code")
    serializer_class = serializers.UnitGridOutput
    filterset_class = filters.UnitGridFilter
    search_fields = ["code", "community__name"]


@extend_schema_view(list=extend_schema(summary=_("责任网格列表")), retrieve=extend_schema(summary=_("责任网格")))
class ResponsibilityGridViewSet(RegistryViewSet):
    queryset = (
        ResponsibilityGrid.objects.select_related("district")
        .prefetch_related(
            Prefetch("collectors", queryset=User.objects.filter(role=Role.COLLECTOR).order_by("username")),
            Prefetch("unit_grids", queryset=UnitGrid.objects.only("id", "code", "responsibility_grid_id")
                     .order_by("code")),
        )
        .order_by("code")
    )
    serializer_class = serializers.ResponsibilityGridOutput
    filterset_class = filters.ResponsibilityGridFilter
    search_fields = ["code", "name"]


@extend_schema_view(list=extend_schema(summary=_("大类列表")), retrieve=extend_schema(summary=_("大类")))
class MajorClassViewSet(RegistryViewSet):
    queryset = MajorClass.objects.annotate(minor_count=Count("minors")).order_by("edition", "kind", "code")
    serializer_class = serializers.MajorClassOutput
    filterset_class = filters.MajorClassFilter
    search_fields = ["name", "code"]


@extend_schema_view(list=extend_schema(summary=_("小类列表（含立案、结案条件和时限）")),
                    retrieve=extend_schema(summary=_("小类")))
class MinorClassViewSet(RegistryViewSet):
    queryset = MinorClass.objects.select_related("major", "department_type").order_by("edition", "kind", "code")
    serializer_class = serializers.MinorClassOutput
    filterset_class = filters.MinorClassFilter
    search_fields = ["name", "code"]


@extend_schema_view(list=extend_schema(summary=_("部门类型列表")), retrieve=extend_schema(summary=_("部门类型")))
class DepartmentTypeViewSet(RegistryViewSet):
    queryset = DepartmentType.objects.order_by("code")
    serializer_class = serializers.DepartmentTypeOutput
    filterset_class = None
    search_fields = ["name", "code"]


@extend_schema_view(list=extend_schema(summary=_("部门列表")), retrieve=extend_schema(summary=_("部门")))
class DepartmentViewSet(RegistryViewSet):
    queryset = Department.objects.select_related("region", "department_type").order_by("code")
    serializer_class = serializers.DepartmentOutput
    filterset_class = filters.DepartmentFilter
    search_fields = ["name", "code"]


@extend_schema_view(list=extend_schema(summary=_("权属规则列表")), retrieve=extend_schema(summary=_("权属规则")))
class OwnershipRuleViewSet(RegistryViewSet):
    queryset = OwnershipRule.objects.select_related("major", "minor", "region", "department").order_by(
        "major__edition", "major__kind", "major__code", "minor__code", "region__code", "pk")
    serializer_class = serializers.OwnershipRuleOutput
    filterset_class = filters.OwnershipRuleFilter
    search_fields = ["major__name", "minor__name", "department__name", "region__name"]
    ordering_fields = ["region__code", "major__code", "minor__code"]


@extend_schema_view(list=extend_schema(summary=_("部件列表")), retrieve=extend_schema(summary=_("部件")))
class ComponentViewSet(RegistryViewSet):
    queryset = Component.objects.select_related(
        "minor", "unit_grid", "competent_department", "owner_department", "maintainer_department"
    ).order_by("code")
    serializer_class = serializers.ComponentOutput
    filterset_class = filters.ComponentFilter
    search_fields = ["code", "name", "minor__name"]


_ERROR_400 = OpenApiResponse(serializers.ErrorOutput, description=_("参数错误或坐标不在本市单元网格内"))


class LocateView(APIView):
    """From a WGS-84 point to its unit grid, community, street, district and responsibility grid, with
    the collectors assigned there (whom verify and check tasks go to)."""

    @extend_schema(summary=_("坐标定位到单元网格"), parameters=[serializers.LocateQuery],
                   responses={200: serializers.LocationOutput, 400: _ERROR_400})
    def get(self, request: Request) -> Response:
        query = serializers.LocateQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        lon, lat = query.validated_data["lon"], query.validated_data["lat"]
        location = locate(lon, lat)
        regions = Region.objects.in_bulk([location.community_id, location.street_id, location.district_id])
        responsibility_grid = (ResponsibilityGrid.objects.filter(pk=location.responsibility_grid_id).first()
                               if location.responsibility_grid_id else None)
        data = {
            "lon": lon, "lat": lat,
            "unit_grid_id": location.unit_grid_id, "unit_grid_code": location.unit_grid_code,
            "community_id": location.community_id, "street_id": location.street_id,
            "district_id": location.district_id, "responsibility_grid_id": location.responsibility_grid_id,
            "community": regions.get(location.community_id), "street": regions.get(location.street_id),
            "district": regions.get(location.district_id), "responsibility_grid": responsibility_grid,
            "collectors": collectors_for_responsibility_grid(location.responsibility_grid_id),
        }
        return Response(serializers.LocationOutput(data).data)


class OwnershipView(APIView):
    """Who handles a class at a place: the component's registered owner or competent department, else
    the ownership rules (most specific region first, the minor class over the major); otherwise an
    explicit "unknown" with the reason, for the dispatcher to decide."""

    @extend_schema(summary=_("权属查询：某类问题在某处由哪个部门处置"), parameters=[serializers.OwnershipQuery],
                   responses={200: serializers.OwnershipOutput, 400: _ERROR_400})
    def get(self, request: Request) -> Response:
        query = serializers.OwnershipQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        minor = MinorClass.objects.filter(pk=params["minor"]).first()
        if minor is None:
            raise ApplicationError(_("小类 %(id)s 不存在。") % {"id": params["minor"]}, extra={"field": "minor"})
        component = None
        if params.get("component"):
            component = Component.objects.select_related("unit_grid").filter(code=params["component"]).first()
            if component is None:
                raise ApplicationError(_("部件 %(code)s 不存在。") % {"code": params["component"]},
                                       extra={"field": "component"})
        if "lon" in params:
            unit_grid = UnitGrid.objects.get(pk=locate(params["lon"], params["lat"]).unit_grid_id)
        else:
            unit_grid = component.unit_grid
        answer = ownership_resolve(minor=minor, unit_grid=unit_grid, component=component)
        data = {
            "unknown": answer.unknown, "basis": answer.basis, "explanation": answer.explanation,
            "department": answer.department, "minor": minor, "unit_grid": unit_grid,
            "component": component.code if component else None,
        }
        return Response(serializers.OwnershipOutput(data).data)
