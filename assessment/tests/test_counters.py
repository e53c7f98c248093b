"""Every counter of every object type against the hand-built October (tests/scenario.py), the
window edges, and the cost: a constant number of queries whatever the number of cases."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment.counters import counter_case_ids, counters_compute, counters_for
from assessment.models import ObjectType, RegionLevelKey
from assessment.objects import levels_of
from assessment.passes import counters_together
from assessment.periods import window_for
from cases.models import Case
from citygrid.testing import case_ids_give
from patrol.counters import patrol_calendar

from . import scenario
from .conftest import at
from .test_hotline import EXPECTED as HOTLINE_EXPECTED

pytestmark = pytest.mark.django_db
OCTOBER = window_for(at(1).date(), at(1, month=11).date())


@pytest.fixture
def october(city):
    return scenario.build_october(city)


def _area(values: dict) -> dict:
    return {key: values[key] for key in scenario.zero_area()}


def test_unit_grids(city, october):
    counted = counters_compute(object_type=ObjectType.REGION, level=RegionLevelKey.GRID, window=OCTOBER)
    for index, expected in scenario.GRIDS.items():
        assert _area(counted[city.grids[index].pk]) == expected, f"grid {index}"


@pytest.mark.parametrize("level", [RegionLevelKey.DISTRICT, RegionLevelKey.STREET, RegionLevelKey.COMMUNITY])
def test_districts_streets_communities(city, october, level):
    counted = counters_compute(object_type=ObjectType.REGION, level=level, window=OCTOBER)
    east, west = city.grids[0], city.grids[2]
    field = {"district": "district_id", "street": "street_id", "community": "community_id"}[level]
    assert _area(counted[getattr(east, field)]) == scenario.EAST
    assert _area(counted[getattr(west, field)]) == scenario.WEST


def test_city(city, october):
    counted = counters_compute(object_type=ObjectType.REGION, level=RegionLevelKey.CITY, window=OCTOBER)
    assert _area(counted[city.city.pk]) == scenario.CITY
    assert scenario.CITY["reports"] == 12 and scenario.CITY["filed"] == 10
    assert scenario.CITY["due_handle"] == 7 and scenario.CITY["handled"] == 5


def test_departments(city, october):
    counted = counters_compute(object_type=ObjectType.DEPARTMENT, level=None, window=OCTOBER)
    for key, expected in scenario.DEPARTMENTS.items():
        assert _area(counted[city.departments[key].pk]) == expected, key


@pytest.mark.parametrize("object_type, expected", [
    (ObjectType.COLLECTOR, scenario.COLLECTORS),
    (ObjectType.OPERATOR, scenario.OPERATORS),
    (ObjectType.SHIFT_LEADER, scenario.SHIFT_LEADERS),
    (ObjectType.DISPATCHER, scenario.DISPATCHERS),
])
def test_positions(city, october, object_type, expected):
    counted = counters_compute(object_type=object_type, level=None, window=OCTOBER)
    for username, values in expected.items():
        assert counted[city.users[username].pk] == values, username
    # People of other roles never appear among a position's rows.
    role_users = {city.users[name].pk for name in expected}
    assert set(counted) <= role_users


def test_every_counter_is_checked_somewhere():
    checked = set(scenario.zero_area()) | {k for table in (scenario.COLLECTORS, scenario.OPERATORS,
                                                             scenario.SHIFT_LEADERS, scenario.DISPATCHERS)
                                          for values in table.values() for k in values}
    checked |= {key for values in HOTLINE_EXPECTED.values() for key in values}  # test_hotline.py
    for object_type in ObjectType.values:
        for counter in counters_for(object_type):
            assert counter.key in checked, (object_type, counter.key)


def test_a_month_before_and_after_counts_nothing_of_october(city, october):
    september = window_for(at(1, month=9).date(), at(1).date())
    counted = counters_compute(object_type=ObjectType.REGION, level=RegionLevelKey.CITY, window=september)
    sept = counted[city.city.pk]
    # C9 and C13 were reported and filed in September; C13 handled 30 Sep and its rework event.
    assert (sept["reports"], sept["filed"], sept["handled"], sept["reworked"], sept["closed"]) == (2, 2, 1, 1, 0)


def test_running_month_counts_deadlines_only_up_to_now(city, october):
    """Mid-October, C3's deadline (10 Oct) has passed but C14's (25 Oct) has not."""
    mid = window_for(at(1).date(), at(1, month=11).date(), now=at(15, 12))
    counted = counters_compute(object_type=ObjectType.REGION, level=RegionLevelKey.GRID, window=mid)
    assert counted[city.grids[1].pk]["overdue_unhandled"] == 1  # C3
    assert counted[city.grids[2].pk]["overdue_unhandled"] == 0  # C14 not yet due


@pytest.mark.parametrize("object_type, level, key, values", [
    (ObjectType.REGION, RegionLevelKey.GRID, "grid", scenario.GRIDS),
])
def test_drill_down_lists_exactly_the_counted_cases(city, october, object_type, level, key, values):
    for index, expected in values.items():
        for counter, value in expected.items():
            ids = counter_case_ids(object_type=object_type, level=level, object_id=city.grids[index].pk,
                                   key=counter, window=OCTOBER)
            assert Case.objects.filter(ids).count() == value, (index, counter)


def test_drill_down_of_people_and_derived_counters(city, october):
    def cases(object_type, username, key):
        q = counter_case_ids(object_type=object_type, level=None, object_id=city.users[username].pk, key=key,
                             window=OCTOBER)
        return set(Case.objects.filter(q).values_list("number", flat=True))

    c = october
    assert cases(ObjectType.SHIFT_LEADER, "shift_leader_b", "accurate_filed") == {c[7].number}
    assert cases(ObjectType.SHIFT_LEADER, "shift_leader_b", "voided") == {c[12].number}
    assert cases(ObjectType.DISPATCHER, "dispatcher", "dispatch_returned") == {c[8].number}
    assert cases(ObjectType.COLLECTOR, "collector_b", "verify_due") == {c[11].number}
    assert cases(ObjectType.COLLECTOR, "collector_a", "missed") == {c[3].number, c[4].number}
    assert cases(ObjectType.OPERATOR, "operator", "check_sent_on_time") == {c[1].number}


def test_constant_number_of_queries(city, october):
    from cases.models import Case as CaseModel

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            for object_type in ObjectType.values:
                levels = list(RegionLevelKey) if object_type == ObjectType.REGION else [None]
                for level in levels:
                    counters_compute(object_type=object_type, level=level, window=OCTOBER)
        return len(ctx.captured_queries)

    count_queries()  # the work calendar's tables, read once per process and kept (cases.calendar)
    before = count_queries()
    template = CaseModel.objects.get(pk=october[1].pk)
    clones = []
    for n in range(200):
        template.pk, template.number = None, f"X{n:010d}"
        clones.append(CaseModel(**{f.attname: getattr(template, f.attname) for f in CaseModel._meta.concrete_fields}))
    CaseModel.objects.bulk_create(case_ids_give(clones))  # ids of the template's month
    # per source table: regions 3 × 5 levels, departments 3, collectors 4, operators 2, leaders 1, dispatchers 1;
    # plus, per source counted by a person's role, one for the role's user ids (collectors 2, others 2, 1, 1);
    # plus the collectors' patrol figures (patrol.counters): the collectors, their responsibility grids,
    # patrol times, unit grids, shifts, grid visits, posts and check-ins; the hotline's lines 2 (calls,
    # cases taken) and agents 2, with their ids 2
    assert count_queries() == before == 5 * 3 + 3 + (4 + 2) + (2 + 2) + (1 + 1) + (1 + 1) + 8 + 2 + (2 + 2)


def test_all_region_levels_in_one_pass_equal_each_level_alone(city, october):
    levels = list(RegionLevelKey)
    with CaptureQueriesContext(connection) as ctx:
        together = counters_together({ObjectType.REGION: levels}, OCTOBER)[ObjectType.REGION]
    # The districts' cities, then cases, events, handling steps; on PostgreSQL the last two each
    # between a planner setting and its reset (passes.NO_HASH_JOIN).
    planner = 4 if connection.vendor == "postgresql" else 0
    assert len(ctx.captured_queries) == 4 + planner
    for level in levels:
        alone = counters_compute(object_type=ObjectType.REGION, level=level, window=OCTOBER)
        assert together[level] == alone, level


@pytest.mark.parametrize("window", [OCTOBER, window_for(at(1).date(), at(9).date())], ids=["month", "first days"])
def test_every_type_counted_together_equals_each_type_alone(city, october, window):
    jobs = {object_type: levels_of(object_type) for object_type in ObjectType.values}
    patrol_calendar().is_workday(window.start.date())  # the work calendar, read once and kept
    with CaptureQueriesContext(connection) as ctx:
        together = counters_together(jobs, window)
    # One pass per source table: on PostgreSQL one query each (the groupings as GROUPING SETS),
    # elsewhere one per grouping (cases: regions, departments, reporters; events and returned
    # handlings: regions, departments; steps: the shift leaders and dispatchers share completed_by,
    # the operators have a pass of their own). Plus the districts' cities and, per source counted
    # by a person's role, the role's ids; and the collectors' patrol figures (8, patrol.counters).
    # The hotline's calls and cases taken: two passes, each grouped by line and by agent.
    passes = 11 + 4 if connection.vendor == "postgresql" else 3 + 2 + 2 + 1 + 1 + 4 + 2 + 2  # + planner settings
    assert len(ctx.captured_queries) == passes + 1 + 8 + 8
    for object_type, levels in jobs.items():
        for level in levels:
            alone = counters_compute(object_type=object_type, level=level, window=window)
            assert together[object_type][level] == alone, (object_type, level)
    assert together[ObjectType.DISPATCHER][None] and together[ObjectType.REGION]["grid"]  # not two empty answers


# The first eight days of October ("2026-10-01..2026-10-08", window [1 Oct, 9 Oct)), by hand from
# the scenario's table: C7 (10 Oct) and everything later fall outside; C2 is handled on 8 Oct
# (inside) but closed on 9 Oct (outside: overdue unclosed); C2's check task is due 8 Oct 14:00 and
# done 9 Oct (missed in the range, done late in the month); C8's return ends on 8 Oct (inside),
# its extension on 9 Oct (outside).
FIRST_DAYS = {
    "department": {
        "sanitation_a": scenario.area(reports=4, collector_reports=2, valid_reports=2, public_reports=2, filed=4,
                                      due_handle=2, handled=2, handled_on_time=1, due_close=3, closed=2,
                                      closed_on_time=2, overdue_unclosed=1),
        "sanitation_b": scenario.area(returned=1),
        "municipal": scenario.area(reports=1, collector_reports=1, valid_reports=1, filed=1, due_handle=1, handled=1,
                                   handled_on_time=1, due_close=1, closed=1, closed_on_time=1,
                                   review_closed_on_time=1),  # C9, assigned by a review in September
    },
    "collector": {
        "collector_a": {"reports": 3, "valid_reports": 2, "grid_valid": 4, "missed": 2, "verify_done": 1,
                        "verify_on_time": 1, "verify_missed": 0, "verify_due": 1, "check_done": 1,
                        "check_on_time": 1, "check_missed": 1, "check_due": 2},
        "collector_b": {"reports": 1, "valid_reports": 1, "grid_valid": 1, "missed": 0, "verify_done": 0,
                        "verify_on_time": 0, "verify_missed": 0, "verify_due": 0, "check_done": 0,
                        "check_on_time": 0, "check_missed": 0, "check_due": 0},
    },
    "operator": {"operator": scenario.OPERATORS["operator"]},
    "shift_leader": {"shift_leader": {"filed": 4, "filed_on_time": 3, "voided": 0, "accurate_filed": 4, "closed": 2,
                                      "closed_on_time": 2}},
    "dispatcher": {"dispatcher": scenario.DISPATCHERS["dispatcher"]},
}


@pytest.mark.parametrize("object_type", list(FIRST_DAYS))
def test_a_date_range_for_every_object_type(city, october, object_type):
    from assessment.periods import period_spec_parse

    spec = period_spec_parse("2026-10-01..2026-10-08")
    counted = counters_compute(object_type=object_type, level=None, window=window_for(spec.start, spec.end))
    for name, expected in FIRST_DAYS[object_type].items():
        obj = city.departments[name] if object_type == "department" else city.users[name]
        values = counted.get(obj.pk, {})
        assert {key: values.get(key, 0) for key in expected} == expected, name
    # Nobody of the other district's desk did anything in those days: no row at all.
    absent = {"operator": "operator_b", "shift_leader": "shift_leader_b", "dispatcher": "dispatcher_b"}
    if object_type in absent:
        assert city.users[absent[object_type]].pk not in counted


def test_a_date_range_grades_only_those_with_something_to_rate(city, october, catalogue):
    from assessment.models import Composite
    from assessment.services import assessment_compute

    assessment_compute(period="2026-10-01..2026-10-08")
    results = {(row.object_type, row.object_id): row for row in Composite.objects.filter(
        period__label="2026-10-01..2026-10-08")}
    # 西区环卫所 only returned a case: every rate has a zero denominator → no composite, no grade, no rank.
    idle = results[("department", city.departments["sanitation_b"].pk)]
    assert (idle.score, idle.grade, idle.rank, idle.counters["returned"]) == (None, "", None, 1)
    idle = results[("operator", city.users["operator_b"].pk)]
    assert (idle.score, idle.grade, idle.rank) == (None, "", None)
    # 东区环卫所 by hand (bands scaled to 8/30 of a month: 4 filed reaches the "1" band, not "50"):
    # 立案数 60 × 10 % + 结案率 66.67 × 30 % + 按期处置率 50 × 30 % + (1 − 返工率 0/2) 100 × 30 % = 71.00.
    busy = results[("department", city.departments["sanitation_a"].pk)]
    assert (str(busy.score), busy.grade, busy.rank) == ("71.00", "C", 1)


@pytest.mark.postgres
def test_events_and_handlings_are_joined_to_their_cases_without_a_hash_and_the_setting_is_undone(city, october):
    with CaptureQueriesContext(connection) as ctx:
        counters_together({ObjectType.REGION: [RegionLevelKey.DISTRICT]}, OCTOBER)
    sql = [query["sql"] for query in ctx.captured_queries]
    for table in ("cases_caseevent", "cases_casestep"):
        # The pass over the table itself (the cases' pass may hold a subquery of events: 会审).
        position = next(n for n, text in enumerate(sql)
                        if text.startswith("SELECT") and f'FROM "{table}" INNER JOIN "cases_case"' in text)
        assert sql[position - 1] == "SET LOCAL enable_hashjoin = off" and sql[position + 1] == "RESET enable_hashjoin"
    case_query = next(text for text in sql if 'FROM "cases_case"' in text)
    assert sql[sql.index(case_query) - 1] != "SET LOCAL enable_hashjoin = off"  # the cases' own pass: no setting
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_hashjoin")
        assert cursor.fetchone()[0] == "on"


def test_region_levels_are_summed_from_their_groups_and_a_grid_under_two_communities_is_one_object():
    from assessment.passes import counters_assemble

    # (district, street, community, unit grid) groups of two passes, which count different counters;
    # grid 1000 appears under communities 100 and 101 (moved between two cases).
    cases = {(1, 10, 100, 1000): {"reports": 2}, (1, 10, 101, 1000): {"reports": 3}, (1, 11, 102, 1001): {"reports": 4},
             (1, 11, None, 1002): {"reports": 1}}
    events = {(1, 10, 100, 1000): {"reworked": 1}}
    levels = [RegionLevelKey.DISTRICT, RegionLevelKey.STREET, RegionLevelKey.COMMUNITY, RegionLevelKey.GRID]
    counted = counters_assemble(ObjectType.REGION, levels, [cases, events])
    reports = {level: {region: row["reports"] for region, row in rows.items()} for level, rows in counted.items()}
    assert reports == {"district": {1: 10}, "street": {10: 5, 11: 5}, "community": {100: 2, 101: 3, 102: 4},
                       "grid": {1000: 5, 1001: 4, 1002: 1}}
    assert counted["grid"][1000]["reworked"] == 1 and counted["district"][1]["reworked"] == 1
    assert counted["grid"][1001]["reworked"] == 0  # zeros filled in
    assert counted["grid"][1000]["due_handle"] == 0 and "valid_reports" in counted["street"][10]


def test_the_patrol_figures_are_collector_counters(city, clock):
    """A collector on duty 08:30-12:00 of one working day (half of the day's 450 patrol minutes),
    walking in one of their two unit grids: the counters a catalogue weighs as 在岗率 and 巡查覆盖率."""
    from citygrid.testing import at as city_at
    from citygrid.testing import point_in
    from patrol import services

    collector = city.users["collector_a"]
    clock.set("2025-03-05 08:30")
    services.duty_set(actor=collector, on_duty=True)
    lon, lat = point_in(0)
    services.points_record(actor=collector, points=[{"at": city_at("2025-03-05 08:31"), "lon": lon, "lat": lat}])
    clock.set("2025-03-05 12:00")
    services.duty_set(actor=collector, on_duty=False)
    clock.set("2025-03-06 09:00")
    day = window_for(city_at("2025-03-05 00:00").date(), city_at("2025-03-06 00:00").date())
    row = counters_compute(object_type=ObjectType.COLLECTOR, level=None, window=day)[collector.pk]
    assert (row["patrol_on_duty_minutes"], row["patrol_scheduled_minutes"]) == (210, 450)
    assert (row["patrol_grid_days_walked"], row["patrol_grid_days_due"]) == (1, 2)
    assert (row["patrol_checkins_made"], row["patrol_checkins_due"]) == (0, 0)
    together = counters_together({ObjectType.COLLECTOR: [None]}, day)[ObjectType.COLLECTOR][None][collector.pk]
    assert together == row
