"""Admin of special surveys: surveys with their tasks (reassign a grid's collector), findings read-only."""
from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Survey, SurveyFinding, SurveyTask


class SurveyTaskInline(admin.TabularInline):
    model = SurveyTask
    extra = 0
    fields = ["unit_grid", "collector", "outcome", "done_at"]
    readonly_fields = ["unit_grid", "outcome", "done_at"]
    raw_id_fields = ["collector"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on", "status", "created_by", "created_at"]
    list_filter = ["status"]
    search_fields = ["name"]
    filter_horizontal = ["minors"]
    readonly_fields = ["created_by", "created_at", "closed_at"]
    inlines = [SurveyTaskInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(SurveyFinding)
class SurveyFindingAdmin(ReadOnlyAdmin):
    list_display = ["case", "task", "created_at"]
    list_select_related = ["case", "task__survey", "task__unit_grid"]
    search_fields = ["case__number", "task__survey__name"]
