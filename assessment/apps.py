"""App config of the monthly assessment."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "assessment"
    verbose_name = _("综合评价")
