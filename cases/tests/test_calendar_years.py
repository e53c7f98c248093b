"""The work calendar across years (issue 18): where each day's answer comes from, the warning while
a running deadline or the coming 60 days rest on the weekday fallback, entering a year at once, and
running deadlines that follow the calendar (and only those), with the clock frozen around 2026's end.

The 2027 schedule below is test input typed the way a city would enter the State Council's notice;
its dates are invented for the test (the real one is whatever the city enters), not shipped data.
"""
from datetime import date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from cases.calendar import DaySource, WorkCalendar, calendar_cache_clear
from cases.calendar_health import calendar_health
from cases.calendar_import import calendar_year_import, calendar_year_parse
from cases.checks import calendar_fallback_check
from cases.deadlines import ACTION, deadlines_recompute, work_schedule_save
from cases.models import CalendarDay, CalendarYear, Case, CaseEvent, CaseStep, State, StepKind, WorkSchedule
from cases.tests.helpers import at, report
from core.errors import ApplicationError
from grids.models import LimitUnit

SCHEDULE_2027 = """# 2027 年部分节假日安排（测试输入）
2027-01-01,2027-01-03,休,元旦
2027-02-06,2027-02-13,休,春节
2027-02-14,,班,春节调休
2027-04-03,2027-04-05,休,清明节
2027-05-01,2027-05-05,休,劳动节
2027-06-09,2027-06-11,休,端午节
2027-10-01,2027-10-07,休,国庆节
2027-10-09,,班,国庆调休
"""


@pytest.fixture
def five_working_days(city):
    """The garbage class with a 5-working-day handling limit (a common limit for non-urgent cases)."""
    minor = city.classes["garbage"]
    minor.limit_unit, minor.limit_normal = LimitUnit.WORK_DAYS, 5
    minor.save()
    return minor


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """committed(service, **arguments): call a service and run what it leaves for after the commit
    (the outbox's recompute task, eager here), as a real commit would."""

    def run(service, **arguments):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**arguments)

    return run


def dispatched(city, act, *, department="sanitation_a") -> Case:
    case = report(city)
    act("file", "shift_leader", case)
    return act("dispatch", "dispatcher", case, department_id=city.departments[department].pk)


def handle_step(case) -> CaseStep:
    return CaseStep.objects.get(case=case, kind=StepKind.HANDLE, completed_at__isnull=True)


def recompute_events(case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, action=ACTION))


# --- where an answer comes from -------------------------------------------------------------------

@pytest.mark.django_db
def test_each_day_says_where_its_answer_comes_from():
    calendar = WorkCalendar.for_department(None)
    assert calendar.day_answer(date(2026, 10, 1)) == (False, DaySource.CHINESE_CALENDAR)
    assert calendar.day_answer(date(2027, 1, 1)) == (True, DaySource.FALLBACK)  # a guess: Friday
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False)
    calendar_cache_clear()
    calendar = WorkCalendar.for_department(None)
    assert calendar.day_answer(date(2027, 1, 1)) == (False, DaySource.CITY)
    assert calendar.day_source(date(2027, 3, 3)) == DaySource.FALLBACK
    assert calendar.fallback_years(date(2026, 12, 1), date(2027, 2, 1)) == [2027]
    CalendarYear.objects.create(year=2027, entered_at=at("2026-12-06 10:00"))
    calendar_cache_clear()
    calendar = WorkCalendar.for_department(None)
    # An ordinary Wednesday of an entered year is the city's word, no longer a guess.
    assert calendar.day_answer(date(2027, 3, 3)) == (True, DaySource.CITY)
    assert calendar.fallback_years(date(2026, 12, 1), date(2027, 12, 31)) == []
    assert calendar.fallback_years(date(2027, 12, 1), date(2028, 1, 5)) == [2028]


# --- 2026-12-28 + 5 working days, with and without 2027's New Year -----------------------------------

