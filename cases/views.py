"""The workbench pages: a home per role (operator, shift leader, dispatcher, department handler,
collector), the case page with one small form per available action, case search with its Excel
export, and the live command-center overview.

Reads go through cases.selectors (scoped) and cases.selectors.pages; every move goes through
cases.services.case_move (the same entry as the API's and the field app's), so the pages can do
exactly what the API can, no more.
"""
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from core.xlsx import xlsx_response
from grids.models import Role

from . import selectors, services
from .api.filters import CaseFilter
from .forms import (
    ReportForm,
    SearchForm,
    action_form,
)
from .models import OPEN_STATES, AttachmentKind, Case, RequestKind, RequestStatus, Source, State, StepKind
from .permissions import available_actions
from .selectors import pages as page_selectors
from .steps import traffic_light_of
from .transitions import TRANSITIONS, Action, Style

QUEUE_MAX = 100
SEARCH_PAGE_SIZE = 50
EXPORT_MAX_ROWS = 200_000
RESULTS_HOURS = 24

ROLE_PAGES = {
    Role.OPERATOR: "cases:operator",
    Role.SHIFT_LEADER: "cases:shift_leader",
    Role.DISPATCHER: "cases:dispatcher",
    Role.HANDLER: "cases:department",
    Role.COLLECTOR: "cases:collector",
}

EVENT_LABELS = {
    "report": gettext_lazy("上报"),
    "self_handle": gettext_lazy("自行处置结案"),
    "overdue": gettext_lazy("超时"),
    "deadline_recompute": gettext_lazy("工作日历调整，时限重算"),
}


