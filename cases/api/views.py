"""Case API: report (JSON or multipart), self-handled report, list, detail with the available
actions and timeline, one endpoint for every action, and the collector's tasks."""
import hashlib

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError, NotFoundError
from core.parsers import JSONParser
from core.text import text_clean

from .. import selectors, services, workflow
from ..models import Case, Task
from ..permissions import case_not_found
from ..transitions import FIELD, TRANSITIONS
from .filters import CaseFilter
from .pagination import CappedCountPagination
from .serializers import (
    ActionInput,
    ActionOutput,
    CaseDetailOutput,
    CaseListOutput,
    CaseReceiptOutput,
    ReportInput,
    SelfHandledInput,
    TaskOutput,
)

PARSERS = [JSONParser, MultiPartParser, FormParser]


def _idempotency_key(request, client_id: str = "") -> str | None:
    """The client's retry key (the Idempotency-Key header, else the client_id field), scoped to the
    person: two phones that number their reports from 1 must not get each other's case. Hashed, so
    a key of any length fits the column."""
    raw = (request.headers.get("Idempotency-Key") or client_id or "").strip()
    if not raw:
        return None
    return hashlib.sha256(f"api:{request.user.pk}:{raw}".encode()).hexdigest()


def _files(request, name: str) -> list:
    return request.FILES.getlist(name) if hasattr(request, "FILES") else []


class CaseListCreateApi(generics.ListAPIView):
    """GET: cases in the caller's scope, filtered and ordered. POST: report a problem."""

    serializer_class = CaseListOutput
    filterset_class = CaseFilter
    pagination_class = CappedCountPagination
    parser_classes = PARSERS

    queryset = Case.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        return selectors.case_rows(self.request.user).order_by("current_deadline", "pk")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return None if page is None else selectors.case_rows_complete(page)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(request=ReportInput, responses={201: CaseReceiptOutput, 200: CaseReceiptOutput},
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)])
    def post(self, request):
        """Answers with a receipt (CaseReceiptOutput), not the detail: a field app files reports all
        day and opens few of them again, and the receipt is built from what the intake holds, where
        the detail would cost nine more queries per report. 200 with the first case's receipt for
        a retried submission."""
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        key = _idempotency_key(request, fields.pop("client_id", ""))
        fields.pop("photos", None)
        result = services.case_report(actor=request.user, idempotency_key=key, photos=_files(request, "photos"),
                                      **fields)
        case, attachments = result.case, result.attachments
        if not result.created:
            case = selectors.case_receipt(result.case.pk)
        body = CaseReceiptOutput(case, context={"request": request, "attachments": attachments}).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
                        headers={"Location": body["url"]})


class SelfHandledApi(APIView):
    """A collector's self-handled case (自行处置): created closed, with photos before and after."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=SelfHandledInput, responses={201: CaseDetailOutput})
    def post(self, request):
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        key = _idempotency_key(request, fields.get("client_id", ""))
        result = services.case_report_self_handled(
            actor=request.user, minor_id=fields["minor_id"], lon=fields["lon"], lat=fields["lat"],
            description=fields["description"], address=fields["address"], idempotency_key=key,
            before_photos=_files(request, "photos"), after_photos=_files(request, "after_photos"),
        )
        case = selectors.case_detail_api(request.user, result.case.pk)
        return Response(CaseDetailOutput(case, context={"request": request}).data,
                        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class CaseDetailApi(APIView):
    @extend_schema(responses=CaseDetailOutput)
    def get(self, request, case_id: int):
        case = selectors.case_detail_api(request.user, case_id)
        if case is None:
            raise case_not_found()
        return Response(CaseDetailOutput(case, context={"request": request, "now": timezone.now()}).data)


class CaseActionApi(APIView):
    """POST /api/cases/{id}/actions/{action}/ — one endpoint per move of the transition table.
    403 for a wrong role or out of scope, 409 (with the allowed moves) for a wrong state."""

    parser_classes = PARSERS

    @extend_schema(request=ActionInput, responses=ActionOutput,
                   parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=sorted(TRANSITIONS))])
    def post(self, request, case_id: int, action: str):
        if action not in TRANSITIONS:
            raise NotFoundError(_("没有“%(action)s”这个操作。") % {"action": action})
        if TRANSITIONS[action].through:
            # Its decision is recorded there with the move (a joint review: /api/supervision/).
            raise ApplicationError(_("“%(action)s”只能在%(through)s中办理。") % {
                "action": TRANSITIONS[action].label, "through": TRANSITIONS[action].through}, extra={"field": "action"})
        data = ActionInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        transition = TRANSITIONS[action]
        arguments = {"note": text_clean(fields.get("note", ""))}
        for name in transition.required + transition.optional:
            if name in fields and name not in FIELD:
                arguments[name] = fields[name]
        position = None
        if "lon" in transition.optional and "lon" in fields and "lat" in fields:
            position = workflow.Position(fields["lon"], fields["lat"], fields.get("accuracy"))
        case = services.case_move(actor=request.user, case_id=case_id, action=action, position=position,
                                  photos=_files(request, "photos"), key=_idempotency_key(request), **arguments)
        answer = workflow.position_payload(case, position)
        detail = selectors.case_detail_api(request.user, case_id)
        if detail is None:  # the move took the case out of the actor's scope (e.g. a return)
            body = {"detail": _("操作成功。"), "action": action}
            if answer:
                body.update(distance_m=answer["distance_m"], far=answer["far"])
            return Response(body, status=status.HTTP_200_OK)
        context = {"request": request, "now": timezone.now(), "answer": answer}
        return Response(ActionOutput(detail, context=context).data)


class MyTasksApi(generics.ListAPIView):
    """The current collector's open verify and check tasks."""

    serializer_class = TaskOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()
        return selectors.tasks_for_collector(self.request.user)
