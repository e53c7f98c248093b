"""Admin of the assessment: the indicator catalogue is edited here (every save bumps its version
through assessment.services); results, runs and recompute audits are read-only; the configured
Celery beat schedule is listed read-only."""
from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from core.errors import ApplicationError

from .counters import counter_choices
from .durations import duration_choices
from .models import (
    BeatScheduleEntry,
    Bulletin,
    Composite,
    ComputeRun,
    Indicator,
    IndicatorCatalogue,
    Period,
    RecomputeAudit,
    Snapshot,
)
from .schedule import schedule_entries
from .services import (
    catalogue_activate,
    catalogue_copy,
    catalogue_install_default,
    catalogue_touch,
    indicator_errors,
    participation_errors,
)


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = ["catalogue", "object_type", "order", "code", "name", "kind", "numerator", "numerator_filters",
                  "denominator", "denominator_filters", "direction", "weight", "bands", "rounding", "decimals",
                  "target", "points", "cap", "description"]
        widgets = {
            "numerator": forms.Select(choices=[("", "—")]),
            "denominator": forms.Select(choices=[("", "—")]),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *counter_choices()]
        self.fields["numerator"].widget.choices = [*choices, (_("用时（平均用时、用时中位数指标）"), duration_choices())]
        self.fields["denominator"].widget.choices = choices

    def clean(self):
        cleaned = super().clean()
        if "object_type" in cleaned and "numerator" in cleaned:
            errors = indicator_errors(
                object_type=cleaned["object_type"], numerator=cleaned["numerator"],
                denominator=cleaned.get("denominator", ""), weight=cleaned.get("weight"), bands=cleaned.get("bands"),
                kind=cleaned.get("kind"), numerator_filters=cleaned.get("numerator_filters"),
                denominator_filters=cleaned.get("denominator_filters"), points=cleaned.get("points"),
                decimals=cleaned.get("decimals"))
            for field, message in errors.items():
                self.add_error(field, message)
        return cleaned


class IndicatorInline(admin.StackedInline):
    model = Indicator
    form = IndicatorForm
    extra = 0
    fieldsets = [
        (None, {"fields": [("object_type", "order", "code", "name", "kind"), ("direction", "weight", "target")]}),
        (_("计数项与筛选"), {"fields": [("numerator", "numerator_filters"), ("denominator", "denominator_filters")]}),
        (_("计分与舍入"), {"fields": [("rounding", "decimals"), ("points", "cap"), "bands"]}),
    ]


class CatalogueForm(forms.ModelForm):
    class Meta:
        model = IndicatorCatalogue
        fields = ["name", "note", "participation"]

    def clean_participation(self):
        value = self.cleaned_data.get("participation") or {}
        problem = participation_errors(value)
        if problem:
            raise forms.ValidationError(problem)
        return value


@admin.register(IndicatorCatalogue)
class IndicatorCatalogueAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "is_active", "updated_at", "updated_by"]
    form = CatalogueForm
    readonly_fields = ["version", "is_active", "updated_at", "updated_by"]
    fields = ["name", "note", "participation", "version", "is_active", "updated_at", "updated_by"]
    inlines = [IndicatorInline]
    actions = ["activate", "copy", "install_default"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and (form.has_changed() or any(formset.has_changed() for formset in formsets)):
            catalogue_touch(catalogue=form.instance, actor=request.user)

    @admin.action(description=_("启用所选指标体系"))
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("请只选一个指标体系。"), messages.ERROR)
            return
        catalogue = catalogue_activate(catalogue=queryset.get(), actor=request.user)
        self.message_user(request, _("已启用 %(c)s。") % {"c": catalogue})

    @admin.action(description=_("复制所选指标体系（未启用）"))
    def copy(self, request, queryset):
        for catalogue in queryset:
            name = _("%(name)s（副本 v%(version)d）") % {"name": catalogue.name, "version": catalogue.version}
            copy = catalogue_copy(catalogue=catalogue, name=str(name), actor=request.user)
            self.message_user(request, _("已复制为 %(c)s。") % {"c": copy})

    @admin.action(description=_("安装一份默认指标体系（未启用）"))
    def install_default(self, request, queryset):
        try:
            name = _("默认指标体系（%(n)d）") % {"n": IndicatorCatalogue.objects.count() + 1}
            catalogue = catalogue_install_default(name=str(name))
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        self.message_user(request, _("已安装 %(c)s。") % {"c": catalogue})


@admin.register(Period)
class PeriodAdmin(ReadOnlyAdmin):
    list_display = ["label", "kind", "start", "end", "computed_at", "frozen_at", "frozen_by"]
    list_filter = ["kind"]
    search_fields = ["label"]


@admin.register(Composite)
class CompositeAdmin(ReadOnlyAdmin):
    list_display = ["period", "object_type", "level", "object_name", "score", "grade", "rank", "catalogue_version"]
    list_filter = ["object_type", "level", "grade", "period"]
    search_fields = ["object_name", "object_code"]
    list_select_related = ["period"]


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ["period", "object_type", "level", "object_id", "indicator_name", "numerator", "denominator",
                    "rate", "score", "catalogue_version"]
    list_filter = ["object_type", "level", "indicator_code", "period"]
    list_select_related = ["period"]


@admin.register(ComputeRun)
class ComputeRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "period", "trigger", "task_name", "object_types", "levels", "catalogue_version",
                    "composites", "snapshots", "actor"]
    list_filter = ["trigger", "task_name"]
    list_select_related = ["period", "actor"]


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdmin):
    """Issued bulletins, read-only: they are archived as issued."""

    list_display = ["issued_at", "title", "kind", "year", "number", "period"]
    list_filter = ["kind", "year"]
    list_select_related = ["period"]
    exclude = ["html"]


@admin.register(RecomputeAudit)
class RecomputeAuditAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "period", "actor", "note", "catalogue_version"]
    list_select_related = ["period", "actor"]


@admin.register(BeatScheduleEntry)
class BeatScheduleAdmin(ReadOnlyAdmin):
    """Lists settings.CELERY_BEAT_SCHEDULE instead of rows: the schedule lives in configuration."""

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def changelist_view(self, request, extra_context=None):
        context = {
            **self.admin_site.each_context(request),
            "title": _("定时任务（只读）"),
            "opts": self.model._meta,
            "entries": schedule_entries(),
        }
        return TemplateResponse(request, "admin/assessment/beat_schedule.html", context)
