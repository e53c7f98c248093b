"""The map's API at /api/grids/map/: the place search, what a point is (grids and a proposed
address) and the offline basemap's features in a box. For signed-in staff, like the rest of the
registry API; the search keeps to the user's region."""
from __future__ import annotations

import hashlib
import json

from django.http import HttpResponse, HttpResponseNotModified
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.gzip import gzip_page
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..mapping import basemap_features, bbox_parse, map_search, point_describe
from .serializers import ErrorOutput, LocateQuery

_ERROR_400 = OpenApiResponse(ErrorOutput, description=_("参数错误或坐标不在本市单元网格内"))
# The basemap of a box changes only when the registry is re-imported; browsers keep it this long
# and then revalidate with the ETag.
BASEMAP_MAX_AGE_SECONDS = 600

SEARCH_KIND_LABELS = {"road": gettext_lazy("道路"), "community": gettext_lazy("社区"), "place": gettext_lazy("地名"),
                      "component": gettext_lazy("部件"), "unit_grid": gettext_lazy("单元网格")}


class MapSearchHitOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(SEARCH_KIND_LABELS))
    kind_label = serializers.CharField()
    label = serializers.CharField()
    detail = serializers.CharField()
    code = serializers.CharField()
    lon = serializers.FloatField()
    lat = serializers.FloatField()


class MapSearchOutput(serializers.Serializer):
    results = MapSearchHitOutput(many=True)


class MapSearchView(APIView):
    """Roads, communities, registered places (names and aliases), components and unit grids by
    code: the map's type-ahead, each result with the point the marker moves to."""

    @extend_schema(summary=_("地图查找：道路、社区、地名地标、部件编码"),
                   parameters=[OpenApiParameter("q", str, required=True, description=_("查找内容"))],
                   responses={200: MapSearchOutput, 400: _ERROR_400})
    def get(self, request: Request) -> Response:
        hits = map_search(user=request.user, query=request.query_params.get("q", ""))
        results = [{"kind": h.kind, "kind_label": str(SEARCH_KIND_LABELS[h.kind]), "label": h.label,
                    "detail": h.detail, "code": h.code, "lon": h.lon, "lat": h.lat} for h in hits]
        return Response(MapSearchOutput({"results": results}).data)


class _Named(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class MapPointOutput(serializers.Serializer):
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    unit_grid = serializers.CharField(help_text=_("单元网格代码"))
    community = _Named()
    street = _Named()
    district = _Named()
    responsibility_grid = _Named(allow_null=True)
    road = serializers.CharField(help_text=_("最近的道路（250米内），没有则为空"))
    road_metres = serializers.FloatField(allow_null=True)
    place = serializers.CharField(help_text=_("最近的地名地标（120米内），没有则为空"))
    address = serializers.CharField(help_text=_("建议地址：最近道路 + 社区"))


class MapPointView(APIView):
    """What a point on the map is: its unit grid, community, street, district and responsibility
    grid, and the address proposed for it (nearest road and community)."""

    @extend_schema(summary=_("地图选点：网格、社区、责任网格和建议地址"), parameters=[LocateQuery],
                   responses={200: MapPointOutput, 400: _ERROR_400})
    def get(self, request: Request) -> Response:
        query = LocateQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        point = point_describe(lon=query.validated_data["lon"], lat=query.validated_data["lat"])
        grid = point.unit_grid
        rgrid = grid.responsibility_grid
        data = {
            "lon": point.lon, "lat": point.lat, "unit_grid": grid.code,
            "community": grid.community, "street": grid.street, "district": grid.district,
            "responsibility_grid": rgrid, "road": point.road, "road_metres": point.road_metres,
            "place": point.place, "address": point.address,
        }
        return Response(MapPointOutput(data).data)


class _AnyAccept(BaseContentNegotiation):
    """The basemap answers GeoJSON whatever the Accept header asks (application/geo+json, */*); its
    errors still come out as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@method_decorator(gzip_page, name="dispatch")
class BasemapView(APIView):
    """The offline basemap's features in a box, as one GeoJSON FeatureCollection (`layer`: block,
    green, water, building, road, grid). Cacheable: Cache-Control and an ETag of the content.
    Gzipped when the browser accepts it (a street-sized box: 114 KB → 15 KB); it holds no secret for
    a compression side channel to leak."""

    content_negotiation_class = _AnyAccept

    @extend_schema(summary=_("离线底图要素（GeoJSON）"),
                   parameters=[OpenApiParameter("bbox", str, required=True,
                                                description=_("最小经度,最小纬度,最大经度,最大纬度"))],
                   responses={(200, "application/geo+json"): dict, 400: _ERROR_400})
    def get(self, request: Request) -> HttpResponse:
        bbox = bbox_parse(request.query_params.get("bbox", ""))
        body = json.dumps(basemap_features(bbox=bbox), ensure_ascii=False, separators=(",", ":")).encode()
        etag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(body, content_type="application/geo+json; charset=utf-8")
        response["ETag"] = etag
        response["Cache-Control"] = f"private, max-age={BASEMAP_MAX_AGE_SECONDS}"
        return response
