"""The admin of video intake: the camera register (located on save), the platforms and their keys
(shown once), and the events (read-only: they are the platform's record and the operators')."""
from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from core.errors import ApplicationError
from grids.locator import locate

from . import services
from .models import Camera, VideoEvent, VideoPlatform


class CameraForm(forms.ModelForm):
    class Meta:
        model = Camera
        fields = ["code", "name", "lon", "lat", "owner", "is_active"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("lon") is not None and cleaned.get("lat") is not None:
            try:
                locate(cleaned["lon"], cleaned["lat"])
            except ApplicationError as error:  # outside every unit grid: said on the form, not a 500
                raise forms.ValidationError(error.message) from None
        return cleaned


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    form = CameraForm
    list_display = ["code", "name", "unit_grid", "owner", "is_active"]
    list_filter = ["is_active", "owner"]
    search_fields = ["code", "name"]
    list_select_related = ["unit_grid", "owner"]
    readonly_fields = ["unit_grid", "created_at"]
    fields = ["code", "name", "lon", "lat", "unit_grid", "owner", "is_active", "created_at"]

    def save_model(self, request, obj, form, change):
        services.camera_save(camera=obj)


@admin.register(VideoPlatform)
class VideoPlatformAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "is_active", "created_at", "last_used_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    fields = ["name", "is_active", "prefix", "created_at", "last_used_at"]
    actions = ["rotate_keys"]

    def save_model(self, request, obj, form, change):
        raw = None if change else services.platform_set_key(obj)
        super().save_model(request, obj, form, change)
        if raw:
            messages.warning(request, _("“%(name)s”的平台密钥：%(key)s —— 只显示这一次，请立即复制并安全地交给对方。")
                             % {"name": obj.name, "key": raw})

    @admin.action(description=_("重新生成所选平台密钥（旧密钥立即失效）"))
    def rotate_keys(self, request, queryset):
        for platform in queryset:
            raw = services.platform_rotate(platform=platform)
            messages.warning(request, _("“%(name)s”的新平台密钥：%(key)s —— 只显示这一次。")
                             % {"name": platform.name, "key": raw})


@admin.register(VideoEvent)
class VideoEventAdmin(ReadOnlyAdmin):
    list_display = ["external_id", "platform", "camera", "minor", "confidence", "status", "case", "received_at"]
    list_filter = ["status", "platform"]
    search_fields = ["external_id", "camera__code", "case__number"]
    list_select_related = ["platform", "camera", "minor", "case"]
    date_hierarchy = "received_at"
