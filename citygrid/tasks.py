"""The project's beat tasks: the nightly backup into BACKUP_DIR (monthly on the 1st, daily otherwise,
then pruning), the weekly check that the newest backup restores, and the history tables' monthly
partitions created ahead (core.partitions)."""
from celery import shared_task

from core.partitions import MONTHS_AHEAD, ensure, is_postgres

from .backup import backup_restore_check, backup_scheduled


@shared_task(name="citygrid.backup_scheduled")
def backup_scheduled_task() -> dict:
    return backup_scheduled()


@shared_task(name="citygrid.backup_restore_check")
def backup_restore_check_task() -> dict:
    return backup_restore_check()


@shared_task(name="citygrid.partitions_ensure")
def partitions_ensure_task(ahead: int = MONTHS_AHEAD) -> list[str]:
    """The months ahead of every partitioned table, and the months whose rows wait in DEFAULT."""
    return ensure(ahead=ahead) if is_postgres() else []
