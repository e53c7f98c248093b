"""Pages of rewards: the citizens and their balances, a citizen's statement (staff), the payout
register of a month (made, exported for the finance office, marked paid), and, in the public
channel, the citizen's own statement."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.xlsx import xlsx_response

from . import selectors, services
from .public import public_statement


def _viewer(request: HttpRequest) -> None:
    if not selectors.can_view_rewards(request.user):
        raise PermissionDenied(_("您无权查看有奖举报。"))


def _payer(request: HttpRequest) -> None:
    if not selectors.can_pay(request.user):
        raise PermissionDenied(_("只有管理人员可以生成和确认奖励发放。"))


def _month(request: HttpRequest):
    text = request.GET.get("month") or request.POST.get("month") or f"{timezone.localdate():%Y-%m}"
    return services.month_parse(text)


@login_required
def citizens_page(request: HttpRequest) -> HttpResponse:
    """The citizens with their balances, the largest first; a full phone opens the statement."""
    _viewer(request)
    query = "".join(ch for ch in request.GET.get("phone", "") if ch.isdigit())
    rows = [{"citizen": citizen, "phone": selectors.phone_for(request.user, citizen.phone),
             "awards": citizen.awards, "balance": citizen.balance, "unpaid": citizen.unpaid}
            for citizen in selectors.citizen_balances(phone=query)]
    return render(request, "rewards/citizens.html", {
        "rows": rows, "query": query, "scheme": selectors.scheme_active(), "can_pay": selectors.can_pay(request.user)})


@login_required
def statement_page(request: HttpRequest, citizen_id: int) -> HttpResponse:
    _viewer(request)
    citizen = selectors.citizen_by_id(citizen_id)
    if citizen is None:
        raise Http404(_("举报人不存在。"))
    return render(request, "rewards/statement.html", {
        "statement": selectors.citizen_statement(citizen, viewer=request.user), "staff": True})


def public_statement_page(request: HttpRequest) -> HttpResponse:
    """The citizen's own statement (no sign-in): phone and the number of one of their reports."""
    context: dict = {"phone": request.POST.get("phone", ""), "case_number": request.POST.get("case_number", "")}
    status = 200
    if request.method == "POST":
        try:
            context["statement"] = public_statement(request, phone=context["phone"],
                                                    case_number=context["case_number"])
            # The answer shows the phone masked only: the form is not filled again with it.
            context["phone"] = ""
        except ApplicationError as error:
            context["error"], status = error.message, error.status_code
    return render(request, "rewards/my_statement.html", context, status=status)


def _register_context(request: HttpRequest, month, **extra) -> dict:
    return {"month": month, "payouts": selectors.payouts_of_month(month), "totals": selectors.payout_totals(month),
            "pending": [dict(row, phone=selectors.phone_for(request.user, row["citizen__phone"]))
                        for row in selectors.unpaid_balances(month)],
            **extra}


@login_required
def payouts_page(request: HttpRequest) -> HttpResponse:
    _payer(request)
    try:
        month = _month(request)
    except ApplicationError as error:
        month = timezone.localdate().replace(day=1)
        return render(request, "rewards/payouts.html", _register_context(request, month, error=error.message),
                      status=400)
    context = _register_context(request, month)
    context["payout_rows"] = [{"payout": payout, "phone": selectors.phone_for(request.user, payout.citizen.phone)}
                              for payout in context["payouts"]]
    context["has_unpaid"] = any(row["payout"].paid_at is None for row in context["payout_rows"])
    return render(request, "rewards/payouts.html", context)


@login_required
@require_POST
def payouts_create(request: HttpRequest) -> HttpResponse:
    _payer(request)
    try:
        month = _month(request)
        made = services.payout_register_create(actor=request.user, month=month)
        messages.success(request, _("已生成 %(count)d 条发放登记。") % {"count": len(made)})
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(reverse("rewards:payouts") + f"?month={request.POST.get('month', '')}")
    return redirect(reverse("rewards:payouts") + f"?month={month:%Y-%m}")


@login_required
@require_POST
def payouts_paid(request: HttpRequest) -> HttpResponse:
    _payer(request)
    ids = [int(value) for value in request.POST.getlist("payout_ids") if value.isdigit()]
    try:
        marked = services.payout_mark_paid(actor=request.user, payout_ids=ids)
        messages.success(request, _("已确认发放 %(count)d 条。") % {"count": marked})
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect(reverse("rewards:payouts") + f"?month={request.POST.get('month', '')}")


@login_required
def payouts_export(request: HttpRequest) -> HttpResponse:
    """The month's register as .xlsx for the finance office: phones in full only for those who
    may read them (administrators, hotline agents), masked in a manager's copy."""
    _payer(request)
    month = _month(request)
    rows = ([payout.pk, f"{payout.month:%Y-%m}", selectors.phone_for(request.user, payout.citizen.phone),
             payout.get_unit_display(), payout.amount, payout.entry_count, payout.created_at,
             payout.paid_at, payout.paid_by.username if payout.paid_by else ""]
            for payout in selectors.payouts_of_month(month))
    return xlsx_response(
        filename=f"rewards-payouts-{month:%Y-%m}.xlsx", title=_("奖励发放登记 %(month)s") % {"month": f"{month:%Y-%m}"},
        headers=[_("序号"), _("结算月份"), _("联系电话"), _("奖励单位"), _("金额"), _("条目数"), _("生成时间"),
                 _("发放时间"), _("发放确认人")], rows=rows)
