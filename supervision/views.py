"""Supervision's pages: the pending joint reviews (convene one, add cases), a review's page
(attendees, minutes, the decision per case), the letter register (filters, Excel export), drafting
a letter from cases, and a letter's page (edit, send, answer, sign off, return; printable on A4).
Every write is a service call; an ApplicationError becomes the page again with its message."""
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError, page_refusal_raise
from core.xlsx import xlsx_response
from grids.models import Department

from . import selectors, services
from .models import LetterKind, LetterStatus, Outcome

PAGE_SIZE = 20


def _numbers(text: str) -> list[str]:
    return [part for part in text.replace("，", ",").replace("、", ",").replace("\n", ",").replace(" ", ",")
            .split(",") if part.strip()]


def _date(value: str) -> date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _departments():
    return Department.objects.filter(is_active=True).order_by("name")


# --- joint review ---------------------------------------------------------------------------------

def _reviews_context(request: HttpRequest, **extra) -> dict:
    page = Paginator(selectors.reviews_pending(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page, "reviews": page.object_list, "can_review": selectors.can_review(request.user),
            "concluded": selectors.reviews_concluded(request.user)[:10], "today": timezone.localdate(), **extra}


@login_required
def reviews_page(request: HttpRequest) -> HttpResponse:
    """Pending reviews and their cases; a form to convene one."""
    if not selectors.can_view(request.user):
        raise PermissionDenied(_("您无权查看联合会审。"))
    if request.method == "POST":
        try:
            review = services.review_create(
                actor=request.user, title=request.POST.get("title", ""), held_on=_date(request.POST.get("held_on")),
                case_numbers=_numbers(request.POST.get("case_numbers", "")), reason=request.POST.get("reason", ""))
        except ApplicationError as error:
            page_refusal_raise(error)
            return render(request, "supervision/reviews.html",
                          _reviews_context(request, error=error.message, form=request.POST), status=error.status_code)
        messages.success(request, _("已提请联合会审。"))
        return redirect("supervision:review", review.pk)
    return render(request, "supervision/reviews.html", _reviews_context(request, form={}))


def _review_context(request: HttpRequest, review_id: int, **extra) -> dict:
    review = selectors.review_detail(request.user, review_id)
    if review is None:
        raise Http404(_("会审不存在或不在您的管辖范围内。"))
    attending = {department.pk for department in review.attendees.all()}
    return {"review": review, "items": list(review.items.all()), "departments": _departments(),
            "attending": attending, "can_review": selectors.can_review(request.user),
            "min_deadline": timezone.localdate() + timedelta(days=1), "Outcome": Outcome, **extra}


@login_required
def review_page(request: HttpRequest, review_id: int) -> HttpResponse:
    if not selectors.can_view(request.user):
        raise PermissionDenied(_("您无权查看联合会审。"))
    return render(request, "supervision/review.html", _review_context(request, review_id))


def _review_post(request: HttpRequest, review_id: int, action, success: str) -> HttpResponse:
    try:
        action()
    except ApplicationError as error:
        page_refusal_raise(error)
        return render(request, "supervision/review.html", _review_context(request, review_id, error=error.message,
                                                                          failed=error.extra or {}),
                      status=error.status_code)
    messages.success(request, success)
    return redirect("supervision:review", review_id)


@login_required
@require_POST
def review_record_view(request: HttpRequest, review_id: int) -> HttpResponse:
    ids = [pk for pk in (_int(value) for value in request.POST.getlist("attendees")) if pk]
    return _review_post(request, review_id, lambda: services.review_record(
        actor=request.user, review_id=review_id, department_ids=ids, minutes=request.POST.get("minutes", "")),
        _("已登记参会部门和纪要。"))


@login_required
@require_POST
def review_cases_view(request: HttpRequest, review_id: int) -> HttpResponse:
    return _review_post(request, review_id, lambda: services.review_cases_add(
        actor=request.user, review_id=review_id, case_numbers=_numbers(request.POST.get("case_numbers", "")),
        reason=request.POST.get("reason", "")), _("已添加到会审议程。"))


@login_required
@require_POST
def review_decide_view(request: HttpRequest, item_id: int) -> HttpResponse:
    if not selectors.can_review(request.user):
        raise PermissionDenied(_("只有值班长或领导可以确认会审决定。"))
    item = selectors.review_item(request.user, item_id)
    if item is None:
        raise Http404(_("会审案件不存在或不在您的管辖范围内。"))
    return _review_post(request, item.review_id, lambda: services.review_decide(
        actor=request.user, item_id=item_id, outcome=request.POST.get("outcome", ""),
        department_id=_int(request.POST.get("department_id")), deadline=_date(request.POST.get("deadline")),
        note=request.POST.get("note", "")), _("会审决定已确认，案件已按决定流转。"))


# --- letters --------------------------------------------------------------------------------------

def _register_filters(request: HttpRequest) -> dict:
    return {"kind": request.GET.get("kind", ""), "state": request.GET.get("state", ""),
            "department_id": _int(request.GET.get("department")), "year": _int(request.GET.get("year"))}


def _state_label(letter, now) -> str:
    return str(_("超期未答复")) if letter.is_overdue(now) else letter.get_status_display()


@login_required
def letters_page(request: HttpRequest) -> HttpResponse:
    """The register of letters (a department: its own), filtered; `?export=xlsx` for Excel."""
    if not selectors.can_read_letters(request.user):
        raise PermissionDenied(_("您无权查看函件。"))
    filters = _register_filters(request)
    now = timezone.now()
    letters = selectors.letters_register(request.user, now=now, **filters)
    if request.GET.get("export") == "xlsx":
        headers = [_("文号"), _("类型"), _("标题"), _("主送部门"), _("案件"), _("状态"), _("发出时间"), _("答复期限"),
                   _("答复时间"), _("销号时间"), _("退回次数")]
        rows = ([letter.reference or _("草稿"), letter.get_kind_display(), letter.title, letter.department.name,
                 "、".join(case.number for case in letter.cases.all()), _state_label(letter, now), letter.sent_at,
                 letter.reply_deadline, letter.answered_at, letter.signed_off_at, letter.return_count]
                for letter in letters.iterator(chunk_size=500))
        return xlsx_response(filename=f"letters-{timezone.localdate():%Y%m%d}.xlsx", title=_("函件登记"),
                             headers=headers, rows=rows)
    page = Paginator(letters, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "supervision/letters.html", {
        "page": page, "letters": [(letter, _state_label(letter, now), letter.is_overdue(now))
                                  for letter in page.object_list],
        "filters": filters, "kinds": LetterKind.choices,
        "states": [*LetterStatus.choices, (selectors.OVERDUE, _("超期未答复"))],
        "departments": _departments() if request.user.role != "handler" else [],
        "years": selectors.letter_years(), "can_write": selectors.can_write_letters(request.user)})


@login_required
def letter_new(request: HttpRequest) -> HttpResponse:
    """Draft a letter from cases (`?cases=number,number` fills them in)."""
    if not selectors.can_write_letters(request.user):
        raise PermissionDenied(_("您无权起草函件。"))
    form = {"kind": request.GET.get("kind", LetterKind.ASSIGN), "case_numbers": request.GET.get("cases", ""),
            "department_id": request.GET.get("department", "")}
    if request.method == "POST":
        form = request.POST
        try:
            letter = services.letter_draft(
                actor=request.user, kind=request.POST.get("kind", ""), department_id=_int(request.POST.get("department_id")),
                case_numbers=_numbers(request.POST.get("case_numbers", "")), reply_hours=request.POST.get("reply_hours"))
        except ApplicationError as error:
            page_refusal_raise(error)
            return render(request, "supervision/letter_new.html", {"form": form, "error": error.message,
                          "kinds": LetterKind.choices, "departments": _departments(),
                          "reply_hours": services.REPLY_HOURS}, status=error.status_code)
        messages.success(request, _("函件草稿已生成，请核对正文后发出。"))
        return redirect("supervision:letter", letter.pk)
    return render(request, "supervision/letter_new.html", {"form": form, "kinds": LetterKind.choices,
                                                           "departments": _departments(),
                                                           "reply_hours": services.REPLY_HOURS})


def _letter_context(request: HttpRequest, letter_id: int, **extra) -> dict:
    letter = selectors.letter_detail(request.user, letter_id)
    if letter is None:
        raise Http404(_("函件不存在或不在您的管辖范围内。"))
    now = timezone.now()
    return {"letter": letter, "state_label": _state_label(letter, now), "overdue": letter.is_overdue(now),
            "can_write": selectors.can_write_letters(request.user),
            "can_answer": request.user.role == "handler" and letter.status == LetterStatus.SENT,
            "States": LetterStatus, **extra}


@login_required
def letter_page(request: HttpRequest, letter_id: int) -> HttpResponse:
    if not selectors.can_read_letters(request.user):
        raise PermissionDenied(_("您无权查看函件。"))
    return render(request, "supervision/letter.html", _letter_context(request, letter_id))


STEPS = {
    "edit": (lambda request, pk: services.letter_edit(actor=request.user, letter_id=pk, title=request.POST.get("title"),
                                                      body=request.POST.get("body"),
                                                      reply_hours=request.POST.get("reply_hours")), _("草稿已保存。")),
    "send": (lambda request, pk: services.letter_send(actor=request.user, letter_id=pk), _("函件已发出。")),
    "answer": (lambda request, pk: services.letter_answer(actor=request.user, letter_id=pk,
                                                          answer=request.POST.get("answer", ""),
                                                          answer_file=request.FILES.get("answer_file")),
               _("答复已提交。")),
    "sign_off": (lambda request, pk: services.letter_sign_off(actor=request.user, letter_id=pk), _("函件已销号。")),
    "return": (lambda request, pk: services.letter_return(actor=request.user, letter_id=pk,
                                                          note=request.POST.get("note", "")), _("函件已退回部门重新答复。")),
}


@login_required
@require_POST
def letter_step(request: HttpRequest, letter_id: int, step: str) -> HttpResponse:
    if step not in STEPS:
        raise Http404(_("没有这个操作。"))
    action, success = STEPS[step]
    try:
        action(request, letter_id)
    except ApplicationError as error:
        page_refusal_raise(error)
        return render(request, "supervision/letter.html", _letter_context(request, letter_id, error=error.message),
                      status=error.status_code)
    messages.success(request, success)
    return redirect("supervision:letter", letter_id)


@login_required
def letter_file(request: HttpRequest, letter_id: int) -> HttpResponse:
    """The answer's attachment, to whoever may read the letter (the same 404 for everyone else)."""
    letter = selectors.letter_detail(request.user, letter_id)
    if letter is None or not letter.answer_file:
        raise Http404(_("附件不存在或您无权查看。"))
    try:
        handle = letter.answer_file.open("rb")
    except FileNotFoundError:
        raise Http404(_("附件不存在或您无权查看。")) from None
    return FileResponse(handle, as_attachment=True, filename=letter.answer_file_name or "answer")
