"""Hotline pages: the agent's desk (log a call with the class picker and map, the caller's earlier
calls and cases, a case's status from its timeline, replies), the callback queue, and the public
status lookup. Other command-center staff may read the desk with phones and names masked."""
from datetime import datetime, time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException

from cases.selectors.class_picker import class_picker_data
from cases.transitions import TRANSITIONS
from core.display import percent_text
from core.errors import ApplicationError

from . import selectors, services
from .forms import CallbackForm, CallForm, FeedbackForm, StatusLookupForm
from .masking import can_see_personal_data, name_for, phone_for
from .progress import public_case, state_words
from .ratelimit import rate_limit_request

EXTRA_EVENT_LABELS = {"report": gettext_lazy("上报"), "self_handle": gettext_lazy("自行处置"),
                      "overdue": gettext_lazy("超时")}


def _reader_required(request) -> None:
    if not selectors.can_read_hotline(request.user):
        raise PermissionDenied


def _agent_required(request) -> None:
    if not can_see_personal_data(request.user):
        raise PermissionDenied


def _month_bounds(now: datetime) -> tuple[datetime, datetime]:
    local = timezone.localtime(now)
    start = datetime.combine(local.date().replace(day=1), time.min, tzinfo=local.tzinfo)
    end = (start.replace(year=start.year + 1, month=1) if start.month == 12
           else start.replace(month=start.month + 1))
    return start, end


def _form_error(form, exc: ApplicationError) -> None:
    field = exc.extra.get("field")
    form.add_error(field if field in form.fields else None, str(exc.message))


@login_required
def home(request):
    """The desk. GET ?phone= shows a caller's history (agents only); ?case= a case's status."""
    _reader_required(request)
    user = request.user
    is_agent = can_see_personal_data(user)
    form = CallForm(request.POST or None) if is_agent else None
    if request.method == "POST":
        _agent_required(request)
        if form.is_valid():
            fields = dict(form.cleaned_data)
            key = fields.pop("client_id") or None
            try:
                result = services.call_log(actor=user, idempotency_key=key, **fields)
            except ApplicationError as exc:
                _form_error(form, exc)
            else:
                call = result.call
                if call.case is not None:
                    messages.success(request, _("已登记来电，%(link)s：案件 %(number)s。")
                                     % {"link": call.get_case_link_display(), "number": call.case.number})
                else:
                    messages.success(request, _("已登记来电。"))
                query = {"phone": call.caller.phone}
                if call.case is not None:
                    query["case"] = call.case.number
                return HttpResponseRedirect(f"{reverse('hotline:home')}?{urlencode(query)}")

    context = {"is_agent": is_agent, "form": form,
               "class_picker": class_picker_data(user) if is_agent else None}
    phone = request.GET.get("phone", "").strip()
    if phone and is_agent:
        try:
            caller = selectors.caller_by_phone(services.phone_normalize(phone))
        except ApplicationError as exc:
            messages.error(request, exc.message)
            caller = None
        context["caller_phone"] = phone
        context["caller"] = caller
        context["caller_calls"] = _calls_view(user, selectors.caller_calls(caller)) if caller else []
        if form is not None and not form.is_bound:
            form.initial.update(phone=phone, caller_name=caller.name if caller else "")
    number = request.GET.get("case", "").strip()
    if number:
        case = selectors.case_for_agent(number, user=user)
        if case is None:
            messages.error(request, _("没有找到编号为 %(number)s 的案件。") % {"number": number})
        else:
            context["case"] = case
            context["case_words"] = state_words(case.state)
            context["timeline"] = _timeline(user, case)
            context["feedback_form"] = FeedbackForm() if is_agent else None
    context["recent_calls"] = _calls_view(user, selectors.calls_visible(user).order_by("-called_at", "-pk")[:20])
    start, end = _month_bounds(timezone.now())
    figures = selectors.hotline_figures(start=start, end=end, district_id=selectors.district_of(user))
    context["figures"] = [(str(selectors.FIGURE_LABELS[key]), percent_text(value) if key.endswith("_rate") else value)
                          for key, value in figures.items()]
    context["month"] = timezone.localtime(start).strftime("%Y-%m")
    context["pending_callbacks"] = selectors.callbacks_queue(user=user).count()
    return render(request, "hotline/home.html", context)


