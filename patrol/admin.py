"""Admin of the patrol: fixed posts (set up here), duty shifts and check-ins (read only). Track
points are not listed: millions a day, and positions are for the patrol pages' viewers only."""
from django.contrib import admin

from .models import CheckIn, DutyShift, Post


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["name", "responsibility_grid", "radius_m", "checkin_times", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "responsibility_grid__code", "responsibility_grid__name"]
    autocomplete_fields = ["responsibility_grid"]
    filter_horizontal = ["collectors"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("responsibility_grid")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DutyShift)
class DutyShiftAdmin(ReadOnlyAdmin):
    list_display = ["collector", "started_at", "ended_at", "distance_m"]
    date_hierarchy = "started_at"
    search_fields = ["collector__username"]
    list_select_related = ["collector"]


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ["collector", "post", "at", "distance_m"]
    date_hierarchy = "at"
    search_fields = ["collector__username", "post__name"]
    list_select_related = ["collector", "post"]
