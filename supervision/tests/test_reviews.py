"""Joint review: convening (role, scope, states, one pending agenda per case), the decision per case
carried into the loop through the transition table (REVIEW_ASSIGN, REVIEW_VOID) with its event,
the whole loop after it, and the assessment's counters of reviews."""
from datetime import timedelta

import pytest
from django.utils import timezone

from assessment.counters import counters_compute
from assessment.models import ObjectType
from assessment.periods import window_for
from cases import workflow
from cases.calendar import local_midnight
from cases.models import Case, CaseEvent, CaseStep, State, StepKind
from cases.tests.helpers import case_build
from core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from supervision import services
from supervision.models import Outcome, ReviewItem, ReviewStatus

pytestmark = pytest.mark.django_db


def convene(city, cases, by="shift_leader"):
    review = services.review_create(actor=city.users[by], title="三月疑难案件会审", held_on=timezone.localdate(),
                                    case_numbers=[case.number for case in cases], reason="权属不明")
    services.review_record(actor=city.users[by], review_id=review.pk,
                           department_ids=[city.departments["sanitation_a"].pk, city.departments["municipal"].pk],
                           minutes="各部门到会")
    return review


def test_a_filed_case_is_assigned_by_the_review_and_runs_the_loop_to_closed(city, disputed):
    case = disputed["filed"]
    review = convene(city, [case])
    item = review.items.get()
    deadline = timezone.localdate() + timedelta(days=3)
    services.review_decide(actor=city.users["shift_leader"], item_id=item.pk, outcome=Outcome.ASSIGNED,
                           department_id=city.departments["municipal"].pk, deadline=deadline, note="会审确定市政负责")
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.department == city.departments["municipal"]
    # Due at the end of the day the review set, not by the class's limit.
    assert case.handle_deadline == local_midnight(deadline + timedelta(days=1))
    event = CaseEvent.objects.filter(case=case).latest("pk")
    assert (event.action, event.from_state, event.to_state, event.actor) == (
        "review_assign", State.FILED, State.DISPATCHED, city.users["shift_leader"])
    assert event.payload["department"] == city.departments["municipal"].name
    item.refresh_from_db()
    assert (item.outcome, item.confirmed_by, item.deadline) == (Outcome.ASSIGNED, city.users["shift_leader"], deadline)
    review.refresh_from_db()
    assert review.status == ReviewStatus.CONCLUDED  # its only case decided
    # …and the ordinary loop takes it from there.
    workflow.case_report_handled(actor=city.users["handler_municipal"], case_id=case.pk)
    workflow.case_send_check(actor=city.users["operator"], case_id=case.pk)
    workflow.case_check_pass(actor=city.users["collector_a"], case_id=case.pk)
    closed = workflow.case_close(actor=city.users["shift_leader"], case_id=case.pk)
    assert closed.state == State.CLOSED and closed.closed_on_time is True

    today = timezone.localdate()
    window = window_for(today.replace(day=1), today + timedelta(days=1))
    counts = counters_compute(object_type=ObjectType.DEPARTMENT, level=None, window=window)
    municipal = counts[city.departments["municipal"].pk]
    assert (municipal["reviewed"], municipal["review_decided"], municipal["review_closed_on_time"]) == (1, 1, 1)
    assert municipal["returned"] == 0


def test_a_dispatched_case_leaves_its_department_without_counting_a_return(city, disputed):
    case = disputed["dispatched"]
    review = convene(city, [case], by="manager")
    services.review_decide(actor=city.users["manager"], item_id=review.items.get().pk, outcome=Outcome.ASSIGNED,
                           department_id=city.departments["municipal"].pk,
                           deadline=timezone.localdate() + timedelta(days=2))
    ended = CaseStep.objects.get(case=case, kind=StepKind.HANDLE, completed_at__isnull=False)
    assert ended.ended_by == "review_assign" and ended.on_time is None
    today = timezone.localdate()
    counts = counters_compute(object_type=ObjectType.DEPARTMENT, level=None,
                              window=window_for(today.replace(day=1), today + timedelta(days=1)))
    assert counts.get(city.departments["sanitation_a"].pk, {}).get("returned", 0) == 0