def _role_required(*roles):
    """Only these roles (and the administrator) may open the page; others get a 403 page."""

    def decorator(view):
        @login_required
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles and request.user.role != Role.ADMIN:
                return render(request, "cases/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorator


# --- homes -------------------------------------------------------------------------------------

@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Land each person on their work: a queue for the seats and departments, the hotline desk for
    hotline agents, the overview for managers and administrators."""
    role = request.user.role
    if role in ROLE_PAGES:
        return redirect(ROLE_PAGES[role])
    if role == Role.HOTLINE_AGENT:
        try:
            return redirect(reverse("hotline:home"))
        except NoReverseMatch:
            return redirect("cases:search")
    return redirect("cases:overview")


def _action_entry(name: str) -> dict:
    transition = TRANSITIONS[name]
    return {
        "name": name,
        "label": transition.label,
        "key": transition.key,
        "quick": transition.quick,
        "primary": transition.style == Style.PRIMARY,
        "danger": transition.style == Style.DANGER,
    }


def _offered(user, case: Case, *, pending_kinds: set[str] | None = None) -> list[str]:
    """available_actions, minus the moves that cannot succeed for lack of (or because of) a pending
    request. With pending_kinds None (a queue row) request decisions are left to the requests
    tables; merging is offered in a queue only for a likely duplicate."""
    names = sorted(available_actions(user, case), key=lambda name: TRANSITIONS[name].style != Style.PRIMARY)
    if pending_kinds is None:
        return [name for name in names if TRANSITIONS[name].decides is None
                and (name != Action.MERGE or case.duplicate_of_id)]
    return [name for name in names
            if TRANSITIONS[name].decides in (None, *pending_kinds)
            and (TRANSITIONS[name].asks is None or TRANSITIONS[name].asks not in pending_kinds)]


def _rows(user, cases, now) -> list[dict]:
    """Queue rows: the case, its traffic light and the actions this person may take now (no query
    per row: available_actions reads only the case and the person's cached scope)."""
    return [{"case": case, "light": traffic_light_of(case, now=now),
             "actions": [_action_entry(name) for name in _offered(user, case)]} for case in cases]


def _queue(user, queryset, now, *, limit: int = QUEUE_MAX) -> dict:
    cases = list(queryset[: limit + 1])
    return {"rows": _rows(user, cases[:limit], now), "more": len(cases) > limit, "limit": limit}


def _request_rows(user, requests, now) -> list[dict]:
    rows = []
    for request in requests[:QUEUE_MAX]:
        case = request.case
        rows.append({
            "request": request, "case": case, "light": traffic_light_of(case, now=now),
            "actions": [_action_entry(name) for name in available_actions(user, case)
                        if TRANSITIONS[name].decides == request.kind],
        })
    return rows


@_role_required(Role.OPERATOR)
def operator_home(request: HttpRequest) -> HttpResponse:
    """受理员: new reports from every source (most urgent deadline, then the oldest, first), handled
    cases to send for check, tasks out with the collectors, and the results that came back."""
    user, now = request.user, timezone.now()
    context = {
        "intake": _queue(user, page_selectors.intake_queue(user), now),
        "to_check": _queue(user, page_selectors.check_queue(user), now),
        "out": _queue(user, page_selectors.tasks_out(user), now, limit=50),
        "results": list(page_selectors.task_results(user, since=now - timedelta(hours=RESULTS_HOURS))[:50]),
        "results_hours": RESULTS_HOURS,
    }
    return render(request, "cases/home_operator.html", context)


@_role_required(Role.SHIFT_LEADER)
def shift_leader_home(request: HttpRequest) -> HttpResponse:
    """值班长: reports to file or void, checked cases to close, suspension requests, suspended cases."""
    user, now = request.user, timezone.now()
    context = {
        "to_file": _queue(user, page_selectors.filing_queue(user), now),
        "to_close": _queue(user, page_selectors.closing_queue(user), now),
        "suspensions": _request_rows(user, selectors.requests_pending(user, RequestKind.SUSPENSION), now),
        "suspended": _queue(user, page_selectors.suspended_cases(user), now, limit=50),
    }
    return render(request, "cases/home_shift_leader.html", context)


@_role_required(Role.DISPATCHER)
def dispatcher_home(request: HttpRequest) -> HttpResponse:
    """派遣员: filed cases to dispatch (suggested department or owner unknown; returned ones with the
    reason), extension requests, and overdue cases to urge."""
    user, now = request.user, timezone.now()
    context = {
        "to_dispatch": _queue(user, page_selectors.dispatch_queue(user), now),
        "extensions": _request_rows(user, selectors.requests_pending(user, RequestKind.EXTENSION), now),
        "overdue": _queue(user, selectors.cases_overdue(user), now, limit=50),
    }
    return render(request, "cases/home_dispatcher.html", context)


@_role_required(Role.HANDLER)
def department_home(request: HttpRequest) -> HttpResponse:
    """专业部门: the department's inbox, nearest deadline first, reworks and pending requests marked."""
    user, now = request.user, timezone.now()
    context = {"inbox": _queue(user, page_selectors.department_inbox(user), now)}
    return render(request, "cases/home_department.html", context)


@_role_required(Role.COLLECTOR)
def collector_home(request: HttpRequest) -> HttpResponse:
    """监督员 (in the browser; their daily tool is the mobile app): open verify and check tasks."""
    tasks = list(selectors.tasks_for_collector(request.user)[:QUEUE_MAX])
    return render(request, "cases/home_collector.html", {"tasks": tasks, "now": timezone.now()})


@_role_required(Role.OPERATOR)
def report_new(request: HttpRequest) -> HttpResponse:
    """受理登记: an operator enters a report received by phone, from the media, a leader or another
    channel; services.case_report locates it, checks for duplicates and starts the accept clock."""
    minors = page_selectors.minor_choices()
    if request.method == "POST":
        form = ReportForm(request.POST, minors=minors)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.case_report(
                    actor=request.user, source=data["source"], minor_id=data["minor"], lon=data["lon"],
                    lat=data["lat"], description=data["description"], urgency=data["urgency"],
                    address=data["address"], component_code=data["component_code"].strip(),
                    reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"],
                    photos=request.FILES.getlist("photos"), idempotency_key=data["idempotency_key"] or None,
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
                return render(request, "cases/report_new.html", {"form": form}, status=error.status_code)
            case = result.case
            if result.created:
                messages.success(request, _("已登记案件 %(number)s。") % {"number": case.number})
            else:
                messages.info(request, _("该上报已登记过：%(number)s。") % {"number": case.number})
            if case.duplicate_of_id:
                messages.warning(request, _("可能与案件 %(number)s 重复，请核对后合并。") % {
                    "number": case.duplicate_of.number})
            return redirect("cases:case", case_id=case.pk)
        return render(request, "cases/report_new.html", {"form": form}, status=400)
    form = ReportForm(minors=minors, initial={"idempotency_key": uuid.uuid4().hex})
    return render(request, "cases/report_new.html", {"form": form})


# --- the case page and its actions ---------------------------------------------------------------

def _choices_for(actions: list[str], case: Case) -> dict:
    choices = {}
    if "file" in actions:
        choices["minors"] = page_selectors.minor_choices(case.minor.edition)
    if Action.DISPATCH in actions:
        choices["departments"] = page_selectors.department_choices()
    return choices


def _timeline(case: Case) -> list[dict]:
    entries = []
    for event in case.detail_events:
        transition = TRANSITIONS.get(event.action)
        payload = event.payload or {}
        facts = []
        if payload.get("department"):
            facts.append(_("部门：%(name)s") % {"name": payload["department"]})
        if payload.get("into"):
            facts.append(_("合并至：%(number)s") % {"number": payload["into"]})
        if payload.get("filing_condition"):
            facts.append(_("立案条件：%(text)s") % {"text": payload["filing_condition"]})
        if "is_true" in payload:
            facts.append(_("核实结果：属实") if payload["is_true"] else _("核实结果：不属实"))
        if payload.get("duplicate_of"):
            facts.append(_("疑似重复：%(number)s") % {"number": payload["duplicate_of"]})
        if payload.get("step"):
            facts.append(_("环节：%(step)s") % {"step": StepKind(payload["step"]).label
                                               if payload["step"] in StepKind.values else payload["step"]})
        for key, label in (("deadline", _("时限")), ("requested_deadline", _("申请时限"))):
            if payload.get(key):
                try:
                    moment = timezone.localtime(datetime.fromisoformat(payload[key]))
                    facts.append(f"{label}：{moment:%Y-%m-%d %H:%M}")
                except (TypeError, ValueError):
                    pass
        entries.append({
            "event": event,
            "label": transition.label if transition else EVENT_LABELS.get(event.action, event.action),
            "from": State(event.from_state).label if event.from_state in State.values else "",
            "to": State(event.to_state).label if event.to_state in State.values else "",
            "facts": facts,
        })
    return entries


def _reporter_name_for(user, name: str) -> str:
    """A citizen's name in full for hotline staff and administrators, else 张* (as hotline.masking
    does; cases may not import hotline)."""
    name = (name or "").strip()
    if not name or user.is_superuser or user.role in (Role.HOTLINE_AGENT, Role.ADMIN):
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def _case_context(request: HttpRequest, case: Case, *, failed: tuple | None = None) -> dict:
    """Everything the case page shows. `failed` = (action, bound form, error message) re-displays
    the form the person just sent, with its errors."""
    user, now = request.user, timezone.now()
    requests = case.detail_requests
    pending = {r.kind for r in requests if r.status == RequestStatus.PENDING}
    names = _offered(user, case, pending_kinds=pending)
    choices = _choices_for(names, case)
    forms = []
    for name in names:
        if failed and failed[0] == name:
            form = failed[1]
        else:
            form = action_form(name, case=case, user=user, choices=choices)
        entry = _action_entry(name)
        entry.update(form=form, open=bool(failed and failed[0] == name), needs_reason=TRANSITIONS[name].needs_reason,
                     error=failed[2] if failed and failed[0] == name else None)
        forms.append(entry)
    attachments = case.detail_attachments
    map_data = page_selectors.case_map(case)
    return {
        "case": case,
        "reporter_name": _reporter_name_for(user, case.reporter_name),
        "light": traffic_light_of(case, now=now),
        "actions": forms,
        "failed_action": failed[0] if failed else None,
        "failed_message": failed[2] if failed and not any(f["name"] == failed[0] for f in forms) else None,
        "photos_before": [a for a in attachments if a.kind == AttachmentKind.BEFORE],
        "photos_after": [a for a in attachments if a.kind == AttachmentKind.AFTER],
        "photos_other": [a for a in attachments if a.kind == AttachmentKind.OTHER],
        "timeline": _timeline(case),
        "steps": case.detail_steps,
        "requests": requests,
        "tasks": case.detail_tasks,
        "map": {
            "lon": case.lon, "lat": case.lat, "grid": map_data.grid, "neighbours": map_data.neighbours,
            "components": map_data.components, "tiles": settings.MAP_TILE_URL,
        },
        "back_url": reverse("cases:home"),
        "now": now,
    }


@login_required
@require_GET
def case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_detail(request.user, case_id)
    if case is None:
        # Out of scope and non-existent look the same: a department learns nothing about other
        # departments' cases.
        raise Http404(_("案件不存在或不在您的管辖范围内。"))
    return render(request, "cases/case.html", _case_context(request, case))


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return None


@login_required
@require_POST
def case_act(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """One view for every action: validate the small form, make the move through
    services.case_move (as the API does), and on a refusal show the message with its 4xx status on
    the case page."""
    if action not in TRANSITIONS:
        raise Http404(_("没有这个操作。"))
    user = request.user
    case = selectors.case_detail(user, case_id)
    if case is None:
        raise Http404(_("案件不存在或不在您的管辖范围内。"))
    form = action_form(action, case=case, user=user, data=request.POST, files=request.FILES,
                       choices=_choices_for([action], case))
    if not form.is_valid():
        context = _case_context(request, case, failed=(action, form, None))
        return render(request, "cases/case.html", context, status=400)
    try:
        services.case_move(actor=user, case_id=case.pk, action=action, photos=form.photos(), **form.arguments())
    except ApplicationError as error:
        fresh = selectors.case_detail(user, case_id) or case
        context = _case_context(request, fresh, failed=(action, form, error.message))
        return render(request, "cases/case.html", context, status=error.status_code)
    messages.success(request, _("案件 %(number)s：%(action)s 已完成。") % {
        "number": case.number, "action": TRANSITIONS[action].label})
    target = _safe_next(request)
    if target:
        return redirect(target)
    if selectors.cases_visible(user).filter(pk=case.pk).exists():
        return redirect("cases:case", case_id=case.pk)
    return redirect("cases:home")


# --- search and export -----------------------------------------------------------------------------

def _search(request: HttpRequest):
    """The search form (for display) and the filtered queryset (through CaseFilter)."""
    user = request.user
    districts, streets = page_selectors.region_choices(user)
    form = SearchForm(request.GET or None, districts=districts, streets=streets,
                      departments=page_selectors.department_choices())
    params = QueryDict(mutable=True)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        for name in ("number", "q", "minor_code", "district", "street", "department", "overdue"):
            if data.get(name) not in (None, ""):
                params[name] = str(data[name]).strip()
        params.setlist("state", data.get("state") or [])
        params.setlist("source", data.get("source") or [])
        if data.get("reported_from"):
            params["reported_after"] = data["reported_from"].isoformat()
        if data.get("reported_to"):
            # The page's "to" date is inclusive; the filter's bound is exclusive.
            params["reported_before"] = (data["reported_to"] + timedelta(days=1)).isoformat()
    queryset = selectors.case_list(user).order_by("-reported_at", "-pk")
    case_filter = CaseFilter(params, queryset=queryset)
    return form, case_filter.qs, form.is_bound and not form.is_valid()


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form, cases, invalid = _search(request)
    paginator = Paginator(cases, SEARCH_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [{"case": case, "light": traffic_light_of(case, now=now) if case.state in OPEN_STATES else None}
            for case in page.object_list]
    export_query = request.GET.copy()
    export_query.pop("page", None)
    return render(request, "cases/search.html", {
        "form": form, "page": page, "rows": rows, "export_query": export_query.urlencode(),
    }, status=400 if invalid else 200)


EXPORT_COLUMNS = [
    ("number", gettext_lazy("案件编号")), ("source", gettext_lazy("来源")), ("kind", gettext_lazy("类型")), ("minor__code", gettext_lazy("小类代码")),
    ("minor__name", gettext_lazy("小类")), ("district__name", gettext_lazy("区/县")), ("street__name", gettext_lazy("街道")),
    ("community__name", gettext_lazy("社区")), ("unit_grid__code", gettext_lazy("单元网格")), ("address", gettext_lazy("地址")),
    ("description", gettext_lazy("问题描述")), ("urgency", gettext_lazy("紧急程度")), ("state", gettext_lazy("状态")),
    ("department__name", gettext_lazy("处置部门")), ("reported_at", gettext_lazy("上报时间")), ("filed_at", gettext_lazy("立案时间")),
    ("dispatched_at", gettext_lazy("派遣时间")), ("handle_deadline", gettext_lazy("处置时限")), ("handled_at", gettext_lazy("处置时间")),
    ("closed_at", gettext_lazy("结案时间")), ("current_deadline", gettext_lazy("当前环节时限")), ("rework_count", gettext_lazy("返工次数")),
    ("return_count", gettext_lazy("回退次数")),
]


@login_required
@require_GET
def search_export(request: HttpRequest) -> HttpResponse:
    """The search result as an .xlsx (core.xlsx), rows read in chunks, written to a temporary
    file and streamed out, so memory stays flat whatever the result's size."""
    form, cases, invalid = _search(request)
    if invalid:
        return HttpResponse(_("查询条件有误，请返回修改。"), status=400, content_type="text/plain; charset=utf-8")
    choices = {
        "source": Source.choices, "state": State.choices, "kind": Case._meta.get_field("kind").choices,
        "urgency": Case._meta.get_field("urgency").choices,
    }
    fields = [name for name, _label in EXPORT_COLUMNS]
    labelled = [(i, {value: str(label) for value, label in choices[name]})
                for i, name in enumerate(fields) if name in choices]

    def rows():
        for row in cases.values_list(*fields)[:EXPORT_MAX_ROWS].iterator(chunk_size=2000):
            row = list(row)
            for i, names in labelled:
                row[i] = names.get(row[i], row[i])
            yield row

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(filename=f"cases-{stamp}.xlsx", title=_("案件"), headers=[label for _f, label in EXPORT_COLUMNS],
                         rows=rows())


# --- the live overview -------------------------------------------------------------------------------

OVERVIEW_REFRESH_SECONDS = 30


def _overview_context(request: HttpRequest) -> dict:
    user, now = request.user, timezone.now()
    counts = page_selectors.overview_counts(user)
    states = [{"value": value, "label": label, "n": counts.get(value, 0)} for value, label in State.choices]
    intake = page_selectors.overview_intake_today(user, now=now)
    most = max([row["n"] for row in intake] + [1])
    for row in intake:
        row["pct"] = round(100 * row["n"] / most)
    return {
        "states": states,
        "open_total": sum(counts.get(value, 0) for value in OPEN_STATES),
        "lights": page_selectors.overview_lights(user, now=now),
        "intake": intake,
        "intake_total": sum(row["n"] for row in intake),
        "now": now,
        "refresh": OVERVIEW_REFRESH_SECONDS,
    }


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """指挥总览: counts by state and traffic light in the person's scope, today's intake by source and a
    map of open cases by grid; the figures refresh themselves (htmx polling), the map with them."""
    if request.htmx:
        response = render(request, "cases/_overview_live.html", _overview_context(request))
    else:
        context = _overview_context(request)
        context.update(wall=request.GET.get("wall") == "1", tiles=settings.MAP_TILE_URL)
        response = render(request, "cases/overview.html", context)
    # The same URL answers the page and the fragment: caches must tell them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_GET
def overview_grids(request: HttpRequest) -> JsonResponse:
    """Open cases by unit grid, as GeoJSON for the overview's map."""
    grids = page_selectors.overview_grids(request.user, now=timezone.now())
    return JsonResponse({
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": grid["geometry"],
             "properties": {"code": grid["code"], "n": grid["n"], "overdue": grid["overdue"]}}
            for grid in grids
        ],
    })
