"""The hotline as an object of the assessment: its lines and agents counted in the passes, scored,
graded and ranked; a 12345-only catalogue configured through the admin's forms and checked on a
hand-built October against hand-written SQL over the same rows; 不参评 for an agent without calls;
the hotline's own figures computed from the catalogue's indicators; queries constant in agents.

October 2026, cases brought in by calls (agents 甲 yi and 乙 er; 丙 san takes no call):
  A  甲 12345 created 10-03, closed 10-05, replied on time, called back 满意; joined by 乙 on 12319
     10-07 (a second intake call: A stays 甲's and 12345's), asked about by 甲 10-09 (an inquiry)
  B  甲 12345 created 10-04, closed 10-10, replied late, called back 不满意
  C  乙 12319 created 10-06, closed 10-20, replied on time, called back 基本满意
  D  乙 12345 created 10-08, open
  E  乙 12345 created 09-20 (taken in September), joined by 甲 on 12345 10-02: not taken in October
  F  甲 12319 created 10-12, closed 10-15, replied on time, callback pending
  a consultation on the other line by 乙, 10-11, no case

  甲: calls 5 (A, B, inquiry, E join, F); taken 3 (A, B, F); closed 3; on time 2 (A, F); called back 2
      (A, B); satisfied 1 (A). On 12345: taken 2, closed 2, on time 1, called back 2, satisfied 1.
  乙: calls 4 (A join, C, D, consultation); taken 2 (C, D); closed 1 (C); on time 1; called back 1;
      satisfied 1. On 12345: taken 1 (D), closed 0.
  lines: 12345 calls 5 (A, B, inquiry, D, E join), taken 3 (A, B, D), closed 2, on time 1, called
      back 2, satisfied 1; 12319 calls 3 (A join, C, F), taken 2 (C, F), closed 2, on time 2,
      called back 1, satisfied 1; other calls 1, taken 0.
"""
import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment.hotline import hotline_figures
from assessment.models import Composite, ObjectType, Snapshot
from assessment.scoring import ratio_figure
from assessment.services import assessment_compute
from cases.models import State
from grids.models import Role, User
from hotline.models import Call, Callback, Caller, Feedback

from .admin_forms import catalogue_post
from .conftest import at

pytestmark = pytest.mark.django_db
LABEL = "2026-10"
TZ = ZoneInfo("Asia/Shanghai")
START, END = datetime(2026, 10, 1, tzinfo=TZ), datetime(2026, 11, 1, tzinfo=TZ)
HOTLINE_COUNTERS = ["calls", "cases_created", "taken", "closed", "fed_back_on_time", "called_back", "satisfied"]
RATES_12345 = [("closure_12345", "12345办结率", "closed", "taken"),
               ("feedback_12345", "12345及时反馈率", "fed_back_on_time", "closed"),
               ("callback_12345", "12345回访率", "called_back", "closed"),
               ("satisfaction_12345", "12345满意率", "satisfied", "called_back")]
# What each object counts, worked out on paper (the module's docstring).
EXPECTED = {
    "yi": {"calls": 5, "cases_created": 3, "taken": 3, "closed": 3, "fed_back_on_time": 2, "called_back": 2,
           "satisfied": 1},
    "er": {"calls": 4, "cases_created": 2, "taken": 2, "closed": 1, "fed_back_on_time": 1, "called_back": 1,
           "satisfied": 1},
    12345: {"calls": 5, "cases_created": 3, "taken": 3, "closed": 2, "fed_back_on_time": 1, "called_back": 2,
            "satisfied": 1},
    12319: {"calls": 3, "cases_created": 2, "taken": 2, "closed": 2, "fed_back_on_time": 2, "called_back": 1,
            "satisfied": 1},
    1: {"calls": 1, "cases_created": 0, "taken": 0, "closed": 0, "fed_back_on_time": 0, "called_back": 0,
        "satisfied": 0},
}


def _agent(username: str, family: str) -> User:
    return User.objects.create_user(username=username, password="x", role=Role.HOTLINE_AGENT, last_name=family,
                                    first_name="坐席")


def _call(agent, channel, when, case=None, link="", n=[0]):  # noqa: B006 - a counter of transfer numbers
    n[0] += 1
    caller, _ = Caller.objects.get_or_create(phone=f"1380000{n[0]:04d}")
    return Call.objects.create(channel=channel, caller=caller, called_at=when, agent=agent, content="来电",
                               case=case, case_link=link, district_id=case.district_id if case else None,
                               transfer_number=f"T-{n[0]}" if channel == "12345" else "")


