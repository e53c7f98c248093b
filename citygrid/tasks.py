"""The project's beat tasks: the nightly backup into BACKUP_DIR (monthly on the 1st, daily otherwise,
then pruning) and the weekly check that the newest backup restores."""
from celery import shared_task

from .backup import backup_restore_check, backup_scheduled


@shared_task(name="citygrid.backup_scheduled")
def backup_scheduled_task() -> dict:
    return backup_scheduled()


@shared_task(name="citygrid.backup_restore_check")
def backup_restore_check_task() -> dict:
    return backup_restore_check()
