"""App config of the hotline and the public channel."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "hotline"
    verbose_name = _("热线与公众")
