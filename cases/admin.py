"""Admin of the case loop. Cases are read here and moved only through the workflow (pages/API);
the event log is read-only for everyone; the work calendar is edited here."""
from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from citygrid.admin import ReadOnlyAdmin

from .calendar import calendar_cache_clear, parse_windows
from .models import (
    Attachment,
    CalendarDay,
    Case,
    CaseEvent,
    CaseRequest,
    CaseStep,
    OutboxMessage,
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
    fields = ["kind", "department", "started_at", "deadline", "completed_at", "on_time", "overdue_marked_at"]
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["number", "state", "source", "minor", "district", "department", "current_deadline", "reported_at"]
    list_filter = ["state", "source", "urgency", "kind", "district"]
    search_fields = ["number", "description", "address"]
    list_select_related = ["minor", "district", "department"]
    date_hierarchy = "reported_at"
    inlines = [StepInline, EventInline]
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
                       "sent_at", "done_at"]
    show_full_result_count = False


class CalendarCacheMixin:
    """Calendar edits take effect at once in this process (other processes within the TTL)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        calendar_cache_clear()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        calendar_cache_clear()


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarCacheMixin, admin.ModelAdmin):
    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


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
class WorkScheduleAdmin(CalendarCacheMixin, admin.ModelAdmin):
    form = WorkScheduleForm
    list_display = ["__str__", "windows", "works_on_holidays"]
    list_select_related = ["department"]
    autocomplete_fields = ["department"]
    help_texts = {"windows": _("例如 08:30-12:00,14:00-18:00；全天为 00:00-24:00")}
