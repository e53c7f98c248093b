"""The assessment pages' one period picker: the last thirteen months (computed or not) and every
other computed period (quarters, weeks, ranges…) in a single list; and a period's last day, so a
period reads "2026-12-01 至 2026-12-31" rather than "… 2027-01-01 零时"."""
from datetime import date, timedelta

from django import template
from django.utils.translation import gettext as _

from assessment.periods import local_today

register = template.Library()
MONTHS_OFFERED = 13


def _months_back(today: date, count: int) -> list[str]:
    year, month = today.year, today.month
    labels = []
    for _index in range(count):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return labels


def _status(period) -> str:
    if period is None or not period.computed_at:
        return _("未计算")
    return _("已冻结") if period.frozen_at else _("已计算")


@register.simple_tag
def period_choices(periods, current=None) -> list[dict]:
    """[{group, options: [{label, text, selected}]}]: months first (newest first), then the other
    computed periods. `periods` are the computed ones (assessment.selectors.periods_recent)."""
    computed = {period.label: period for period in periods}
    current_label = getattr(current, "label", "")
    month_labels = _months_back(local_today(), MONTHS_OFFERED)
    month_labels += sorted((label for label, period in computed.items()
                            if period.kind == "month" and label not in month_labels), reverse=True)
    if current_label and getattr(current, "kind", "") == "month" and current_label not in month_labels:
        month_labels.append(current_label)
    months = [{"label": label, "text": f"{label} · {_status(computed.get(label))}",
               "selected": label == current_label} for label in month_labels]
    others = [{"label": period.label, "text": f"{period.label} · {period.get_kind_display()} · {_status(period)}",
               "selected": period.label == current_label}
              for period in periods if period.kind != "month"]
    if current_label and getattr(current, "kind", "month") != "month" and current_label not in computed:
        others.insert(0, {"label": current_label, "text": f"{current_label} · {_status(current)}", "selected": True})
    groups = [{"group": _("月份"), "options": months}]
    if others:
        groups.append({"group": _("其他周期"), "options": others})
    return groups


@register.filter
def last_day(end: date | None) -> date | None:
    """The last day of a period whose `end` is exclusive."""
    return end - timedelta(days=1) if end else end

