"""Who hears of a new report outside citygrid (the command center's big screen, the 12345 platform's
receipt, the collectors on duty): CASE_REPORT_NOTIFIER names the class by dotted path. The default
only logs. Called through the outbox, once per report, after the report has committed; while the
broker is down, when it returns. The same notifier hears that a suspension (挂账) ends by the next
working day (cases.suspensions), so the department and the command center can prepare."""
import logging
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("citygrid.cases.reports")

DEFAULT_NOTIFIER = "cases.notifiers.LoggingNotifier"


@dataclass(frozen=True)
class ReportNotice:
    case_id: int
    number: str
    source: str
    urgency: str
    district_id: int | None
    responsibility_grid_id: int | None


@dataclass(frozen=True)
class SuspensionNotice:
    """A suspended case resumes on `until` (by itself, unless someone resumes it before)."""

    case_id: int
    number: str
    department_id: int | None
    district_id: int | None
    until: date


class ReportNotifier:
    """The interface: hand `notice` on; raise on failure (the task retries)."""

    def case_reported(self, notice: ReportNotice) -> None:
        raise NotImplementedError

    def suspension_ending(self, notice: SuspensionNotice) -> None:
        """A city's notifier written before reminders existed still works: the reminder is logged."""
        logger.info("case %s: suspension ends on %s (department %s)", notice.number, notice.until,
                    notice.department_id)


class LoggingNotifier(ReportNotifier):
    """The no-op default: one log line per report (no personal data)."""

    def case_reported(self, notice: ReportNotice) -> None:
        logger.info("case %s reported (%s, %s) in district %s, responsibility grid %s", notice.number,
                    notice.source, notice.urgency, notice.district_id, notice.responsibility_grid_id)


def notifier_get() -> ReportNotifier:
    return import_string(getattr(settings, "CASE_REPORT_NOTIFIER", DEFAULT_NOTIFIER))()