def _closed(case):
    """A result reply and a callback answer one closure of the case."""
    return {"case": case, "case_closed_at": case.closed_at}


def _reply(case, hours: int, on_time: bool):
    Feedback.objects.create(**_closed(case), kind="result", channel="phone", recipient="13800000000",
                            message="已办结", created_at=case.closed_at + timedelta(hours=hours), on_time=on_time,
                            status="logged")


def _callback(case, satisfaction: str = ""):
    done = bool(satisfaction)
    Callback.objects.create(**_closed(case), created_at=case.closed_at, due_at=case.closed_at + timedelta(days=1),
                            status="done" if done else "pending", satisfaction=satisfaction,
                            done_at=case.closed_at + timedelta(hours=20) if done else None)


@pytest.fixture
def hotline_october(city, catalogue, build):
    yi, er, san = _agent("yi", "甲"), _agent("er", "乙"), _agent("san", "丙")
    closed = {"state": State.CLOSED, "filed_at": at(1)}
    a = build.case(0, reported_at=at(3), closed_at=at(5), **closed)
    b = build.case(0, reported_at=at(4), closed_at=at(10), **closed)
    c = build.case(2, reported_at=at(6), closed_at=at(20), **closed)
    d = build.case(1, reported_at=at(8))
    e = build.case(1, reported_at=at(20, month=9))
    f = build.case(3, reported_at=at(12), closed_at=at(15), **closed)
    a, b, c, d, e, f = build.save()
    _call(yi, "12345", at(3), a, "created")
    _call(er, "12319", at(7), a, "joined")
    _call(yi, "12345", at(9), a, "inquiry")
    _call(yi, "12345", at(4), b, "created")
    _call(er, "12319", at(6), c, "created")
    _call(er, "12345", at(8), d, "created")
    _call(er, "12345", at(20, month=9), e, "created")
    _call(yi, "12345", at(2), e, "joined")
    _call(yi, "12319", at(12), f, "created")
    _call(er, "other", at(11))
    _reply(a, 2, True)
    _reply(b, 80, False)
    _reply(c, 3, True)
    _reply(f, 1, True)
    _callback(a, "satisfied")
    _callback(b, "dissatisfied")
    _callback(c, "basic")
    _callback(f)
    return {"yi": yi, "er": er, "san": san}


SQL = """
    SELECT {group}, COUNT(DISTINCT c.case_id),
           COUNT(DISTINCT CASE WHEN k.closed_at < %(end)s THEN c.case_id END),
           COUNT(DISTINCT CASE WHEN k.closed_at < %(end)s AND EXISTS (
               SELECT 1 FROM hotline_feedback f WHERE f.case_id = c.case_id AND f.kind = 'result'
               AND f.case_closed_at = k.closed_at AND f.on_time AND f.created_at < %(end)s
               AND f.status <> 'failed') THEN c.case_id END),
           COUNT(DISTINCT CASE WHEN k.closed_at < %(end)s AND EXISTS (
               SELECT 1 FROM hotline_callback b WHERE b.case_id = c.case_id AND b.case_closed_at = k.closed_at
               AND b.status = 'done' AND b.done_at < %(end)s) THEN c.case_id END),
           COUNT(DISTINCT CASE WHEN k.closed_at < %(end)s AND EXISTS (
               SELECT 1 FROM hotline_callback b WHERE b.case_id = c.case_id AND b.case_closed_at = k.closed_at
               AND b.status = 'done' AND b.done_at < %(end)s AND b.satisfaction IN ('satisfied', 'basic'))
               THEN c.case_id END)
    FROM hotline_call c JOIN cases_case k ON k.id = c.case_id
    WHERE c.case_link IN ('created', 'joined') AND c.called_at >= %(start)s AND c.called_at < %(end)s
      AND c.channel IN %(lines)s
      AND NOT EXISTS (SELECT 1 FROM hotline_call e WHERE e.case_id = c.case_id
                      AND e.case_link IN ('created', 'joined')
                      AND (e.called_at < c.called_at OR (e.called_at = c.called_at AND e.id < c.id)))
    GROUP BY {group}
"""
CALLS_SQL = """
    SELECT {group}, COUNT(*), SUM(CASE WHEN c.case_link = 'created' THEN 1 ELSE 0 END) FROM hotline_call c
    WHERE c.called_at >= %(start)s AND c.called_at < %(end)s AND c.channel IN %(lines)s GROUP BY {group}
"""
LINE_GROUP = "CASE c.channel WHEN '12319' THEN 12319 WHEN '12345' THEN 12345 ELSE 1 END"


