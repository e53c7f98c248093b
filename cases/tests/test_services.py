"""Intake and the other writes of the loop: duplicates, ownership suggestion, case numbers, the
overdue marker, validation, and atomicity (a failure midway leaves no row and no file behind)."""
from datetime import timedelta

import pytest
from django.db import IntegrityError

from cases import services, tasks, workflow
from cases.models import Attachment, Case, CaseEvent, CaseStep, State, StepKind, Task
from core.errors import ApplicationError, IdempotencyKeyReusedError
from grids.models import Component

from .helpers import at, case_build, media_files, photo, report, row_counts, snapshot

pytestmark = pytest.mark.django_db


# --- duplicates ---------------------------------------------------------------------------------

def test_duplicate_flagged_within_distance_and_window(city, clock):
    first = report(city, dx=0.5, dy=0.5)
    clock.advance(hours=23)
    # 0.0003° of longitude at 28.19° N is about 29 m.
    near = report(city, dx=0.8, dy=0.5, by="hotline_agent", source="hotline_12345")
    assert near.duplicate_of == first
    assert CaseEvent.objects.get(case=near).payload == {"source": "hotline_12345", "duplicate_of": first.number}
    assert first.duplicate_of is None


def test_no_duplicate_outside_distance_window_class_or_when_closed(city, clock, settings):
    first = report(city, grid=0, dx=0.5)
    far = report(city, grid=1, dx=0.5)  # ~98 m east
    other_class = report(city, grid=0, dx=0.5, cls="vending")
    assert far.duplicate_of is None and other_class.duplicate_of is None
    clock.advance(hours=24, minutes=1)
    late = report(city, grid=0, dx=0.5)
    assert late.duplicate_of is None
    settings.DUPLICATE_DISTANCE_M = 150  # configurable: now the neighbour grid is close enough
    assert report(city, grid=1, dx=0.2).duplicate_of == late
    workflow.case_void(actor=city.users["shift_leader"], case_id=late.pk, note="无效")
    settings.DUPLICATE_DISTANCE_M = 50
    assert report(city, grid=0, dx=0.5).duplicate_of is None  # a voided report is no candidate
    assert first.duplicate_of is None


def test_duplicate_candidate_is_the_earliest_open_report(city, clock):
    first = report(city, dx=0.5)
    clock.advance(minutes=10)
    second = report(city, dx=0.55)
    clock.advance(minutes=10)
    third = report(city, dx=0.6)
    assert (second.duplicate_of, third.duplicate_of) == (first, first)


# --- ownership ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("cls", "grid", "department"), [
    ("garbage", 0, "sanitation_a"),
    ("garbage", 3, "sanitation_b"),
    ("manhole", 1, "municipal"),
    ("manhole", 2, "municipal"),
])
def test_ownership_suggestion(city, cls, grid, department):
    by = "collector_a" if grid < 2 else "collector_b"
    case = report(city, cls=cls, grid=grid, by=by)
    assert (case.suggested_department, case.ownership_unknown) == (city.departments[department], False)
    assert case.department is None  # offered, not decided


def test_ownership_unknown_is_said_not_guessed(city):
    case = report(city, cls="vending")
    assert (case.suggested_department, case.ownership_unknown) == (None, True)


def test_reclassification_at_filing_renews_the_suggestion_not_the_number(city):
    case = report(city, cls="garbage")
    number = case.number
    case = workflow.case_file(actor=city.users["shift_leader"], case_id=case.pk,
                              minor_id=city.classes["vending"].pk)
    case.refresh_from_db()
    assert (case.minor, case.number, case.suggested_department, case.ownership_unknown) == (
        city.classes["vending"], number, None, True)
    assert CaseEvent.objects.get(case=case, action="file").payload["changes"] == {"minor": ["0101", "0501"]}


def test_component_ownership_and_validation(city):
    manhole = city.classes["manhole"]
    component = Component.objects.create(code="4399010101000001", minor=manhole, lon=112.9805, lat=28.1905,
                                         unit_grid=city.grids[0], owner_department=city.departments["sanitation_a"])
    case = report(city, cls="manhole", component_code=component.code)
    assert (case.component, case.suggested_department) == (component, city.departments["sanitation_a"])
    counts = row_counts()
    with pytest.raises(ApplicationError, match="不存在"):
        report(city, cls="manhole", component_code="4399010101999999")
    with pytest.raises(ApplicationError, match="不属于所选小类"):
        report(city, cls="garbage", component_code=component.code)
    assert row_counts() == counts


