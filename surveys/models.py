"""Special surveys' tables (专项普查): the survey (name, period, classes concerned), its tasks (one
per unit grid, each with its collector and its outcome), and its findings (the cases its
collectors reported through the intake, each tied to its task)."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from grids.models import MinorClass, UnitGrid


class SurveyStatus(models.TextChoices):
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")


class Survey(models.Model):
    name = models.CharField(_("普查名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    minors = models.ManyToManyField(MinorClass, verbose_name=_("普查小类"), related_name="+", blank=True,
                                    help_text=_("为空则不限小类"))
    status = models.CharField(_("状态"), max_length=8, choices=SurveyStatus.choices, default=SurveyStatus.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("专项普查")
        verbose_name_plural = _("专项普查")
        ordering = ["-starts_on", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                              name="survey_period_in_order")]

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    PENDING = "pending", _("待普查")
    FOUND = "found", _("发现问题")
    NO_PROBLEM = "no_problem", _("无问题")


class SurveyTask(models.Model):
    """One unit grid of a survey, given to one collector: pending until they report a finding in
    it (found) or record that it has none (no_problem)."""

    survey = models.ForeignKey(Survey, verbose_name=_("专项普查"), on_delete=models.CASCADE, related_name="tasks")
    unit_grid = models.ForeignKey(UnitGrid, verbose_name=_("单元网格"), on_delete=models.PROTECT, related_name="+")
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("监督员"), on_delete=models.PROTECT,
                                  related_name="survey_tasks")
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("普查任务")
        verbose_name_plural = _("普查任务")
        ordering = ["survey", "unit_grid__code"]
        constraints = [models.UniqueConstraint(fields=["survey", "unit_grid"], name="survey_task_one_per_grid")]
        indexes = [models.Index(fields=["collector", "outcome"], name="survey_task_collector_idx")]

    def __str__(self) -> str:
        return f"{self.survey} · {self.unit_grid.code}"


class SurveyFinding(models.Model):
    """A case a survey's collector reported in a task's grid (the survey's tag on the case)."""

    task = models.ForeignKey(SurveyTask, verbose_name=_("普查任务"), on_delete=models.PROTECT, related_name="findings")
    case = models.OneToOneField(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="survey_finding")
    created_at = models.DateTimeField(_("上报时间"))

    class Meta:
        verbose_name = _("普查发现")
        verbose_name_plural = _("普查发现")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.case.number
