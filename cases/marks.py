"""The marks a case carries wherever it is listed: 挂账 (until when; its clock stopped), 督办 (how many
times), 返工 (how many reworks after a failed check or a dissatisfied callback), 延期 (the new
deadline). Read from columns kept on the case (counters and dates the workflow writes), so every
list shows them without a query more: queues, inbox, search, case page, API, field app and export.
"""
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Case, State

# The case columns the marks read: lists that load only some columns (.only()) must include them.
MARK_COLUMNS = ("state", "suspended_until", "urge_count", "rework_count", "extension_count", "handle_deadline")


class MarkKind:
    SUSPENDED = "suspended"
    URGED = "urged"
    REWORKED = "reworked"
    EXTENDED = "extended"


@dataclass(frozen=True)
class Mark:
    """One mark: its kind (a stable key for the API and CSS), the short text shown in a list, and
    the full sentence (a tooltip and what a screen reader says)."""

    kind: str
    label: str
    title: str


def suspension_resume_date(until: datetime | None) -> date | None:
    """The city date a suspension ends on (suspended_until is the start of that day, city time)."""
    return timezone.localtime(until).date() if until else None


def case_marks(case: Case) -> list[Mark]:
    """The marks of `case`, in the order lists show them."""
    marks = []
    if case.state == State.SUSPENDED:
        day = suspension_resume_date(case.suspended_until)
        if day:
            marks.append(Mark(MarkKind.SUSPENDED, _("挂账至 %(date)s") % {"date": f"{day:%m-%d}"},
                              _("挂账中，处置计时暂停；%(date)s 自动恢复处置。") % {"date": f"{day:%Y-%m-%d}"}))
        else:
            marks.append(Mark(MarkKind.SUSPENDED, _("挂账"), _("挂账中，处置计时暂停；未定恢复日期。")))
    if case.urge_count:
        marks.append(Mark(MarkKind.URGED, _("督办 ×%(n)s") % {"n": case.urge_count},
                          _("已督办 %(n)s 次") % {"n": case.urge_count}))
    if case.rework_count:
        marks.append(Mark(MarkKind.REWORKED, _("返工 ×%(n)s") % {"n": case.rework_count},
                          _("已返工 %(n)s 次") % {"n": case.rework_count}))
    if case.extension_count:
        deadline = timezone.localtime(case.handle_deadline) if case.handle_deadline else None
        if deadline:
            marks.append(Mark(MarkKind.EXTENDED, _("延期至 %(date)s") % {"date": f"{deadline:%m-%d %H:%M}"},
                              _("已延期 %(n)s 次，处置时限 %(date)s") % {
                                  "n": case.extension_count, "date": f"{deadline:%Y-%m-%d %H:%M}"}))
        else:
            marks.append(Mark(MarkKind.EXTENDED, _("已延期"), _("已延期 %(n)s 次") % {"n": case.extension_count}))
    return marks


def marks_text(case: Case) -> str:
    """The marks as one line (the export's column)."""
    return "；".join(mark.title.rstrip("。") for mark in case_marks(case))
