"""The configured Celery beat schedule (settings.CELERY_BEAT_SCHEDULE), described for people: the
admin and /assessment/schedule/ list it read-only, each task by what it does and when it runs, with
the last run of each assessment task."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ComputeRun

# What each scheduled task does, in the reader's words (the task's name stays beside it for the
# logs). Keyed by the task, or by (task, first argument) where the argument changes what it does.
TASK_LABELS = {
    "assessment.compute_hourly": gettext_lazy("计算当日和本月考核数据（全市、各区）"),
    "assessment.compute_nightly": gettext_lazy("计算本月全部考核对象"),
    "assessment.freeze_previous_month": gettext_lazy("最后计算一次上月考核并冻结"),
    ("assessment.issue_bulletin", "day"): gettext_lazy("发布昨日通报"),
    ("assessment.issue_bulletin", "week"): gettext_lazy("发布上周通报"),
    ("assessment.issue_bulletin", "month"): gettext_lazy("发布上月通报"),
    "assessment.issue_bulletin": gettext_lazy("发布通报"),
    "cases.mark_overdue": gettext_lazy("标记超期环节"),
    "cases.outbox_drain": gettext_lazy("补发待发送任务"),
    "cases.calendar_health_log": gettext_lazy("检查工作日历是否已录入"),
    "cases.suspensions_tick": gettext_lazy("提醒挂账将到期，到期恢复办理"),
    "citygrid.backup_scheduled": gettext_lazy("备份数据库和照片"),
    "citygrid.backup_restore_check": gettext_lazy("恢复最新备份以检验"),
    "citygrid.partitions_ensure": gettext_lazy("预建历史数据的月分区"),
    "hotline.closure_followups": gettext_lazy("为结案的市民案件生成回访任务"),
    "patrol.purge": gettext_lazy("清除过期的巡查轨迹"),
    "rewards.reconcile": gettext_lazy("补核有奖举报的奖励"),
}
WEEKDAYS = {"0": gettext_lazy("周日"), "1": gettext_lazy("周一"), "2": gettext_lazy("周二"), "3": gettext_lazy("周三"),
            "4": gettext_lazy("周四"), "5": gettext_lazy("周五"), "6": gettext_lazy("周六"), "7": gettext_lazy("周日")}


@dataclass(frozen=True)
class ScheduleEntry:
    name: str
    label: str
    task: str
    schedule: str
    args: str
    last_run: datetime | None


def task_label(task: str, args=()) -> str:
    """'assessment.issue_bulletin' with ('week',) → '发布上周通报'; a task nobody named → its name."""
    label = TASK_LABELS.get((task, str(args[0]))) if args else None
    return str(label or TASK_LABELS.get(task) or task)


def describe_schedule(schedule) -> str:
    """"每 60 秒", "每天 01:30", "每周一 00:45", "每月 1 日 03:00", "每小时第 5 分" — readable without
    knowing Celery; any other crontab as its five fields."""
    if isinstance(schedule, int | float):
        return _describe_seconds(schedule)
    if isinstance(schedule, timedelta):
        return _describe_seconds(schedule.total_seconds())
    fields = ("_orig_minute", "_orig_hour", "_orig_day_of_month", "_orig_month_of_year", "_orig_day_of_week")
    if all(hasattr(schedule, field) for field in fields):
        minute, hour, day, month, weekday = (str(getattr(schedule, field)) for field in fields)
        plain = minute.isdigit() and month == "*"
        if plain and hour == "*" and day == "*" and weekday == "*":
            return _("每小时第 %(m)s 分") % {"m": minute}
        if plain and hour.isdigit():
            at = f"{int(hour):02d}:{int(minute):02d}"
            if day == "*" and weekday == "*":
                return _("每天 %(at)s") % {"at": at}
            if day == "*" and weekday in WEEKDAYS:
                return _("每%(weekday)s %(at)s") % {"weekday": WEEKDAYS[weekday], "at": at}
            if day.isdigit() and weekday == "*":
                return _("每月 %(day)s 日 %(at)s") % {"day": day, "at": at}
        return _("crontab：分 %(m)s 时 %(h)s 日 %(d)s 月 %(mo)s 周 %(w)s") % {
            "m": minute, "h": hour, "d": day, "mo": month, "w": weekday}
    return str(schedule)


def _describe_seconds(seconds: float) -> str:
    if seconds in (60, 3600):
        return _("每分钟") if seconds == 60 else _("每小时")
    if seconds >= 3600 and seconds % 3600 == 0:
        return _("每 %(n)s 小时") % {"n": f"{seconds / 3600:g}"}
    if seconds >= 60 and seconds % 60 == 0:
        return _("每 %(n)s 分钟") % {"n": f"{seconds / 60:g}"}
    return _("每 %(n)s 秒") % {"n": f"{seconds:g}"}


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
            name=name, label=task_label(entry.get("task", ""), tuple(entry.get("args", ()))),
            task=entry.get("task", ""), schedule=describe_schedule(entry.get("schedule")),
            args=", ".join([*(repr(a) for a in entry.get("args", ())),
                            *(f"{k}={v!r}" for k, v in (entry.get("kwargs") or {}).items())]),
            last_run=last_runs.get(entry.get("task", "")),
        )
        for name, entry in sorted(configured.items())
    ]
