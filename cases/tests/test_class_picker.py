"""The class picker (cases.selectors.class_picker, cases.class_picker_views): matching by code,
name, pinyin initials and full pinyin; the active edition unless asked; the person's most used
first in one query; the JSON's scope and bad input; the pages that embed it."""
import json
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.selectors.class_picker import (
    RECENT_DAYS,
    class_match_rank,
    class_picker_data,
    class_rows,
    class_search,
    classes_most_used,
    edition_active,
    name_pinyin,
)
from cases.tests.helpers import report
from grids.models import ClassKind, Edition, LimitUnit, MajorClass, MinorClass

pytestmark = pytest.mark.django_db


def parking_classes(city) -> dict[str, MinorClass]:
    """机动车乱停放 in both editions (0505 legacy, 09009 of 2026) with their rules, and a class of
    the 2026 edition whose name shares no initials with it."""
    legacy_major = MajorClass.objects.get(edition=Edition.LEGACY, kind=ClassKind.EVENT, code="05")
    traffic = MajorClass.objects.create(edition=Edition.STD2026, kind=ClassKind.MATTER, code="09", name="交通秩序")
    city.classes["parking_legacy"] = MinorClass.objects.create(
        major=legacy_major, edition=Edition.LEGACY, kind=ClassKind.EVENT, code="0505", name="机动车乱停放",
        filing_conditions="占用人行道停放\n影响通行", closure_condition="车辆驶离",
        limit_unit=LimitUnit.WORK_HOURS, limit_normal=4, limit_urgent=1)
    city.classes["parking"] = MinorClass.objects.create(
        major=traffic, edition=Edition.STD2026, kind=ClassKind.MATTER, code="09009", name="机动车乱停放",
        filing_conditions="机动车占用人行道、绿地停放", closure_condition="车辆已驶离或已处罚",
        limit_unit=LimitUnit.WORK_DAYS, limit_normal=2, limit_urgent=1)
    city.classes["bikes"] = MinorClass.objects.create(
        major=traffic, edition=Edition.STD2026, kind=ClassKind.MATTER, code="09010", name="共享单车乱停放",
        limit_unit=LimitUnit.WORK_HOURS, limit_normal=8, limit_urgent=2)
    return city.classes


@pytest.fixture
def classes(city, settings):
    settings.CLASS_EDITION = Edition.STD2026
    return parking_classes(city)


def codes(rows) -> list[tuple[str, str]]:
    return [(row["edition"], row["code"]) for row in rows]


def test_pinyin_keys_of_a_name():
    assert name_pinyin("机动车乱停放") == ("jdcltf", "jidongcheluantingfang")
    assert name_pinyin("LED显示屏（户外）") == ("ledxsphw", "ledxianshipinghuwai")


@pytest.mark.parametrize(("query", "expected"), [
    ("09009", [("std2026", "09009")]),                   # code prefix
    ("0505", []),                                        # the other edition's code: not unless asked
    ("090", [("std2026", "09009"), ("std2026", "09010")]),
    ("jdc", [("std2026", "09009")]),                     # pinyin initials
    ("JDC", [("std2026", "09009")]),
    ("jidongche", [("std2026", "09009")]),               # full pinyin
    ("ji dong che", [("std2026", "09009")]),
    ("乱停放", [("std2026", "09009"), ("std2026", "09010")]),  # name substring
    ("ltf", [("std2026", "09009"), ("std2026", "09010")]),     # initials inside the name
    ("机动车", [("std2026", "09009")]),
    ("xyz", []),
    ("5", []),                                           # a digit matches codes from their start only
])
def test_matching_in_the_active_edition(classes, query, expected):
    rows = class_rows()
    found = [row for row in class_search(rows, query, edition=edition_active()) if row["code"].startswith(("05", "09"))]
    assert codes(found) == expected


def test_the_other_edition_only_when_asked_and_after_the_active_one(classes):
    rows = class_rows()
    assert codes(class_search(rows, "jdcltf", edition=Edition.STD2026)) == [("std2026", "09009")]
    assert codes(class_search(rows, "jdcltf", edition=Edition.STD2026, other_editions=True)) == [
        ("std2026", "09009"), ("legacy4", "0505")]
    assert codes(class_search(rows, "jdcltf", edition=Edition.LEGACY)) == [("legacy4", "0505")]


