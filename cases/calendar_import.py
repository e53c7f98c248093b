"""Entering a year's holidays and adjusted working days at once (the State Council's schedule): parse
and validate the lines, show what changes against the calendar in force, save in one transaction
and have the running deadlines recomputed (cases.deadlines). Used by `manage.py calendar_import`
and the admin page 工作日历 › 录入年度安排.

The format, one span a line: `start,end,休|班[,note]` (end empty for a single day), e.g.
`2027-01-01,2027-01-01,休,元旦` and `2027-02-07,,班,春节调休`; blank lines and lines starting with
`#` are skipped. Days not listed are Monday–Friday working days.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError

from .calendar import CalendarSnapshot, DaySource, calendar_cache_clear, calendar_snapshot_load
from .deadlines import deadlines_recompute_enqueue
from .models import CalendarDay, CalendarYear

OFF_WORDS = {"休", "休息", "放假", "off", "holiday"}
WORK_WORDS = {"班", "上班", "调休上班", "work", "workday"}
HEADER_WORDS = {"start", "开始", "开始日期", "date", "日期"}
MAX_SPAN_DAYS = 31
# A whole year's schedule has New Year's Day, the Spring Festival, Qingming, Labour Day, the Dragon
# Boat Festival and the National Day (Mid-Autumn sometimes joined to it): six spans at least.
MIN_HOLIDAY_SPANS = 6
WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"]


@dataclass(frozen=True)
class ScheduleLine:
    number: int
    start: date
    end: date
    is_workday: bool
    note: str


@dataclass(frozen=True)
class DayChange:
    day: date
    before: bool
    before_source: DaySource
    after: bool

    def describe(self) -> str:
        def word(workday: bool) -> str:
            return _("工作日") if workday else _("休息日")

        return _("%(day)s（周%(weekday)s）：%(before)s → %(after)s") % {
            "day": self.day.isoformat(), "weekday": WEEKDAYS[self.day.weekday()],
            "before": word(self.before), "after": word(self.after)}


@dataclass
class YearSchedule:
    year: int
    lines: list[ScheduleLine]
    text: str
    days: dict[date, tuple[bool, str]] = field(default_factory=dict)  # day -> (working, note)
    changes: list[DayChange] = field(default_factory=list)
    removed: list[date] = field(default_factory=list)  # city entries of the year the list no longer has
    fallback_days: int = 0  # days of the year answered by the weekday fallback until now
    saved: bool = False

    def summary(self) -> str:
        return _("%(year)d 年：%(lines)d 行，%(days)d 天有安排；与现行日历相比 %(changes)d 天改变"
                 "（%(off)d 天改为休息日，%(on)d 天改为工作日）；此前 %(fallback)d 天按周一至周五推算。") % {
            "year": self.year, "lines": len(self.lines), "days": len(self.days), "changes": len(self.changes),
            "off": sum(not change.after for change in self.changes),
            "on": sum(change.after for change in self.changes), "fallback": self.fallback_days}


def calendar_year_parse(text: str, *, year: int | None = None) -> YearSchedule:
    """The lines of `text` as one year's schedule, or ApplicationError listing every problem
    (extra["errors"]): a malformed line, a span ending before it starts or longer than a month, a
    line outside the year, two spans that overlap, a year that is not whole (New Year's Day off,
    a holiday in October, at least six holiday spans)."""
    lines, errors = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip().lstrip("\ufeff")
        if not stripped or stripped.startswith("#"):
            continue
        fields = [piece.strip() for piece in stripped.replace("，", ",").replace("\t", ",").split(",")]
        if not lines and not errors and fields[0].lower() in HEADER_WORDS:
            continue
        line, error = _parse_line(number, fields)
        if error:
            errors.append(error)
        else:
            lines.append(line)
    if not lines and not errors:
        errors.append(_("没有任何安排：每行应为“开始日期,结束日期,休|班”，例如 2027-01-01,2027-01-01,休"))
    if errors:
        raise ApplicationError(_("年度安排有误，未保存：") + "；".join(errors), extra={"errors": errors})

    if year is None:
        year = max(line.end.year for line in lines)
    lines.sort(key=lambda line: (line.start, line.number))
    for line in lines:
        new_year_span = not line.is_workday and line.start < date(year, 1, 1) <= line.end
        if not (line.start.year == line.end.year == year or new_year_span):
            errors.append(_("第 %(n)d 行不属于 %(year)d 年（只有含 1 月 1 日的元旦假期可以从上一年开始）") % {
                "n": line.number, "year": year})
    for previous, following in zip(lines, lines[1:], strict=False):
        if following.start <= previous.end:
            errors.append(_("第 %(a)d 行与第 %(b)d 行的日期重叠（%(day)s）") % {
                "a": previous.number, "b": following.number, "day": following.start.isoformat()})
    holidays = _holiday_spans(lines)
    if not any(start <= date(year, 1, 1) <= end for start, end in holidays):
        errors.append(_("缺少 %(year)d 年 1 月 1 日（元旦）的假期：应录入全年的完整安排") % {"year": year})
    if not any(start <= date(year, 10, 1) <= end or start.month == 10 == end.month for start, end in holidays):
        errors.append(_("缺少 %(year)d 年 10 月（国庆）的假期：应录入全年的完整安排") % {"year": year})
    if len(holidays) < MIN_HOLIDAY_SPANS:
        errors.append(_("只有 %(n)d 段假期，全年的安排至少应有 %(min)d 段（元旦、春节、清明、劳动节、端午、国庆）") % {
            "n": len(holidays), "min": MIN_HOLIDAY_SPANS})
    if errors:
        raise ApplicationError(_("年度安排有误，未保存：") + "；".join(errors), extra={"errors": errors})

    schedule = YearSchedule(year=year, lines=lines, text=text)
    for line in lines:
        day = line.start
        while day <= line.end:
            schedule.days[day] = (line.is_workday, line.note[:64])
            day += timedelta(days=1)
    return schedule


def calendar_year_preview(schedule: YearSchedule, *, today: date | None = None,
                          current: CalendarSnapshot | None = None) -> YearSchedule:
    """Fill in what the schedule changes against the calendar in force (city default): every day
    whose answer differs, and the city's entries of the year it drops. A change of a day before
    `today` is refused (ApplicationError): a past day's verdicts are given and frozen."""
    today = today or timezone.localdate()
    current = current or calendar_snapshot_load()
    year = schedule.year
    schedule.removed = sorted(day for day in current.overrides
                              if day.year == year and day >= today and day not in schedule.days)
    overrides = {day: working for day, working in current.overrides.items() if day not in schedule.removed}
    overrides.update({day: working for day, (working, _note) in schedule.days.items()})
    proposed = CalendarSnapshot(0.0, overrides, current.schedules, current.entered_years | {year})
    before, after = current.calendar_for(None), proposed.calendar_for(None)
    first = min([date(year, 1, 1), *schedule.days])
    schedule.changes, schedule.fallback_days = [], 0
    day = first
    while day <= date(year, 12, 31):
        was, source = before.day_answer(day)
        schedule.fallback_days += source == DaySource.FALLBACK
        if was != after.is_workday(day):
            schedule.changes.append(DayChange(day, was, source, not was))
        day += timedelta(days=1)
    past = [change.day.isoformat() for change in schedule.changes if change.day < today]
    if past:
        raise ApplicationError(_("过去的日期不能更改（已办结环节的按期结论已定）：%(days)s") % {"days": "、".join(past)},
                               extra={"errors": past})
    return schedule


