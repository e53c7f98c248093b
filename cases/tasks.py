"""Celery tasks of the case loop: thin, take ids or nothing, call one service, safe to run twice."""
from celery import shared_task
from celery.signals import worker_ready

from .outbox import outbox_drain
from .services import case_report_announce, steps_mark_overdue


@shared_task(name="cases.mark_overdue")
def mark_overdue() -> int:
    """Mark every step past its deadline (once) and log it as an event."""
    return steps_mark_overdue()


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
