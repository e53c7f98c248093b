"""Reads of special surveys, each in a constant number of queries: who may manage and read them,
the surveys with their progress, a survey's progress by grid and by collector (with the grids'
shapes for the map), its report (findings by class and by grid), and a collector's own tasks."""
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from grids.models import Role, UnitGrid, User
from grids.selectors import unit_grids_in_scope

from .models import Outcome, Survey, SurveyFinding, SurveyStatus, SurveyTask

VIEW_ROLES = {Role.OPERATOR, Role.SHIFT_LEADER, Role.DISPATCHER, Role.MANAGER, Role.ADMIN}
MANAGE_ROLES = {Role.SHIFT_LEADER, Role.MANAGER, Role.ADMIN}


def can_view(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in VIEW_ROLES)


def can_manage(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in MANAGE_ROLES)


def grids_for(user: User) -> QuerySet[UnitGrid]:
    return unit_grids_in_scope(user)


def survey_minor_ids(survey: Survey) -> set[int]:
    return set(survey.minors.values_list("pk", flat=True))


def _progress(queryset: QuerySet, prefix: str = "tasks__") -> dict:
    return {
        "grids": Count(f"{prefix}pk", distinct=True),
        "done": Count(f"{prefix}pk", filter=~Q(**{f"{prefix}outcome": Outcome.PENDING}), distinct=True),
        "found": Count(f"{prefix}pk", filter=Q(**{f"{prefix}outcome": Outcome.FOUND}), distinct=True),
        "no_problem": Count(f"{prefix}pk", filter=Q(**{f"{prefix}outcome": Outcome.NO_PROBLEM}), distinct=True),
    }


def surveys_list() -> QuerySet[Survey]:
    """Every survey with its progress (grids, done, found, no problem, findings): one query."""
    return (Survey.objects.annotate(**_progress(Survey.objects), findings=Count("tasks__findings", distinct=True))
            .order_by("status", "-starts_on", "-pk"))


def survey_get(survey_id: int) -> Survey | None:
    return (surveys_list().filter(pk=survey_id).select_related("created_by").prefetch_related("minors").first())


def progress_by_grid(survey: Survey) -> list[SurveyTask]:
    """The survey's tasks with grid (and its shape), collector and number of findings: one query."""
    return list(SurveyTask.objects.filter(survey=survey).select_related("unit_grid", "collector")
                .annotate(finding_count=Count("findings")).order_by("unit_grid__code"))


def progress_by_collector(survey: Survey) -> list[dict]:
    """Per collector: grids given, done, found, no problem, findings: one query."""
    return list(SurveyTask.objects.filter(survey=survey).order_by().values("collector_id")
                .annotate(username=F("collector__username"), first_name=F("collector__first_name"),
                          last_name=F("collector__last_name"), **_progress(SurveyTask.objects, prefix=""),
                          findings=Count("findings", distinct=True))
                .order_by("username"))


def progress_geojson(tasks: list[SurveyTask]) -> dict:
    """The tasks' grids as GeoJSON features with their outcome, for the progress map."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": task.unit_grid.geometry,
         "properties": {"code": task.unit_grid.code, "outcome": task.outcome, "label": task.get_outcome_display(),
                        "collector": task.collector.get_full_name() or task.collector.username,
                        "findings": task.finding_count}}
        for task in tasks]}


def report_by_class(survey: Survey) -> list[dict]:
    """Findings per minor class: one query."""
    return list(SurveyFinding.objects.filter(task__survey=survey).order_by()
                .values(code=F("case__minor__code"), name=F("case__minor__name"))
                .annotate(count=Count("pk")).order_by("-count", "code"))


def report_by_grid(survey: Survey) -> list[dict]:
    """Per grid: its outcome and its findings per class (one query; grids with no finding too)."""
    return list(SurveyTask.objects.filter(survey=survey).order_by()
                .values("outcome", grid=F("unit_grid__code"), class_name=F("findings__case__minor__name"))
                .annotate(count=Count("findings")).order_by("grid", "class_name"))


def tasks_mine(user: User) -> list[SurveyTask]:
    """The collector's tasks of the surveys running today, pending first, with the survey, the
    grid and the survey's classes: two queries."""
    today = timezone.localdate()
    return list(SurveyTask.objects.filter(collector=user, survey__status=SurveyStatus.ACTIVE,
                                          survey__starts_on__lte=today, survey__ends_on__gte=today)
                .select_related("survey", "unit_grid").prefetch_related("survey__minors")
                .annotate(finding_count=Count("findings"))
                .order_by(F("outcome").desc(nulls_last=True), "survey_id", "unit_grid__code"))
