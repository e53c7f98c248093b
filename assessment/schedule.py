"""The configured Celery beat schedule (settings.CELERY_BEAT_SCHEDULE), described for people: the
admin and /assessment/schedule/ list it read-only, with the last run of each assessment task."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from .models import ComputeRun


@dataclass(frozen=True)
class ScheduleEntry:
    name: str
    task: str
    schedule: str
    args: str
    last_run: datetime | None


def describe_schedule(schedule) -> str:
    """"每 60 秒" / "crontab: 分 5 时 * 日 * 月 * 周 *" — readable without knowing Celery."""
    if isinstance(schedule, int | float):
        return _("每 %(n)s 秒") % {"n": f"{schedule:g}"}
    if isinstance(schedule, timedelta):
        return _("每 %(n)s 秒") % {"n": f"{schedule.total_seconds():g}"}
    fields = ("_orig_minute", "_orig_hour", "_orig_day_of_month", "_orig_month_of_year", "_orig_day_of_week")
    if all(hasattr(schedule, field) for field in fields):
        minute, hour, day, month, weekday = (getattr(schedule, field) for field in fields)
        return _("crontab：分 %(m)s 时 %(h)s 日 %(d)s 月 %(mo)s 周 %(w)s") % {
            "m": minute, "h": hour, "d": day, "mo": month, "w": weekday}
    return str(schedule)


def schedule_entries() -> list[ScheduleEntry]:
    configured = getattr(settings, "CELERY_BEAT_SCHEDULE", {}) or {}
    task_names = [entry.get("task", "") for entry in configured.values()]
    last_runs = {}
    for task_name in task_names:
        if task_name.startswith("assessment."):
            run = ComputeRun.objects.filter(task_name=task_name).order_by("-started_at").first()
            last_runs[task_name] = run.started_at if run else None
    return [
        ScheduleEntry(
            name=name, task=entry.get("task", ""), schedule=describe_schedule(entry.get("schedule")),
            args=", ".join([*(repr(a) for a in entry.get("args", ())),
                            *(f"{k}={v!r}" for k, v in (entry.get("kwargs") or {}).items())]),
            last_run=last_runs.get(entry.get("task", "")),
        )
        for name, entry in sorted(configured.items())
    ]
