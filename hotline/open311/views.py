"""Open311 GeoReport v2 endpoints. The format comes from the URL suffix (.json / .xml); errors are
the spec's list of {code, description}: 400 for missing or invalid parameters, 403 for a missing or
bad api_key, 404 for an unknown service_code, request or token, 429 when rate limited.

What a request shows: status open/closed, the current step in plain words as status_notes, the
handling deadline as expected_datetime, the class, the department and the point. Descriptions and
addresses are published only for reports that came through the public channel (with long digit runs
masked); calls' and collectors' texts stay inside. No names, phones, e-mails or photos, ever.
"""
import re
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Case, Source, State
from cases.months import reported_between_q
from core.api import AutoSchema
from core.dates import moment_problem
from core.db_router import replica_reads
from core.errors import ApplicationError
from core.parsers import request_limit_error
from core.text import text_clean

from .. import services
from ..masking import redact_digits
from ..models import PublicChannel, PublicReport
from ..progress import CLOSED_STATES, public_status, state_words
from ..ratelimit import client_ip, rate_limit_request
from ..service_codes import minor_by_service_code, service_code, services_active
from . import serializers as docs
from .renderers import Open311JSONRenderer, Open311XMLRenderer

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-01-01T00:00:00+08:00"  # the date this endpoint's behaviour last changed
MAX_WINDOW = timedelta(days=90)
ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")

FORMAT_PARAMETER = OpenApiParameter("response_format", str, OpenApiParameter.PATH, enum=["json", "xml"],
                                    description="json / xml")


class Open311Error(APIException):
    """An error in the spec's shape: its HTTP code is also the `code` of the error list."""

    def __init__(self, code: int, description: str):
        self.status_code = code
        super().__init__(description)


def open311_exception_handler(exc, context):
    """Every client error as [{"code": …, "description": …}] with the same HTTP code."""
    exc = request_limit_error(exc) or exc
    if isinstance(exc, ApplicationError):
        code, description = exc.status_code, str(exc.message)
        field = exc.extra.get("field")
        if field:
            description = f"{field}: {description}"
    elif isinstance(exc, Http404):
        code, description = 404, _("未找到。")
    elif isinstance(exc, DjangoPermissionDenied):
        code, description = 403, _("没有权限。")
    elif isinstance(exc, APIException):
        code, description = exc.status_code, _flatten(exc.detail)
    else:
        return None
    response = Response([{"code": code, "description": description}], status=code)
    if getattr(exc, "wait", None):
        response["Retry-After"] = str(exc.wait)
    return response


def _flatten(detail) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return "; ".join(_flatten(item) for item in detail)
    return str(detail)


