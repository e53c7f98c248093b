from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("专项普查")
    default_auto_field = "django.db.models.BigAutoField"