def _calls_view(user, calls) -> list[dict]:
    """Calls as the page shows them: the phone and name masked unless the viewer is hotline staff."""
    return [{"call": call, "phone": phone_for(user, call.caller.phone), "name": name_for(user, call.caller_name)}
            for call in calls]


def _timeline(user, case) -> list[dict]:
    """The case's events, calls, replies and callbacks in one list, oldest first."""
    rows = []
    for event in case.events.all():
        transition = TRANSITIONS.get(event.action)
        label = transition.label if transition else EXTRA_EVENT_LABELS.get(event.action, event.action)
        rows.append({"at": event.created_at, "what": label, "who": event.actor.display_name if event.actor else "",
                     "note": event.note})
    for call in case.hotline_calls.all():
        rows.append({"at": call.called_at, "what": _("来电（%(link)s）") % {"link": call.get_case_link_display()},
                     "who": name_for(user, call.caller_name) or phone_for(user, call.caller.phone),
                     "note": call.content})
    for feedback in case.hotline_feedback.all():
        rows.append({"at": feedback.created_at, "what": _("答复市民（%(channel)s）") % {
            "channel": feedback.get_channel_display()}, "who": "", "note": feedback.message})
    for callback in case.hotline_callbacks.all():
        what = _("回访：%(status)s") % {"status": callback.get_status_display()}
        if callback.satisfaction:
            what += f" · {callback.get_satisfaction_display()}"
        rows.append({"at": callback.done_at or callback.created_at, "what": what, "who": "",
                     "note": callback.comment})
    rows.sort(key=lambda row: row["at"])
    return rows


@login_required
@require_POST
def case_feedback(request, case_id: int):
    _agent_required(request)
    form = FeedbackForm(request.POST)
    number = request.POST.get("case_number", "")
    if form.is_valid():
        try:
            services.feedback_send(actor=request.user, case_id=case_id, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已记录答复。"))
    else:
        messages.error(request, _("请填写答复内容。"))
    return HttpResponseRedirect(f"{reverse('hotline:home')}?{urlencode({'case': number})}")


@login_required
def callbacks(request):
    """The callback queue: closed cases waiting for the citizen's verdict, earliest deadline first."""
    _reader_required(request)
    rows = list(selectors.callbacks_queue(user=request.user).annotate(phone=selectors.citizen_phone_expression())[:200])
    for callback in rows:
        callback.phone = phone_for(request.user, callback.phone or "")
    return render(request, "hotline/callbacks.html", {
        "callbacks": rows, "is_agent": can_see_personal_data(request.user), "form": CallbackForm(),
    })


@login_required
@require_POST
def callback_record(request, callback_id: int):
    _agent_required(request)
    form = CallbackForm(request.POST)
    if form.is_valid():
        try:
            callback = services.callback_record(actor=request.user, callback_id=callback_id, **form.cleaned_data)
        except (ApplicationError, APIException) as exc:
            messages.error(request, getattr(exc, "message", None) or str(exc))
        else:
            if callback.reopened:
                messages.success(request, _("已记录回访，案件 %(number)s 已退回重新处置。")
                                 % {"number": callback.case.number})
            else:
                messages.success(request, _("已记录回访。"))
    else:
        messages.error(request, _("回访内容不完整。"))
    return HttpResponseRedirect(reverse("hotline:callbacks"))


def public_status(request):
    """Public progress lookup by case number: plain words and dates, no personal data."""
    form = StatusLookupForm(request.GET or None)
    context = {"form": form}
    if form.is_bound and form.is_valid():
        try:
            rate_limit_request(request, scope="public-lookup", rate=settings.PUBLIC_LOOKUP_RATE_LIMIT)
        except APIException as exc:
            context["error"] = str(exc.detail)
            return render(request, "hotline/status.html", context, status=429)
        case = selectors.case_public(form.cleaned_data["number"].strip())
        if case is None:
            context["error"] = _("没有找到该编号的案件，请核对后再查。")
        else:
            context["result"] = public_case(case)
    return render(request, "hotline/status.html", context)