def test_void_needs_a_reason_and_voids_the_case(city, disputed):
    case = disputed["dispatched"]
    review = convene(city, [case, disputed["filed"]])
    item = review.items.get(case=case)
    with pytest.raises(ApplicationError) as refused:
        services.review_decide(actor=city.users["shift_leader"], item_id=item.pk, outcome=Outcome.VOIDED, note=" ")
    assert "理由" in refused.value.message
    assert ReviewItem.objects.get(pk=item.pk).outcome == Outcome.PENDING
    services.review_decide(actor=city.users["shift_leader"], item_id=item.pk, outcome=Outcome.VOIDED,
                           note="现场已无此问题")
    case.refresh_from_db()
    assert case.state == State.VOIDED and case.current_step == ""
    assert CaseEvent.objects.filter(case=case, action="review_void", note="现场已无此问题").exists()
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING  # the filed case still waits
    with pytest.raises(ConflictError):
        services.review_decide(actor=city.users["shift_leader"], item_id=item.pk, outcome=Outcome.VOIDED, note="再次")


def test_decisions_wait_for_the_attendance_and_an_assignment_needs_department_and_future_date(city, disputed):
    review = services.review_create(actor=city.users["shift_leader"], title="会审", held_on=timezone.localdate(),
                                    case_numbers=[disputed["filed"].number])
    item = review.items.get()
    decide = dict(actor=city.users["shift_leader"], item_id=item.pk, outcome=Outcome.ASSIGNED)
    with pytest.raises(ApplicationError, match="参会部门"):
        services.review_decide(**decide, department_id=city.departments["municipal"].pk,
                               deadline=timezone.localdate() + timedelta(days=2))
    services.review_record(actor=city.users["shift_leader"], review_id=review.pk,
                           department_ids=[city.departments["municipal"].pk])
    with pytest.raises(ApplicationError, match="责任部门"):
        services.review_decide(**decide, deadline=timezone.localdate() + timedelta(days=2))
    with pytest.raises(ApplicationError, match="晚于今天"):
        services.review_decide(**decide, department_id=city.departments["municipal"].pk,
                               deadline=timezone.localdate())
    assert Case.objects.get(pk=disputed["filed"].pk).state == State.FILED  # nothing moved


def test_who_may_convene_and_which_cases(city, disputed):
    numbers = [disputed["filed"].number]
    for username in ("operator", "dispatcher", "handler_a"):
        with pytest.raises(PermissionDeniedError):
            services.review_create(actor=city.users[username], title="x", held_on=timezone.localdate(),
                                   case_numbers=numbers)
    # A district-B shift leader does not see a district-A case: named as unknown.
    with pytest.raises(ApplicationError) as refused:
        services.review_create(actor=city.users["shift_leader_b"], title="x", held_on=timezone.localdate(),
                               case_numbers=numbers)
    assert disputed["filed"].number in refused.value.message
    reported = case_build(city, State.REPORTED)
    with pytest.raises(ApplicationError, match="待派遣或处置中"):
        services.review_create(actor=city.users["shift_leader"], title="x", held_on=timezone.localdate(),
                               case_numbers=[reported.number])
    convene(city, [disputed["filed"]])
    with pytest.raises(ConflictError, match="待决定的会审"):
        convene(city, [disputed["filed"]])


def test_a_district_cannot_decide_another_districts_review(city, disputed):
    review = convene(city, [disputed["filed"]])
    with pytest.raises(NotFoundError):
        services.review_decide(actor=city.users["shift_leader_b"], item_id=review.items.get().pk,
                               outcome=Outcome.VOIDED, note="x")


def test_the_review_moves_are_not_offered_on_the_case_page(city, disputed, client):
    client.force_login(city.users["shift_leader"])
    html = client.get(f"/cases/{disputed['filed'].pk}/").content.decode()
    assert 'id="action-review_assign"' not in html and 'id="action-review_void"' not in html


def test_the_review_moves_are_not_offered_by_the_case_api(city, disputed, client):
    client.force_login(city.users["manager"])
    offered = client.get(f"/api/cases/{disputed['filed'].pk}/").json()["available_actions"]
    assert offered == ["urge"]