def test_new_year_counts_as_working_day_until_entered_then_running_deadline_follows(
        city, act, clock, five_working_days, committed):
    clock.set("2026-12-28 09:15")  # a Monday
    case = dispatched(city, act)
    # Fallback: Fri 2027-01-01 counted as a working day (Dec 29, 30, 31, Jan 1, Jan 4).
    assert case.handle_deadline == at("2027-01-04 09:15")

    schedule = committed(calendar_year_import, text=SCHEDULE_2027, actor=city.users["manager"])

    assert schedule.saved and date(2027, 1, 1) in {change.day for change in schedule.changes}
    case.refresh_from_db()
    step = handle_step(case)
    # New Year's Day off: Dec 29, 30, 31, Jan 4, Jan 5.
    assert step.deadline == case.handle_deadline == case.current_deadline == at("2027-01-05 09:15")
    [event] = recompute_events(case)
    assert datetime.fromisoformat(event.payload["old"]) == at("2027-01-04 09:15")
    assert datetime.fromisoformat(event.payload["new"]) == at("2027-01-05 09:15")
    assert "2027" in event.payload["reason"] and event.from_state == event.to_state == State.DISPATCHED
    assert case.state == State.DISPATCHED

    # A case dispatched now gets the same deadline directly.
    assert dispatched(city, act).handle_deadline == at("2027-01-05 09:15")


def test_spring_festival_span_entered_as_a_city_would(city, act, clock, five_working_days, committed):
    clock.set("2026-12-06 10:00")
    committed(calendar_year_import, text=SCHEDULE_2027)
    clock.set("2027-02-03 09:15")  # a Wednesday
    case = dispatched(city, act)
    # Feb 4, 5, then the break (6–13), Sunday 14 worked, 15, 16: not 2027-02-10 inside the break.
    assert case.handle_deadline == at("2027-02-16 09:15")


def test_a_long_step_across_the_spring_festival_is_recomputed(city, act, clock, five_working_days, committed):
    minor = five_working_days
    minor.limit_normal = 40
    minor.save()
    clock.set("2026-12-28 09:15")
    case = dispatched(city, act)
    before = case.handle_deadline
    committed(calendar_year_import, text=SCHEDULE_2027)
    case.refresh_from_db()
    calendar = WorkCalendar.for_department(None)
    expected = calendar.deadline(at("2026-12-28 09:15"), amount=40, unit=LimitUnit.WORK_DAYS)
    # New Year (1 weekday) and the festival (Feb 8–12, 5 weekdays) off, Sunday Feb 14 worked: 5 days later.
    assert case.handle_deadline == expected == before + timedelta(days=7)


# --- the warning ------------------------------------------------------------------------------------

def test_warning_present_exactly_while_a_running_deadline_rests_on_the_fallback(
        city, act, clock, five_working_days):
    clock.set("2026-10-12 09:00")  # 60 days ahead is still 2026: known to chinese-calendar
    assert calendar_health(use_cache=False).ok
    assert calendar_fallback_check() == []

    five_working_days.limit_normal = 60
    five_working_days.save()
    case = dispatched(city, act)
    assert case.handle_deadline.year == 2027

    health = calendar_health(use_cache=False)
    assert not health.ok and health.fallback_years == (2027,) and health.running_steps == 1
    assert not health.horizon_on_fallback
    [warning] = calendar_fallback_check()
    assert warning.id == "cases.W001" and "2027" in warning.msg

    clock.advance(hours=1)
    act("report_handled", "handler_a", case)  # the step ends: nothing rests on a guess any more
    assert calendar_health(use_cache=False).ok
    assert calendar_fallback_check() == []


def test_warning_for_the_coming_60_days_until_the_year_is_entered(city, clock, committed):
    clock.set("2026-12-06 10:00")
    health = calendar_health(use_cache=False)
    assert health.horizon_on_fallback and health.fallback_years == (2027,) and health.running_steps == 0
    committed(calendar_year_import, text=SCHEDULE_2027)
    assert calendar_health(use_cache=False).ok


