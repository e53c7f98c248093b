"""Cities' published rules configured through the admin's forms (not code) and checked on a
hand-built October against hand-written SQL over the same rows, exactly: a share by source (the
public-report share counting video and "other"), a 部件/事件 split, major and minor classes, a
hotline line, case flags, an event counter filtered, a truncated rate, a capped deduction; bad
definitions refused in Chinese; filters add no query."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment.models import Composite, ObjectType, Snapshot
from assessment.services import assessment_compute
from cases.models import Source, State
from hotline.models import Call, Caller

from . import scenario
from .admin_forms import catalogue_post
from .conftest import at, event

pytestmark = pytest.mark.django_db
LABEL = "2026-10"
TZ = ZoneInfo("Asia/Shanghai")
START, END = datetime(2026, 10, 1, tzinfo=TZ), datetime(2026, 11, 1, tzinfo=TZ)
PUBLIC_ALL = ["hotline_12319", "hotline_12345", "public", "media", "leader", "transfer_110", "video", "other"]


@pytest.fixture
def october(city, catalogue, build):
    """The scenario's October, and more: video and "other" reports, a 12345 call, a component
    case urged, a case of the 05 major class."""
    cases = scenario.build_october(city)
    extra = [
        build.case(1, source=Source.VIDEO, reported_at=at(8), filed_at=at(8, 11), department="sanitation_a"),
        build.case(2, source=Source.VIDEO, reported_at=at(9), department="sanitation_b"),
        build.case(3, source=Source.OTHER, reported_at=at(11), filed_at=at(11, 12), department="sanitation_b",
                   minor="vending"),
        build.case(0, source=Source.HOTLINE_12345, reported_at=at(12), filed_at=at(12, 11), minor="manhole",
                   department="municipal", urge_count=2, handled_at=at(13), handled_on_time=True),
        build.case(1, source=Source.OTHER, reported_at=at(14), state=State.MERGED),  # merged: no report
    ]
    saved = build.save()
    caller = Caller.objects.create(phone="13800000000")
    Call.objects.create(channel="12345", caller=caller, called_at=at(12), content="井盖缺失", case=saved[3],
                        case_link="created", transfer_number="T-1")
    event(saved[2], "check_fail", at(20))  # an event case reworked
    return cases, extra


def sql(query: str, *params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def city_snapshot(city, code) -> Snapshot:
    return Snapshot.objects.get(period__label=LABEL, object_type=ObjectType.REGION, level="city",
                                object_id=city.city.pk, indicator_code=code)


def add(admin, catalogue, *rows):
    response = catalogue_post(admin, catalogue, add=list(rows))
    assert response.status_code == 302, _errors(response)


def _errors(response) -> str:
    html = response.content.decode()
    return "\n".join(line for line in html.splitlines() if "errorlist" in line)[:2000]


REPORTS = "reported_at >= %s AND reported_at < %s AND state <> 'merged'"


def test_public_report_share_by_source(city, october, catalogue, admin):
    add(admin, catalogue, {"object_type": "region", "code": "public_share", "name": "公众举报占比",
                           "numerator": "reports", "numerator_filters": {"sources": PUBLIC_ALL},
                           "denominator": "reports"})
    assessment_compute(period=LABEL, object_type=ObjectType.REGION)
    snap = city_snapshot(city, "public_share")
    marks = ", ".join(["%s"] * len(PUBLIC_ALL))
    (numerator,), = sql(f"SELECT COUNT(*) FROM cases_case WHERE {REPORTS} AND source IN ({marks})",
                        START, END, *PUBLIC_ALL)
    (denominator,), = sql(f"SELECT COUNT(*) FROM cases_case WHERE {REPORTS}", START, END)
    fixed = Snapshot.objects.get(period__label=LABEL, level="city", indicator_code="public_report_rate")
    assert (snap.numerator, snap.denominator) == (numerator, denominator)
    assert numerator == fixed.numerator + 3  # the fixed counter leaves out video and "other"
    assert snap.numerator_key == "reports?sources=" + ",".join(sorted(PUBLIC_ALL))
    assert snap.value == (Decimal(numerator) * 100 / denominator).quantize(Decimal("0.01"))


def test_component_event_split_and_classes(city, october, catalogue, admin):
    add(admin, catalogue,
        {"object_type": "region", "code": "filed_component", "name": "部件立案", "kind": "count",
         "numerator": "filed", "numerator_filters": {"class_kind": "component"}},
        {"object_type": "region", "code": "filed_event", "name": "事件立案", "kind": "count",
         "numerator": "filed", "numerator_filters": {"class_kind": ["event"]}},
        {"object_type": "region", "code": "filed_05", "name": "街面秩序立案", "kind": "count",
         "numerator": "filed", "numerator_filters": {"majors": ["05"]}},
        {"object_type": "department", "code": "reports_0101", "name": "0101 上报", "kind": "count",
         "numerator": "reports", "numerator_filters": {"minors": ["0101"]}})
    assessment_compute(period=LABEL)
    filed = ("SELECT COUNT(*) FROM cases_case c JOIN grids_minorclass m ON m.id = c.minor_id "
             "JOIN grids_majorclass j ON j.id = m.major_id WHERE c.filed_at >= %s AND c.filed_at < %s")
    for code, condition, value in (("filed_component", "c.kind = %s", "component"),
                                   ("filed_event", "c.kind = %s", "event"),
                                   ("filed_05", "j.code = %s", "05")):
        (expected,), = sql(f"{filed} AND {condition}", START, END, value)
        assert city_snapshot(city, code).numerator == expected, code
    component, event_ = city_snapshot(city, "filed_component").numerator, city_snapshot(city, "filed_event").numerator
    assert component > 0 and event_ > 0 and component + event_ == city_snapshot(city, "filed_volume").numerator
    by_department = dict(sql(
        "SELECT c.department_id, COUNT(*) FROM cases_case c JOIN grids_minorclass m ON m.id = c.minor_id "
        "WHERE c.reported_at >= %s AND c.reported_at < %s AND c.state <> 'merged'"
        " AND m.code = %s AND c.department_id IS NOT NULL GROUP BY c.department_id", START, END, "0101"))
    got = {s.object_id: s.numerator for s in Snapshot.objects.filter(object_type="department",
                                                                      indicator_code="reports_0101")}
    assert {k: v for k, v in got.items() if v} == by_department and len(by_department) >= 2


def test_hotline_line_and_case_flags(city, october, catalogue, admin):
    add(admin, catalogue,
        {"object_type": "region", "code": "reports_12345", "name": "12345 上报", "kind": "count",
         "numerator": "reports", "numerator_filters": {"lines": ["12345"]}},
        {"object_type": "region", "code": "urged_handled", "name": "督办件处置率", "numerator": "handled",
         "numerator_filters": {"flags": ["urged"]}, "denominator": "filed", "denominator_filters": {"flags": ["urged"]}})
    assessment_compute(period=LABEL, object_type=ObjectType.REGION)
    (line,), = sql(f"SELECT COUNT(*) FROM cases_case WHERE {REPORTS} AND id IN (SELECT case_id FROM hotline_call "
                   "WHERE channel = %s AND case_link IN ('created', 'joined'))", START, END, "12345")
    assert city_snapshot(city, "reports_12345").numerator == line == 1
    (handled,), = sql("SELECT COUNT(*) FROM cases_case WHERE handled_at >= %s AND handled_at < %s AND urge_count > 0",
                      START, END)
    (filed,), = sql("SELECT COUNT(*) FROM cases_case WHERE filed_at >= %s AND filed_at < %s AND urge_count > 0",
                    START, END)
    snap = city_snapshot(city, "urged_handled")
    assert (snap.numerator, snap.denominator) == (handled, filed) and filed >= 1


def test_an_event_counter_filtered_by_class_kind(city, october, catalogue, admin):
    add(admin, catalogue, {"object_type": "region", "code": "reworked_events", "name": "事件返工数", "kind": "count",
                           "numerator": "reworked", "numerator_filters": {"class_kind": "event"}})
    assessment_compute(period=LABEL, object_type=ObjectType.REGION)
    (expected,), = sql(
        "SELECT COUNT(DISTINCT e.case_id) FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id "
        "WHERE e.action IN ('check_fail', 'reopen') AND e.created_at >= %s AND e.created_at < %s AND c.kind = %s",
        START, END, "event")
    assert city_snapshot(city, "reworked_events").numerator == expected == 2


def test_truncated_rate(city, october, catalogue, admin):
    add(admin, catalogue,
        {"object_type": "region", "code": "closing_truncated", "name": "结案率（截断）", "numerator": "closed",
         "denominator": "due_close", "rounding": "truncate", "decimals": 2},
        {"object_type": "region", "code": "closing_half_up", "name": "结案率", "numerator": "closed",
         "denominator": "due_close"})
    assessment_compute(period=LABEL, object_type=ObjectType.REGION)
    half_up = {(s.level, s.object_id): s for s in Snapshot.objects.filter(indicator_code="closing_half_up")}
    differ = 0
    for snap in Snapshot.objects.filter(indicator_code="closing_truncated", denominator__gt=0):
        n, d = snap.numerator, snap.denominator
        assert snap.value == Decimal(n * 10000 // d) / 100  # truncated to two places
        assert half_up[snap.level, snap.object_id].value == (Decimal(n * 100) / d).quantize(Decimal("0.01"))
        differ += snap.value != half_up[snap.level, snap.object_id].value
    assert differ  # e.g. 2 of 3: 66.66 truncated, 66.67 rounded


def test_capped_deduction(city, october, catalogue, admin):
    add(admin, catalogue, {"object_type": "department", "code": "overdue_deduction", "name": "超期扣分",
                           "kind": "deduction", "numerator": "overdue_unhandled", "points": "2", "cap": "3"})
    assessment_compute(period=LABEL, object_type=ObjectType.DEPARTMENT)
    for key in ("sanitation_a", "sanitation_b", "municipal"):
        pk = city.departments[key].pk
        (overdue,), = sql(
            "SELECT COUNT(*) FROM cases_case WHERE department_id = %s AND handle_deadline >= %s AND handle_deadline < %s"
            " AND (handled_at IS NULL OR handled_at >= %s) AND state <> 'suspended'", pk, START, END, END)
        snap = Snapshot.objects.get(object_type="department", object_id=pk, indicator_code="overdue_deduction")
        assert snap.numerator == overdue
        assert snap.score == -min(Decimal(2 * overdue), Decimal(3))
    a = city.departments["sanitation_a"].pk
    weighted = [s for s in Snapshot.objects.filter(object_type="department", object_id=a)
                if s.weight > 0 and s.score is not None and s.kind != "deduction"]
    mean = sum(s.weight * s.score for s in weighted) / sum(s.weight for s in weighted)
    deduction = Snapshot.objects.get(object_type="department", object_id=a, indicator_code="overdue_deduction").score
    expected = max(Decimal(0), mean + deduction).quantize(Decimal("0.01"))
    assert deduction == Decimal("-2.00")
    assert Composite.objects.get(object_type="department", object_id=a).score == expected


@pytest.mark.parametrize(("row", "message"), [
    ({"numerator": "reports", "numerator_filters": {"sources": ["fax"]}, "denominator": "reports"}, "来源中没有“fax”"),
    ({"numerator": "reports", "numerator_filters": {"colour": ["red"]}, "denominator": "reports"}, "未知的筛选条件"),
    ({"numerator": "reports", "numerator_filters": {"minors": ["9999"]}, "denominator": "reports"}, "小类代码中没有"),
    ({"numerator": "reports"}, "比率指标需要分母"),
    ({"kind": "deduction", "numerator": "urged"}, "扣分、加分指标需要每次分值"),
])
def test_bad_definitions_are_refused_in_chinese(city, catalogue, admin, row, message):
    response = catalogue_post(admin, catalogue, add=[{"object_type": "region", "code": "bad", "name": "坏", **row}])
    assert response.status_code == 200 and message in response.content.decode()


def test_filters_add_no_query(city, october, catalogue, admin):
    assessment_compute(period=LABEL)
    with CaptureQueriesContext(connection) as plain:
        assessment_compute(period=LABEL)
    add(admin, catalogue, *[{"object_type": "region", "code": f"share_{n}", "name": f"占比{n}",
                             "numerator": "reports", "numerator_filters": {"sources": PUBLIC_ALL[n:]},
                             "denominator": "filed", "denominator_filters": {"class_kind": "event"}}
                            for n in range(5)],
        {"object_type": "department", "code": "urged_volume", "name": "督办数", "kind": "count",
         "numerator": "urged", "numerator_filters": {"class_kind": "component"}})
    with CaptureQueriesContext(connection) as filtered:
        assessment_compute(period=LABEL)
    def shapes(context):
        return sorted(q["sql"][:60] for q in context.captured_queries if "SAVEPOINT" not in q["sql"])

    assert len(shapes(filtered)) == len(shapes(plain)), (shapes(filtered), shapes(plain))
