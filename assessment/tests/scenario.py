"""A hand-built October 2026 in the tiny city, with every counter worked out by hand below.

Grids 0–1 are 东区 (responsibility grid R1, collector_a), grids 2–3 are 西区 (R2, collector_b).

case  grid source      dept    story (October unless said)
C1    0    collector   san_a   filed, handled on time, closed on time
C2    0    collector   san_a   handled late, closed late
C3    1    public      san_a   verified, filed by the shift leader directly; deadline 10 Oct passes unhandled; urged
C4    1    12345       san_a   verify task; filed; suspended (挂账) 15 Oct, still suspended: not due
C5    0    collector   —       refused (voided before filing)
C6    0    collector   —       merged into C1: not counted
C7    2    collector   san_b   handled on time, check failed twice (1 reworked case), handled again, closed on time
C8    2    collector   muni    returned by san_b 8 Oct, re-dispatched (late) to muni, extension approved to 5 Nov
C9    3    collector   muni    reported/filed in September, handled and closed 1–2 Oct on time
C10   3    collector   muni    reported 30 Oct, filed 31 Oct, deadline 2 Nov, handled 1 Nov
C11   3    media       —       reported 20 Oct, verify task never answered
C12   3    collector   —       filed 21 Oct, voided 22 Oct (作废 after filing)
C13   1    public      san_a   September: filed, handled 30 Sep (its deadline 2 Oct); closed 1 Oct; rework event in Sep
C14   2    collector   san_b   filed 20 Oct, deadline 25 Oct, handled 3 Nov (late)
C16   1    collector   —       self-handled (自行处置) 18 Oct
Joint review: C8 assigned by a review 9 Oct; C9 assigned by one 28 Sep, closed on time 2 Oct.
"""
from datetime import timedelta

from cases.models import Source, State, StepKind, TaskKind

from .conftest import Builder, at, event, step, task

SEP = {"month": 9}
NOV = {"month": 11}


