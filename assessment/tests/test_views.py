"""The managers' pages: access, every page renders from the stored results, numbers link to
the cases behind them (and the list has exactly that many), Excel exports open, POST actions."""
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from assessment.models import Composite, Period, RecomputeAudit, Snapshot
from assessment.services import assessment_compute

from . import scenario

pytestmark = pytest.mark.django_db
LABEL = "2026-10"


@pytest.fixture
def computed(city, catalogue):
    cases = scenario.build_october(city)
    assessment_compute(period=LABEL)
    return cases


@pytest.fixture
def browser(manager):
    client = Client()
    client.force_login(manager)
    return client


def _xlsx(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    body = b"".join(response.streaming_content)
    rows = load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(values_only=True)
    return [_without_trailing_blanks(row) for row in rows]


def _without_trailing_blanks(row: tuple) -> tuple:
    """A row as written: the reader pads every row to the sheet's widest (its stated extent)."""
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return row[:end]


def test_only_managers(city, catalogue, client_as, collector_a, operator):
    for user in (collector_a, operator):
        client = Client()
        client.force_login(user)
        assert client.get(reverse("assessment:overview", args=[LABEL])).status_code == 403
    assert Client().get(reverse("assessment:overview", args=[LABEL])).status_code == 302  # to login


def test_home_redirects_to_a_period(browser, computed):
    response = browser.get(reverse("assessment:home"))
    assert response.status_code == 302 and response["Location"].endswith(f"/assessment/{LABEL}/")
    response = browser.get(reverse("assessment:home"), {"period": "2026-q3"})
    assert response["Location"].endswith("/assessment/2026-Q3/")
    assert browser.get(reverse("assessment:home"), {"period": "bad"}).status_code == 404


def test_overview(browser, computed, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        response = browser.get(reverse("assessment:overview", args=[LABEL]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "测试市" in html and "东区" in html and "市政设施管理处" in html
    assert 'data-echarts="chart-grades"' in html and "vendor/echarts/echarts.min.js" in html
    # Nothing loaded from outside (an intranet has no CDN): no script, style or image by absolute URL.
    # (Not a search for "cdn": the page's random CSRF token once contained those letters.)
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_uncomputed_period_offers_to_compute(browser, city, catalogue):
    response = browser.get(reverse("assessment:overview", args=["2026-08"]))
    assert response.status_code == 200 and "尚未计算" in response.content.decode()
    assert not Period.objects.filter(label="2026-08").exists()  # reading writes nothing
    response = browser.post(reverse("assessment:compute", args=["2026-08"]))
    assert response.status_code == 302 and Period.objects.get(label="2026-08").computed_at


@pytest.mark.parametrize("object_type, level", [
    ("region", "district"), ("region", "street"), ("region", "community"), ("region", "grid"),
    ("region", "city"), ("department", ""), ("collector", ""), ("operator", ""), ("shift_leader", ""),
    ("dispatcher", ""),
])
def test_rankings_and_their_export(browser, computed, object_type, level, django_assert_max_num_queries):
    url = reverse("assessment:ranking", args=[LABEL, object_type]) + (f"?level={level}" if level else "")
    with django_assert_max_num_queries(12):
        response = browser.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="grade grade-' in html
    rows = _xlsx(browser.get(url + ("&" if level else "?") + "export=xlsx"))
    stored = Composite.objects.filter(period__label=LABEL, object_type=object_type)
    if level:
        stored = stored.filter(level=level)
    elif object_type != "region":
        pass
    assert len(rows) == 2 + stored.count()  # note row, header row, one per object


def test_ranking_grades_are_coloured_and_ordered(browser, computed, city):
    html = browser.get(reverse("assessment:ranking", args=[LABEL, "department"])).content.decode()
    assert html.index("市政设施管理处") < html.index("东区环卫所") < html.index("西区环卫所")
    assert '<span class="grade grade-A"' in html and '<span class="grade grade-E"' in html


def test_object_page_counters_indicators_trend_and_export(browser, computed, city):
    department = city.departments["sanitation_a"]
    assessment_compute(period="2026-09")
    url = reverse("assessment:object", args=[LABEL, "department", "district", department.pk])
    response = browser.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "68.50" in html and "按期处置率" in html and "应处置数" in html and "chart-trend" in html
    assert "2025-11" in html and "2026-10" in html  # 12 months
    rows = _xlsx(browser.get(url + "?export=xlsx"))
    assert ("应处置数", "due_handle", 3) in rows
    # The 12-month trend table goes with it: September and October computed, the rest empty.
    months = next(row for row in rows if row and row[0] == "近 12 个月趋势")
    composite = rows[rows.index(months) + 1]
    assert months[1:] == tuple(f"{y}-{m:02d}" for y, m in [(2025, 11), (2025, 12)] + [(2026, n) for n in range(1, 11)])
    assert composite[0] == "综合指标值" and composite[-1] == 68.5 and composite[1] is None
    # Each indicator with its target and its change on September (环比) and a year before (同比).
    header = next(row for row in rows if row and row[0] == "指标")
    assert header[6:] == ("目标值", "环比 2026-09", "同比 2025-10")
    line = next(row for row in rows if row and row[0] == "按期处置率") + (None,) * 9  # trailing blanks
    september = Snapshot.objects.get(period__label="2026-09", object_type="department", object_id=department.pk,
                                     indicator_code="ontime_handling_rate")
    october = Snapshot.objects.get(period__label=LABEL, object_type="department", object_id=department.pk,
                                   indicator_code="ontime_handling_rate")
    expected = None if september.value is None else float(october.value - september.value)
    assert expected is not None  # September has a figure to compare with
    assert line[3] == float(october.value) and line[7] == expected and line[8] is None
    assert browser.get(reverse("assessment:object", args=[LABEL, "department", "district", 999999])).status_code == 404


def test_every_number_drills_down_to_as_many_cases(browser, computed, city):
    """Each counter link on the object page lists exactly the number shown."""
    for object_type, level, object_id in [("region", "grid", city.grids[1].pk),
                                          ("department", "district", city.departments["sanitation_a"].pk),
                                          ("collector", "district", city.users["collector_a"].pk),
                                          ("dispatcher", "city", city.users["dispatcher"].pk),
                                          ("operator", "district", city.users["operator_b"].pk),
                                          ("shift_leader", "district", city.users["shift_leader_b"].pk)]:
        composite = Composite.objects.get(period__label=LABEL, object_type=object_type, object_id=object_id,
                                          level=level)
        html = browser.get(reverse("assessment:object", args=[LABEL, object_type, level, object_id])).content.decode()
        links = re.findall(r'href="(/assessment/2026-10/drill/[^"]+)">(\d+)</a>', html)
        assert links
        for href, value in links:
            page = browser.get(href.replace("&amp;", "&")).content.decode()
            listed = int(re.search(r"共 (\d+) 件", page).group(1))
            key = href.rstrip("/").split("/")[-1]
            assert listed == int(value) == composite.counters[key], (object_type, href)


def test_drill_down_list_links_cases_and_exports(browser, computed, city):
    url = reverse("assessment:drill", args=[LABEL, "region", "grid", city.grids[1].pk, "overdue_unhandled"])
    html = browser.get(url).content.decode()
    assert computed[3].number in html and f'/cases/{computed[3].pk}/' in html
    rows = _xlsx(browser.get(url + "?export=xlsx"))
    assert rows[2][0] == computed[3].number and len(rows) == 3
    assert browser.get(url.replace("overdue_unhandled", "nonsense")).status_code == 404


def test_distribution_by_class_and_source(browser, computed, city):
    html = browser.get(reverse("assessment:distribution", args=[LABEL])).content.decode()
    assert "暴露垃圾" in html and "chart-pareto" in html and "chart-source" in html
    assert "监督员上报" in html
    rows = _xlsx(browser.get(reverse("assessment:distribution", args=[LABEL]) + "?export=class"))
    assert rows[1][:4] == ("0101", "暴露垃圾", "市容环境", 12)
    rows = _xlsx(browser.get(reverse("assessment:distribution", args=[LABEL]) + "?export=source"))
    assert sum(row[1] for row in rows[1:]) == 12
    # The class row drills into the city's reports of that class.
    link = re.search(r'href="([^"]+reports/\?minor=\d+)">12</a>', html).group(1)
    assert "共 12 件" in browser.get(link).content.decode()


def test_hotspots_map_and_table(browser, computed, city):
    html = browser.get(reverse("assessment:hotspots", args=[LABEL])).content.decode()
    assert 'data-geo="geo-hotspots"' in html and city.grids[0].code in html
    rows = _xlsx(browser.get(reverse("assessment:hotspots", args=[LABEL]) + "?export=xlsx"))
    assert sorted(row[4] for row in rows[1:]) == [3, 3, 3, 3]


def test_leaders(browser, computed, city):
    html = browser.get(reverse("assessment:leaders", args=[LABEL])).content.decode()
    assert "超期未处置：专业部门" in html and "东区环卫所" in html
    rows = _xlsx(browser.get(reverse("assessment:leaders", args=[LABEL]) + "?export=rework_departments"))
    assert rows[1][1] == "西区环卫所" and rows[1][4] == 1


def test_bulletin_is_printable(browser, computed):
    html = browser.get(reverse("assessment:bulletin", args=[LABEL])).content.decode()
    assert "综合评价通报" in html and "data-print" in html and "数据未冻结" in html
    assert "区/县综合评价排名" in html and "专业部门（区级）综合评价排名" in html and "暴露垃圾" in html
    assert "监督员（区级）综合评价排名" in html
    # On screen every number still drills down, and every table exports.
    assert re.search(r'href="/assessment/2026-10/drill/region/city/\d+/filed/">10</a>', html)
    assert "/assessment/2026-10/ranking/department/?export=xlsx" in html
    assert "/assessment/2026-10/ranking/region/?level=district&amp;export=xlsx" in html
    try:
        from hotline.selectors import hotline_figures  # noqa: F401  (optional app)
    except ImportError:
        return
    assert "办结率" in html


def test_freeze_and_recompute_from_the_page(browser, computed, manager):
    assert browser.post(reverse("assessment:freeze", args=[LABEL])).status_code == 302
    assert Period.objects.get(label=LABEL).is_frozen
    html = browser.get(reverse("assessment:overview", args=[LABEL])).content.decode()
    assert "重算已冻结周期" in html
    response = browser.post(reverse("assessment:compute", args=[LABEL]), HTTP_REFERER="/assessment/2026-10/")
    assert response.status_code == 302  # refused with a message, not a 500
    browser.post(reverse("assessment:recompute", args=[LABEL]), {"note": ""})
    assert not RecomputeAudit.objects.exists()
    browser.post(reverse("assessment:recompute", args=[LABEL]), {"note": "数据更正"})
    assert RecomputeAudit.objects.get().actor == manager


def test_schedule_page(browser):
    html = browser.get(reverse("assessment:schedule")).content.decode()
    # Each task by what it does and when, its Celery name beside it for the logs.
    assert "<td>标记超期环节</td>" in html and "<td>发布上周通报</td>" in html
    assert "<td>每分钟</td>" in html and "<td>每 30 秒</td>" in html and "<td>每周一 00:45</td>" in html and "<td>每小时第 5 分</td>" in html
    assert "<td>每月 1 日 03:30</td>" in html and "<td>每天 03:15</td>" in html
    assert "assessment.compute_hourly" in html and "cases.mark_overdue" in html


def test_every_scheduled_task_has_a_name_for_people():
    from assessment.schedule import describe_schedule, schedule_entries

    entries = schedule_entries()
    assert entries and [entry.name for entry in entries if entry.label == entry.task] == []
    assert describe_schedule(90.0) == "每 90 秒" and describe_schedule(86400.0) == "每 24 小时"
    from celery.schedules import crontab

    assert describe_schedule(crontab(minute="*/10")) == "crontab：分 */10 时 * 日 * 月 * 周 *"


def test_a_district_manager_sees_only_the_district(city, computed):
    from grids.models import Role, User

    boss = User.objects.create_user(username="boss_west", password="x", role=Role.MANAGER, region=city.districts[1])
    client = Client()
    client.force_login(boss)
    html = client.get(reverse("assessment:ranking", args=[LABEL, "department"])).content.decode()
    assert "西区环卫所" in html and "东区环卫所" not in html
    east = city.districts[0].pk
    assert client.get(reverse("assessment:object", args=[LABEL, "region", "district", east])).status_code == 404


@pytest.mark.parametrize(("label", "title"), [("2026-10", "月度通报"), ("2026-W42", "周通报"), ("2026-10-14", "日通报"),
                                              ("2026-Q4", "季度通报")])
def test_bulletin_titled_by_its_period(browser, computed, label, title):
    html = browser.get(reverse("assessment:bulletin", args=[label])).content.decode()
    assert f"<title>{title} {label}" in html
