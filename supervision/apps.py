from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("会审与督办")
    default_auto_field = "django.db.models.BigAutoField"
