"""Command-center pages of special surveys: the list, making one, its progress by grid and by
collector on a map, its report (findings by class and grid) with the export, and closing it."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError, page_refusal_raise
from core.xlsx import xlsx_response

from . import selectors, services
from .forms import SurveyForm
from .models import Outcome

# The service names its fields as the API does; the page's form has its own names.
FORM_FIELDS = {"grid_ids": "grids", "collector_ids": "collectors", "minor_ids": "minors"}


def _viewer(request: HttpRequest) -> None:
    if not selectors.can_view(request.user):
        raise PermissionDenied(_("您无权查看专项普查。"))


def _survey(survey_id: int):
    survey = selectors.survey_get(survey_id)
    if survey is None:
        raise Http404(_("专项普查不存在。"))
    return survey


@login_required
def surveys_page(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    return render(request, "surveys/list.html", {"surveys": selectors.surveys_list(),
                                                 "can_manage": selectors.can_manage(request.user)})


@login_required
def survey_new(request: HttpRequest) -> HttpResponse:
    if not selectors.can_manage(request.user):
        raise PermissionDenied(_("只有值班长或管理人员可以管理专项普查。"))
    grids = list(selectors.grids_for(request.user).order_by("code"))
    form = SurveyForm(request.POST or None, grids=grids)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                survey = services.survey_create(
                    actor=request.user, name=data["name"], description=data["description"],
                    starts_on=data["starts_on"], ends_on=data["ends_on"], minor_ids=[m.pk for m in data["minors"]],
                    grid_ids=[int(pk) for pk in data["grids"]], collector_ids=[c.pk for c in data["collectors"]])
                messages.success(request, _("已创建专项普查“%(name)s”。") % {"name": survey.name})
                return redirect("surveys:detail", survey.pk)
            except ApplicationError as error:
                field = FORM_FIELDS.get(error.extra.get("field", ""), error.extra.get("field"))
                form.add_error(field if field in form.fields else None, error.message)
        status = 400
    return render(request, "surveys/new.html", {"form": form}, status=status)


@login_required
def survey_detail(request: HttpRequest, survey_id: int) -> HttpResponse:
    _viewer(request)
    survey = _survey(survey_id)
    tasks = selectors.progress_by_grid(survey)
    return render(request, "surveys/detail.html", {
        "survey": survey, "tasks": tasks, "collectors": selectors.progress_by_collector(survey),
        "map_data": {"grids": selectors.progress_geojson(tasks), "tiles": _tiles()},
        "can_manage": selectors.can_manage(request.user)})


def _tiles() -> str:
    return settings.MAP_TILE_URL


@login_required
@require_POST
def survey_close(request: HttpRequest, survey_id: int) -> HttpResponse:
    try:
        services.survey_close(actor=request.user, survey_id=survey_id)
    except ApplicationError as error:
        page_refusal_raise(error)
        raise Http404(error.message) from None
    messages.success(request, _("专项普查已结束。"))
    return redirect("surveys:report", survey_id)


@login_required
def survey_report(request: HttpRequest, survey_id: int) -> HttpResponse:
    _viewer(request)
    survey = _survey(survey_id)
    return render(request, "surveys/report.html", {
        "survey": survey, "by_class": selectors.report_by_class(survey), "by_grid": selectors.report_by_grid(survey)})


@login_required
def survey_export(request: HttpRequest, survey_id: int) -> HttpResponse:
    """The report as .xlsx: one row per grid and class found there (grids without findings with
    their outcome), then the totals per class."""
    _viewer(request)
    survey = _survey(survey_id)
    outcomes = dict(Outcome.choices)
    rows = [[row["grid"], str(outcomes.get(row["outcome"], row["outcome"])), row["class_name"] or "", row["count"]]
            for row in selectors.report_by_grid(survey)]
    rows += [[_("合计"), "", row["name"], row["count"]] for row in selectors.report_by_class(survey)]
    return xlsx_response(filename=f"survey-{survey.pk}.xlsx", title=survey.name,
                         headers=[_("单元网格"), _("结果"), _("小类"), _("发现数")], rows=rows,
                         note=_("%(start)s 至 %(end)s") % {"start": survey.starts_on, "end": survey.ends_on})
