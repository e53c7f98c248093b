"""Rewards API (/api/rewards/): a citizen's statement for staff and, in the public channel, for the
citizen; the payout register of a month, made and marked paid by a manager."""
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError
from core.phones import phone_normalize

from .. import selectors, services
from ..public import public_statement
from .serializers import (
    PaidOutput,
    PayoutCreateInput,
    PayoutOutput,
    PayoutsPaidInput,
    PublicStatementInput,
    StatementOutput,
)


def _viewer(request) -> None:
    if not selectors.can_view_rewards(request.user):
        raise ApplicationError(_("您无权查看有奖举报。"), status_code=403)


def _payer(request) -> None:
    if not selectors.can_pay(request.user):
        raise ApplicationError(_("只有管理人员可以生成和确认奖励发放。"), status_code=403)


class StatementApi(APIView):
    """GET ?phone=: a citizen's statement (entries and totals), the phone masked but for hotline
    agents and administrators."""

    @extend_schema(parameters=[OpenApiParameter("phone", str, required=True)], responses=StatementOutput)
    def get(self, request):
        _viewer(request)
        phone = phone_normalize(request.query_params.get("phone", ""))
        return Response(StatementOutput(selectors.statement(phone, viewer=request.user)).data)


class PublicStatementApi(APIView):
    """POST {phone, case_number}: the citizen's own statement (the number of one of their reports
    proves the phone is theirs); 404 otherwise; rate-limited."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=PublicStatementInput, responses=StatementOutput)
    def post(self, request):
        data = PublicStatementInput(data=request.data)
        data.is_valid(raise_exception=True)
        found = public_statement(request, **data.validated_data)
        return Response(StatementOutput(found).data)


class PayoutListCreateApi(APIView):
    """GET ?month=2026-12: the register's lines of the month. POST {month}: make the month's register."""

    @extend_schema(parameters=[OpenApiParameter("month", str, required=True)], responses=PayoutOutput(many=True))
    def get(self, request):
        _payer(request)
        month = services.month_parse(request.query_params.get("month", ""))
        rows = selectors.payouts_of_month(month)
        return Response(PayoutOutput(rows, many=True, context={"user": request.user}).data)

    @extend_schema(request=PayoutCreateInput, responses={201: PayoutOutput(many=True)})
    def post(self, request):
        _payer(request)
        data = PayoutCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        month = services.month_parse(data.validated_data["month"])
        services.payout_register_create(actor=request.user, month=month)
        rows = selectors.payouts_of_month(month)
        return Response(PayoutOutput(rows, many=True, context={"user": request.user}).data,
                        status=status.HTTP_201_CREATED)


class PayoutsPaidApi(APIView):
    """POST {payout_ids}: mark register lines paid."""

    @extend_schema(request=PayoutsPaidInput, responses=PaidOutput)
    def post(self, request):
        _payer(request)
        data = PayoutsPaidInput(data=request.data)
        data.is_valid(raise_exception=True)
        marked = services.payout_mark_paid(actor=request.user, payout_ids=data.validated_data["payout_ids"])
        return Response(PaidOutput({"marked": marked}).data)
