"""What the assessment pages and their Excel exports share: the managers-only guard, the period of
a URL, the names of objects and levels, the links into the drill-down, and the reads both show."""
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.db_router import replica_reads
from core.errors import ApplicationError

from .. import selectors
from ..counters import counter_get
from ..links import type_label
from ..models import Composite, ObjectType, Period, RegionLevelKey
from ..periods import period_spec_parse
from ..scoring import percent
from ..services import can_manage_assessment, can_read_assessment


def manager_required(view):
    return _guarded(view, can_manage_assessment, gettext_lazy("考核评价仅对领导和系统管理员开放。"))


def reader_required(view):
    """The reading pages: managers, and a department's people (scoped to their own department).
    Their reads tolerate a few seconds' lag: a read replica serves them when there is one."""
    return _guarded(replica_reads(view), can_read_assessment, gettext_lazy("考核评价仅对领导、系统管理员和专业部门开放。"))


def _guarded(view, allowed, refusal):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not allowed(request.user):
            raise PermissionDenied(str(refusal))
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as error:
            if request.method == "POST" or error.status_code >= 500:
                messages.error(request, error.message)
                return HttpResponseRedirect(request.META.get("HTTP_REFERER") or reverse("assessment:home"))
            raise Http404(error.message) from error

    return wrapper


def period_of(label: str) -> Period:
    """The stored period, or an unsaved one (not computed yet: live pages still work)."""
    spec = period_spec_parse(label)
    return Period.objects.filter(label=spec.label).first() or Period(
        kind=spec.kind, label=spec.label, start=spec.start, end=spec.end)


def int_or_none(value) -> int | None:
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


# --- what a page and its export both read ----------------------------------------------------------------

def object_type_check(object_type: str) -> None:
    if object_type not in ObjectType.values:
        raise Http404(_("考核对象无效。"))


def ranking_level(request, object_type: str) -> str:
    """The level a ranking shows (?level=, districts by default for regions; "" for the others);
    404 for an unknown object type or level."""
    object_type_check(object_type)
    level = request.GET.get("level") or (RegionLevelKey.DISTRICT if object_type == ObjectType.REGION else "")
    if object_type == ObjectType.REGION and level not in RegionLevelKey.values:
        raise Http404(_("层级无效。"))
    return level


def snapshot_value(snapshot):
    if snapshot is None:
        return ""
    if not snapshot.denominator_key:
        return snapshot.numerator
    return "" if snapshot.rate is None else percent(snapshot.rate)


def composite_or_404(period, object_type, level, object_id, scope) -> Composite:
    composite = selectors.composite_get(period=period, object_type=object_type, level=level, object_id=object_id,
                                        scope=scope) if period.pk else None
    if composite is None:
        raise Http404(_("该周期没有此对象的考核结果（尚未计算，或不在您的查看范围内）。"))
    return composite


def drill_key(request, counter: str) -> str:
    """The counter key a drill-down URL names: its slug, and the filters of `?where=` if any."""
    where = (request.GET.get("where") or "").strip()
    return f"{counter}?{where}" if where else counter


def drill_counter(object_type, counter):
    """The counter a drill-down lists; 404 for an unknown object type or counter."""
    definition = counter_get(object_type, counter) if object_type in ObjectType.values else None
    if definition is None:
        raise Http404(_("计数项无效。"))
    return definition


def drill_filters(request) -> dict:
    return {"minor_id": int_or_none(request.GET.get("minor")), "major_id": int_or_none(request.GET.get("major")),
            "source": request.GET.get("source", "")}


def drill_list(period, object_type, level, object_id, counter, scope, filters):
    """The rows behind a counter (cases, or steps and tasks), the object's stored composite (None
    before the period is computed) and the object's name."""
    if not scope.sees_object(object_type, object_id):
        raise Http404(_("该对象不在您的查看范围内。"))
    rows = selectors.drill_rows(period=period, object_type=object_type, level=level, object_id=object_id,
                                counter=counter, scope=scope, **filters)
    composite = selectors.composite_get(period=period, object_type=object_type, level=level, object_id=object_id,
                                        scope=scope) if period.pk else None
    name = composite.object_name if composite else f"{type_label(object_type, level)} #{object_id}"
    return rows, composite, name
