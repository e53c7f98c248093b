"""Admin of the hotline: callers, calls, replies, callbacks, public reports and API keys. Phones and
names are masked for staff who are not hotline agents or administrators; an API key's secret is
shown once, right after it is created or rotated."""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import services
from .masking import can_see_personal_data, mask_name, mask_phone
from .models import ApiKey, Call, Callback, Caller, Feedback, PublicReport

PERSONAL_FIELDS = {"phone", "name", "caller_name", "recipient", "client_ip", "contact_email", "device_id",
                   "account_id"}


class PersonalDataAdmin(admin.ModelAdmin):
    """Hides personal fields from the forms of people who may not see them (lists show them masked)."""

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not can_see_personal_data(request.user):
            exclude += [name for name in PERSONAL_FIELDS if name in {f.name for f in self.model._meta.fields}]
        return exclude

    def get_readonly_fields(self, request, obj=None):
        hidden = set(self.get_exclude(request, obj) or [])
        return [name for name in super().get_readonly_fields(request, obj) if name not in hidden]


@admin.register(Caller)
class CallerAdmin(PersonalDataAdmin):
    list_display = ["masked_phone", "masked_name", "created_at", "updated_at"]
    search_fields = ["=phone"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description=_("电话"))
    def masked_phone(self, caller: Caller) -> str:
        return mask_phone(caller.phone)

    @admin.display(description=_("姓名"))
    def masked_name(self, caller: Caller) -> str:
        return mask_name(caller.name)


@admin.register(Call)
class CallAdmin(PersonalDataAdmin):
    list_display = ["called_at", "channel", "kind", "masked_phone", "case", "case_link", "agent", "transfer_number"]
    list_filter = ["channel", "kind", "case_link"]
    search_fields = ["case__number", "transfer_number", "=caller__phone"]
    date_hierarchy = "called_at"
    raw_id_fields = ["caller", "case", "agent"]
    list_select_related = ["caller", "case", "agent"]
    readonly_fields = ["created_at"]

    @admin.display(description=_("来电号码"))
    def masked_phone(self, call: Call) -> str:
        return mask_phone(call.caller.phone)


@admin.register(Feedback)
class FeedbackAdmin(PersonalDataAdmin):
    list_display = ["created_at", "case", "kind", "channel", "masked_recipient", "on_time", "status", "automatic"]
    list_filter = ["kind", "channel", "status", "on_time", "automatic"]
    search_fields = ["case__number"]
    raw_id_fields = ["case", "created_by"]
    list_select_related = ["case"]

    @admin.display(description=_("接收号码"))
    def masked_recipient(self, feedback: Feedback) -> str:
        return mask_phone(feedback.recipient)


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    list_display = ["case", "case_closed_at", "due_at", "status", "satisfaction", "agent", "done_at", "reopened"]
    list_filter = ["status", "satisfaction", "reopened"]
    search_fields = ["case__number"]
    raw_id_fields = ["case", "agent"]
    list_select_related = ["case", "agent"]


@admin.register(PublicReport)
class PublicReportAdmin(PersonalDataAdmin):
    list_display = ["created_at", "case", "channel", "api_key"]
    list_filter = ["channel"]
    search_fields = ["case__number", "token"]
    raw_id_fields = ["case"]
    list_select_related = ["case", "api_key"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "is_active", "rate_limit_per_hour", "created_at", "last_used_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "prefix", "contact"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    fields = ["name", "contact", "is_active", "rate_limit_per_hour", "prefix", "created_at", "last_used_at"]
    actions = ["rotate_keys"]

    def save_model(self, request, obj, form, change):
        raw = None if change else services.apikey_set_secret(obj)
        super().save_model(request, obj, form, change)
        if raw:
            messages.warning(request, _("“%(name)s”的 API 密钥：%(key)s —— 只显示这一次，请立即复制并安全地交给对方。")
                             % {"name": obj.name, "key": raw})

    @admin.action(description=_("重新生成所选密钥（旧密钥立即失效）"))
    def rotate_keys(self, request, queryset):
        for api_key in queryset:
            raw = services.apikey_rotate(api_key=api_key)
            messages.warning(request, _("“%(name)s”的新 API 密钥：%(key)s —— 只显示这一次。")
                             % {"name": api_key.name, "key": raw})
