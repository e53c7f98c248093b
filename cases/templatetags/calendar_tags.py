"""The work calendar's warning banner (cases.calendar_health), shown in the admin and on the shift
leader's page while running deadlines or the coming days rest on the weekday fallback, worded for
the person: the way to enter the year for whoever may, "ask an administrator" for the others."""
from django import template
from django.utils.html import format_html

from cases.calendar_health import calendar_entry_allowed, calendar_health

register = template.Library()


def _viewer(context) -> object | None:
    request = context.get("request")
    return getattr(request, "user", None) or context.get("user")


@register.simple_tag(takes_context=True)
def calendar_banner(context, where: str = "page") -> str:
    """The warning in the look of the page's own messages (no inline style: the CSP forbids it):
    `{% calendar_banner "admin" %}` in the admin, `{% calendar_banner %}` on the workbench pages."""
    health = calendar_health()
    if health.ok:
        return ""
    message = health.message(for_administrator=calendar_entry_allowed(_viewer(context)))
    if where == "admin":
        return format_html('<ul class="messagelist calendar-banner" role="alert"><li class="warning">{}</li></ul>',
                           message)
    # A div, not a list: role="alert" on a <ul> would leave its <li> outside any list (WCAG 1.3.1).
    return format_html('<div class="messages calendar-banner" role="alert"><div class="msg msg-warning">{}</div></div>',
                       message)


@register.simple_tag
def calendar_health_report():
    """The report itself, for a page that words it its own way (the overview's health line)."""
    return calendar_health()


@register.simple_tag(takes_context=True)
def calendar_health_message(context, health) -> str:
    """The report's message worded for the person looking (`{% calendar_health_message calendar %}`)."""
    return health.message(for_administrator=calendar_entry_allowed(_viewer(context)))
