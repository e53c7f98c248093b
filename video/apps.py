from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideoConfig(AppConfig):
    name = "video"
    verbose_name = _("视频智能识别")
    default_auto_field = "django.db.models.BigAutoField"
