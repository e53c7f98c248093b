"""System checks of the case loop: cases.W001 while a running deadline or the coming days rest on
the weekday fallback of the work calendar (a year nobody entered)."""
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError


def calendar_fallback_check(app_configs=None, **kwargs):
    """Runs with every `manage.py check` (and runserver, migrate): quiet when the tables are not
    there yet or the database cannot be reached, since the answer needs them."""
    from .calendar_health import calendar_health

    try:
        health = calendar_health(use_cache=False)
    except DatabaseError:
        return []
    if health.ok:
        return []
    return [CheckWarning(
        health.message(),
        hint="manage.py calendar_import FILE --dry-run  # cases/README.md: 工作日历 / Work calendar",
        id="cases.W001",
    )]