def test_banner_on_the_shift_leaders_page_the_admin_and_the_overview(city, clock, client, admin_user, committed):
    from django.test import Client

    clock.set("2026-12-06 10:00")  # before logging in: a session is valid from the clock's now
    admin_client = Client()
    admin_client.force_login(admin_user)
    calendar_cache_clear()
    client.force_login(city.users["shift_leader"])
    page = client.get(reverse("cases:shift_leader")).content.decode()
    assert "calendar-banner" in page and "2027" in page
    assert "calendar-banner" in admin_client.get(reverse("admin:index")).content.decode()
    overview = client.get(reverse("cases:overview")).content.decode()
    assert 'id="calendar-health"' in overview and "2027" in overview
    # Only an administrator is told how to enter the year; the desk is told whom to ask.
    for text in (page, overview):
        assert "calendar_import" not in text and "录入年度安排" not in text and "请联系系统管理员" in text
    admin_page = admin_client.get(reverse("admin:index")).content.decode()
    assert "manage.py calendar_import" in admin_page and "请联系系统管理员" not in admin_page

    committed(calendar_year_import, text=SCHEDULE_2027)
    assert "calendar-banner" not in client.get(reverse("cases:shift_leader")).content.decode()
    assert "calendar-banner" not in admin_client.get(reverse("admin:index")).content.decode()


# --- the recompute touches running deadlines, and only those ----------------------------------------

def test_import_recomputes_the_running_deadlines_it_touches_and_only_those(
        city, act, clock, five_working_days, committed):
    clock.set("2026-12-21 09:15")
    early = dispatched(city, act)  # due Dec 28: New Year is not on its way
    clock.set("2026-12-28 09:15")
    crossing = [dispatched(city, act) for _ in range(3)]
    completed = dispatched(city, act)
    extended = dispatched(city, act)
    clock.set("2026-12-28 10:00")
    act("report_handled", "handler_a", completed)
    act("request_extension", "handler_a", extended, requested_deadline=at("2027-01-08 17:00"), note="材料未到")
    act("approve_extension", "dispatcher", extended)
    completed_before = CaseStep.objects.filter(case=completed, kind=StepKind.HANDLE).values().get()
    early_deadline = early.handle_deadline

    committed(calendar_year_import, text=SCHEDULE_2027)

    for case in crossing:
        case.refresh_from_db()
        assert case.handle_deadline == at("2027-01-05 09:15")
        assert len(recompute_events(case)) == 1
    assert CaseEvent.objects.filter(action=ACTION).count() == 3  # one per changed case, nothing else
    early.refresh_from_db()
    assert early.handle_deadline == early_deadline and not recompute_events(early)
    # Completed: its deadline and verdict as they were.
    assert CaseStep.objects.filter(case=completed, kind=StepKind.HANDLE).values().get() == completed_before
    # An extension granted to a date stays granted.
    extended.refresh_from_db()
    assert extended.handle_deadline == at("2027-01-08 17:00") and not recompute_events(extended)

    # A second run (the second pass, a retried task) changes nothing more.
    result = deadlines_recompute(reason="again", old_days={date(2027, 1, 1): True})
    assert result.changed == 0
    assert CaseEvent.objects.filter(action=ACTION).count() == 3


def test_a_frozen_months_results_do_not_change(city, act, clock, five_working_days, committed):
    from assessment.models import IndicatorCatalogue, Snapshot
    from assessment.services import catalogue_activate, catalogue_install_default, period_freeze

    installed = IndicatorCatalogue.objects.first()
    catalogue_activate(catalogue=installed) if installed else catalogue_install_default(activate=True)
    clock.set("2026-11-25 09:15")
    late = dispatched(city, act)
    clock.set("2026-12-04 10:00")
    act("report_handled", "handler_a", late)  # 5 working days from Nov 25 were Dec 2: late
    clock.set("2026-12-06 10:00")
    period_freeze(period="2026-11")
    frozen = list(Snapshot.objects.order_by("pk").values())
    steps = list(CaseStep.objects.filter(completed_at__isnull=False).order_by("pk").values())
    assert frozen

    # Suppose the city also (wrongly) enters a day off inside November: refused, the past is frozen.
    with pytest.raises(ApplicationError):
        committed(calendar_year_import, text=SCHEDULE_2027.replace("2027-06-09,2027-06-11,休,端午节",
                                                        "2027-06-09,2027-06-11,休,端午节\n2026-11-30,,休"))
    committed(calendar_year_import, text=SCHEDULE_2027)
    deadlines_recompute(reason="全部", old_days={date(2026, 11, 30): False})

    assert list(Snapshot.objects.order_by("pk").values()) == frozen
    assert list(CaseStep.objects.filter(completed_at__isnull=False).order_by("pk").values()) == steps
    late.refresh_from_db()
    assert late.handled_on_time is False