def _by_sql(group: str, lines=("12319", "12345", "other")) -> dict:
    """Every hotline counter per group, by hand-written SQL over the same rows."""
    counted: dict = {}
    with connection.cursor() as cursor:
        for sql, keys in ((CALLS_SQL, HOTLINE_COUNTERS[:2]), (SQL, HOTLINE_COUNTERS[2:])):
            text = sql.format(group=group)
            params: list = []
            for name in re.findall(r"%\((\w+)\)s", text):
                params += list(lines) if name == "lines" else [START if name == "start" else END]
            text = re.sub(r"%\((\w+)\)s", lambda m: "(" + ", ".join(["%s"] * len(lines)) + ")"
                          if m.group(1) == "lines" else "%s", text)
            cursor.execute(text, params)
            for key, *values in cursor.fetchall():
                row = counted.setdefault(key, dict.fromkeys(HOTLINE_COUNTERS, 0))
                row.update(dict(zip(keys, (int(v or 0) for v in values), strict=True)))
    return counted


def _configure_12345(admin, catalogue):
    """The four rates of the 12345 line alone, for the agents, through the admin's change form."""
    add = [{"object_type": "hotline_agent", "code": code, "name": name, "numerator": numerator,
            "denominator": denominator, "numerator_filters": {"lines": ["12345"]},
            "denominator_filters": {"lines": ["12345"]}, "weight": 10}
           for code, name, numerator, denominator in RATES_12345]
    response = catalogue_post(admin, catalogue, add=add)
    assert response.status_code == 302, response.context["errors"] if response.context else response


def test_each_figure_equals_hand_written_sql(city, catalogue, hotline_october, admin):
    _configure_12345(admin, catalogue)
    agents = hotline_october
    assessment_compute(period=LABEL)
    per_agent = _by_sql("c.agent_id")
    per_line = _by_sql(LINE_GROUP)
    agent_12345 = _by_sql("c.agent_id", lines=("12345",))
    for name in ("yi", "er"):
        stored = Composite.objects.get(period__label=LABEL, object_type=ObjectType.HOTLINE_AGENT,
                                       object_id=agents[name].pk).counters
        assert {key: stored[key] for key in HOTLINE_COUNTERS} == per_agent[agents[name].pk] == EXPECTED[name]
        for code, _name, numerator, denominator in RATES_12345:
            snapshot = Snapshot.objects.get(period__label=LABEL, object_type=ObjectType.HOTLINE_AGENT,
                                            object_id=agents[name].pk, indicator_code=code)
            by_hand = agent_12345.get(agents[name].pk, dict.fromkeys(HOTLINE_COUNTERS, 0))
            assert (snapshot.numerator, snapshot.denominator) == (by_hand[numerator], by_hand[denominator])
            assert snapshot.value == ratio_figure(by_hand[numerator], by_hand[denominator])
    for line in (12345, 12319, 1):
        stored = Composite.objects.get(period__label=LABEL, object_type=ObjectType.HOTLINE_LINE,
                                       object_id=line).counters
        assert {key: stored[key] for key in HOTLINE_COUNTERS} == EXPECTED[line]
        assert per_line.get(line, EXPECTED[1]) == EXPECTED[line]
    # 甲 on 12345 alone: 2/2 closed, 1/2 on time, 2/2 called back, 1/2 satisfied.
    yi_12345 = {s.indicator_code: s.value for s in Snapshot.objects.filter(
        period__label=LABEL, object_type=ObjectType.HOTLINE_AGENT, object_id=agents["yi"].pk,
        indicator_code__in=[code for code, *_rest in RATES_12345])}
    assert yi_12345 == {"closure_12345": Decimal("100.00"), "feedback_12345": Decimal("50.00"),
                        "callback_12345": Decimal("100.00"), "satisfaction_12345": Decimal("50.00")}


