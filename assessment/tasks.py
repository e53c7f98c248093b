"""Celery tasks of the assessment: thin, take labels (JSON), call one service, safe to run twice
(a computation replaces the period's results; freezing a frozen month does nothing).

Scheduled in settings.CELERY_BEAT_SCHEDULE: hourly the day's and month-to-date figures of the city
and its districts (立案率, 处置率, 结案率 and the rest of their indicators), nightly every object
type for the month of yesterday, and on the 1st the previous month is computed once more and frozen.
Bulletins are issued once their period has ended: the day's at 00:30 for yesterday, the week's on
Monday for the week before, the month's on the 1st after the month is frozen (assessment.bulletins).
"""
from datetime import timedelta

from celery import shared_task
from django.db import OperationalError

from .bulletins import bulletin_issue
from .models import ObjectType, Period, RegionLevelKey, Trigger
from .periods import local_today, month_label, period_spec_parse, previous_month_label
from .services import assessment_compute, period_freeze

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "retry_kwargs": {"max_retries": 5}}


def _frozen(label: str) -> bool:
    return Period.objects.filter(label=label, frozen_at__isnull=False).exists()


@shared_task(name="assessment.compute", **RETRY)
def compute(period: str, object_type: str | None = None, levels: list[str] | None = None) -> dict:
    """Compute one period (for one object type, or all)."""
    if _frozen(period):
        return {"period": period, "skipped": "frozen"}
    run = assessment_compute(period=period, object_type=object_type, levels=levels, trigger=Trigger.SCHEDULE,
                             task_name="assessment.compute")
    return {"period": period, "run": run.pk, "snapshots": run.snapshots}


@shared_task(name="assessment.compute_hourly", **RETRY)
def compute_hourly() -> list[dict]:
    """Today's and the month-to-date figures of the city and the districts."""
    today = local_today()
    results = []
    for label in (today.isoformat(), month_label(today)):
        if _frozen(label):
            results.append({"period": label, "skipped": "frozen"})
            continue
        run = assessment_compute(period=label, object_type=ObjectType.REGION,
                                 levels=[RegionLevelKey.CITY, RegionLevelKey.DISTRICT], trigger=Trigger.SCHEDULE,
                                 task_name="assessment.compute_hourly")
        results.append({"period": label, "run": run.pk, "snapshots": run.snapshots})
    return results


@shared_task(name="assessment.compute_nightly", **RETRY)
def compute_nightly() -> dict:
    """Every indicator of every object type for the month that contains yesterday."""
    label = month_label(local_today() - timedelta(days=1))
    if _frozen(label):
        return {"period": label, "skipped": "frozen"}
    run = assessment_compute(period=label, trigger=Trigger.SCHEDULE, task_name="assessment.compute_nightly")
    return {"period": label, "run": run.pk, "snapshots": run.snapshots}


@shared_task(name="assessment.freeze_previous_month", **RETRY)
def freeze_previous_month() -> dict:
    """Compute the month that just ended one last time and freeze it."""
    label = previous_month_label(local_today())
    run = period_freeze(period=label, trigger=Trigger.FREEZE, task_name="assessment.freeze_previous_month")
    return {"period": label, "run": run.pk if run else None, "skipped": "" if run else "frozen"}


def ended_period_label(kind: str, today) -> str:
    """The label of the last period of this kind that ended before today."""
    if kind == "day":
        return (today - timedelta(days=1)).isoformat()
    if kind == "week":
        year, week, _weekday = (today - timedelta(days=7)).isocalendar()
        return f"{year:04d}-W{week:02d}"
    if kind == "month":
        return previous_month_label(today)
    raise ValueError(kind)


@shared_task(name="assessment.issue_bulletin", **RETRY)
def issue_bulletin(kind: str) -> dict:
    """Issue the bulletin of the day, week or month that just ended: computed first (every object
    type; a month is frozen first), then numbered and archived. Running it twice issues one."""
    label = period_spec_parse(ended_period_label(kind, local_today())).label
    if kind == "month":
        period_freeze(period=label, trigger=Trigger.FREEZE, task_name="assessment.issue_bulletin")
    elif not _frozen(label) and not Period.objects.filter(label=label, bulletin__isnull=False).exists():
        assessment_compute(period=label, trigger=Trigger.SCHEDULE, task_name="assessment.issue_bulletin")
    bulletin = bulletin_issue(period=Period.objects.get(label=label))
    return {"period": label, "bulletin": bulletin.pk, "number": bulletin.number}
