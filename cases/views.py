"""The workbench pages: a home per role (operator, shift leader, dispatcher, department handler,
collector), the case page with one small form per available action, case search with its Excel
export, and the live command-center overview.

Reads go through cases.selectors (scoped) and cases.selectors.pages; every move goes through
cases.services.case_move (the same entry as the API's and the field app's), so the pages can do
exactly what the API can, no more.
"""
import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.db_router import replica_reads
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
from .marks import MARK_COLUMNS, marks_text
from .models import OPEN_STATES, AttachmentKind, Case, RequestKind, RequestStatus, Source, State, StepKind
from .panels import Panel, home_render
from .permissions import available_actions
from .selectors import pages as page_selectors
from .selectors import wall as wall_selectors
from .selectors.class_picker import class_picker_data
from .steps import traffic_light_of
from .transitions import TRANSITIONS, Action, Style
from .workflow import CORRECTIONS, department_has_acted

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
    "suspension_reminder": gettext_lazy("挂账到期提醒"),
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
        "confirm": transition.confirm,
        "undo_seconds": transition.undo_seconds,
    }


def _offered(user, case: Case, *, pending_kinds: set[str] | None = None) -> list[str]:
    """available_actions, minus the moves that cannot succeed for lack of (or because of) a pending
    request. With pending_kinds None (a queue row) request decisions are left to the requests
    tables; merging is offered in a queue only for a likely duplicate."""
    names = sorted(available_actions(user, case), key=lambda name: TRANSITIONS[name].style != Style.PRIMARY)
    if pending_kinds is None:
        # Redispatch and withdrawal only from the case page, which knows whether the department has
        # acted (workflow.department_has_acted); in a queue they would be offered to be refused.
        return [name for name in names if TRANSITIONS[name].decides is None
                and (name != Action.MERGE or case.duplicate_of_id) and name not in CORRECTIONS]
    return [name for name in names
            if TRANSITIONS[name].decides in (None, *pending_kinds)
            and (TRANSITIONS[name].asks is None or TRANSITIONS[name].asks not in pending_kinds)]


def _rows(user, cases, now) -> list[dict]:
    """Queue rows: the case, its traffic light and the actions this person may take now (no query
    per row: available_actions reads only the case and the person's cached scope)."""
    return [{"case": case, "light": traffic_light_of(case, now=now),
             "actions": [_action_entry(name) for name in _offered(user, case)]} for case in cases]


def _request_rows(user, requests, now) -> list[dict]:
    rows = []
    for request in requests:
        case = request.case
        rows.append({
            "request": request, "case": case, "light": traffic_light_of(case, now=now),
            "actions": [_action_entry(name) for name in available_actions(user, case)
                        if TRANSITIONS[name].decides == request.kind],
        })
    return rows


def _queue_panel(name: str, selector, *, caption, empty, per_page: int = QUEUE_MAX, **options) -> Panel:
    """A panel of case rows (cases/_queue.html) read by `selector(user)`."""
    return Panel(name=name, source=lambda user, now: selector(user), rows=_rows,
                 per_page=per_page, caption=caption, empty=empty, **options)


def _requests_panel(name: str, kind: str, *, caption) -> Panel:
    return Panel(name=name, source=lambda user, now: selectors.requests_pending(user, kind),
                 rows=_request_rows, per_page=QUEUE_MAX, caption=caption, template="cases/_requests.html")


OPERATOR_PANELS = [
    _queue_panel("intake", page_selectors.intake_queue, caption=gettext_lazy("新上报"),
                 empty=gettext_lazy("没有待受理的上报。"), announce=True),
    _queue_panel("to_check", page_selectors.check_queue, caption=gettext_lazy("待下发核查"),
                 empty=gettext_lazy("没有待下发核查的案件。"), show_department=True),
    Panel(name="results", source=lambda user, now: page_selectors.task_results(
              user, since=now - timedelta(hours=RESULTS_HOURS)),
          rows=lambda user, tasks, now: tasks, per_page=50, caption=gettext_lazy("核实、核查结果"),
          empty=gettext_lazy("暂无回复。"), template="cases/_task_results.html"),
    _queue_panel("out", page_selectors.tasks_out, caption=gettext_lazy("核实、核查任务在外"),
                 empty=gettext_lazy("没有在外的任务。"), per_page=50, template="cases/_tasks_out.html"),
]

