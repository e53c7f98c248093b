"""The field app's API (/api/field/): what the phone needs beyond the case and patrol APIs, the class
picker with the reporter's most used classes first and the department inbox with its marks. Same
scope rules as everything else (cases.selectors)."""
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import PermissionDeniedError
from grids.models import Role

from .. import selectors
from .serializers import ClassPickerOutput, InboxCaseOutput

INBOX_MAX = 200


class ClassPickerApi(APIView):
    """Active minor classes, with the ids of the caller's most used ones (last 90 days) first."""

    @extend_schema(summary=_("上报类别选择：常用在前"), responses=ClassPickerOutput)
    def get(self, request):
        body = {"frequent": selectors.classes_frequent(request.user), "classes": selectors.classes_active()}
        return Response(ClassPickerOutput(body).data)


class InboxApi(APIView):
    """The department's cases being handled or suspended and those it assists on (协办) with its task
    open, overdue first, with their marks."""

    @extend_schema(summary=_("处置通收件箱：超时在前，带挂账、督办、返工标记"), responses=InboxCaseOutput(many=True))
    def get(self, request):
        if request.user.role not in (Role.HANDLER, Role.ADMIN):
            raise PermissionDeniedError(_("收件箱只对专业部门开放。"))
        cases = selectors.handler_inbox(request.user, now=timezone.now())[:INBOX_MAX]
        return Response(InboxCaseOutput(cases, many=True).data)