def test_a_departments_new_windows_move_its_running_deadlines_and_overdue_marks(city, act, clock, committed):
    from cases.services import steps_mark_overdue

    clock.set("2026-12-07 09:00")  # Monday; garbage: 4 working hours -> 3 h to 12:00, 14:00 + 1 h
    case = dispatched(city, act)
    other = dispatched(city, act, department="sanitation_b")
    assert case.handle_deadline == at("2026-12-07 15:00")
    clock.set("2026-12-07 16:00")
    steps_mark_overdue()
    assert handle_step(case).overdue_marked_at is not None

    committed(work_schedule_save, actor=city.users["manager"],
              schedule=WorkSchedule(department=city.departments["sanitation_a"], windows="09:00-10:00"))

    case.refresh_from_db()
    step = handle_step(case)
    # One working hour a day: 09:00-10:00 on Dec 7, 8, 9, 10 -> Dec 10 10:00, no longer overdue.
    assert case.handle_deadline == step.deadline == at("2026-12-10 10:00")
    assert step.overdue_marked_at is None
    assert datetime.fromisoformat(recompute_events(case)[0].payload["old"]) == at("2026-12-07 15:00")
    other.refresh_from_db()
    assert other.handle_deadline == at("2026-12-07 15:00") and not recompute_events(other)


# --- entering a year: format and validation ---------------------------------------------------------

@pytest.mark.parametrize(("text", "words"), [
    ("2027-01-01,2027-01-01", "第 1 行"),
    ("2027-13-01,,休", "日期无效"),
    ("2027-01-05,2027-01-01,休", "结束日期早于"),
    ("2027-01-01,,休息吧", "类型"),
    (SCHEDULE_2027 + "2027-10-05,2027-10-06,班\n", "重叠"),
    (SCHEDULE_2027.replace("2027-01-01,2027-01-03,休,元旦", "2027-01-02,2027-01-03,休"), "元旦"),
    (SCHEDULE_2027.replace("2027-10-01,2027-10-07,休,国庆节\n", ""), "国庆"),
    (SCHEDULE_2027 + "2028-01-01,,休\n", "不属于"),
    ("2027-01-01,,休\n2027-10-01,,休\n", "至少应有"),
])
def test_a_year_that_is_malformed_or_not_whole_is_refused(text, words):
    with pytest.raises(ApplicationError) as refused:
        calendar_year_parse(text)
    assert words in refused.value.message


def test_the_parse_reads_single_days_notes_and_the_new_year_span_from_the_year_before():
    schedule = calendar_year_parse(
        "start,end,kind\n2026-12-31,2027-01-01,休,元旦\n" + SCHEDULE_2027.split("\n", 2)[2], year=2027)
    assert schedule.year == 2027
    assert schedule.days[date(2026, 12, 31)] == (False, "元旦")
    assert schedule.days[date(2027, 2, 14)] == (True, "春节调休")


def test_dry_run_saves_nothing_and_entering_again_replaces_the_year(city, clock, committed):
    clock.set("2026-12-06 10:00")
    preview = committed(calendar_year_import, text=SCHEDULE_2027, dry_run=True)
    assert not preview.saved and preview.changes and preview.fallback_days == 365
    assert not CalendarDay.objects.exists() and not CalendarYear.objects.exists()

    committed(calendar_year_import, text=SCHEDULE_2027)
    assert CalendarYear.objects.get().year == 2027
    again = committed(calendar_year_import, text=SCHEDULE_2027.replace("2027-10-09,,班,国庆调休\n", ""))
    assert again.removed == [date(2027, 10, 9)]
    assert not CalendarDay.objects.filter(date=date(2027, 10, 9)).exists()
    assert not WorkCalendar.for_department(None).is_workday(date(2027, 10, 9))  # a Saturday again


def test_the_command_previews_and_saves(city, clock, tmp_path, capsys):
    clock.set("2026-12-06 10:00")
    source = tmp_path / "2027.csv"
    source.write_text(SCHEDULE_2027, encoding="utf-8")
    call_command("calendar_import", str(source), "--dry-run")
    assert "2027-01-01" in capsys.readouterr().out and not CalendarYear.objects.exists()
    call_command("calendar_import", str(source))
    assert CalendarYear.objects.filter(year=2027).exists()
    assert not WorkCalendar.for_department(None).is_workday(date(2027, 2, 10))