SHIFT_LEADER_PANELS = [
    _queue_panel("to_file", page_selectors.filing_queue, caption=gettext_lazy("待立案"),
                 empty=gettext_lazy("没有待立案的案件。"), show_suggested=True, announce=True),
    _queue_panel("to_close", page_selectors.closing_queue, caption=gettext_lazy("待结案"),
                 empty=gettext_lazy("没有待结案的案件。"), show_department=True),
    _requests_panel("suspensions", RequestKind.SUSPENSION, caption=gettext_lazy("挂账申请")),
    _queue_panel("suspended", page_selectors.suspended_cases, caption=gettext_lazy("挂账中"),
                 empty=gettext_lazy("没有挂账中的案件。"), per_page=50, show_department=True),
]

DISPATCHER_PANELS = [
    _queue_panel("to_dispatch", page_selectors.dispatch_queue, caption=gettext_lazy("待派遣"),
                 empty=gettext_lazy("没有待派遣的案件。"), show_suggested=True, announce=True),
    _requests_panel("extensions", RequestKind.EXTENSION, caption=gettext_lazy("延期申请")),
    _queue_panel("overdue", selectors.cases_overdue, caption=gettext_lazy("超时案件"),
                 empty=gettext_lazy("没有超时案件。"), per_page=50, show_department=True),
]

DEPARTMENT_PANELS = [
    _queue_panel("inbox", page_selectors.department_inbox, caption=gettext_lazy("部门收件箱"),
                 empty=gettext_lazy("收件箱是空的。"), announce=True),
]


@_role_required(Role.OPERATOR)
def operator_home(request: HttpRequest) -> HttpResponse:
    """受理员: new reports from every source (most urgent deadline, then the oldest, first), handled
    cases to send for check, tasks out with the collectors, and the results that came back. Each
    list is a live panel (cases.panels): paged, and asked for again every LIVE_QUEUE_SECONDS."""
    return home_render(request, "cases/home_operator.html", OPERATOR_PANELS, {"results_hours": RESULTS_HOURS})


@_role_required(Role.SHIFT_LEADER)
def shift_leader_home(request: HttpRequest) -> HttpResponse:
    """值班长: reports to file or void, checked cases to close, suspension requests, suspended cases."""
    return home_render(request, "cases/home_shift_leader.html", SHIFT_LEADER_PANELS)


@_role_required(Role.DISPATCHER)
def dispatcher_home(request: HttpRequest) -> HttpResponse:
    """派遣员: filed cases to dispatch (suggested department or owner unknown; returned ones with the
    reason), extension requests, and overdue cases to urge."""
    return home_render(request, "cases/home_dispatcher.html", DISPATCHER_PANELS)


@_role_required(Role.HANDLER)
def department_home(request: HttpRequest) -> HttpResponse:
    """专业部门: the department's inbox, nearest deadline first, reworks and pending requests marked."""
    return home_render(request, "cases/home_department.html", DEPARTMENT_PANELS)


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
    picker = class_picker_data(request.user)
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
                return render(request, "cases/report_new.html", {"form": form, "class_picker": picker},
                              status=error.status_code)
            case = result.case
            if result.created:
                messages.success(request, _("已登记案件 %(number)s。") % {"number": case.number})
            else:
                messages.info(request, _("该上报已登记过：%(number)s。") % {"number": case.number})
            if case.duplicate_of_id:
                messages.warning(request, _("可能与案件 %(number)s 重复，请核对后合并。") % {
                    "number": case.duplicate_of.number})
            return redirect("cases:case", case_id=case.pk)
        return render(request, "cases/report_new.html", {"form": form, "class_picker": picker}, status=400)
    form = ReportForm(minors=minors, initial={"idempotency_key": uuid.uuid4().hex})
    return render(request, "cases/report_new.html", {"form": form, "class_picker": picker})


# --- the case page and its actions ---------------------------------------------------------------

def _choices_for(actions: list[str], case: Case) -> dict:
    choices = {}
    if "file" in actions:
        choices["minors"] = page_selectors.minor_choices(case.minor.edition)
    if {Action.DISPATCH, Action.JOINT_DISPATCH, Action.REDISPATCH} & set(actions):
        # One query for both: the selects list them in the groups' order, the joint form's
        # checkboxes show the groups.
        groups = page_selectors.department_choice_groups()
        choices["department_groups"] = groups
        choices["departments"] = [choice for _label, members in groups for choice in members]
    if Action.RETURN in actions:
        choices["return_reasons"] = page_selectors.return_reason_choices()
    return choices


