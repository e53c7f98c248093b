"""Celery tasks of the case loop: thin, take ids or nothing, call one service, safe to run twice."""
from celery import shared_task

from .services import steps_mark_overdue


@shared_task(name="cases.mark_overdue")
def mark_overdue() -> int:
    """Mark every step past its deadline (once) and log it as an event."""
    return steps_mark_overdue()