@pytest.mark.parametrize(("field", "value", "message"), [
    ("source", "pigeon", "来源"),
    ("urgency", "yesterday", "紧急程度"),
    ("description", "   ", "问题描述"),
])
def test_intake_validation(city, field, value, message):
    with pytest.raises(ApplicationError, match=message) as refused:
        report(city, **{field: value})
    assert refused.value.extra.get("field") == field
    assert Case.objects.count() == 0


# --- case numbers -------------------------------------------------------------------------------

def test_case_numbers_are_year_scoped_and_sequential(city, clock):
    clock.set("2025-12-31 23:50")
    first, second = report(city), report(city, grid=1)
    assert first.number[:4] == second.number[:4] == "2025"
    assert int(second.number[4:]) == int(first.number[4:]) + 1
    clock.set("2026-01-01 00:10")  # still 2025-12-31 in UTC: the city's year counts
    new_year = report(city)
    next_one = report(city, grid=1)
    assert new_year.number[:4] == "2026" and len(new_year.number) == 12
    assert int(next_one.number[4:]) == int(new_year.number[4:]) + 1
    assert int(new_year.number[4:]) <= int(first.number[4:])  # a new count, not the old one continued


def test_case_number_is_independent_of_the_class(city):
    numbers = [report(city, cls=cls).number for cls in ("garbage", "manhole", "vending", "garbage")]
    assert [int(number[4:]) for number in numbers] == list(range(int(numbers[0][4:]), int(numbers[0][4:]) + 4))


# --- the overdue marker -------------------------------------------------------------------------

def test_steps_mark_overdue_is_idempotent(city, clock):
    late_accept = report(city)  # accept step due 09:30
    filed = report(city, grid=1)
    workflow.case_file(actor=city.users["shift_leader"], case_id=filed.pk)  # dispatch step due 09:30
    clock.set("2025-03-05 09:29")
    assert services.steps_mark_overdue() == 0
    clock.set("2025-03-05 10:00")
    assert services.steps_mark_overdue() == 2
    assert services.steps_mark_overdue() == 0
    assert tasks.mark_overdue.delay().get() == 0  # the Celery task, run eagerly
    events = CaseEvent.objects.filter(action="overdue").order_by("case_id")
    assert [(event.case, event.payload["step"], event.from_state, event.to_state, event.actor) for event in events] \
        == [(late_accept, "accept", "reported", "reported", None), (filed, "dispatch", "filed", "filed", None)]
    marked = CaseStep.objects.filter(overdue_marked_at__isnull=False)
    assert marked.count() == 2 and {step.overdue_marked_at for step in marked} == {at("2025-03-05 10:00")}
    assert not CaseStep.objects.filter(completed_at__isnull=False, overdue_marked_at__isnull=False).exists()


def test_steps_mark_overdue_in_batches(city, clock):
    for grid in range(4):
        report(city, grid=grid, by="collector_a" if grid < 2 else "collector_b")
    clock.advance(hours=2)
    assert services.steps_mark_overdue(batch=3) == 4
    assert CaseEvent.objects.filter(action="overdue").count() == 4


def test_a_completed_step_is_never_marked(city, clock):
    case = report(city)
    clock.set("2025-03-05 10:00")
    workflow.case_send_verify(actor=city.users["operator"], case_id=case.pk)  # accept done late
    assert CaseStep.objects.get(case=case, kind=StepKind.ACCEPT).on_time is False
    assert services.steps_mark_overdue() == 0


# --- atomicity ----------------------------------------------------------------------------------

def _event_create_fails(monkeypatch, action: str | None = None):
    real_create = CaseEvent.objects.create

    def create(**fields):
        if action is None or fields.get("action") == action:
            raise IntegrityError("simulated failure while writing the event")
        return real_create(**fields)

    monkeypatch.setattr(CaseEvent.objects, "create", create)


@pytest.mark.parametrize(("state", "action", "by", "arguments"), [
    (State.REPORTED, "send_verify", "operator", {}),
    (State.FILED, "dispatch", "dispatcher", {"department_id": "sanitation_a"}),
    (State.CHECKING, "check_fail", "collector_a", {"note": "未处理干净"}),
    (State.DISPATCHED, "return", "handler_a", {"note": "非本单位", "reason_code": "not_our_duty"}),
])
def test_a_transition_failing_midway_changes_nothing(city, monkeypatch, state, action, by, arguments):
    case = case_build(city, state)
    if "department_id" in arguments:
        arguments = {"department_id": city.departments[arguments["department_id"]].pk}
    before, counts = snapshot(case.pk), row_counts()
    _event_create_fails(monkeypatch)
    with pytest.raises(IntegrityError):
        workflow.ACTIONS[action](actor=city.users[by], case_id=case.pk, **arguments)
    assert snapshot(case.pk) == before and row_counts() == counts


