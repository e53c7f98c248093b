"""A case's month in its id (PostgreSQL): the case table is partitioned by id, and a case's id
carries the city month it was reported in (core.partitions.CASE_ID_MONTH). Here: the id a new case
gets, and the conditions that let a query of reported months read only their partitions. On SQLite
(the demo) ids are plain: the id is the database's and the conditions are empty. See
docs/partitioning.md."""
from datetime import datetime, timedelta

from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL

from core.partitions import LEGACY_CASE_ID_END, case_id_floor, case_id_range


def month_ids(using: str = "default") -> bool:
    """Whether case ids carry their month (PostgreSQL) or are plain (SQLite)."""
    return connections[using].vendor == "postgresql"


def case_id_new(reported_at: datetime) -> RawSQL:
    """The id of a case reported at `reported_at`, computed in its INSERT: its month's base plus the
    next value of the one id sequence (unique across months, growing within one)."""
    return RawSQL("%s + nextval('cases_case_id_seq')", [case_id_floor(reported_at)])


def reported_between_q(start: datetime, end: datetime, prefix: str = "") -> Q:
    """The ids of the cases reported in [start, end): those months' partitions, and DEFAULT's cases
    from before ids carried their month. Added to a condition on `reported_at` over the same window
    it keeps the same rows and lets PostgreSQL skip every other month. `prefix` reaches the case
    through a relation (`"case__"`)."""
    if not month_ids():
        return Q()
    low, high = case_id_range(start, end)
    return (Q(**{f"{prefix}id__gte": low, f"{prefix}id__lt": high})
            | Q(**{f"{prefix}id__lt": LEGACY_CASE_ID_END}))


def reported_since_q(start: datetime, prefix: str = "") -> Q:
    """The ids of the cases reported at or after `start`: no month before `start`'s is read (a
    look-back: the intake's duplicate check, the hotline's callbacks)."""
    if not month_ids():
        return Q()
    return Q(**{f"{prefix}id__gte": case_id_floor(start)}) | Q(**{f"{prefix}id__lt": LEGACY_CASE_ID_END})


def reported_before_q(end: datetime, prefix: str = "") -> Q:
    """The ids of the cases reported before `end`: exact for anything that happened to a case before
    `end` (it was reported first), and no month after `end`'s is read."""
    if not month_ids():
        return Q()
    return Q(**{f"{prefix}id__lt": case_id_range(end - timedelta(microseconds=1), end)[1]})
