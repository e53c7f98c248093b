"""挂账 by date: resume each suspended case whose date has come, through the transition table as the
system (Action.RESUME, an event without an actor), and remind whoever must act a working day
before, through the outbox and CASE_REPORT_NOTIFIER. Both run on the beat; both are safe to run
twice and from two workers at once.
"""
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError

from .calendar import WorkCalendar, local_midnight
from .models import Case, CaseEvent, State
from .notifiers import SuspensionNotice, notifier_get
from .outbox import outbox_claim, outbox_enqueue
from .services import case_move
from .transitions import Action

logger = logging.getLogger(__name__)

REMINDER_EVENT = "suspension_reminder"
# A calendar with no working day for this long is a calendar error, not a holiday.
WORKDAY_SEARCH_DAYS = 60


def suspensions_resume_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """Resume every suspended case whose date has passed, one transaction each (the workflow locks
    the row and checks again under the lock): a case a person resumed meanwhile, or whose
    suspension was moved, is refused by the workflow and skipped. Returns how many were resumed."""
    now = now or timezone.now()
    due = list(Case.objects.filter(state=State.SUSPENDED, suspended_until__lte=now)
               .order_by("suspended_until", "pk").values_list("pk", flat=True)[:batch])
    resumed = 0
    for case_id in due:
        try:
            case_move(actor=None, case_id=case_id, action=Action.RESUME, note=_("挂账到期，系统自动恢复处置。"))
        except ApplicationError:
            continue  # resumed by someone else first, or no longer due
        except Exception:  # one broken case must not keep the others suspended
            logger.exception("case %s: automatic resume failed", case_id)
            continue
        resumed += 1
    return resumed


def next_workday(calendar: WorkCalendar, day: date) -> date:
    """The first working day after `day` (the city's calendar)."""
    for offset in range(1, WORKDAY_SEARCH_DAYS + 1):
        candidate = day + timedelta(days=offset)
        if calendar.is_workday(candidate):
            return candidate
    return day + timedelta(days=1)


def suspensions_remind_due(*, now: datetime | None = None) -> int:
    """On a working day, remind once of every suspension that ends by the next working day: mark
    the case, log a `suspension_reminder` event and queue the notice (outbox, sent after commit).
    Rows being reminded by another worker are skipped (SKIP LOCKED). The city's calendar decides
    what a working day is (not each department's: the reminder is the command center's)."""
    now = now or timezone.now()
    calendar = WorkCalendar.for_department(None)
    today = timezone.localtime(now).date()
    if not calendar.is_workday(today):
        return 0
    horizon = local_midnight(next_workday(calendar, today))
    with transaction.atomic():
        due = Case.objects.filter(state=State.SUSPENDED, suspension_reminded_at__isnull=True,
                                  suspended_until__gt=now, suspended_until__lte=horizon)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, no_key=True)
        rows = list(due.order_by("pk").values_list("pk", "state", "suspended_until"))
        if not rows:
            return 0
        Case.objects.filter(pk__in=[pk for pk, _state, _until in rows]).update(suspension_reminded_at=now)
        CaseEvent.objects.bulk_create([
            CaseEvent(case_id=pk, action=REMINDER_EVENT, from_state=state, to_state=state, created_at=now,
                      payload={"until": until.isoformat()})
            for pk, state, until in rows
        ])
        for pk, _state, _until in rows:
            outbox_enqueue(task="cases.suspension_ending", kwargs={"case_id": pk}, once=True)
    return len(rows)


def suspension_ending_announce(*, case_id: int, outbox_key: str | None = None) -> bool:
    """Hand the reminder to CASE_REPORT_NOTIFIER once per outbox message (as new reports are)."""
    with transaction.atomic():
        if not outbox_claim(outbox_key):
            return False
        case = Case.objects.filter(pk=case_id).values(
            "pk", "number", "state", "department_id", "district_id", "suspended_until").first()
        if case is None or case["state"] != State.SUSPENDED or case["suspended_until"] is None:
            return False  # resumed before the reminder went out: nothing to say
        notifier_get().suspension_ending(SuspensionNotice(
            case_id=case["pk"], number=case["number"], department_id=case["department_id"],
            district_id=case["district_id"], until=timezone.localtime(case["suspended_until"]).date()))
    return True


@dataclass(frozen=True)
class SuspensionsRun:
    resumed: int
    reminded: int


def suspensions_tick(*, now: datetime | None = None) -> SuspensionsRun:
    """What the beat runs: the reminders first (a case resumed in this run needs none), then the
    resumes."""
    now = now or timezone.now()
    return SuspensionsRun(reminded=suspensions_remind_due(now=now), resumed=suspensions_resume_due(now=now))
