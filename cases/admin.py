"""Admin of the case loop. Cases are read here and moved only through the workflow (pages/API);
the event log is read-only for everyone; the work calendar is edited here."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from core.errors import ApplicationError

from .calendar import calendar_cache_clear, parse_windows
from .calendar_import import calendar_day_delete, calendar_day_save, calendar_year_import
from .deadlines import work_schedule_delete, work_schedule_save
from .models import (
    Attachment,
    CalendarDay,
    CalendarYear,
    Case,
    CaseAssist,
    CaseEvent,
    CaseRequest,
    CaseStep,
    OutboxMessage,
    ReturnReason,
    Task,
    WorkSchedule,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ["created_at", "action", "from_state", "to_state", "actor", "note"]
    readonly_fields = fields


class StepInline(ReadOnlyInline):
    model = CaseStep
    fields = ["kind", "department", "started_at", "deadline", "completed_at", "on_time", "ended_by",
              "overdue_marked_at"]
    readonly_fields = fields


class AssistInline(ReadOnlyInline):
    model = CaseAssist
    fields = ["department", "created_at", "deadline", "completed_at", "completed_by", "ended_by", "note"]
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["number", "state", "source", "minor", "district", "department", "current_deadline", "reported_at"]
    list_filter = ["state", "source", "urgency", "kind", "district"]
    search_fields = ["number", "description", "address"]
    list_select_related = ["minor", "district", "department"]
    date_hierarchy = "reported_at"
    inlines = [StepInline, AssistInline, EventInline]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        # Every field: a case changes only through the workflow, which logs who did what.
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    """The append-only log: it can be read, never added to, changed or deleted here."""

    list_display = ["created_at", "case", "action", "from_state", "to_state", "actor"]
    list_filter = ["action"]
    search_fields = ["case__number"]
    list_select_related = ["case", "actor"]
    show_full_result_count = False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["case", "kind", "responsibility_grid", "created_at", "deadline", "completed_at", "result"]
    list_filter = ["kind", "result"]
    list_select_related = ["case", "responsibility_grid"]
    raw_id_fields = ["case", "created_by", "completed_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CaseRequest)
class CaseRequestAdmin(TaskAdmin):
    list_display = ["case", "kind", "status", "requested_by", "requested_at", "decided_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["case", "requested_by"]
    raw_id_fields = ["case", "requested_by", "decided_by"]


@admin.register(ReturnReason)
class ReturnReasonAdmin(admin.ModelAdmin):
    """The city's list of return reasons (回退原因), offered to departments in this order. A reason no
    longer wanted is unticked (启用), not deleted: past returns keep its code and name."""

    list_display = ["label", "code", "is_active", "order"]
    list_editable = ["is_active", "order"]
    ordering = ["order", "pk"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(TaskAdmin):
    list_display = ["case", "kind", "content_type", "size", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["case"]
    raw_id_fields = ["case", "uploaded_by"]


class OutboxPendingFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "pending"

    def lookups(self, request, model_admin):
        return [("1", _("待发送")), ("0", _("已发送"))]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(sent_at__isnull=self.value() == "1")
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Side effects waiting for the broker (cases.outbox), read-only: the drain sends them."""

    list_display = ["pk", "task", "created_at", "attempts", "last_attempt_at", "sent_at", "last_error"]
    list_filter = [OutboxPendingFilter, "task"]
    readonly_fields = ["key", "task", "kwargs", "created_at", "attempts", "last_attempt_at", "last_error",
                       "sent_at", "done_at", "request_id"]
    show_full_result_count = False


class CalendarImportForm(forms.Form):
    text = forms.CharField(
        label=_("年度安排"), widget=forms.Textarea(attrs={"rows": 16, "cols": 60}),
        help_text=_("每行：开始日期,结束日期,休|班[,说明]；单日可省略结束日期。例如 2027-01-01,2027-01-01,休,元旦 "
                    "与 2027-02-07,,班,春节调休。未列出的日子按周一至周五。"),
    )
    year = forms.IntegerField(label=_("年份"), required=False, min_value=2000, max_value=2100,
                              help_text=_("留空则取各行日期的最大年份"))


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Single days by hand; a whole year at once through 录入年度安排 (import_view), which also
    recomputes the running deadlines."""

    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    change_list_template = "admin/cases/calendarday/change_list.html"

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="cases_calendarday_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Paste the year's lines, see what changes (预览), then save (确认保存) with the same text."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CalendarImportForm(request.POST or None)
        schedule = error = None
        if request.method == "POST" and form.is_valid():
            confirm = "confirm" in request.POST
            try:
                schedule = calendar_year_import(text=form.cleaned_data["text"], year=form.cleaned_data["year"],
                                                actor=request.user, dry_run=not confirm)
            except ApplicationError as problem:
                error = problem
            else:
                if schedule.saved:
                    messages.success(request, schedule.summary() + " " + str(_("受影响的在办时限已重新计算。")))
                    return redirect("admin:cases_calendaryear_changelist")
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": _("录入年度安排"),
            "form": form, "schedule": schedule, "error": error,
        }
        return TemplateResponse(request, "admin/cases/calendarday/import.html", context,
                                status=400 if error or (request.method == "POST" and not form.is_valid()) else 200)

    def save_model(self, request, obj, form, change):
        previous = form.initial.get("date") if change and "date" in form.changed_data else None
        calendar_day_save(day=obj, previous_date=previous, actor=request.user)
        calendar_cache_clear()

    def delete_model(self, request, obj):
        calendar_day_delete(day=obj, actor=request.user)
        calendar_cache_clear()

    def delete_queryset(self, request, queryset):
        for day in queryset:
            self.delete_model(request, day)


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnlyAdmin):
    """The years the city entered; entered (and entered again) through 录入年度安排."""

    list_display = ["year", "entered_at", "entered_by"]
    readonly_fields = ["year", "entered_at", "entered_by", "source_text"]


class WorkScheduleForm(forms.ModelForm):
    class Meta:
        model = WorkSchedule
        fields = ["department", "windows", "works_on_holidays"]

    def clean_windows(self):
        windows = self.cleaned_data["windows"]
        try:
            parse_windows(windows)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        return windows


@admin.register(WorkSchedule)
class WorkScheduleAdmin(admin.ModelAdmin):
    """Saving or deleting windows goes through cases.deadlines, which recomputes the running
    deadlines they touch."""

    form = WorkScheduleForm
    list_display = ["__str__", "windows", "works_on_holidays"]
    list_select_related = ["department"]
    autocomplete_fields = ["department"]
    help_texts = {"windows": _("例如 08:30-12:00,14:00-18:00；全天为 00:00-24:00")}

    def save_model(self, request, obj, form, change):
        work_schedule_save(schedule=obj, actor=request.user)
        calendar_cache_clear()

    def delete_model(self, request, obj):
        work_schedule_delete(schedule=obj, actor=request.user)
        calendar_cache_clear()

    def delete_queryset(self, request, queryset):
        for schedule in queryset:
            self.delete_model(request, schedule)