def test_agents_ranked_and_an_agent_without_calls_not_assessed(city, catalogue, hotline_october):
    agents = hotline_october
    assessment_compute(period=LABEL)
    rows = {c.object_id: c for c in Composite.objects.filter(period__label=LABEL,
                                                             object_type=ObjectType.HOTLINE_AGENT)}
    yi, er, san = (rows[agents[name].pk] for name in ("yi", "er", "san"))
    # 甲: 3/3, 2/3, 2/3, 1/2 → (100 + 66.67 + 66.67 + 50) / 4 = 70.84 (each score to 2 places)
    # 乙: 1/2, 1/1, 1/1, 1/1 → (50 + 100 + 100 + 100) / 4 = 87.50
    assert (yi.score, er.score) == (Decimal("70.84"), Decimal("87.50"))
    assert (er.rank, yi.rank, er.grade, yi.grade) == (1, 2, "B", "C")
    assert (san.participating, san.score, san.grade, san.rank) == (False, None, "", None)
    assert yi.ranked_count == er.ranked_count == 2
    lines = {c.object_id: c for c in Composite.objects.filter(period__label=LABEL,
                                                              object_type=ObjectType.HOTLINE_LINE)}
    assert lines[1].rank is None and lines[1].participating is not False  # one call: assessed, no rate
    assert lines[12319].rank == 1 and lines[12345].rank == 2


def test_hotline_figures_follow_the_catalogue(city, catalogue, hotline_october, admin):
    """The hotline's own figures are the lines' counters summed, each rate by the catalogue's
    indicator: an administrator's change of the rounding changes the hotline page's figure."""
    figures = hotline_figures(start=START, end=END)
    summed = {key: sum(EXPECTED[line][key] for line in (12345, 12319, 1)) for key in HOTLINE_COUNTERS}
    assert {key: figures[key] for key in HOTLINE_COUNTERS} == summed
    assert figures["closure_rate"] == 0.8  # 4/5
    assert figures["timely_feedback_rate"] == 0.75  # 3/4
    assert figures["callback_rate"] == 0.75  # 3/4
    assert figures["satisfaction_rate"] == round(2 / 3, 4)  # 0.6667
    response = catalogue_post(admin, catalogue, change={"hotline_line:satisfaction_rate": {
        "rounding": "truncate", "decimals": 0}})
    assert response.status_code == 302
    assert hotline_figures(start=START, end=END)["satisfaction_rate"] == 0.66  # 66.666… truncated to 66


def test_hotline_figures_of_one_district(city, catalogue, hotline_october):
    east = city.districts[0].pk
    figures = hotline_figures(start=START, end=END, district_id=east)
    by_hand = _by_sql(f"CASE WHEN c.district_id = {east} THEN 1 ELSE 0 END")[1]
    assert {key: figures[key] for key in HOTLINE_COUNTERS[:2]} == {
        "calls": by_hand["calls"], "cases_created": by_hand["cases_created"]}
    assert figures["taken"] == by_hand["taken"]


def test_queries_constant_in_the_number_of_agents(city, catalogue, hotline_october):
    def measure():
        """The queries but the results' inserts, which SQLite splits by its parameter limit
        (PostgreSQL COPYs them, one statement a table)."""
        with CaptureQueriesContext(connection) as ctx:
            assessment_compute(period=LABEL, object_type=ObjectType.HOTLINE_AGENT)
        return len([q for q in ctx.captured_queries if not q["sql"].startswith("INSERT INTO \"assessment_snapshot\"")])

    measure()
    before = measure()
    for n in range(6):
        agent = _agent(f"more{n}", "丁")
        _call(agent, "12345", at(14 + n))
    assert measure() == before
    assert Composite.objects.filter(period__label=LABEL, object_type=ObjectType.HOTLINE_AGENT,
                                    participating=True).count() == 8


def test_pages_exports_and_bulletin_show_the_hotline(city, catalogue, hotline_october, admin):
    assessment_compute(period=LABEL)
    page = admin.get(f"/assessment/{LABEL}/ranking/hotline_agent/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "甲" in text and "乙" in text and "不参评" in text
    export = admin.get(f"/assessment/{LABEL}/ranking/hotline_agent/?export=xlsx")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    bulletin = admin.get(f"/assessment/{LABEL}/bulletin/").content.decode()
    assert "热线坐席" in bulletin and "热线线路" in bulletin
    line = admin.get(f"/assessment/{LABEL}/object/hotline_line/city/12345/")
    assert line.status_code == 200 and "办结率" in line.content.decode()
    drill = admin.get(f"/assessment/{LABEL}/drill/hotline_line/city/12345/calls/")
    assert drill.status_code == 200
    assert drill.content.decode().count("<tr") >= 5
