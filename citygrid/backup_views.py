"""The administrators' page of the scheduled backups: every run (backup, pruning, restore check)
with its result, size and duration, read from BACKUP_DIR's log."""
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from .backup import backup_log

KIND_LABELS = {"daily": _("日备份"), "monthly": _("月备份"), "prune": _("清理过期备份"),
               "restore_check": _("恢复检验")}


@staff_member_required
def backups_page(request: HttpRequest) -> HttpResponse:
    runs = backup_log()
    for run in runs:
        run["megabytes"] = round(run["bytes"] / 2**20, 1) if run.get("bytes") is not None else None
        moment = parse_datetime(run.get("at") or "")
        run["when"] = timezone.localtime(moment) if moment else None
        run["kind_label"] = KIND_LABELS.get(run.get("kind"), run.get("kind"))
    return render(request, "citygrid/backups.html", {
        "runs": runs, "backup_dir": settings.BACKUP_DIR, "keep_days": settings.BACKUP_KEEP_DAYS,
        "keep_months": settings.BACKUP_KEEP_MONTHS,
        "last_failed": next((run for run in runs if run.get("kind") in ("daily", "monthly")), {}).get("ok") is False,
    })
