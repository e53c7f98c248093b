"""Surveys API (/api/surveys/): a collector's survey tasks (the field app), a finding reported in a
task's grid (the case intake's fields, idempotent by the client's key), and a grid with no problem."""
import hashlib

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.parsers import JSONParser

from .. import selectors, services
from .serializers import FindingInput, FindingOutput, NoProblemInput, SurveyTaskOutput, TaskOutcomeOutput

PARSERS = [JSONParser, MultiPartParser, FormParser]


def _idempotency_key(request, client_id: str = "") -> str | None:
    """The client's retry key, scoped to the person and hashed (as the case API's)."""
    raw = (request.headers.get("Idempotency-Key") or client_id or "").strip()
    return hashlib.sha256(f"survey:{request.user.pk}:{raw}".encode()).hexdigest() if raw else None


class MyTasksApi(APIView):
    """GET: the caller's tasks of the surveys running today, pending first."""

    @extend_schema(responses=SurveyTaskOutput(many=True))
    def get(self, request):
        return Response(SurveyTaskOutput(selectors.tasks_mine(request.user), many=True).data)


class FindingApi(APIView):
    """POST: a problem found in the task's grid, with the case intake's fields and photos; 201 with
    the case number, 200 with the first answer for a retried submission."""

    parser_classes = PARSERS

    @extend_schema(request=FindingInput, responses={201: FindingOutput, 200: FindingOutput},
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)])
    def post(self, request, task_id: int):
        data = FindingInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        key = _idempotency_key(request, fields.get("client_id", ""))
        result = services.survey_finding_report(
            actor=request.user, task_id=task_id, minor_id=fields["minor_id"], lon=fields["lon"], lat=fields["lat"],
            description=fields["description"], address=fields["address"], component_code=fields["component_code"],
            photos=request.FILES.getlist("photos") if hasattr(request, "FILES") else [], idempotency_key=key)
        return Response(FindingOutput(result.finding).data,
                        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class NoProblemApi(APIView):
    """POST: the task's grid has no problem of the survey's classes."""

    parser_classes = PARSERS

    @extend_schema(request=NoProblemInput, responses=TaskOutcomeOutput)
    def post(self, request, task_id: int):
        data = NoProblemInput(data=request.data)
        data.is_valid(raise_exception=True)
        task = services.survey_task_no_problem(actor=request.user, task_id=task_id, note=data.validated_data["note"])
        return Response(TaskOutcomeOutput(task).data)
