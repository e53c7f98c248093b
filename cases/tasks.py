"""Celery tasks of the case loop: thin, take ids or nothing, call one service, safe to run twice."""
import logging
from datetime import date

from celery import current_app, shared_task
from celery.signals import worker_ready

from .outbox import outbox_drain
from .services import case_report_announce, steps_mark_overdue
from .suspensions import suspension_ending_announce, suspensions_tick

logger = logging.getLogger(__name__)


@shared_task(name="cases.mark_overdue")
def mark_overdue() -> int:
    """Mark every step past its deadline (once) and log it as an event."""
    return steps_mark_overdue()


@shared_task(name="cases.suspensions_tick")
def suspensions_tick_task() -> dict:
    """Remind of suspensions ending by the next working day, and resume those whose date has come."""
    run = suspensions_tick()
    return {"reminded": run.reminded, "resumed": run.resumed}


@shared_task(name="cases.suspension_ending", autoretry_for=(Exception,), retry_backoff=True, max_retries=10)
def suspension_ending(case_id: int, outbox_key: str | None = None) -> bool:
    """Tell CASE_REPORT_NOTIFIER a suspension ends by the next working day, once (through the outbox)."""
    return suspension_ending_announce(case_id=case_id, outbox_key=outbox_key)


@shared_task(name="cases.outbox_drain")
def outbox_drain_task() -> dict:
    """Send the side effects kept pending while the broker was down (beat, and every worker's start)."""
    return outbox_drain()


@shared_task(name="cases.report_received", autoretry_for=(Exception,), retry_backoff=True, max_retries=10)
def report_received(case_id: int, outbox_key: str | None = None) -> bool:
    """Tell CASE_REPORT_NOTIFIER about a new report, once (sent through the outbox)."""
    return case_report_announce(case_id=case_id, outbox_key=outbox_key)


@worker_ready.connect
def _outbox_drain_on_worker_start(sender=None, **kwargs) -> None:
    # A worker that starts (typically when Redis and the workers come back) first sends what
    # the web processes could not, instead of waiting for the next beat.
    outbox_drain_task.delay()


@shared_task(name="cases.deadlines_recompute")
def deadlines_recompute_task(reason: str, old_days: dict | None = None, old_schedule: list | None = None,
                             actor_id: int | None = None, second_pass: bool = False) -> dict:
    """Recompute the running deadlines a calendar change touches (cases.deadlines). With a broker,
    a second pass runs once every process's calendar cache has expired: a step another process
    opened meanwhile on its cached (old) calendar is then recomputed too."""
    from .calendar import CACHE_TTL_SECONDS
    from .deadlines import deadlines_recompute

    schedule = None if old_schedule is None else (old_schedule[0], tuple(old_schedule[1]) if old_schedule[1] else None)
    result = deadlines_recompute(
        reason=reason, old_days={date.fromisoformat(day): answer for day, answer in (old_days or {}).items()},
        old_schedule=schedule, actor_id=actor_id,
    )
    if not second_pass and not current_app.conf.task_always_eager:
        deadlines_recompute_task.apply_async(
            kwargs={"reason": reason, "old_days": old_days, "old_schedule": old_schedule, "actor_id": actor_id,
                    "second_pass": True},
            countdown=CACHE_TTL_SECONDS + 5,
        )
    return {"examined": result.examined, "changed": result.changed, "kept": result.kept}


@shared_task(name="cases.calendar_health_log")
def calendar_health_log() -> bool:
    """Once a day: a warning in the log while running deadlines or the coming days rest on the
    weekday fallback (cases.calendar_health); True when all is known."""
    from .calendar_health import calendar_health

    health = calendar_health(use_cache=False)
    if health.ok:
        logger.info("work calendar: every running deadline and the next %d days are known", health.horizon_days)
    else:
        logger.warning("work calendar: %s", health.message())
    return health.ok
