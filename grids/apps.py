"""App config of the registry."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("城市部件与网格")
