"""Admin pieces shared by the apps, and the admin of the project's own staff API tokens."""
from django.contrib import admin

from citygrid.models import ApiToken


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that can be read here and never added, changed or deleted: logs, derived results,
    messages that the system itself sends."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff API tokens: who holds one and until when, by the token's first characters only (the
    token itself is not stored; it was shown once, at login). Deleting one revokes it."""

    list_display = ("token_key", "user", "created", "expiry")
    list_select_related = ("user",)
    search_fields = ("token_key", "user__username")
    fields = ("token_key", "user", "created", "expiry")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
