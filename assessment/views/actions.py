"""The assessment's POST actions: compute a period, freeze it, recompute a frozen one. Each calls
one service and goes back to the period's overview."""
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..models import Trigger
from ..services import assessment_compute, assessment_recompute_frozen, period_freeze, period_get_or_create
from .common import manager_required


@require_POST
@manager_required
def compute(request, label):
    period = period_get_or_create(label=label)
    run = assessment_compute(period=period, trigger=Trigger.MANUAL, actor=request.user)
    messages.success(request, _("已计算 %(label)s：%(n)d 个对象，%(s)d 条指标快照（指标体系 v%(v)d）。") % {
        "label": period.label, "n": run.composites, "s": run.snapshots, "v": run.catalogue_version})
    return redirect("assessment:overview", label=period.label)


@require_POST
@manager_required
def freeze(request, label):
    run = period_freeze(period=label, actor=request.user, trigger=Trigger.FREEZE)
    messages.success(request, _("考核周期 %(label)s 已冻结。") % {"label": label} if run else
                     _("考核周期 %(label)s 早已冻结。") % {"label": label})
    return redirect("assessment:overview", label=label)


@require_POST
@manager_required
def recompute(request, label):
    audit = assessment_recompute_frozen(period=label, actor=request.user, note=request.POST.get("note", ""))
    messages.success(request, _("已重算冻结周期 %(label)s（%(n)d 个对象的结果有变化），已记录审计。") % {
        "label": label, "n": len(audit.changes)})
    return redirect("assessment:overview", label=label)