def w3c(moment: datetime | None) -> str | None:
    """A w3c datetime with the city's offset, e.g. 2026-03-02T09:15:00+08:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


# An Open311 error answer (open311_exception_handler): a list of {code, description}.
ERROR_LIST_SCHEMA = {"type": "array", "minItems": 1, "items": {
    "type": "object", "required": ["code", "description"],
    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}}}


class Open311Schema(AutoSchema):
    """The format is the URL's suffix (.json / .xml), which DRF prefers to its ?format= parameter:
    that one is never read here, so it is not documented either."""

    def _get_format_parameters(self):
        return []


class Open311Api(APIView):
    schema = Open311Schema()
    openapi_error_schema = ERROR_LIST_SCHEMA
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    renderer_classes = [Open311JSONRenderer, Open311XMLRenderer]
    xml_root = "service_requests"
    xml_item = "request"

    def get_exception_handler(self):
        return open311_exception_handler

    def initial(self, request, *args, **kwargs):
        # A NUL character cannot be stored or compared in PostgreSQL text: refuse it up front, in
        # the spec's error shape, rather than let the database fail the request.
        values = [*request.query_params.values(), *(str(value) for value in kwargs.values())]
        if request.method == "POST":
            values += [value for value in request.data.values() if isinstance(value, str)]
        super().initial(request, *args, **kwargs)  # first: it picks the format the error is told in
        if any("\x00" in value for value in values):
            raise Open311Error(400, _("参数中含有不允许的空字符（NUL）。"))

    def get_format_suffix(self, **kwargs):
        # The URL's ".json" / ".xml" picks the renderer. The kwarg is not named "format" so that the
        # schema generator, which skips DRF's format-suffix URLs, documents these endpoints.
        return kwargs.get("response_format")


# --- discovery and services ------------------------------------------------------------------

class DiscoveryApi(Open311Api):
    """Service discovery: where the GeoReport v2 endpoint is and which formats it speaks."""

    xml_root, xml_item = "discovery", None

    @extend_schema(parameters=[FORMAT_PARAMETER], responses=docs.DiscoveryDoc, tags=["open311"],
                   operation_id="open311_discovery")
    def get(self, request, response_format=None):
        contact = settings.OPEN311_CONTACT or _("%(city)s数字城管指挥中心") % {"city": settings.CITY_NAME}
        return Response({
            "changeset": CHANGESET,
            "contact": contact,
            "key_service": _("API 密钥由指挥中心系统管理员在管理后台发放。"),
            "endpoints": [{
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri("/open311/v2"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }],
        })


def _service(minor) -> dict:
    return {
        "service_code": service_code(minor),
        "service_name": minor.name,
        "description": minor.filing_conditions or f"{minor.major.name} / {minor.name}",
        "metadata": bool(_attributes(minor)),
        "type": "realtime",
        "keywords": f"{minor.get_kind_display()},{minor.major.name}",
        "group": minor.major.name,
    }


def _attributes(minor) -> list[dict]:
    """The extra fields a service takes: the component's identity code for component classes."""
    if minor.kind != "component":
        return []
    return [{
        "variable": True,
        "code": "component_code",
        "datatype": "string",
        "required": False,
        "datatype_description": _("16 或 17 位数字，见部件上的标识牌"),
        "order": 1,
        "description": _("部件标识码（可选）"),
    }]


@extend_schema(exclude=True)
class DiscoveryRootApi(DiscoveryApi):
    """The same discovery document at /open311/discovery.*, where some clients look first."""



class ServiceListApi(Open311Api):
    """Our active classes (components, events, matters) as services, grouped by major class."""

    xml_root, xml_item = "services", "service"

    @extend_schema(parameters=[FORMAT_PARAMETER], responses=docs.ServiceDoc(many=True), tags=["open311"],
                   operation_id="open311_services")
    def get(self, request, response_format=None):
        return Response([_service(minor) for minor in services_active()])


class ServiceDefinitionApi(Open311Api):
    xml_root, xml_item = "service_definition", None

    @extend_schema(parameters=[FORMAT_PARAMETER], responses=docs.ServiceDefinitionDoc, tags=["open311"],
                   operation_id="open311_service_definition")
    def get(self, request, service_code: str, response_format=None):
        minor = minor_by_service_code(service_code)
        if minor is None:
            raise Open311Error(404, _("service_code “%(code)s” 不存在。") % {"code": service_code})
        return Response({"service_code": service_code, "attributes": _attributes(minor)})


# --- requests --------------------------------------------------------------------------------