def test_the_admin_page_previews_then_saves(city, clock, client, admin_user):
    clock.set("2026-12-06 10:00")
    admin_client = client
    admin_client.force_login(admin_user)
    url = reverse("admin:cases_calendarday_import")
    assert admin_client.get(url).status_code == 200
    preview = admin_client.post(url, {"text": SCHEDULE_2027, "preview": "1"})
    assert preview.status_code == 200 and 'id="calendar-preview-changes"' in preview.content.decode()
    assert not CalendarYear.objects.exists()
    refused = admin_client.post(url, {"text": "2027-01-01,,休", "confirm": "1"})
    assert refused.status_code == 400 and "至少应有" in refused.content.decode()
    saved = admin_client.post(url, {"text": SCHEDULE_2027, "confirm": "1"})
    assert saved.status_code == 302 and CalendarYear.objects.filter(year=2027).exists()


def test_the_recompute_goes_batch_by_batch(city, act, clock, five_working_days):
    clock.set("2026-12-28 09:15")
    crossing = [dispatched(city, act) for _ in range(3)]
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False)  # by hand, no recompute asked

    result = deadlines_recompute(reason="元旦", old_days={date(2027, 1, 1): True}, batch=1)

    assert (result.examined, result.changed, result.kept) == (3, 3, 0)
    for case in crossing:
        case.refresh_from_db()
        assert case.handle_deadline == case.current_deadline == at("2027-01-05 09:15")
        assert [event.payload["reason"] for event in recompute_events(case)] == ["元旦"]


def test_an_open_check_task_follows_its_step(city, act, clock, committed):
    from cases.models import Task, TaskKind

    clock.set("2026-12-31 09:00")
    case = dispatched(city, act)
    clock.set("2026-12-31 17:30")
    act("report_handled", "handler_a", case)
    act("send_check", "operator", case)
    # Check: 2 working hours, 0.5 h on Dec 31, then the fallback's Friday Jan 1 08:30 + 1.5 h.
    task = Task.objects.get(case=case, kind=TaskKind.CHECK)
    assert task.deadline == at("2027-01-01 10:00")

    committed(calendar_year_import, text=SCHEDULE_2027)

    task.refresh_from_db()
    case.refresh_from_db()
    assert task.deadline == case.current_deadline == at("2027-01-04 10:00")
    assert case.state == State.CHECKING and case.handled_on_time is False  # handled late (due 15:00): stays


def test_the_check_is_registered_and_the_daily_log_line_warns(city, clock, caplog):
    from django.core.checks import run_checks

    from cases.tasks import calendar_health_log

    clock.set("2026-12-06 10:00")
    assert "cases.W001" in {message.id for message in run_checks()}
    with caplog.at_level("WARNING", logger="cases.tasks"):
        assert calendar_health_log() is False
    assert any("2027" in record.getMessage() for record in caplog.records)


def test_new_windows_saved_in_the_admin_move_the_departments_deadlines(
        city, act, clock, client, admin_user, django_capture_on_commit_callbacks):
    clock.set("2026-12-07 09:00")
    case = dispatched(city, act)
    assert case.handle_deadline == at("2026-12-07 15:00")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:cases_workschedule_add"), {
            "department": city.departments["sanitation_a"].pk, "windows": "09:00-10:00"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.handle_deadline == at("2026-12-10 10:00") and len(recompute_events(case)) == 1


def test_a_deadline_moved_into_the_past_is_marked_overdue_at_once(city, act, clock, committed):
    clock.set("2026-12-07 09:00")
    case = dispatched(city, act)  # due 15:00 on the default windows
    clock.set("2026-12-07 13:30")
    committed(work_schedule_save, schedule=WorkSchedule(department=city.departments["sanitation_a"],
                                                         windows="08:00-18:00"))
    case.refresh_from_db()
    assert case.handle_deadline == at("2026-12-07 13:00")
    assert handle_step(case).overdue_marked_at == at("2026-12-07 13:30")
    assert CaseEvent.objects.filter(case=case, action="overdue").count() == 1
