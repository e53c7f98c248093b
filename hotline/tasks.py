"""Celery tasks of the hotline: thin, take ids or nothing, call one service, safe to run twice."""
from celery import shared_task

from .services import closure_followups_create, feedback_deliver


@shared_task(name="hotline.closure_followups")
def closure_followups() -> dict:
    """Poll for closed citizen cases without a callback task for their closure and create them
    (and automatic result replies when HOTLINE_AUTO_FEEDBACK is on)."""
    return closure_followups_create()


@shared_task(name="hotline.feedback_deliver")
def feedback_deliver_task(feedback_id: int) -> str:
    """Hand one reply to the configured gateway (once, even if the task runs twice)."""
    return feedback_deliver(feedback_id=feedback_id)
