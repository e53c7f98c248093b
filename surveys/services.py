"""Writes of special surveys: making a survey (its grids shared among its collectors), a finding
reported through the case intake and tied to its task in the same transaction, a grid recorded
as having no problem, and closing the survey."""
from dataclasses import dataclass
from datetime import date

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Source
from cases.services import case_report
from core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from core.storage import StoredFiles
from grids.models import MinorClass, ResponsibilityGrid, Role, User

from . import selectors
from .models import Outcome, Survey, SurveyFinding, SurveyStatus, SurveyTask


def _require_manager(actor: User) -> None:
    if not selectors.can_manage(actor):
        raise PermissionDeniedError(_("只有值班长或管理人员可以管理专项普查。"))


def survey_create(*, actor: User, name: str, starts_on: date, ends_on: date, minor_ids: list[int],
                  grid_ids: list[int], collector_ids: list[int], description: str = "") -> Survey:
    """A survey of the given unit grids. Each grid goes to the chosen collector who patrols its
    responsibility grid, or else, in turn, to the chosen collectors (the rest of the load)."""
    _require_manager(actor)
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("请填写普查名称。"), extra={"field": "name"})
    if ends_on < starts_on:
        raise ApplicationError(_("结束日期不能早于开始日期。"), extra={"field": "ends_on"})
    grids = list(selectors.grids_for(actor).filter(pk__in=grid_ids).order_by("code"))
    if not grids or len(grids) != len(set(grid_ids)):
        raise ApplicationError(_("请选择普查范围内的单元网格。"), extra={"field": "grid_ids"})
    collectors = list(User.objects.filter(pk__in=collector_ids, role=Role.COLLECTOR, is_active=True).order_by("pk"))
    if not collectors or len(collectors) != len(set(collector_ids)):
        raise ApplicationError(_("请选择参与普查的监督员。"), extra={"field": "collector_ids"})
    minors = list(MinorClass.objects.filter(pk__in=minor_ids, is_active=True))
    if len(minors) != len(set(minor_ids)):
        raise ApplicationError(_("所选小类不存在或已停用。"), extra={"field": "minor_ids"})
    patrols: dict[int, int] = {}  # responsibility grid → a chosen collector who patrols it
    through = ResponsibilityGrid.collectors.through
    for rgrid_id, user_id in through.objects.filter(user_id__in=[c.pk for c in collectors]).order_by(
            "user_id").values_list("responsibilitygrid_id", "user_id"):
        patrols.setdefault(rgrid_id, user_id)
    with transaction.atomic():
        survey = Survey.objects.create(name=name, description=(description or "").strip(), starts_on=starts_on,
                                       ends_on=ends_on, created_by=actor)
        survey.minors.set(minors)
        turn = 0
        tasks = []
        for grid in grids:
            collector_id = patrols.get(grid.responsibility_grid_id)
            if collector_id is None:
                collector_id = collectors[turn % len(collectors)].pk
                turn += 1
            tasks.append(SurveyTask(survey=survey, unit_grid=grid, collector_id=collector_id))
        SurveyTask.objects.bulk_create(tasks)
    return survey


def _task_for(actor: User, task_id: int, *, lock: bool = False) -> SurveyTask:
    """The actor's own task of an active survey within its period."""
    tasks = SurveyTask.objects.select_related("survey", "unit_grid")
    if lock:
        tasks = tasks.select_for_update(of=("self",))
    task = tasks.filter(pk=task_id).first()
    if task is None or (task.collector_id != actor.pk and not selectors.can_manage(actor)):
        raise NotFoundError(_("普查任务不存在或不属于您。"))
    if task.survey.status != SurveyStatus.ACTIVE:
        raise ConflictError(_("该专项普查已结束。"))
    today = timezone.localdate()
    if not task.survey.starts_on <= today <= task.survey.ends_on:
        raise ConflictError(_("不在普查期间（%(start)s 至 %(end)s）。") % {
            "start": task.survey.starts_on, "end": task.survey.ends_on})
    return task


@dataclass(frozen=True)
class FindingResult:
    finding: SurveyFinding
    created: bool


def survey_finding_report(*, actor: User, task_id: int, minor_id: int, lon: float, lat: float, description: str,
                          address: str = "", component_code: str = "", photos: list[UploadedFile] | None = None,
                          idempotency_key: str | None = None) -> FindingResult:
    """A problem found in a task's grid: reported through the case intake (source 监督员上报,
    idempotent by the client's key) and tied to the task, all in one transaction; the task
    becomes "found". The class must be one the survey concerns, the point inside the task's grid."""
    task = _task_for(actor, task_id)
    minors = selectors.survey_minor_ids(task.survey)
    if minors and minor_id not in minors:
        raise ApplicationError(_("该小类不在本次普查范围内。"), extra={"field": "minor_id"})
    with StoredFiles(), transaction.atomic():
        task = _task_for(actor, task_id, lock=True)
        result = case_report(actor=actor, source=Source.COLLECTOR, minor_id=minor_id, lon=lon, lat=lat,
                             description=description, address=address, component_code=component_code,
                             photos=photos, idempotency_key=idempotency_key)
        if not result.created:
            finding = SurveyFinding.objects.filter(case=result.case).first()
            if finding is None:
                raise ConflictError(_("该提交已作为普通案件上报。"))
            return FindingResult(finding, created=False)
        if result.case.unit_grid_id != task.unit_grid_id:
            raise ApplicationError(_("位置不在普查网格 %(code)s 内。") % {"code": task.unit_grid.code},
                                   extra={"field": "lon"})
        finding = SurveyFinding.objects.create(task=task, case=result.case, created_at=result.case.reported_at)
        if task.outcome != Outcome.FOUND:
            task.outcome, task.done_at = Outcome.FOUND, timezone.now()
            task.save(update_fields=["outcome", "done_at"])
    return FindingResult(finding, created=True)


def survey_task_no_problem(*, actor: User, task_id: int, note: str = "") -> SurveyTask:
    """Record that the task's grid has no problem of the survey's classes. Refused once a finding
    was reported there; a second call changes nothing."""
    with transaction.atomic():
        task = _task_for(actor, task_id, lock=True)
        if task.outcome == Outcome.FOUND:
            raise ConflictError(_("该网格已上报普查问题，不能再记为无问题。"))
        if task.outcome == Outcome.PENDING:
            task.outcome, task.done_at, task.note = Outcome.NO_PROBLEM, timezone.now(), (note or "").strip()[:200]
            task.save(update_fields=["outcome", "done_at", "note"])
    return task


def survey_close(*, actor: User, survey_id: int) -> Survey:
    """End the survey: its tasks take no more answers; the report stays."""
    _require_manager(actor)
    with transaction.atomic():
        survey = Survey.objects.select_for_update().filter(pk=survey_id).first()
        if survey is None:
            raise NotFoundError(_("专项普查不存在。"))
        if survey.status == SurveyStatus.ACTIVE:
            survey.status, survey.closed_at = SurveyStatus.CLOSED, timezone.now()
            survey.save(update_fields=["status", "closed_at"])
    return survey


