"""The work calendar's warning banner (cases.calendar_health), shown in the admin and on the shift
leader's page while running deadlines or the coming days rest on the weekday fallback."""
from django import template
from django.utils.html import format_html

from cases.calendar_health import calendar_health

register = template.Library()


@register.simple_tag
def calendar_banner(where: str = "page") -> str:
    """The warning in the look of the page's own messages (no inline style: the CSP forbids it):
    `{% calendar_banner "admin" %}` in the admin, `{% calendar_banner %}` on the workbench pages."""
    health = calendar_health()
    if health.ok:
        return ""
    if where == "admin":
        return format_html('<ul class="messagelist calendar-banner" role="alert"><li class="warning">{}</li></ul>',
                           health.message())
    # A div, not a list: role="alert" on a <ul> would leave its <li> outside any list (WCAG 1.3.1).
    return format_html('<div class="messages calendar-banner" role="alert"><div class="msg msg-warning">{}</div></div>',
                       health.message())


@register.simple_tag
def calendar_health_report():
    """The report itself, for a page that words it its own way (the overview's health line)."""
    return calendar_health()