def _timeline(case: Case) -> list[dict]:
    entries = []
    for event in case.detail_events:
        transition = TRANSITIONS.get(event.action)
        payload = event.payload or {}
        facts = []
        if payload.get("department"):
            facts.append(_("部门：%(name)s") % {"name": payload["department"]})
        if payload.get("from_department"):
            facts.append(_("原部门：%(name)s") % {"name": payload["from_department"]})
        if payload.get("assisting"):
            facts.append(_("协办部门：%(names)s") % {"names": "、".join(payload["assisting"])})
        if payload.get("reason"):
            facts.append(_("回退原因：%(reason)s") % {"reason": payload["reason"]})
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
    if department_has_acted(case, case.detail_events):
        names = [name for name in names if name not in CORRECTIONS]
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
        "assists": case.detail_assists,
        "map": {
            "lon": case.lon, "lat": case.lat, "grid": map_data.grid, "neighbours": map_data.neighbours,
            "components": map_data.components, "tiles": settings.MAP_TILE_URL,
        },
        "back_url": reverse("cases:home"),
        "now": now,
        # 立案 keeps the case's own edition (its choices are that edition's classes).
        "class_picker": class_picker_data(user, edition=case.minor.edition, other_editions=False)
        if "file" in names else None,
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
    # A move made only through another page (a joint review's decision) is not one of this page's.
    if action not in TRANSITIONS or TRANSITIONS[action].through:
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
        for name in ("number", "q", "minor_code", "unit_grid", "district", "street", "department", "overdue"):
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
@replica_reads
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
        "remaining": max(0, page.paginator.count - page.end_index()),
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
    # The state marks (cases.marks): each as its own column, and the marks in words.
    ("suspended_until", gettext_lazy("挂账至")), ("urge_count", gettext_lazy("督办次数")),
    ("extension_count", gettext_lazy("延期次数")),
]
MARKS_COLUMN = gettext_lazy("状态标记")


@login_required
@require_GET
@replica_reads
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
    marked = {name: fields.index(name) for name in MARK_COLUMNS}

    def rows():
        for row in cases.values_list(*fields)[:EXPORT_MAX_ROWS].iterator(chunk_size=2000):
            row = list(row)
            marks = marks_text(SimpleNamespace(**{name: row[i] for name, i in marked.items()}))
            for i, names in labelled:
                row[i] = names.get(row[i], row[i])
            yield [*row, marks]

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(filename=f"cases-{stamp}.xlsx", title=_("案件"),
                         headers=[label for _f, label in EXPORT_COLUMNS] + [MARKS_COLUMN], rows=rows())


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
@replica_reads
def overview(request: HttpRequest) -> HttpResponse:
    """指挥总览: counts by state and traffic light in the person's scope, today's intake by source and a
    map of open cases by grid; the figures refresh themselves (htmx polling), the map with them."""
    if request.GET.get("wall") == "1":
        return redirect("cases:wall")  # the wall mode's old address
    if request.htmx:
        response = render(request, "cases/_overview_live.html", _overview_context(request))
    else:
        context = _overview_context(request)
        context.update(tiles=settings.MAP_TILE_URL, grid_cases_url=_grid_cases_url())
        response = render(request, "cases/overview.html", context)
    # The same URL answers the page and the fragment: caches must tell them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_GET
@replica_reads
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


# --- the wall mode (大屏模式) --------------------------------------------------------------------------

def _grid_cases_url() -> str:
    """The search page for a grid's open cases; the maps append "&unit_grid=<code>"."""
    return reverse("cases:search") + "?" + urlencode([("state", state) for state in OPEN_STATES])


def _wall_context(request: HttpRequest) -> dict:
    user, now = request.user, timezone.now()
    trend = wall_selectors.wall_intake_by_hour(user, now=now)
    return {
        "figures": wall_selectors.wall_figures(user, now=now),
        "trend": {
            "hours": [_("%(h)d时") % {"h": hour} for hour in range(24)],
            "today": trend["today"], "yesterday": trend["yesterday"],
            "today_label": _("今日"), "yesterday_label": _("昨日"),
        },
        "newest": wall_selectors.wall_newest(user),
        "overdue": wall_selectors.wall_overdue(user),
        "now": now,
        "refresh_ms": int(settings.WALL_REFRESH_SECONDS * 1000),
    }


@login_required
@require_GET
@replica_reads
def wall(request: HttpRequest) -> HttpResponse:
    """大屏模式: the overview for a 1920×1080 wall screen, without navigation: today's figures, today's
    intake by hour, the newest cases rolling, the most overdue, the grid map. Its figures refresh
    every WALL_REFRESH_SECONDS (htmx asks for the same address), the map with them."""
    context = _wall_context(request)
    if request.htmx:
        response = render(request, "cases/_wall_live.html", context)
    else:
        context.update(tiles=settings.MAP_TILE_URL, grid_cases_url=_grid_cases_url())
        response = render(request, "cases/wall.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response