def build_october(city) -> dict:
    users = city.users
    b = Builder(city)
    c = {}
    c[1] = b.case(0, reporter=users["collector_a"], reported_at=at(5, 10), filed_at=at(5, 10, 50),
                  dispatched_at=at(5, 11), department="sanitation_a", handle_deadline=at(6, 10),
                  handled_at=at(6, 9), handled_on_time=True, closed_at=at(6, 12), closed_on_time=True,
                  state=State.CLOSED, verified=True)
    c[2] = b.case(0, reporter=users["collector_a"], reported_at=at(5, 10), filed_at=at(5, 10, 30),
                  dispatched_at=at(5, 11), department="sanitation_a", handle_deadline=at(7, 10),
                  handled_at=at(8, 10), handled_on_time=False, closed_at=at(9, 10), closed_on_time=False,
                  state=State.CLOSED)
    c[3] = b.case(1, source=Source.PUBLIC, verified=True, reported_at=at(5, 10), filed_at=at(5, 10, 20),
                  dispatched_at=at(5, 11), department="sanitation_a", handle_deadline=at(10, 10),
                  state=State.DISPATCHED, urge_count=1)
    c[4] = b.case(1, source=Source.HOTLINE_12345, verified=True, reported_at=at(5, 10), filed_at=at(5, 12),
                  dispatched_at=at(5, 13), department="sanitation_a", handle_deadline=at(20, 10),
                  state=State.SUSPENDED, suspension_count=1)
    c[5] = b.case(0, reporter=users["collector_a"], reported_at=at(6, 8, 50), voided_at=at(6, 10),
                  state=State.VOIDED)
    c[6] = b.case(0, reporter=users["collector_a"], reported_at=at(5, 10, 5), state=State.MERGED)
    c[7] = b.case(2, reporter=users["collector_b"], reported_at=at(10, 9), filed_at=at(10, 9, 20),
                  dispatched_at=at(10, 10), department="sanitation_b", handle_deadline=at(14, 18),
                  handled_at=at(14, 10), handled_on_time=True, closed_at=at(15, 10), closed_on_time=True,
                  state=State.CLOSED, rework_count=1)
    c[8] = b.case(2, reporter=users["collector_b"], reported_at=at(7, 9), filed_at=at(7, 9, 30),
                  dispatched_at=at(8, 11), department="municipal", handle_deadline=at(5, 10, **NOV),
                  state=State.DISPATCHED, return_count=1, extension_count=1)
    c[9] = b.case(3, reporter=users["collector_b"], reported_at=at(28, 9, **SEP), filed_at=at(28, 10, **SEP),
                  dispatched_at=at(28, 11, **SEP), department="municipal", handle_deadline=at(2, 10),
                  handled_at=at(1, 9), handled_on_time=True, closed_at=at(2, 9), closed_on_time=True,
                  state=State.CLOSED)
    c[10] = b.case(3, reporter=users["collector_b"], reported_at=at(30, 9), filed_at=at(31, 9),
                   dispatched_at=at(31, 10), department="municipal", handle_deadline=at(2, 10, **NOV),
                   handled_at=at(1, 9, **NOV), handled_on_time=True, state=State.HANDLED)
    c[11] = b.case(3, source=Source.MEDIA, reported_at=at(20, 9), state=State.VERIFYING)
    c[12] = b.case(3, reporter=users["collector_b"], reported_at=at(21, 9), filed_at=at(21, 9, 20),
                   voided_at=at(22, 9), state=State.VOIDED)
    c[13] = b.case(1, source=Source.PUBLIC, verified=True, reported_at=at(20, 9, **SEP), filed_at=at(20, 10, **SEP),
                   dispatched_at=at(20, 11, **SEP), department="sanitation_a", handle_deadline=at(2, 10),
                   handled_at=at(30, 9, **SEP), handled_on_time=True, closed_at=at(1, 9), closed_on_time=True,
                   state=State.CLOSED, rework_count=1)
    c[14] = b.case(2, reporter=users["collector_b"], reported_at=at(20, 9), filed_at=at(20, 9, 20),
                   dispatched_at=at(20, 10), department="sanitation_b", handle_deadline=at(25, 10),
                   handled_at=at(3, 9, **NOV), handled_on_time=False, state=State.HANDLED)
    c[16] = b.case(1, reporter=users["collector_a"], reported_at=at(18, 10), filed_at=at(18, 10, 5),
                   dispatched_at=at(18, 10, 5), handled_at=at(18, 10, 5), handled_on_time=True,
                   closed_at=at(18, 10, 5), closed_on_time=True, state=State.CLOSED, verified=True)
    b.save()
    c[6].merged_into = c[1]
    c[6].save(update_fields=["merged_into"])

    operator, operator_b = users["operator"], users["operator_b"]
    leader, leader_b = users["shift_leader"], users["shift_leader_b"]
    dispatcher, dispatcher_b = users["dispatcher"], users["dispatcher_b"]
    collector_a, collector_b = users["collector_a"], users["collector_b"]

    # Accept steps (30 min): operator 4 (3 on time), operator_b 2 (1 on time), one closed by a void.
    step(c[1], StepKind.ACCEPT, started=at(5, 10), completed=at(5, 10, 10), by=operator)
    step(c[2], StepKind.ACCEPT, started=at(5, 10), completed=at(5, 10, 45), by=operator)
    step(c[4], StepKind.ACCEPT, started=at(5, 10, 40), completed=at(5, 11), by=operator)
    step(c[5], StepKind.ACCEPT, started=at(6, 8, 50), completed=at(6, 9), by=operator)
    step(c[7], StepKind.ACCEPT, started=at(10, 9), completed=at(10, 9, 10), by=operator_b)
    step(c[11], StepKind.ACCEPT, started=at(20, 9), completed=at(20, 11), by=operator_b)
    step(c[6], StepKind.ACCEPT, started=at(5, 10, 5), completed=at(5, 10, 6), on_time=None)  # merged
    # Filing: shift_leader files C3 directly (accept step, on time), C1 late, C2 and C4 on time;
    # shift_leader_b files C7 and C12 (later voided).
    step(c[3], StepKind.ACCEPT, started=at(5, 10), completed=at(5, 10, 20), by=leader)
    step(c[1], StepKind.FILE, started=at(5, 10, 10), completed=at(5, 10, 50), by=leader)
    step(c[2], StepKind.FILE, started=at(5, 10, 20), completed=at(5, 10, 30), by=leader)
    step(c[4], StepKind.FILE, started=at(5, 11, 40), completed=at(5, 12), by=leader)
    step(c[7], StepKind.FILE, started=at(10, 9, 10), completed=at(10, 9, 20), by=leader_b)
    step(c[12], StepKind.ACCEPT, started=at(21, 9), completed=at(21, 9, 20), by=leader_b)
    # Self-handled: every step completed by the collector (not a filing by a shift leader).
    step(c[16], StepKind.ACCEPT, started=at(18, 10), completed=at(18, 10, 5), by=collector_a, on_time=True)
    # Closing: shift_leader closes C1 (on time), C2 (late) and C13 (1 Oct, on time); leader_b C7.
    step(c[1], StepKind.CLOSE, started=at(6, 11, 50), completed=at(6, 12), by=leader)
    step(c[2], StepKind.CLOSE, started=at(9, 9), completed=at(9, 10), by=leader)
    step(c[13], StepKind.CLOSE, started=at(1, 8, 50), completed=at(1, 9), by=leader)
    step(c[7], StepKind.CLOSE, started=at(15, 9, 50), completed=at(15, 10), by=leader_b)
    # Dispatch: dispatcher C1 (on time), C8 twice (first on time then returned, then late), C2 late;
    # dispatcher_b C7 on time (later reworked).
    step(c[1], StepKind.DISPATCH, started=at(5, 10, 50), completed=at(5, 11), by=dispatcher)
    sanitation_a, sanitation_b = city.departments["sanitation_a"], city.departments["sanitation_b"]
    step(c[1], StepKind.HANDLE, started=at(5, 11), minutes=60 * 23, completed=at(6, 9), on_time=True,
         department=sanitation_a)
    step(c[8], StepKind.DISPATCH, started=at(7, 9, 30), completed=at(7, 10), by=dispatcher)
    step(c[8], StepKind.HANDLE, started=at(7, 10), minutes=60 * 24, completed=at(8, 10), on_time=None,
         department=sanitation_b)  # returned by 西区环卫所
    step(c[8], StepKind.DISPATCH, started=at(8, 10), completed=at(8, 11), by=dispatcher)  # late
    step(c[8], StepKind.HANDLE, started=at(8, 11), minutes=60 * 24 * 28, department=city.departments["municipal"])
    step(c[2], StepKind.DISPATCH, started=at(5, 10, 20), completed=at(5, 11), by=dispatcher)  # late
    step(c[7], StepKind.DISPATCH, started=at(10, 9, 20), completed=at(10, 9, 40), by=dispatcher_b)
    step(c[7], StepKind.HANDLE, started=at(10, 9, 40), minutes=60 * 50, completed=at(12, 10), on_time=True,
         department=sanitation_b)

    # Tasks. Verify: C4 by operator, answered on time by collector_a; C5 by operator, cancelled by
    # the void; C11 by operator_b (its accept was late), never answered → collector_b missed it.
    task(c[4], TaskKind.VERIFY, created=at(5, 11), completed=at(5, 11, 30), by=collector_a, created_by=operator)
    task(c[5], TaskKind.VERIFY, created=at(6, 9), completed=at(6, 10), by=leader, created_by=operator,
         result=None)
    t = task(c[11], TaskKind.VERIFY, created=at(20, 11), created_by=operator_b)
    assert t.completed_at is None
    # Check: C1 sent in time and done in time; C2 sent after its deadline and done late;
    # C7 by operator_b, in time, answered late (failed → rework).
    task(c[1], TaskKind.CHECK, created=at(6, 9, 30), minutes=90, completed=at(6, 10), by=collector_a,
         created_by=operator)
    late = task(c[2], TaskKind.CHECK, created=at(8, 15), minutes=-60, completed=at(9, 9), by=collector_a,
                created_by=operator)
    assert late.deadline == at(8, 14)
    task(c[7], TaskKind.CHECK, created=at(12, 15), minutes=120, completed=at(13, 9), by=collector_b,
         created_by=operator_b, result=False)

    # Events.
    event(c[7], "check_fail", at(13, 9), collector_b)
    event(c[7], "check_fail", at(13, 15), users["operator_b"])  # same case again: still one reworked case
    event(c[8], "return", at(8, 10))  # as the demo generator writes it: no actor
    event(c[8], "approve_extension", at(9, 10), dispatcher)
    event(c[4], "approve_suspension", at(15, 10), leader)
    event(c[3], "urge", at(12, 10), dispatcher)
    event(c[16], "self_handle", at(18, 10, 5), collector_a)
    event(c[13], "check_fail", at(29, 9, **SEP), collector_a)  # September: not October's rework
    event(c[1], "file", at(5, 10, 50), leader)  # an action the counters do not count
    # Joint review (supervision): C8 assigned by a review in October (reviewed and decided, still
    # open); C9 assigned in September and closed 2 Oct before its deadline (closed on time after
    # review in October, but reviewed in September).
    event(c[8], "review_assign", at(9, 12), leader)
    event(c[9], "review_assign", at(28, 10, 30, **SEP), leader)
    return c


