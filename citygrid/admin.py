"""The admin of the project's own staff API tokens, and the people's admin with them: deactivating
someone there revokes their tokens (the tokens live here, above grids, which owns the people)."""
from django.contrib import admin

from citygrid.models import ApiToken
from citygrid.services import token_revoke_all
from grids.admin import UserAdmin
from grids.models import User


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


admin.site.unregister(User)


@admin.register(User)
class StaffAdmin(UserAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            token_revoke_all(user=obj)  # deactivated: the field apps' tokens stop at once
