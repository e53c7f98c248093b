"""Celery tasks of the patrol app: thin, safe to run twice."""
from celery import shared_task

from .services import points_purge


@shared_task(name="patrol.purge")
def purge() -> dict:
    """Remove track points (and the rest) older than PATROL_RETENTION_DAYS."""
    return points_purge()
