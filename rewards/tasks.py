"""Thin Celery tasks of rewards: a move of a case heard through the outbox, and the daily catch-up."""
from celery import shared_task

from .services import reward_case_moved, rewards_reconcile


@shared_task(name="rewards.case_moved")
def case_moved(case_id: int, action: str) -> bool:
    """A case from a reward source was filed, voided or merged (cases.workflow's listeners)."""
    return reward_case_moved(case_id=case_id, action=action) is not None


@shared_task(name="rewards.reconcile")
def reconcile() -> dict:
    return rewards_reconcile()