def calendar_year_import(*, text: str, year: int | None = None, actor=None, dry_run: bool = False) -> YearSchedule:
    """Validate, compare and (unless `dry_run`) save a year's schedule in one transaction: its
    CalendarDay rows, the CalendarYear mark, and the recompute of the running deadlines the changed
    days touch (sent after commit). Entering a year again replaces the city's entries of that
    year from today on."""
    schedule = calendar_year_parse(text, year=year)
    if dry_run:
        return calendar_year_preview(schedule)
    with transaction.atomic():
        # One import of a year at a time; the comparison is made again under the lock, so what is
        # saved is compared with what is in force, not with what a preview saw minutes ago.
        CalendarYear.objects.select_for_update().filter(year=schedule.year).first()
        calendar_year_preview(schedule)
        CalendarDay.objects.filter(date__in=schedule.removed).delete()
        CalendarDay.objects.filter(date__in=list(schedule.days)).delete()
        CalendarDay.objects.bulk_create([
            CalendarDay(date=day, is_workday=working, note=note) for day, (working, note) in sorted(schedule.days.items())
        ])
        CalendarYear.objects.update_or_create(year=schedule.year, defaults={
            "entered_at": timezone.now(), "entered_by": actor, "source_text": text})
        transaction.on_commit(calendar_cache_clear)
        if schedule.changes:
            deadlines_recompute_enqueue(
                reason=_("录入 %(year)d 年工作日历") % {"year": schedule.year},
                old_days={change.day: change.before for change in schedule.changes},
                actor_id=getattr(actor, "pk", None),
            )
    schedule.saved = True
    return schedule