def test_intake_failing_midway_leaves_no_case_and_no_photo(city, monkeypatch, settings):
    _event_create_fails(monkeypatch)
    with pytest.raises(IntegrityError):
        report(city, photos=[photo()])
    assert Case.objects.count() == 0 and CaseStep.objects.count() == 0
    assert media_files(settings) == []


def test_photo_stored_then_transaction_fails_the_file_is_removed(city, monkeypatch, settings):
    case = case_build(city, State.DISPATCHED)
    before = snapshot(case.pk)
    real_save = Attachment.save
    saved = []

    def save(self, *args, **kwargs):
        saved.append(self.file.name)
        if len(saved) == 2:  # the second photo: the first one's file is already on disk
            raise IntegrityError("simulated failure after a file was stored")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Attachment, "save", save)
    with pytest.raises(IntegrityError):
        services.case_move(action="report_handled", actor=city.users["handler_a"], case_id=case.pk, note="已处理",
                                          photos=[photo("one.png"), photo("two.jpg", "JPEG")])
    assert len(saved) == 2
    assert media_files(settings) == []
    assert snapshot(case.pk) == before


def test_self_handled_failing_at_the_end_removes_both_photos(city, monkeypatch, settings):
    _event_create_fails(monkeypatch, action="self_handle")
    with pytest.raises(IntegrityError):
        services.case_report_self_handled(
            actor=city.users["collector_a"], minor_id=city.classes["garbage"].pk, lon=112.9805, lat=28.1905,
            description="已清理", before_photos=[photo("before.png")], after_photos=[photo("after.png")],
        )
    assert row_counts() == {"Case": 0, "CaseEvent": 0, "CaseStep": 0, "Task": 0, "CaseRequest": 0, "Attachment": 0}
    assert media_files(settings) == []


def test_self_handled_is_idempotent(city, settings):
    arguments = {"actor": city.users["collector_a"], "minor_id": city.classes["garbage"].pk, "lon": 112.9805,
                 "lat": 28.1905, "description": "已清理", "idempotency_key": "self-1"}
    first = services.case_report_self_handled(before_photos=[photo()], after_photos=[photo()], **arguments)
    again = services.case_report_self_handled(before_photos=[photo()], after_photos=[photo()], **arguments)
    assert (first.created, again.created, again.case.pk) == (True, False, first.case.pk)
    assert Attachment.objects.count() == 2 and len(media_files(settings)) == 2 * 2


def test_idempotent_intake_returns_the_first_case(city):
    submission = dict(actor=city.users["collector_a"], source="collector", minor_id=city.classes["garbage"].pk,
                      lon=112.9805, lat=28.1905, description="垃圾", idempotency_key="key-1")
    first = services.case_report(**submission)
    again = services.case_report(**submission)
    assert (first.created, again.created, again.case) == (True, False, first.case)
    assert Case.objects.count() == 1


@pytest.mark.parametrize("change", [{"description": "换了内容"}, {"lon": 112.9825}, {"reporter_phone": "13900000000"}])
def test_a_reused_idempotency_key_with_another_submission_is_refused(city, change):
    submission = dict(actor=city.users["collector_a"], source="collector", minor_id=city.classes["garbage"].pk,
                      lon=112.9805, lat=28.1905, description="垃圾", idempotency_key="key-1")
    services.case_report(**submission)
    with pytest.raises(IdempotencyKeyReusedError) as refused:
        services.case_report(**{**submission, **change})
    assert refused.value.status_code == 422 and "Idempotency-Key" in refused.value.message
    assert Case.objects.count() == 1


def test_a_task_is_opened_for_the_cases_grid(city, clock):
    case = report(city, grid=3, by="collector_b")
    workflow.case_send_verify(actor=city.users["operator"], case_id=case.pk)
    task = Task.objects.get(case=case)
    assert (task.responsibility_grid, task.created_by, task.deadline) == (
        city.responsibility_grids[1], city.users["operator"], at("2025-03-05 10:00"))
    assert task.deadline == Case.objects.get(pk=case.pk).current_deadline
    assert clock.now + timedelta(hours=1) == task.deadline