def test_a_name_prefix_ranks_before_a_substring(classes):
    rows = class_rows()
    assert class_match_rank(next(r for r in rows if r["code"] == "09009"), "机动") == 1
    assert class_match_rank(next(r for r in rows if r["code"] == "09010"), "乱停") == 2
    assert codes(class_search(rows, "停放", edition=Edition.STD2026)) == [("std2026", "09009"), ("std2026", "09010")]


def test_inactive_classes_are_not_offered(classes):
    MinorClass.objects.filter(pk=classes["bikes"].pk).update(is_active=False)
    assert ("std2026", "09010") not in codes(class_rows())


def test_rows_carry_the_rules_and_limits(classes):
    row = next(r for r in class_rows(editions=[Edition.STD2026]) if r["code"] == "09009")
    assert row["filing"] == ["机动车占用人行道、绿地停放"]
    assert row["closure"] == "车辆已驶离或已处罚"
    assert (row["normal"], row["urgent"], row["unit"]) == (2, 1, "工作日")
    assert row["group"] == "管理事项 · 09 交通秩序"
    assert row["py"] == "jdcltf" and row["pinyin"] == "jidongcheluantingfang"


def test_the_persons_most_used_first_in_one_query(classes, city, django_assert_num_queries):
    for dx in (0.1, 0.2, 0.3):
        report(city, by="operator", cls="bikes", dx=dx, description=f"单车 {dx}")
    report(city, by="operator", cls="parking", dx=0.4, description="汽车")
    report(city, by="operator_b", cls="parking", dx=0.6, description="别人的")  # someone else's
    report(city, by="operator_b", cls="parking", dx=0.7, description="别人的 2")
    with mock.patch.object(timezone, "now", return_value=timezone.now() - timedelta(days=RECENT_DAYS + 1)):
        report(city, by="operator", cls="garbage", dx=0.8)  # reported then: its id carries that month
    operator = city.users["operator"]
    with django_assert_num_queries(1):
        used = classes_most_used(operator)
    assert used == [classes["bikes"].pk, classes["parking"].pk]
    assert classes_most_used(city.users["operator_b"]) == [classes["parking"].pk]
    assert classes_most_used(city.users["dispatcher"]) == []
    rows = class_rows()
    # Most used first, even before a better match: "乱停放" is a substring of 共享单车乱停放 only.
    assert codes(class_search(rows, "ltf", edition=Edition.STD2026, most_used=used)) == [
        ("std2026", "09010"), ("std2026", "09009")]


def test_picker_data_is_two_queries_whatever_the_number_of_classes(classes, city, django_assert_num_queries):
    operator = city.users["operator"]
    with django_assert_num_queries(2):
        small = class_picker_data(operator)
    major = MajorClass.objects.get(edition=Edition.STD2026, code="09")
    MinorClass.objects.bulk_create(MinorClass(major=major, edition=Edition.STD2026, kind=ClassKind.MATTER,
                                              code=f"09{n:03d}", name=f"测试类{n}") for n in range(100, 160))
    with django_assert_num_queries(2):
        large = class_picker_data(operator)
    assert len(large["classes"]) == len(small["classes"]) + 60
    assert small["edition"] == Edition.STD2026
    assert class_picker_data(operator, edition=Edition.LEGACY, other_editions=False)["classes"] and all(
        row["edition"] == Edition.LEGACY for row in class_picker_data(operator, edition=Edition.LEGACY,
                                                                      other_editions=False)["classes"])