def request_dict(case: Case) -> dict:
    public = case.source == Source.PUBLIC
    notes = state_words(case.state)
    if case.state == State.MERGED and case.merged_into_id:
        notes = _("%(words)s（案件编号 %(number)s）") % {"words": notes, "number": case.merged_into.number}
    return {
        "service_request_id": case.number,
        "status": public_status(case.state),
        "status_notes": notes,
        "service_name": case.minor.name,
        "service_code": service_code(case.minor),
        "description": redact_digits(case.description) if public else "",
        "agency_responsible": case.department.name if case.department_id else "",
        "service_notice": "",
        "requested_datetime": w3c(case.reported_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(case.handle_deadline) if case.state not in CLOSED_STATES else None,
        "address": redact_digits(case.address) if public else "",
        "address_id": "",
        "zipcode": "",
        "lat": case.lat,
        "long": case.lon,
        "media_url": "",
    }


def _requests_queryset():
    return Case.objects.select_related("minor", "department", "merged_into")


def _parse_when(value: str, name: str) -> datetime:
    text = value.strip()
    try:
        moment = parse_datetime(text) or parse_datetime(text.replace(" ", "+"))  # "+" arrives as a space
        if moment is None and (day := parse_date(text)) is not None:
            moment = datetime.combine(day, time.min)
    except ValueError:  # well-formed but impossible, e.g. month 13
        moment = None
    if moment is None:
        raise Open311Error(400, _("%(name)s 不是有效的 w3c 日期时间（例如 2026-03-01T00:00:00+08:00）。")
                           % {"name": name})
    problem = moment_problem(moment)
    if problem:
        raise Open311Error(400, f"{name}: {problem}")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _window(params) -> tuple[datetime, datetime]:
    """start_date/end_date, at most 90 days apart; by default the last 90 days."""
    start = _parse_when(params["start_date"], "start_date") if params.get("start_date") else None
    end = _parse_when(params["end_date"], "end_date") if params.get("end_date") else None
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - MAX_WINDOW
    if end is None:
        end = start + MAX_WINDOW
    if end < start:
        raise Open311Error(400, _("end_date 不能早于 start_date。"))
    if end - start > MAX_WINDOW:
        raise Open311Error(400, _("start_date 与 end_date 相差不能超过 90 天。"))
    return start, end


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class RequestsApi(Open311Api):
    """GET: service requests, filtered by service_request_id (overrides the rest), service_code,
    start_date/end_date (at most 90 days; the last 90 by default) and status (open, closed).
    POST: a new service request (form-encoded or multipart with a `media` photo), api_key required."""

    parser_classes = [FormParser, MultiPartParser]

    @extend_schema(
        parameters=[
            FORMAT_PARAMETER,
            OpenApiParameter("service_request_id", str, description=_("逗号分隔；指定后忽略其他条件")),
            OpenApiParameter("service_code", str, description=_("逗号分隔")),
            OpenApiParameter("start_date", str, description="w3c datetime"),
            OpenApiParameter("end_date", str, description="w3c datetime"),
            OpenApiParameter("status", str, description="open / closed"),
        ],
        responses=docs.RequestDoc(many=True), tags=["open311"], operation_id="open311_requests_list",
    )
    @replica_reads
    def get(self, request, response_format=None):
        params = request.query_params
        cases = _requests_queryset()
        limit = settings.OPEN311_MAX_RESULTS
        numbers = _split(params.get("service_request_id", ""))
        if numbers:
            cases = cases.filter(number__in=numbers[:limit])
        else:
            start, end = _window(params)
            cases = cases.filter(reported_between_q(start, end + timedelta(microseconds=1)),
                                 reported_at__gte=start, reported_at__lte=end)
            codes = _split(params.get("service_code", ""))
            if codes:
                minors = [minor for minor in (minor_by_service_code(code) for code in codes) if minor is not None]
                cases = cases.filter(minor__in=minors)
            statuses = set(_split(params.get("status", "")))
            if statuses - {"open", "closed"}:
                raise Open311Error(400, _("status 只能是 open 或 closed。"))
            if statuses == {"open"}:
                cases = cases.exclude(state__in=CLOSED_STATES)
            elif statuses == {"closed"}:
                cases = cases.filter(state__in=CLOSED_STATES)
        return Response([request_dict(case) for case in cases.order_by("-reported_at", "-pk")[:limit]])

    @extend_schema(
        parameters=[FORMAT_PARAMETER],
        request={"application/x-www-form-urlencoded": docs.RequestPostDoc, "multipart/form-data": docs.RequestPostDoc},
        responses={201: docs.RequestCreatedDoc(many=True)}, tags=["open311"], operation_id="open311_requests_create",
    )
    def post(self, request, response_format=None):
        data = request.data
        raw_key = data.get("api_key") or request.query_params.get("api_key") or ""
        if not raw_key:
            raise Open311Error(403, _("未提供 api_key。"))
        api_key = services.apikey_authenticate(raw_key)
        if api_key is None:
            raise Open311Error(403, _("api_key 无效或已停用。"))
        rate_limit_request(request, scope="open311-post", rate=settings.PUBLIC_REPORT_RATE_LIMIT, api_key=api_key)

        code = (data.get("service_code") or "").strip()
        if not code:
            raise Open311Error(400, _("未提供 service_code。"))
        minor = minor_by_service_code(code)
        if minor is None:
            raise Open311Error(404, _("service_code “%(code)s” 不存在。") % {"code": code})
        lon, lat = _location(data)
        attributes = _attributes_from(data)
        for attribute in _attributes(minor):
            if attribute["required"] and not attributes.get(attribute["code"]):
                raise Open311Error(400, _("缺少必填属性 attribute[%(code)s]。") % {"code": attribute["code"]})
        component_code = attributes.get("component_code", "")
        if isinstance(component_code, list):
            component_code = component_code[0] if component_code else ""
        media = request.FILES.getlist("media")
        name = " ".join(part for part in (data.get("last_name", ""), data.get("first_name", "")) if part).strip()
        result = services.public_report(
            channel=PublicChannel.OPEN311, minor_id=minor.pk, lon=lon, lat=lat,
            description=text_clean(data.get("description")) or minor.name,
            address=text_clean(data.get("address_string"))[:200], component_code=str(component_code).strip(),
            contact_name=name, contact_phone=data.get("phone") or "", contact_email=data.get("email") or "",
            photos=media, api_key=api_key, client_ip=client_ip(request), device_id=data.get("device_id") or "",
            account_id=data.get("account_id") or "", attributes=attributes,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        body = [{"service_request_id": result.case.number, "token": result.report.token, "service_notice": "",
                 "account_id": result.report.account_id or None}]
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


def _location(data) -> tuple[float, float]:
    raw_lat, raw_lon = (data.get("lat") or "").strip(), (data.get("long") or "").strip()
    if not raw_lat and not raw_lon:
        if (data.get("address_string") or data.get("address_id") or "").strip():
            raise Open311Error(400, _("本系统需要经纬度定位：请提供 lat 和 long（暂不支持仅凭地址上报）。"))
        raise Open311Error(400, _("缺少位置：请提供 lat 和 long。"))
    try:
        lat, lon = float(raw_lat), float(raw_lon)
    except ValueError:
        raise Open311Error(400, _("lat 和 long 必须是数字（WGS-84 经纬度）。")) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Open311Error(400, _("lat 或 long 超出范围。"))
    return lon, lat


def _attributes_from(data) -> dict:
    """attribute[code]=value and attribute[code][]=value (multi-value lists)."""
    attributes: dict = {}
    for key in data.keys():
        match = ATTRIBUTE_KEY.match(key)
        if not match:
            continue
        values = data.getlist(key) if hasattr(data, "getlist") else [data[key]]
        attributes[match.group(1)] = values if match.group(2) else (values[-1] if values else "")
    return attributes


class RequestDetailApi(Open311Api):
    @extend_schema(parameters=[FORMAT_PARAMETER], responses=docs.RequestDoc(many=True), tags=["open311"],
                   operation_id="open311_request")
    @replica_reads
    def get(self, request, service_request_id: str, response_format=None):
        case = _requests_queryset().filter(number=service_request_id).first()
        if case is None:
            raise Open311Error(404, _("service_request_id “%(id)s” 不存在。") % {"id": service_request_id})
        return Response([request_dict(case)])


class TokenApi(Open311Api):
    """The service_request_id a token stands for (ours are issued with the id at once)."""

    @extend_schema(parameters=[FORMAT_PARAMETER], responses=docs.TokenDoc(many=True), tags=["open311"],
                   operation_id="open311_token")
    def get(self, request, token: str, response_format=None):
        report = PublicReport.objects.select_related("case").filter(token=token).first()
        if report is None:
            raise Open311Error(404, _("token “%(token)s” 不存在。") % {"token": token})
        return Response([{"service_request_id": report.case.number, "token": report.token}])