def zero_area() -> dict:
    return dict.fromkeys(
        ["reports", "collector_reports", "valid_reports", "public_reports", "filed", "voided", "refused",
         "due_handle", "handled", "handled_on_time", "overdue_unhandled", "due_close", "closed", "closed_on_time",
         "overdue_unclosed", "reworked", "returned", "extended", "suspended", "urged", "self_handled",
         "reviewed", "review_decided", "review_closed_on_time"], 0)


def area(**values) -> dict:
    return {**zero_area(), **values}


# Worked out by hand from the table above (see the module docstring).
GRIDS = {
    0: area(reports=3, collector_reports=3, valid_reports=2, filed=2, refused=1, due_handle=2, handled=2,
            handled_on_time=1, due_close=2, closed=2, closed_on_time=1),
    1: area(reports=3, collector_reports=1, valid_reports=1, public_reports=2, filed=3, due_handle=2, handled=1,
            handled_on_time=1, overdue_unhandled=1, due_close=3, closed=2, closed_on_time=2, overdue_unclosed=1,
            suspended=1, urged=1, self_handled=1),
    2: area(reports=3, collector_reports=3, valid_reports=3, filed=3, due_handle=2, handled=1, handled_on_time=1,
            overdue_unhandled=1, due_close=2, closed=1, closed_on_time=1, overdue_unclosed=1, reworked=1, returned=1,
            extended=1, reviewed=1, review_decided=1),
    3: area(reports=3, collector_reports=2, valid_reports=2, public_reports=1, filed=2, voided=1, due_handle=1,
            handled=1, handled_on_time=1, due_close=1, closed=1, closed_on_time=1, review_closed_on_time=1),
}


