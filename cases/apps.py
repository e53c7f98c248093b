"""App config of the case loop."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("案件")

    def ready(self) -> None:
        from django.core import checks

        from .checks import calendar_fallback_check

        checks.register(calendar_fallback_check, "cases")
