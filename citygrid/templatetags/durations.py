"""Template filters for time spans: `duration` writes one in words of the active language."""
from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """A time span in words: "15 分钟", "1 小时，30 分钟" (Django's own translations), not the ISO
    8601 "PT15M" django-axes puts in its lock-out context."""
    if not value:
        return ""
    now = timezone.now()
    return timesince(now, now + value)