def area_sum(*parts: dict) -> dict:
    return {key: sum(part[key] for part in parts) for key in zero_area()}


EAST = area_sum(GRIDS[0], GRIDS[1])
WEST = area_sum(GRIDS[2], GRIDS[3])
CITY = area_sum(EAST, WEST)

DEPARTMENTS = {
    "sanitation_a": area(reports=4, collector_reports=2, valid_reports=2, public_reports=2, filed=4, due_handle=3,
                         handled=2, handled_on_time=1, overdue_unhandled=1, due_close=4, closed=3, closed_on_time=2,
                         overdue_unclosed=1, suspended=1, urged=1),
    "sanitation_b": area(reports=2, collector_reports=2, valid_reports=2, filed=2, due_handle=2, handled=1,
                         handled_on_time=1, overdue_unhandled=1, due_close=2, closed=1, closed_on_time=1,
                         overdue_unclosed=1, reworked=1, returned=1),
    "municipal": area(reports=2, collector_reports=2, valid_reports=2, filed=2, due_handle=1, handled=1,
                      handled_on_time=1, due_close=1, closed=1, closed_on_time=1, extended=1, reviewed=1,
                      review_decided=1, review_closed_on_time=1),
}

# Nobody patrolled in this October (patrol.tests counts a patrolled day): each collector was due
# 18 working days (9-31 October, the holiday to the 8th, Saturday the 11th worked) of the default
# patrol times 08:30-12:00, 14:00-18:00 (450 minutes) in their 2 unit grids, and has no post.
NO_PATROL = {"patrol_scheduled_minutes": 18 * 450, "patrol_on_duty_minutes": 0, "patrol_checkins_due": 0,
             "patrol_checkins_made": 0, "patrol_grid_days_due": 18 * 2, "patrol_grid_days_walked": 0}
