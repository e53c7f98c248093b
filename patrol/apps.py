"""The patrol app: collectors' duty shifts, tracks, fixed posts and check-ins (issue 20)."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "patrol"
    verbose_name = _("巡查")