def calendar_day_save(*, day: CalendarDay, previous_date: date | None = None, actor=None) -> CalendarDay:
    """Save one day by hand (admin) and recompute the running deadlines it touches."""
    with transaction.atomic():
        before = calendar_snapshot_load().calendar_for(None)
        old = {moment: before.is_workday(moment) for moment in {day.date, previous_date} if moment}
        day.save()
        transaction.on_commit(calendar_cache_clear)
        deadlines_recompute_enqueue(reason=_("工作日历调整"), old_days=old, actor_id=getattr(actor, "pk", None))
    return day


def calendar_day_delete(*, day: CalendarDay, actor=None) -> None:
    """Delete one day by hand (admin) and recompute the running deadlines it touches."""
    with transaction.atomic():
        old = {day.date: day.is_workday}
        day.delete()
        transaction.on_commit(calendar_cache_clear)
        deadlines_recompute_enqueue(reason=_("工作日历调整"), old_days=old, actor_id=getattr(actor, "pk", None))


def _parse_line(number: int, fields: list[str]) -> tuple[ScheduleLine | None, str | None]:
    if len(fields) < 3:
        return None, _("第 %(n)d 行应为“开始日期,结束日期,休|班”") % {"n": number}
    try:
        start = date.fromisoformat(fields[0])
        end = date.fromisoformat(fields[1]) if fields[1] else start
    except ValueError:
        return None, _("第 %(n)d 行的日期无效（应为 YYYY-MM-DD）") % {"n": number}
    word = fields[2].lower()
    if word not in OFF_WORDS | WORK_WORDS:
        return None, _("第 %(n)d 行的类型应为“休”或“班”") % {"n": number}
    if end < start:
        return None, _("第 %(n)d 行的结束日期早于开始日期") % {"n": number}
    if (end - start).days >= MAX_SPAN_DAYS:
        return None, _("第 %(n)d 行的跨度超过 %(days)d 天") % {"n": number, "days": MAX_SPAN_DAYS}
    return ScheduleLine(number, start, end, word in WORK_WORDS, ",".join(fields[3:]).strip()), None


def _holiday_spans(lines: list[ScheduleLine]) -> list[tuple[date, date]]:
    """The days-off spans, adjacent ones joined (a holiday written in two lines is one holiday)."""
    spans: list[tuple[date, date]] = []
    for line in lines:
        if line.is_workday:
            continue
        if spans and line.start <= spans[-1][1] + timedelta(days=1):
            spans[-1] = (spans[-1][0], max(spans[-1][1], line.end))
        else:
            spans.append((line.start, line.end))
    return spans