COLLECTORS = {
    "collector_a": {"reports": 4, "valid_reports": 3, "grid_valid": 5, "missed": 2, "verify_done": 1,
                    "verify_on_time": 1, "verify_missed": 0, "verify_due": 1, "check_done": 2, "check_on_time": 1,
                    "check_missed": 0, "check_due": 2, **NO_PATROL},
    "collector_b": {"reports": 5, "valid_reports": 5, "grid_valid": 5, "missed": 0, "verify_done": 0,
                    "verify_on_time": 0, "verify_missed": 1, "verify_due": 1, "check_done": 1, "check_on_time": 0,
                    "check_missed": 0, "check_due": 1, **NO_PATROL},
}
OPERATORS = {
    "operator": {"accepted": 4, "accepted_on_time": 3, "verify_sent": 2, "verify_sent_on_time": 2, "check_sent": 2,
                 "check_sent_on_time": 1},
    "operator_b": {"accepted": 2, "accepted_on_time": 1, "verify_sent": 1, "verify_sent_on_time": 0,
                   "check_sent": 1, "check_sent_on_time": 1},
}
SHIFT_LEADERS = {
    "shift_leader": {"filed": 4, "filed_on_time": 3, "voided": 0, "accurate_filed": 4, "closed": 3,
                     "closed_on_time": 2},
    "shift_leader_b": {"filed": 2, "filed_on_time": 2, "voided": 1, "accurate_filed": 1, "closed": 1,
                       "closed_on_time": 1},
}
DISPATCHERS = {
    "dispatcher": {"dispatched": 4, "due_dispatch": 4, "dispatched_on_time": 2, "dispatch_returned": 1,
                   "dispatch_reworked": 0, "dispatch_corrected": 0, "accurate_dispatched": 3},
    "dispatcher_b": {"dispatched": 1, "due_dispatch": 1, "dispatched_on_time": 1, "dispatch_returned": 0,
                     "dispatch_reworked": 1, "dispatch_corrected": 0, "accurate_dispatched": 0},
}

# Composite scores and grades by hand (default catalogue; see tests/test_indicators.py for the sums).
EXPECTED_COMPOSITES = {
    ("region", "city", "city"): ("67.00", "C", 1),
    ("region", "district", 0): ("66.67", "C", 2),
    ("region", "district", 1): ("67.00", "C", 1),
    ("region", "grid", 0): ("72.00", "C", 2),
    ("region", "grid", 1): ("66.00", "C", 3),
    ("region", "grid", 2): ("61.00", "C", 4),
    ("region", "grid", 3): ("88.67", "B", 1),
    ("department", "city", "municipal"): ("96.00", "A", 1),
    ("department", "district", "sanitation_a"): ("68.50", "C", 1),
    ("department", "district", "sanitation_b"): ("36.00", "E", 2),
    ("collector", "district", "collector_a"): ("72.00", "C", 1),
    ("collector", "district", "collector_b"): ("60.00", "C", 2),
    ("operator", "city", "operator"): ("72.50", "C", 1),
    ("operator", "district", "operator_b"): ("50.00", "D", 1),
    ("shift_leader", "city", "shift_leader"): ("82.08", "B", 1),
    ("shift_leader", "district", "shift_leader_b"): ("80.00", "B", 1),
    ("dispatcher", "city", "dispatcher"): ("62.00", "C", 1),
    ("dispatcher", "district", "dispatcher_b"): ("52.00", "D", 1),
}


def handle_step_minutes(hours: float) -> int:
    return int(timedelta(hours=hours).total_seconds() // 60)
