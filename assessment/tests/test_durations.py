"""Average and median durations in working hours (处置用时, 结案用时), configured through the admin's
forms on a hand-built October whose steps span a weekend and the National Day holiday, each figure
equal to a hand-written SQL query over the same rows; and a step's working minutes as the work
calendar counts them."""
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection

from assessment.models import ObjectType, Snapshot
from assessment.services import assessment_compute
from cases.calendar import WorkCalendar
from cases.models import Case, CaseStep, Source, State, StepKind
from cases.steps import step_complete

from .admin_forms import catalogue_post
from .conftest import at, step

pytestmark = pytest.mark.django_db
LABEL = "2026-10"
START, END = at(1, 0), at(1, 0, month=11)


def _timed(case, kind, started, completed, *, on_time=True, department=None):
    """A step ended as cases.steps ends one: its working minutes from the work calendar."""
    row = step(case, kind, started=started, completed=completed, on_time=on_time, department=department)
    calendar = WorkCalendar.for_department(department.pk if kind == StepKind.HANDLE and department else None)
    row.work_minutes = int(calendar.work_seconds_between(started, completed) // 60)
    row.save(update_fields=["work_minutes"])
    return row


@pytest.fixture
def october(city, build):
    """Handling and closing steps of five cases of two districts' departments: across a weekend
    (Fri 16 → Mon 19 October), across the National Day holiday (30 September → 8 October), inside
    one day; a returned handling (no verdict), a step ended before migration 0020 (no minutes) and
    a step of September, all three left out."""
    a, b = city.departments["sanitation_a"], city.departments["sanitation_b"]
    cases = [build.case(0, department="sanitation_a", state=State.CLOSED, reported_at=at(n + 1))
             for n in range(3)]
    cases += [build.case(2, department="sanitation_b", state=State.CLOSED, reported_at=at(4),
                         source=Source.VIDEO),
              build.case(2, department="sanitation_b", state=State.CLOSED, reported_at=at(4))]
    build.save()
    rows = [
        _timed(cases[0], StepKind.HANDLE, at(16, 16), at(19, 10), department=a),  # Fri 2 h + Mon 1.5 h
        _timed(cases[1], StepKind.HANDLE, at(30, 15, month=9), at(8, 9), department=a),  # over the holiday
        _timed(cases[2], StepKind.HANDLE, at(20, 9), at(20, 11), department=a),  # 2 h
        _timed(cases[3], StepKind.HANDLE, at(21, 9), at(21, 15), department=b),  # 3 h + 1 h = 4 h
        _timed(cases[4], StepKind.HANDLE, at(22, 9), at(22, 10), department=b),
        _timed(cases[4], StepKind.HANDLE, at(22, 10), at(22, 11), on_time=None, department=b),  # returned
        _timed(cases[0], StepKind.CLOSE, at(23, 17), at(26, 9)),  # Fri 1 h + Mon 0.5 h
        _timed(cases[1], StepKind.CLOSE, at(23, 10), at(23, 10, 30)),
        _timed(cases[2], StepKind.CLOSE, at(27, 11), at(27, 14, 30)),  # 1 h + 0.5 h
        _timed(cases[3], StepKind.CLOSE, at(28, 9), at(28, 9, 10)),
        _timed(cases[4], StepKind.CLOSE, at(29, 9), at(29, 11, 45), on_time=False),
        _timed(cases[2], StepKind.CLOSE, at(28, 9, month=9), at(29, 9, month=9)),  # September
    ]
    old = step(cases[3], StepKind.CLOSE, started=at(28, 10), completed=at(28, 12), on_time=True)  # no minutes
    assert old.work_minutes is None
    return cases, rows


def sql(query: str, *params):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


STEPS = ("FROM cases_casestep s JOIN cases_case c ON c.id = s.case_id WHERE s.kind = %s AND s.on_time IS NOT NULL"
         " AND s.work_minutes IS NOT NULL AND s.completed_at >= %s AND s.completed_at < %s")


def hand_average(kind, where="", *params) -> Decimal:
    (total, count), = sql(f"SELECT SUM(s.work_minutes), COUNT(*) {STEPS} {where}", kind, START, END, *params)
    return (Decimal(total) / count / 60).quantize(Decimal("0.01"), ROUND_HALF_UP)


def hand_median(kind, where="", *params) -> Decimal:
    """The median by hand: the middle one or two rows by LIMIT/OFFSET, averaged."""
    (count,), = sql(f"SELECT COUNT(*) {STEPS} {where}", kind, START, END, *params)
    (median,), = sql(f"SELECT AVG(w) FROM (SELECT s.work_minutes AS w {STEPS} {where} ORDER BY w "
                     f"LIMIT {2 - count % 2} OFFSET {(count - 1) // 2}) AS middle", kind, START, END, *params)
    return (Decimal(str(median)) / 60).quantize(Decimal("0.1"), ROUND_HALF_UP)


def figure(object_type, level, object_id, code) -> Snapshot:
    """The snapshot of one object (a department's level is its own: any, for level None)."""
    rows = Snapshot.objects.filter(period__label=LABEL, object_type=object_type, object_id=object_id,
                                   indicator_code=code)
    return rows.get(level=level) if level is not None else rows.get()


def test_average_handling_and_median_closing_time(city, october, catalogue, admin):
    response = catalogue_post(admin, catalogue, add=[
        {"object_type": "region", "code": "handle_hours", "name": "平均处置用时", "kind": "average",
         "numerator": "handle_time", "direction": "lower", "target": "4"},
        {"object_type": "region", "code": "close_median", "name": "结案用时中位数", "kind": "median",
         "numerator": "close_time", "decimals": 1, "direction": "lower"},
        {"object_type": "department", "code": "handle_hours", "name": "平均处置用时", "kind": "average",
         "numerator": "handle_time", "direction": "lower", "weight": 10,
         "bands": {"default": [[2, 100], [4, 80], [8, 60]]}},
        {"object_type": "department", "code": "video_handle_median", "name": "视频案件处置用时中位数",
         "kind": "median", "numerator": "handle_time", "numerator_filters": {"sources": ["video"]}},
    ])
    assert response.status_code == 302, response.content.decode()[:3000]
    assessment_compute(period=LABEL, object_type=ObjectType.REGION)
    assessment_compute(period=LABEL, object_type=ObjectType.DEPARTMENT)

    # Handling: 210, (30 September 15:00 → 8 October 09:00 over the holiday), 120, 240 and 60 minutes.
    city_handle = figure(ObjectType.REGION, "city", city.city.pk, "handle_hours")
    assert city_handle.value == hand_average(StepKind.HANDLE)
    assert (city_handle.numerator, city_handle.denominator) == sql(
        f"SELECT SUM(s.work_minutes), COUNT(*) {STEPS}", StepKind.HANDLE, START, END)[0]
    assert city_handle.denominator == 5  # the returned handling, the old and September's steps are out
    assert city_handle.target == 4 and city_handle.kind == "average"
    first = CaseStep.objects.get(case=october[0][0], kind=StepKind.HANDLE)
    assert first.work_minutes == 210  # Friday 16:00–18:00 and Monday 08:30–10:00

    close = figure(ObjectType.REGION, "city", city.city.pk, "close_median")
    assert close.value == hand_median(StepKind.CLOSE)
    assert close.value == Decimal("1.5")  # 10, 30, 90, 90, 165 minutes: the middle is 90
    assert close.numerator == 5 and close.denominator is None

    district = city.grids[2].district_id
    district_close = figure(ObjectType.REGION, "district", district, "close_median")
    assert district_close.value == hand_median(StepKind.CLOSE, "AND c.district_id = %s", district)

    for name in ("sanitation_a", "sanitation_b"):
        department = city.departments[name]
        snap = figure(ObjectType.DEPARTMENT, None, department.pk, "handle_hours")
        assert snap.value == hand_average(StepKind.HANDLE, "AND c.department_id = %s", department.pk)
    b = figure(ObjectType.DEPARTMENT, None, city.departments["sanitation_b"].pk, "handle_hours")
    assert b.value == Decimal("2.50") and b.score == Decimal("80.00")  # (240 + 60) / 2 min: within 4 h
    video = figure(ObjectType.DEPARTMENT, None, city.departments["sanitation_b"].pk, "video_handle_median")
    assert video.value == hand_median(StepKind.HANDLE, "AND c.source = %s AND c.department_id = %s", "video",
                                      city.departments["sanitation_b"].pk)
    assert video.numerator_key == "handle_time.n?sources=video"
    nothing = figure(ObjectType.DEPARTMENT, None, city.departments["municipal"].pk, "handle_hours")
    assert nothing.value is None and not nothing.applicable and nothing.score is None


def test_a_duration_indicator_is_refused_where_it_does_not_apply(city, catalogue, admin):
    response = catalogue_post(admin, catalogue, add=[
        {"object_type": "collector", "code": "x", "name": "x", "kind": "average", "numerator": "handle_time"},
        {"object_type": "region", "code": "y", "name": "y", "kind": "median", "numerator": "filed"},
    ])
    html = response.content.decode()
    assert response.status_code == 200
    assert "平均用时、用时中位数指标只适用于" in html and "“filed”不是用时项" in html


def test_step_work_minutes_as_the_calendar_counts_them(city, build):
    """A handling step that runs from Friday afternoon to Monday morning: the step's minutes are
    the department calendar's working time, written by the UPDATE that ends the step."""
    department = city.departments["sanitation_a"]
    started, ended = at(16, 16, 30), at(19, 9, 15)
    case = build.case(0, department="sanitation_a", state=State.DISPATCHED)
    case.current_step, case.current_step_started_at, case.current_deadline = StepKind.HANDLE, started, at(30)
    build.save()
    step(case, StepKind.HANDLE, started=started, department=department)
    step_complete(Case.objects.get(pk=case.pk), ended, kind=StepKind.HANDLE)
    row = CaseStep.objects.get(case=case)
    expected = WorkCalendar.for_department(department.pk).work_seconds_between(started, ended) // 60
    assert row.work_minutes == expected == 90 + 45  # Friday 16:30–18:00, Monday 08:30–09:15


def test_durations_are_headed_in_hours_and_trended_as_figures(city, october, catalogue, admin):
    from assessment.models import Period
    from assessment.selectors import indicator_columns, object_trend

    catalogue_post(admin, catalogue, add=[
        {"object_type": "region", "code": "close_median", "name": "结案用时中位数", "kind": "median",
         "numerator": "close_time", "decimals": 1, "direction": "lower"}])
    assessment_compute(period=LABEL, object_type=ObjectType.REGION)
    period = Period.objects.get(label=LABEL)
    columns = {c["code"]: c for c in indicator_columns(period=period, object_type=ObjectType.REGION, level="city")}
    assert columns["close_median"]["unit"] == "（小时）"
    units = {c["unit"] for code, c in columns.items() if code != "close_median" and not c["is_volume"]}
    assert units == {"（%）"}  # the default catalogue's rates
    trend = object_trend(label=LABEL, object_type=ObjectType.REGION, level="city", object_id=city.city.pk)
    close = next(i for i in trend["indicators"] if i["code"] == "close_median")
    assert close["unit"] == "（小时）" and close["values"][-1] == Decimal("1.5")
