"""The workbench pages through Django's test client: each role's home, the case page's buttons, the
action forms' errors, scope, search and export, the overview, and constant query counts."""
import io
import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from cases import services, workflow
from cases.models import Case, Source, State
from citygrid.testing import point_in

pytestmark = pytest.mark.django_db


def photo(name: str = "photo.png") -> SimpleUploadedFile:
    """A real, tiny PNG as an upload."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), "green").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- building cases through the services, as the pages would ------------------------------------

def report(city, *, x: int = 0, minor: str = "garbage", source: str = Source.COLLECTOR,
           description: str = "路边有暴露垃圾", dx: float = 0.5) -> Case:
    lon, lat = point_in(x, dx=dx)
    actor = city.users["collector_a" if x < 2 else "collector_b"] if source == Source.COLLECTOR else None
    return services.case_report(actor=actor, source=source, minor_id=city.classes[minor].pk, lon=lon, lat=lat,
                                description=description).case


def advance(city, case: Case, to: str) -> Case:
    """Carry a reported case along the loop until it reaches state `to` (the happy path)."""
    u = city.users
    handler = "handler_a" if case.district_id == city.districts[0].pk else "handler_b"
    path = [
        ("filed", lambda: (workflow.case_propose_file(actor=u["operator"], case_id=case.pk),
                           workflow.case_file(actor=u["shift_leader"], case_id=case.pk))),
        ("dispatched", lambda: workflow.case_dispatch(
            actor=u["dispatcher"], case_id=case.pk,
            department_id=Case.objects.get(pk=case.pk).suggested_department_id or city.departments["municipal"].pk)),
        ("handled", lambda: services.case_move(action="report_handled", actor=u[handler], case_id=case.pk, note="已清理",
                                                              photos=[photo()])),
        ("checking", lambda: workflow.case_send_check(actor=u["operator"], case_id=case.pk)),
        ("checked", lambda: workflow.case_check_pass(
            actor=u["collector_a" if handler == "handler_a" else "collector_b"], case_id=case.pk)),
        ("closed", lambda: workflow.case_close(actor=u["shift_leader"], case_id=case.pk)),
    ]
    for state, move in path:
        move()
        if state == to:
            break
    return Case.objects.get(pk=case.pk)


def login(client, city, name: str):
    client.force_login(city.users[name])
    return client


def action_ids(response) -> set[str]:
    html = response.content.decode()
    from cases.transitions import TRANSITIONS

    return {name for name in TRANSITIONS if f'id="action-{name}"' in html}


# --- homes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("username", "target"), [
    ("operator", "cases:operator"),
    ("shift_leader", "cases:shift_leader"),
    ("dispatcher", "cases:dispatcher"),
    ("handler_a", "cases:department"),
    ("collector_a", "cases:collector"),
    ("manager", "cases:overview"),
])
def test_home_lands_on_the_role_page(city, client, username, target):
    login(client, city, username)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse(target)
    assert client.get(response["Location"]).status_code == 200


def test_hotline_agent_home_goes_somewhere_useful(city, client):
    login(client, city, "hotline_agent")
    response = client.get("/", follow=True)
    assert response.status_code == 200


def test_anonymous_is_sent_to_login(client):
    response = client.get("/work/operator/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_page_and_login(city, client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "登录" in page.content.decode()
    from citygrid.testing import PASSWORD

    response = client.post("/accounts/login/", {"username": "operator", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:operator")


def test_role_pages_refuse_other_roles(city, client):
    login(client, city, "handler_a")
    assert client.get(reverse("cases:operator")).status_code == 403
    assert client.get(reverse("cases:dispatcher")).status_code == 403


def test_operator_queue_lists_new_reports_most_urgent_first(city, client):
    older = report(city, description="旧的上报")
    urgent = services.case_report(actor=None, source=Source.HOTLINE_12319, minor_id=city.classes["garbage"].pk,
                                  lon=point_in(1)[0], lat=point_in(1)[1], description="热线：紧急",
                                  urgency="urgent").case
    Case.objects.filter(pk=urgent.pk).update(current_deadline=older.current_deadline - timedelta(minutes=5))
    login(client, city, "operator")
    html = client.get(reverse("cases:operator")).content.decode()
    assert html.index(urgent.number) < html.index(older.number)
    assert "12319热线" in html
    assert 'data-key="v"' in html and 'data-key="f"' in html  # send-verify and forward to filing
    assert "light-green" in html


def test_operator_sees_verify_results_and_handled_cases(city, client):
    case = report(city)
    workflow.case_send_verify(actor=city.users["operator"], case_id=case.pk)
    workflow.case_verify(actor=city.users["collector_a"], case_id=case.pk, is_true=False, note="现场无垃圾")
    handled = advance(city, report(city, x=1, description="第二件"), "handled")
    login(client, city, "operator")
    html = client.get(reverse("cases:operator")).content.decode()
    assert "现场无垃圾" in html and "不属实" in html
    assert handled.number in html and 'data-key="c"' in html  # send check


def test_shift_leader_sees_cases_to_file_close_and_suspensions(city, client):
    to_file = report(city)
    workflow.case_propose_file(actor=city.users["operator"], case_id=to_file.pk)
    to_close = advance(city, report(city, x=1), "checked")
    suspended = advance(city, report(city, dx=0.2), "dispatched")
    workflow.case_request_suspension(actor=city.users["handler_a"], case_id=suspended.pk, until=timezone.localdate() + timedelta(days=30), note="需市政工程配合")
    login(client, city, "shift_leader")
    html = client.get(reverse("cases:shift_leader")).content.decode()
    for number in (to_file.number, to_close.number, suspended.number):
        assert number in html
    assert "需市政工程配合" in html
    assert "东区环卫所" in html  # the suggested department of the case to file


def test_dispatcher_sees_suggestion_owner_unknown_returns_extensions_overdue(city, client):
    known = advance(city, report(city), "filed")
    unknown = advance(city, report(city, x=1, minor="vending", description="游商占道"), "filed")
    returned = advance(city, report(city, dx=0.3), "dispatched")
    workflow.case_return(actor=city.users["handler_a"], case_id=returned.pk, reason_code="wrong_location",
                         note="不属于本所辖区")
    extension = advance(city, report(city, dx=0.7), "dispatched")
    workflow.case_request_extension(actor=city.users["handler_a"], case_id=extension.pk, note="需要采购设备",
                                    requested_deadline=timezone.now() + timedelta(days=10))
    Case.objects.filter(pk=extension.pk).update(current_deadline=timezone.now() - timedelta(hours=1))
    login(client, city, "dispatcher")
    html = client.get(reverse("cases:dispatcher")).content.decode()
    assert known.number in html and "东区环卫所" in html
    assert unknown.number in html and "权属不明" in html
    assert returned.number in html and "不属于本所辖区" in html and "部门回退" in html
    assert "需要采购设备" in html
    assert html.count(extension.number) >= 2  # in the extension requests and among the overdue


def test_department_inbox_shows_own_cases_with_deadlines(city, client):
    mine = advance(city, report(city), "dispatched")
    theirs = advance(city, report(city, x=2), "dispatched")
    login(client, city, "handler_a")
    html = client.get(reverse("cases:department")).content.decode()
    assert mine.number in html and theirs.number not in html
    assert "light-" in html and "处置" in html
    for key in ('data-key="h"', 'data-key="r"', 'data-key="e"', 'data-key="s"'):
        assert key in html


def test_collector_sees_tasks(city, client):
    case = report(city)
    workflow.case_send_verify(actor=city.users["operator"], case_id=case.pk)
    login(client, city, "collector_a")
    html = client.get(reverse("cases:collector")).content.decode()
    assert case.number in html
    login(client, city, "collector_b")
    assert case.number not in client.get(reverse("cases:collector")).content.decode()


# --- the case page -------------------------------------------------------------------------------

def test_case_page_shows_everything_and_only_allowed_buttons(city, client):
    case = report(city)
    login(client, city, "operator")
    response = client.get(reverse("cases:case", args=[case.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert case.number in html and "路边有暴露垃圾" in html
    assert "case-map-data" in html and city.grids[0].code in html  # the grid outline for the map
    assert "上报" in html  # the timeline
    assert action_ids(response) == {"send_verify", "propose_file", "merge"}

    login(client, city, "shift_leader")
    assert action_ids(client.get(reverse("cases:case", args=[case.pk]))) == {"file", "void", "merge"}
    login(client, city, "dispatcher")
    assert action_ids(client.get(reverse("cases:case", args=[case.pk]))) == {"urge"}
    login(client, city, "manager")
    assert action_ids(client.get(reverse("cases:case", args=[case.pk]))) == {"urge"}

    advance(city, case, "dispatched")
    login(client, city, "handler_a")
    response = client.get(reverse("cases:case", args=[case.pk]))
    assert action_ids(response) == {"return", "request_extension", "request_suspension", "report_handled"}
    assert 'enctype="multipart/form-data"' in response.content.decode()


def test_case_page_names_the_community_once(city, client):
    """位置 names the community unless the address already does (望月社区3号楼 is not 望月社区 · 望月社区3号楼)."""
    case = report(city)
    community = case.community.name
    login(client, city, "operator")

    def location() -> str:
        html = client.get(reverse("cases:case", args=[case.pk])).content.decode()
        start = html.index("<dt>位置</dt><dd>") + len("<dt>位置</dt><dd>")
        return html[start:html.index("</dd>", start)]

    Case.objects.filter(pk=case.pk).update(address=f"{community}3号楼东侧")
    assert location() == f"{case.district.name} · {case.street.name} · {community}3号楼东侧"
    Case.objects.filter(pk=case.pk).update(address="人民路12号")
    assert location() == f"{case.district.name} · {case.street.name} · {community} · 人民路12号"
    Case.objects.filter(pk=case.pk).update(address="")
    assert location() == f"{case.district.name} · {case.street.name} · {community}"


def test_case_page_map_lists_nearby_components(city, client):
    from grids.models import Component

    lon, lat = point_in(0, dx=0.55)
    Component.objects.create(code="4399010101000001", minor=city.classes["manhole"], lon=lon, lat=lat,
                             unit_grid=city.grids[0], name="井盖甲")
    case = report(city)
    login(client, city, "operator")
    response = client.get(reverse("cases:case", args=[case.pk]))
    html = response.content.decode()
    start = html.index('id="case-map-data" type="application/json">') + len('id="case-map-data" type="application/json">')
    data = json.loads(html[start:html.index("</script>", start)])
    assert data["grid"]["code"] == city.grids[0].code
    assert [(c["code"], c["name"]) for c in data["components"]] == [("4399010101000001", "井盖甲")]
    assert data["tiles"] == ""  # no basemap configured: the map draws on a plain background


def test_action_post_runs_the_workflow_and_redirects(city, client):
    case = report(city)
    login(client, city, "operator")
    response = client.post(reverse("cases:act", args=[case.pk, "send_verify"]), {"next": "/work/operator/"})
    assert response.status_code == 302 and response["Location"] == "/work/operator/"
    assert Case.objects.get(pk=case.pk).state == State.VERIFYING


def test_action_refuses_an_offsite_next(city, client):
    case = report(city)
    login(client, city, "operator")
    response = client.post(reverse("cases:act", args=[case.pk, "propose_file"]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("cases:case", args=[case.pk])


def test_missing_reason_is_a_400_with_a_chinese_message(city, client):
    case = report(city)
    login(client, city, "shift_leader")
    response = client.post(reverse("cases:act", args=[case.pk, "void"]), {"void-note": "  "})
    assert response.status_code == 400
    assert "请填写理由" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == State.REPORTED


def test_wrong_role_is_a_403_with_the_workflow_message(city, client):
    case = advance(city, report(city), "filed")
    login(client, city, "operator")
    response = client.post(reverse("cases:act", args=[case.pk, "dispatch"]),
                           {"dispatch-department": city.departments["sanitation_a"].pk})
    assert response.status_code == 403
    assert "不能执行" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == State.FILED


def test_wrong_state_is_a_409_naming_the_allowed_moves(city, client):
    case = report(city)
    login(client, city, "shift_leader")
    response = client.post(reverse("cases:act", args=[case.pk, "close"]))
    assert response.status_code == 409
    html = response.content.decode()
    assert "当前允许的操作" in html and "立案" in html


def test_service_validation_error_is_a_400(city, client):
    case = advance(city, report(city), "dispatched")
    login(client, city, "handler_a")
    past = timezone.localtime() - timedelta(days=1)
    response = client.post(reverse("cases:act", args=[case.pk, "request_extension"]), {
        "request_extension-requested_deadline": past.strftime("%Y-%m-%dT%H:%M"),
        "request_extension-note": "设备未到",
    })
    assert response.status_code == 400
    assert "延期时限必须晚于" in response.content.decode()


def test_handled_report_needs_a_photo_and_a_result(city, client):
    case = advance(city, report(city), "dispatched")
    login(client, city, "handler_a")
    url = reverse("cases:act", args=[case.pk, "report_handled"])
    response = client.post(url, {"report_handled-note": "已清理"})
    assert response.status_code == 400 and "请上传至少一张处置后照片" in response.content.decode()
    bad = io.BytesIO(b"not an image")
    bad.name = "x.png"
    response = client.post(url, {"report_handled-note": "已清理", "report_handled-photos": bad})
    assert response.status_code == 400 and "不是有效的图片" in response.content.decode()
    response = client.post(url, {"report_handled-note": "已清理", "report_handled-photos": photo("after.png")})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.HANDLED and case.attachments.filter(kind="after").count() == 1


def test_unknown_action_is_404_and_get_is_405(city, client):
    case = report(city)
    login(client, city, "operator")
    assert client.post(reverse("cases:act", args=[case.pk, "explode"])).status_code == 404
    assert client.get(reverse("cases:act", args=[case.pk, "send_verify"])).status_code == 405


def test_handler_cannot_open_another_departments_case(city, client):
    case = advance(city, report(city), "dispatched")  # sent to 东区环卫所 (handler_a)
    login(client, city, "handler_b")
    assert client.get(reverse("cases:case", args=[case.pk])).status_code == 404
    response = client.post(reverse("cases:act", args=[case.pk, "report_handled"]),
                           {"report_handled-note": "x", "report_handled-photos": photo()})
    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).state == State.DISPATCHED
    assert case.number not in client.get(reverse("cases:search")).content.decode()


def test_district_operator_cannot_open_other_district(city, client):
    case = report(city)  # district 0
    login(client, city, "operator_b")
    assert client.get(reverse("cases:case", args=[case.pk])).status_code == 404


def test_full_loop_through_the_pages_with_a_return_and_a_rework(city, client):
    """Report → verify → file → dispatch → return → re-dispatch → handled → check fails (rework) →
    handled → check passes → close, every move through the action view."""
    case = report(city)
    url = lambda action: reverse("cases:act", args=[case.pk, action])  # noqa: E731

    def act(user, action, data=None, status=302):
        login(client, city, user)
        response = client.post(url(action), data or {})
        assert response.status_code == status, response.content.decode()[-2000:]

    act("operator", "send_verify")
    act("collector_a", "verify", {"verify-is_true": "1", "verify-note": "属实"})
    act("shift_leader", "file", {"file-minor": city.classes["garbage"].pk, "file-urgency": "normal",
                                 "file-filing_condition": "垃圾暴露"})
    act("dispatcher", "dispatch", {"dispatch-department": city.departments["sanitation_b"].pk})
    act("handler_b", "return", {"return-reason_code": "wrong_location", "return-note": "不在本所辖区"})
    assert Case.objects.get(pk=case.pk).state == State.FILED
    act("dispatcher", "dispatch", {"dispatch-department": city.departments["sanitation_a"].pk})
    act("handler_a", "report_handled", {"report_handled-note": "已清理", "report_handled-photos": photo()})
    act("operator", "send_check")
    act("collector_a", "check_fail", {"check_fail-note": "仍有残留"})
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.rework_count == 1 and case.return_count == 1
    act("handler_a", "report_handled", {"report_handled-note": "已彻底清理", "report_handled-photos": photo()})
    act("operator", "send_check")
    act("collector_a", "check_pass")
    act("shift_leader", "close")
    case.refresh_from_db()
    assert case.state == State.CLOSED
    login(client, city, "operator")
    html = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    for label in ("下发核实", "核实反馈", "立案", "派遣", "回退", "处置反馈", "核查未通过（返工）", "核查通过", "结案"):
        assert label in html


# --- search and export ---------------------------------------------------------------------------

@pytest.fixture
def searchable(city):
    a = report(city, description="东区垃圾一")
    b = report(city, x=2, description="西区垃圾二")
    c = services.case_report(actor=None, source=Source.HOTLINE_12319, minor_id=city.classes["manhole"].pk,
                             lon=point_in(1)[0], lat=point_in(1)[1], description="井盖缺失", address="人民路1号").case
    c = advance(city, c, "dispatched")
    Case.objects.filter(pk=c.pk).update(current_deadline=timezone.now() - timedelta(hours=2))
    with mock.patch.object(timezone, "now", return_value=timezone.now() - timedelta(days=400)):
        old = report(city, x=3, description="去年的")  # reported then: its id carries that month
    Case.objects.filter(pk=old.pk).update(current_deadline=timezone.now() + timedelta(hours=2))  # not overdue
    return {"a": a, "b": b, "c": c, "old": old}


def _numbers(response) -> set[str]:
    html = response.content.decode()
    return {case.number for case in Case.objects.all() if case.number in html}


def test_search_filters(city, client, searchable):
    s = searchable
    login(client, city, "operator")
    url = reverse("cases:search")
    assert _numbers(client.get(url)) == {s[k].number for k in "abc"} | {s["old"].number}
    assert _numbers(client.get(url, {"number": s["b"].number})) == {s["b"].number}
    assert _numbers(client.get(url, {"q": "井盖"})) == {s["c"].number}
    assert _numbers(client.get(url, {"q": "人民路"})) == {s["c"].number}
    assert _numbers(client.get(url, {"source": "hotline_12319"})) == {s["c"].number}
    assert _numbers(client.get(url, {"state": ["dispatched"]})) == {s["c"].number}
    assert _numbers(client.get(url, {"state": ["reported", "dispatched"]})) == {s[k].number for k in "abc"} | {
        s["old"].number}
    assert _numbers(client.get(url, {"minor_code": "0101", "district": city.districts[1].pk})) == {
        s["b"].number, s["old"].number}
    assert _numbers(client.get(url, {"department": city.departments["municipal"].pk})) == {s["c"].number}
    assert _numbers(client.get(url, {"overdue": "true"})) == {s["c"].number}
    today = timezone.localdate().isoformat()
    assert s["old"].number not in _numbers(client.get(url, {"reported_from": today, "reported_to": today}))
    assert _numbers(client.get(url, {"reported_to": (timezone.localdate() - timedelta(days=300)).isoformat()})) == {
        s["old"].number}
    bad = client.get(url, {"reported_from": "not-a-date"})
    assert bad.status_code == 400 and "查询条件有误" in bad.content.decode()


def test_search_is_scoped(city, client, searchable):
    login(client, city, "operator_b")
    numbers = _numbers(client.get(reverse("cases:search")))
    assert numbers == {searchable["b"].number, searchable["old"].number}


def test_search_paginates(city, client, monkeypatch):
    from cases import views

    monkeypatch.setattr(views, "SEARCH_PAGE_SIZE", 2)
    for i in range(5):
        report(city, description=f"第{i}件")
    login(client, city, "operator")
    first = client.get(reverse("cases:search"))
    assert "第 1 / 3 页，还有 3 条" in first.content.decode()
    last = client.get(reverse("cases:search"), {"page": 3})
    assert len(_numbers(last)) == 1


def test_export_streams_the_filtered_result_as_xlsx(city, client, searchable):
    login(client, city, "operator")
    response = client.get(reverse("cases:export"), {"state": ["reported"], "district": city.districts[0].pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "案件编号"
    assert [row[0] for row in rows[1:]] == [searchable["a"].number]
    assert rows[1][12] == "待受理"


def test_export_is_scoped(city, client, searchable):
    login(client, city, "handler_a")
    body = b"".join(client.get(reverse("cases:export")).streaming_content)
    rows = list(load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 1  # the header only: nothing was sent to 东区环卫所


# --- overview ------------------------------------------------------------------------------------

def test_overview_counts_and_live_fragment(city, client, searchable):
    login(client, city, "manager")
    response = client.get(reverse("cases:overview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="every' in html and "overview-map" in html
    context = response.context
    assert context["open_total"] == 4
    assert context["lights"]["red"] == 1
    assert sum(context["lights"].values()) == 4
    intake = {row["source"]: row["n"] for row in context["intake"]}
    assert intake["collector"] == 2 and intake["hotline_12319"] == 1  # the 400-day-old one is not today's
    fragment = client.get(reverse("cases:overview"), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode() and "在办合计" in fragment.content.decode()
    assert "HX-Request" in fragment["Vary"]


def test_overview_grids_geojson(city, client, searchable):
    login(client, city, "operator_b")
    data = client.get(reverse("cases:overview_grids")).json()
    codes = {feature["properties"]["code"]: feature["properties"]["n"] for feature in data["features"]}
    assert codes == {city.grids[2].code: 1, city.grids[3].code: 1}


# --- query counts do not grow with the list ------------------------------------------------------

def _populate(city, n: int) -> None:
    """n cases spread over the states every page lists."""
    states = ["reported", "proposed", "verifying", "filed", "dispatched", "handled", "checked"]
    for i in range(n):
        state = states[i % len(states)]
        case = report(city, x=i % 2, dx=0.1 + 0.8 * (i / max(n, 1)), description=f"案件{i}")
        if state == "proposed":
            workflow.case_propose_file(actor=city.users["operator"], case_id=case.pk)
        elif state == "verifying":
            workflow.case_send_verify(actor=city.users["operator"], case_id=case.pk)
        elif state != "reported":
            advance(city, case, state)
        if state == "dispatched" and i % 2:
            workflow.case_request_extension(actor=city.users["handler_a"], case_id=case.pk, note="延期",
                                            requested_deadline=timezone.now() + timedelta(days=30))


PAGES = [
    ("operator", "cases:operator"),
    ("shift_leader", "cases:shift_leader"),
    ("dispatcher", "cases:dispatcher"),
    ("handler_a", "cases:department"),
    ("collector_a", "cases:collector"),
    ("operator", "cases:search"),
    ("manager", "cases:overview"),
    ("manager", "cases:overview_grids"),
]


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(("username", "page"), PAGES)
def test_page_query_count_is_constant(city, client, django_assert_max_num_queries, username, page):
    login(client, city, username)
    url = reverse(page)
    _populate(city, 5)
    client.get(url)  # warm the per-process caches (work calendar)
    small = _count_queries(client, url)
    _populate(city, 35)
    assert Case.objects.count() == 40
    with django_assert_max_num_queries(small):
        client.get(url)
    assert small <= 20


def test_case_page_query_count_is_constant(city, client, django_assert_max_num_queries):
    case = advance(city, report(city), "dispatched")
    login(client, city, "handler_a")
    url = reverse("cases:case", args=[case.pk])
    client.get(url)
    small = _count_queries(client, url)
    for _i in range(3):
        workflow.case_request_extension(actor=city.users["handler_a"], case_id=case.pk, note="延期",
                                        requested_deadline=timezone.now() + timedelta(days=30))
        workflow.case_deny_extension(actor=city.users["dispatcher"], case_id=case.pk, note="不批")
        workflow.case_urge(actor=city.users["dispatcher"], case_id=case.pk, note="加快")
    with django_assert_max_num_queries(small):
        client.get(url)


# --- language ------------------------------------------------------------------------------------

def test_english_is_available(city, client):
    login(client, city, "operator")
    client.post("/i18n/setlang/", {"language": "en", "next": "/work/operator/"})
    html = client.get(reverse("cases:operator")).content.decode()
    assert "Intake queue" in html
    assert 'lang="en"' in html



# --- intake registration -------------------------------------------------------------------------

def test_operator_registers_a_report_idempotently(city, client):
    login(client, city, "operator")
    page = client.get(reverse("cases:report_new"))
    assert page.status_code == 200
    key = page.context["form"].initial["idempotency_key"]
    lon, lat = point_in(1)
    data = {"source": "hotline_12319", "minor": city.classes["garbage"].pk, "urgency": "normal",
            "description": "来电：路口有垃圾", "lon": lon, "lat": lat, "idempotency_key": key,
            "reporter_name": "王女士", "reporter_phone": "13900000000"}
    first = client.post(reverse("cases:report_new"), data)
    case = Case.objects.get(description="来电：路口有垃圾")
    assert first["Location"] == reverse("cases:case", args=[case.pk])
    assert case.unit_grid_id == city.grids[1].pk and case.source == "hotline_12319"
    client.post(reverse("cases:report_new"), data)  # a double submit
    assert Case.objects.filter(description="来电：路口有垃圾").count() == 1


def test_report_by_grid_code_and_errors(city, client):
    login(client, city, "operator")
    data = {"source": "media", "minor": city.classes["manhole"].pk, "urgency": "urgent",
            "description": "媒体曝光：井盖缺失", "unit_grid": city.grids[3].code}
    assert client.post(reverse("cases:report_new"), data).status_code == 302
    assert Case.objects.get(description="媒体曝光：井盖缺失").unit_grid_id == city.grids[3].pk
    missing = client.post(reverse("cases:report_new"), {**data, "unit_grid": ""})
    assert missing.status_code == 400 and "请填写经纬度" in missing.content.decode()
    outside = client.post(reverse("cases:report_new"), {**data, "unit_grid": "", "lon": 100.0, "lat": 20.0})
    assert outside.status_code == 400
    assert client.get(reverse("cases:report_new")).status_code == 200
    login(client, city, "handler_a")
    assert client.get(reverse("cases:report_new")).status_code == 403


def test_request_decisions_are_offered_only_with_a_pending_request(city, client):
    case = advance(city, report(city), "dispatched")
    login(client, city, "dispatcher")
    # Until the department acts, the dispatcher may still redispatch or withdraw the case.
    assert action_ids(client.get(reverse("cases:case", args=[case.pk]))) == {"urge", "redispatch", "withdraw"}
    workflow.case_request_extension(actor=city.users["handler_a"], case_id=case.pk, note="设备未到",
                                    requested_deadline=timezone.now() + timedelta(days=5))
    assert action_ids(client.get(reverse("cases:case", args=[case.pk]))) == {
        "urge", "approve_extension", "deny_extension"}
    login(client, city, "handler_a")
    assert "request_extension" not in action_ids(client.get(reverse("cases:case", args=[case.pk])))
    login(client, city, "dispatcher")
    response = client.post(reverse("cases:act", args=[case.pk, "approve_extension"]), {"next": "/work/dispatcher/"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.extension_count == 1