def test_an_unknown_edition_setting_is_refused(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.CLASS_EDITION = "2099"
    with pytest.raises(ImproperlyConfigured):
        edition_active()


# --- the JSON ------------------------------------------------------------------------------------

def get_json(city, username: str | None, **params):
    client = Client()
    if username:
        client.force_login(city.users[username])
    return client.get(reverse("cases:classes"), params)


@pytest.mark.parametrize(("username", "status"), [
    ("operator", 200), ("shift_leader", 200), ("dispatcher", 200), ("hotline_agent", 200), ("manager", 200),
    ("handler_a", 403), ("collector_a", 403), (None, 401),
])
def test_json_scope(classes, city, username, status):
    response = get_json(city, username, q="jdc")
    assert response.status_code == status
    if status != 200:
        assert response.json()["detail"]


def test_json_matches_and_orders(classes, city, django_assert_num_queries):
    report(city, by="operator", cls="bikes", dx=0.2)
    client = Client()
    client.force_login(city.users["operator"])
    url = reverse("cases:classes")
    client.get(url)  # the session and the user loaded once
    with django_assert_num_queries(4):  # session, user, most used, classes
        body = client.get(url, {"q": "ltf", "other": "1"}).json()
    assert body["edition"] == "std2026"
    assert codes(body["results"]) == [("std2026", "09010"), ("std2026", "09009"), ("legacy4", "0505")]
    assert body["mostUsed"] == [classes["bikes"].pk]
    legacy = client.get(url, {"q": "jdc", "edition": "legacy4"}).json()
    assert codes(legacy["results"]) == [("legacy4", "0505")]


@pytest.mark.parametrize(("params", "message"), [
    ({"edition": "2099"}, "未知的标准版本"),
    ({"other": "yes"}, "other"),
    ({"q": "x" * 51}, "50"),
])
def test_json_bad_input_is_a_400_in_chinese(classes, city, params, message):
    response = get_json(city, "operator", **params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


# --- the pages -----------------------------------------------------------------------------------

def embedded(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="class-picker-data" type="application/json">') + len(
        '<script id="class-picker-data" type="application/json">')
    return json.loads(html[start:html.index("</script>", start)])


def test_intake_form_embeds_both_editions_with_the_active_one_first(classes, city):
    client = Client()
    client.force_login(city.users["operator"])
    response = client.get(reverse("cases:report_new"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-class-picker="class-picker-data"' in html
    assert "citygrid/js/class_picker.js" in html
    data = embedded(response)
    assert data["edition"] == "std2026"
    assert {row["edition"] for row in data["classes"]} == {"std2026", "legacy4"}
    # Without JavaScript the select tells the two 机动车乱停放 apart, the active edition's first.
    assert html.index("09009 机动车乱停放") < html.index("0505 机动车乱停放")
    assert "（std2026）" in html and "（legacy4）" in html


def test_intake_form_posts_the_picked_class(classes, city):
    from citygrid.testing import point_in

    client = Client()
    client.force_login(city.users["operator"])
    lon, lat = point_in(0)
    response = client.post(reverse("cases:report_new"), {
        "source": "hotline_12319", "minor": classes["parking"].pk, "urgency": "normal",
        "description": "人行道上停满汽车", "lon": lon, "lat": lat})
    assert response.status_code == 302
    assert Case.objects.get(description="人行道上停满汽车").minor_id == classes["parking"].pk


def test_file_form_keeps_the_case_edition(classes, city):
    from cases.tests.helpers import case_build

    case = case_build(city, "reported", cls="parking_legacy", department=None)
    client = Client()
    client.force_login(city.users["shift_leader"])
    response = client.get(reverse("cases:case", args=[case.pk]))
    assert response.status_code == 200
    data = embedded(response)
    assert data["edition"] == "legacy4"
    assert {row["edition"] for row in data["classes"]} == {"legacy4"}
    assert 'id="id_file-minor"' in response.content.decode()


def test_a_page_without_a_class_field_embeds_nothing(classes, city):
    from cases.tests.helpers import case_build

    case = case_build(city, "reported", cls="parking_legacy", department=None)
    client = Client()
    client.force_login(city.users["dispatcher"])
    assert "class-picker-data" not in client.get(reverse("cases:case", args=[case.pk])).content.decode()


def test_hotline_desk_embeds_the_picker_for_agents(classes, city):
    client = Client()
    client.force_login(city.users["hotline_agent"])
    response = client.get(reverse("hotline:home"))
    assert response.status_code == 200
    assert 'id="id_minor_id"' in response.content.decode()
    assert embedded(response)["edition"] == "std2026"


def test_embedded_rows_share_their_texts_in_utf8_and_cannot_close_the_script(classes, city):
    MinorClass.objects.filter(pk=classes["bikes"].pk).update(closure_condition="</script><script>alert(1)</script>",
                                                             filing_conditions="占用人行道停放\n影响通行")
    client = Client()
    client.force_login(city.users["operator"])
    response = client.get(reverse("cases:report_new"))
    html = response.content.decode()
    assert "<script>alert(1)" not in html and "\\u003C/script\\u003E" in html
    assert '"机动车乱停放"' in html  # UTF-8, not \\uXXXX
    data = embedded(response)
    rows = {row["code"]: row for row in data["classes"]}
    # The two classes with the same filing conditions point at one text.
    assert rows["09010"]["filing"] == rows["0505"]["filing"]
    assert data["texts"][rows["09010"]["filing"]] == "占用人行道停放\n影响通行"
    assert data["texts"][rows["09010"]["closure"]] == "</script><script>alert(1)</script>"
    assert data["texts"][rows["09009"]["unit"]] == "工作日"
