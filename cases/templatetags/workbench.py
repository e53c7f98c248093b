"""Template helpers of the workbench pages: the navigation by role, traffic-light badges and
countdowns. Loaded with `{% load workbench %}` (base.html loads it for every page)."""
from datetime import datetime

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.marks import case_marks
from cases.models import State
from grids.models import Role

register = template.Library()

LIGHT_LABELS = {
    "green": gettext_lazy("正常"),
    "yellow": gettext_lazy("临期"),
    "red": gettext_lazy("超期"),
}


def _url(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


@register.simple_tag(takes_context=True)
def nav_links(context) -> list[dict]:
    """The top navigation for the signed-in person: their work first, then what their role may read.
    Other apps' pages are linked by URL name when they exist (hotline, assessment)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    home_pages = {
        Role.OPERATOR: ("cases:operator", _("受理队列")),
        Role.SHIFT_LEADER: ("cases:shift_leader", _("立案与结案")),
        Role.DISPATCHER: ("cases:dispatcher", _("派遣台")),
        Role.HANDLER: ("cases:department", _("部门收件箱")),
        Role.COLLECTOR: ("cases:collector", _("我的任务")),
    }
    links = []
    if user.role in home_pages:
        name, label = home_pages[user.role]
        links.append({"url": reverse(name), "label": label, "key": "home"})
    links.append({"url": reverse("cases:search"), "label": _("案件查询"), "key": "search"})
    if user.role != Role.HANDLER:
        links.append({"url": reverse("cases:overview"), "label": _("指挥总览"), "key": "overview"})
    # Who reads the hotline desk is the hotline app's rule (hotline.selectors.READER_ROLES); cases
    # must not import hotline, so the roles are repeated here.
    if user.role in (Role.HOTLINE_AGENT, Role.OPERATOR, Role.SHIFT_LEADER, Role.DISPATCHER, Role.MANAGER,
                     Role.ADMIN):
        links.append({"url": _url("hotline:home", "/hotline/"), "label": _("热线"), "key": "hotline"})
    # The patrol map is the command center's (patrol.views); the same roles, repeated for the same reason.
    if user.role in (Role.OPERATOR, Role.SHIFT_LEADER, Role.DISPATCHER, Role.MANAGER, Role.ADMIN):
        links.append({"url": _url("patrol:map", "/patrol/"), "label": _("巡查"), "key": "patrol"})
        # Video events waiting for confirmation (video.selectors.VIEW_ROLES, repeated for the same reason).
        links.append({"url": _url("video:pending", "/video/"), "label": _("视频"), "key": "video"})
        # Joint reviews and letters (supervision.selectors.VIEW_ROLES, repeated for the same reason).
        links.append({"url": _url("supervision:reviews", "/supervision/reviews/"), "label": _("会审督办"),
                      "key": "supervision"})
    # Special surveys (surveys.selectors.VIEW_ROLES, repeated for the same reason).
    if user.role in (Role.OPERATOR, Role.SHIFT_LEADER, Role.DISPATCHER, Role.MANAGER, Role.ADMIN):
        links.append({"url": _url("surveys:list", "/surveys/"), "label": _("专项普查"), "key": "surveys"})
    # Rewards for citizens' reports (rewards.selectors.VIEW_ROLES, repeated for the same reason).
    if user.role in (Role.HOTLINE_AGENT, Role.SHIFT_LEADER, Role.MANAGER, Role.ADMIN):
        links.append({"url": _url("rewards:citizens", "/rewards/"), "label": _("有奖举报"), "key": "rewards"})
    if user.role == Role.HANDLER:
        # The letters sent to the department (交办函, 督办函) wait for its answer there.
        links.append({"url": _url("supervision:letters", "/supervision/letters/"), "label": _("函件"),
                      "key": "letters"})
    # Managers read the whole assessment, a department's people their own (assessment.services.
    # can_read_assessment, repeated here: cases must not import assessment).
    if user.role in (Role.MANAGER, Role.ADMIN) or (user.role == Role.HANDLER and user.department_id):
        links.append({"url": _url("assessment:home", "/assessment/"), "label": _("考核评价"), "key": "assessment"})
    if user.is_staff:
        links.append({"url": reverse("admin:index"), "label": _("系统管理"), "key": "admin"})
    path = request.path
    for link in links:
        link["active"] = path == link["url"] or (link["url"] != "/" and path.startswith(link["url"]))
    return links


@register.inclusion_tag("cases/_light.html")
def light(value: str | None):
    """A traffic-light badge: colour AND a word, so it reads without colour vision."""
    return {"light": value, "label": LIGHT_LABELS.get(value or "", "")}


@register.filter
def countdown(deadline: datetime | None) -> str:
    """Time left to a deadline (or past it), in hours and minutes: "2小时05分" / "超期 1小时10分"."""
    if not deadline:
        return "—"
    seconds = int((deadline - timezone.now()).total_seconds())
    overdue = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = _("%(d)d天%(h)d小时") % {"d": days, "h": hours}
    elif hours:
        text = _("%(h)d小时%(m)02d分") % {"h": hours, "m": minutes}
    else:
        text = _("%(m)d分钟") % {"m": minutes}
    return _("超期 %(t)s") % {"t": text} if overdue else text


@register.simple_tag(takes_context=True)
def query_with(context, **kwargs) -> str:
    """The current query string with some parameters replaced (pagination links keep the filters)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        params[key] = value
    return params.urlencode()


@register.inclusion_tag("cases/_marks.html")
def marks(case):
    """The case's state marks (挂账 until when, 督办, 返工, 延期: cases.marks), as tags with the full
    sentence for a tooltip and screen readers."""
    return {"marks": case_marks(case)}


@register.simple_tag
def clock(case) -> str:
    """The countdown of the case's current step, or, while it is suspended (挂账), that its clock
    stands still: a suspended case shows no running time."""
    if case.state == State.SUSPENDED:
        return _("计时暂停")
    return countdown(case.current_deadline)
