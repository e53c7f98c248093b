from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RewardsConfig(AppConfig):
    name = "rewards"
    verbose_name = _("有奖举报")
    default_auto_field = "django.db.models.BigAutoField"
