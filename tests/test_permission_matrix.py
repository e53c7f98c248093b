"""The permission and scope matrix: every API endpoint and page, asked by every role (and by the
public and an Open311 client), in scope and out of scope (docs/architecture.md, issue 8).

One row per URL name, each with the status every role must get and what the answer may show.
Besides a row's own expectations, every answer is checked against two invariants:
- scope: no case number outside the person's scope appears (a district sees its district, a
  department the cases sent to it, a collector the grids they patrol), except in the public
  channel, where a case number is what a citizen looks up;
- personal data: no citizen's name or phone appears in full, except to hotline staff and the
  administrator.
`test_every_url_has_a_row` walks Django's URL resolver, so a new endpoint or page without a row
fails. The moves sent by POST rows are chosen to be refused (wrong role, out of scope, wrong
state, invalid input), so that every role meets the same fixture.
"""
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from cases.models import AttachmentKind, State
from cases.services import attachments_add
from cases.tests.helpers import case_build, photo
from citygrid.testing import point_in
from grids.models import MinorClass, OwnershipRule, Role, User
from hotline.models import Callback
from hotline.service_codes import service_code
from hotline.services import apikey_create, call_log, public_report

STAFF = ["operator", "operator_b", "shift_leader", "dispatcher", "manager", "hotline_agent", "handler_a",
         "handler_b", "collector_a", "collector_b", "admin"]
ROLES = ["anonymous", "api_key", *STAFF]
CITY_LEVEL = {"operator", "shift_leader", "dispatcher", "manager", "hotline_agent", "admin"}
HOTLINE_READERS = CITY_LEVEL | {"operator_b"}
SEES_PERSONAL_DATA = {"hotline_agent", "admin"}
# What the citizens of the matrix city told us; only hotline staff and the administrator read it.
PERSONAL = ["13700000000", "王五", "13900000000", "李四"]
# A number the citizen wrote into her report's text: staff read the text, the public never.
IN_PUBLIC_TEXT = "13911112222"
LABEL = "2026-03"


@dataclass
class World:
    cases: dict  # key → Case
    scope: dict  # role → set of case keys the role may see
    call: object
    callback: object
    public: object
    api_key: str
    service_code: str
    ids: dict = field(default_factory=dict)

    def number(self, key: str) -> str:
        return self.cases[key].number


@pytest.fixture
def world(city, settings):
    """The tiny city with cases in both districts and both departments, a hotline call (王五), a
    public report (李四, with her number in the text), a callback, collector tasks and an API key."""
    settings.PUBLIC_REPORT_RATE_LIMIT = settings.PUBLIC_LOOKUP_RATE_LIMIT = "1000000/h"
    cache.clear()
    users = city.users
    users["admin"] = User.objects.create_user(username="admin", password="x", role=Role.ADMIN, is_staff=True,
                                              is_superuser=True)
    cases = {
        "A1": case_build(city, State.DISPATCHED, grid=0, department="sanitation_a"),
        "A3": case_build(city, State.CLOSED, grid=1, department="sanitation_a"),
        "A4": case_build(city, State.VERIFYING, grid=1, department=None),
        "B1": case_build(city, State.DISPATCHED, grid=2, department="sanitation_b"),
        "B2": case_build(city, State.CHECKING, grid=3, department="sanitation_b"),
    }
    lon, lat = point_in(0, dx=0.2)
    call = call_log(actor=users["hotline_agent"], channel="12319", phone="13700000000", content="井盖缺失",
                    caller_name="王五", minor_id=city.classes["manhole"].pk, lon=lon, lat=lat).call
    cases["A2"] = call.case
    lon, lat = point_in(3, dx=0.9)
    public = public_report(channel="web", minor_id=city.classes["garbage"].pk, lon=lon, lat=lat,
                           description=f"路边垃圾，联系电话{IN_PUBLIC_TEXT}", contact_name="李四",
                           contact_phone="13900000000").report
    cases["B3"] = public.case
    closed = cases["A3"]
    callback = Callback.objects.create(case=closed, case_closed_at=closed.closed_at, created_at=closed.closed_at,
                                       due_at=closed.closed_at)
    _key, raw = apikey_create(name="matrix")
    district_a, district_b = {"A1", "A2", "A3", "A4"}, {"B1", "B2", "B3"}
    everything = district_a | district_b
    scope = {role: everything for role in CITY_LEVEL}
    scope.update(operator_b=district_b, handler_a={"A1", "A3"}, handler_b={"B1", "B2"},
                 collector_a=district_a, collector_b=district_b, anonymous=set(), api_key=set())
    photo_of_a1 = attachments_add(case=cases["A1"], photos=[photo("a1.png")], kind=AttachmentKind.BEFORE,
                                  actor=users["collector_a"])[0]
    return World(cases=cases, scope=scope, call=call, callback=callback, public=public, api_key=raw,
                 service_code=service_code(city.classes["garbage"]),
                 ids={"photo": photo_of_a1.pk, "collector_a": users["collector_a"].pk})


# --- the table ---------------------------------------------------------------------------------

def statuses(default: int, anonymous: int | None = None, **by_role: int) -> dict[str, int]:
    """Every role gets `default`, the public (anonymous and an API key alone) `anonymous`, except
    the roles named."""
    table = {role: default for role in STAFF}
    table["anonymous"] = table["api_key"] = default if anonymous is None else anonymous
    table.update(by_role)
    return table


def only(roles, ok: int, *, other: int = 403, anonymous: int = 403, **by_role: int) -> dict[str, int]:
    table = {role: ok if role in roles else other for role in STAFF}
    table["anonymous"] = table["api_key"] = anonymous
    table.update(by_role)
    return table


def in_scope(key: str, ok: int, *, other: int = 404, anonymous: int = 403, roles=None, wrong_role: int = 403,
             scope_first: bool = False):
    """`ok` for the roles (default: everyone) whose scope holds the case `key`, `other` out of it.
    The API checks the role first (403), the pages the scope (404, as if there were no case)."""
    def expect(world: World) -> dict[str, int]:
        table = {}
        for role in STAFF:
            if scope_first and key not in world.scope[role]:
                table[role] = other
            elif roles is not None and role not in roles:
                table[role] = wrong_role
            else:
                table[role] = ok if key in world.scope[role] else other
        table["anonymous"] = table["api_key"] = anonymous
        return table
    return expect


PAGE = 302  # a page's answer to someone not logged in: to the login page
API = 403   # the API's (session authentication first: no WWW-Authenticate, so 403)


@dataclass
class Row:
    name: str
    path: Callable[[World], str] | str
    expect: Callable[[World], dict] | dict
    method: str = "get"
    data: Callable[[World], dict] | dict | None = None
    # The exact case keys the answer lists, per role (None: only the scope invariant applies).
    lists: Callable[[World, str], set] | None = None
    public: bool = False  # the public channel: any case number may appear
    # Case keys and personal values the request itself carries, echoed back (in the language
    # switcher's `next`, or the refusal "case N is not in your scope" of the API's moves — a case
    # number is what citizens are given and look up): not a leak. `hidden` = (case key, text): the text of that case, which
    # must not appear to a role out of its scope.
    echo: tuple = ()
    hidden: tuple | None = None
    api_key: bool = False  # the "api_key" role sends the Open311 / public API key


def scoped(world: World, role: str, among: set | None = None) -> set:
    keys = world.scope[role]
    return keys & among if among is not None else keys


def case_path(template: str, key: str):
    return lambda world: template.format(id=world.cases[key].pk, number=world.cases[key].number)


LOGGED_IN_PAGE = statuses(200, anonymous=PAGE)
LOGGED_IN_API = statuses(200, anonymous=API)
ASSESSMENT_PAGE = only({"manager", "admin"}, 200, anonymous=PAGE)
# The reading pages: a department's people too, scoped to their own department (issue 21).
ASSESSMENT_READ = only({"manager", "admin", "handler_a", "handler_b"}, 200, anonymous=PAGE)
ASSESSMENT_API = only({"manager", "admin"}, 200)
OPEN311 = dict(public=True, api_key=True)


def _bulletin(world: World) -> int:
    """Made on first use: an issued bulletin (第 1 期) of a month, archived with no figure lines."""
    if "bulletin" not in world.ids:
        from datetime import date

        from django.utils import timezone

        from assessment.models import Bulletin, Period, PeriodKind

        period = Period.objects.create(kind=PeriodKind.MONTH, label="2025-12", start=date(2025, 12, 1),
                                       end=date(2026, 1, 1), computed_at=timezone.now())
        world.ids["bulletin"] = Bulletin.objects.create(
            kind=PeriodKind.MONTH, year=2025, number=1, period=period, title="矩阵通报（2025-12）",
            html="<p>矩阵通报</p>", figures={}, issued_at=timezone.now()).pk
    return world.ids["bulletin"]


ROWS = [
    # The browser's /favicon.ico: a redirect to the static SVG icon, for everyone.
    Row("favicon", "/favicon.ico", statuses(302)),
    # Accounts, language, API documents.
    Row("login", "/accounts/login/", statuses(200)),
    Row("logout", "/accounts/logout/", statuses(200), method="post"),
    Row("password_change", "/accounts/password_change/", LOGGED_IN_PAGE),
    Row("password_change_done", "/accounts/password_change/done/", LOGGED_IN_PAGE),
    Row("password_reset", "/accounts/password_reset/", statuses(200)),
    Row("password_reset_done", "/accounts/password_reset/done/", statuses(200)),
    Row("password_reset_confirm", "/accounts/reset/MQ/set-password/", statuses(200)),
    Row("password_reset_complete", "/accounts/reset/done/", statuses(200)),
    Row("set_language", "/i18n/setlang/", statuses(302), method="post", data={"language": "en", "next": "/"}),
    Row("schema", "/api/schema/", statuses(200)),
    Row("swagger-ui", "/api/docs/", statuses(200)),
    Row("redoc", "/api/redoc/", statuses(200)),
    # The field apps' token login (an empty body: 400 for everyone) and logout, which takes the token
    # alone: a session is no token to revoke (401, the token scheme's challenge).
    Row("api-login", "/api/auth/login/", statuses(400), method="post", data={}),
    Row("api-logout", "/api/auth/logout/", statuses(401), method="post"),
    Row("api-logout-all", "/api/auth/logoutall/", statuses(401), method="post"),

    # Registry: staff read it all (no case, no citizen in it); the public nothing.
    Row("grids-locate", lambda w: "/api/grids/locate/?lon={}&lat={}".format(*point_in(0)), LOGGED_IN_API),
    Row("grids-ownership", lambda w: "/api/grids/ownership/?minor={}&lon={}&lat={}".format(
        w.cases["A1"].minor_id, *point_in(0)), LOGGED_IN_API),
    Row("grids-map-search", "/api/grids/map/search/?q=%E7%A4%BE%E5%8C%BA", LOGGED_IN_API),
    Row("grids-map-point", lambda w: "/api/grids/map/point/?lon={}&lat={}".format(*point_in(0)), LOGGED_IN_API),
    Row("grids-map-basemap", "/api/grids/map/basemap/?bbox=112.97,28.18,112.99,28.2", LOGGED_IN_API),
    Row("api-root", "/api/grids/", LOGGED_IN_API),
    *[Row(f"grids-{kind}-list", f"/api/grids/{plural}/", LOGGED_IN_API) for kind, plural in [
        ("region", "regions"), ("unit-grid", "unit-grids"), ("responsibility-grid", "responsibility-grids"),
        ("major-class", "major-classes"), ("minor-class", "minor-classes"), ("department-type", "department-types"),
        ("department", "departments"), ("ownership-rule", "ownership-rules"), ("component", "components")]],
    *[Row(f"grids-{kind}-detail", lambda w, plural=plural, model=model: f"/api/grids/{plural}/{model(w)}/",
          LOGGED_IN_API) for kind, plural, model in [
        ("region", "regions", lambda w: w.cases["A1"].district_id),
        ("unit-grid", "unit-grids", lambda w: w.cases["A1"].unit_grid_id),
        ("responsibility-grid", "responsibility-grids", lambda w: w.cases["A1"].responsibility_grid_id),
        ("major-class", "major-classes", lambda w: w.cases["A1"].minor.major_id),
        ("minor-class", "minor-classes", lambda w: w.cases["A1"].minor_id),
        ("department-type", "department-types", lambda w: w.cases["A1"].department.department_type_id),
        ("department", "departments", lambda w: w.cases["A1"].department_id),
        ("ownership-rule", "ownership-rules", lambda w: OwnershipRule.objects.order_by("pk").first().pk)]],
    Row("grids-component-detail", "/api/grids/components/999999/", statuses(404, anonymous=API)),

    # Case API.
    Row("case-list", "/api/cases/", LOGGED_IN_API, lists=lambda w, role: scoped(w, role)),
    Row("case-detail", case_path("/api/cases/{id}/", "A1"), in_scope("A1", 200)),
    Row("case-detail", case_path("/api/cases/{id}/", "B3"), in_scope("B3", 200)),
    # A report with an unknown class: the input is checked, nothing is written.
    Row("case-list", "/api/cases/", statuses(400, anonymous=API), method="post",
        data={"minor_id": 999999, "lon": 0, "lat": 0, "description": "x"}),
    # A self-handled case (of a class no case of the city has, so no duplicate is suggested):
    # collectors only, wherever they walk.
    Row("case-self-handled", "/api/cases/self-handled/", only({"collector_a", "collector_b"}, 201), method="post",
        data=lambda w: {"minor_id": MinorClass.objects.get(code="0501").pk, "lon": point_in(0)[0], "lat": point_in(0)[1],
                        "description": "自行处置", "photos": photo("b.png"), "after_photos": photo("a.png")}),
    Row("my-tasks", "/api/cases/tasks/", LOGGED_IN_API,
        lists=lambda w, role: {"collector_a": {"A4"}, "collector_b": {"B2"}}.get(role, set())),
    # Scope (404, as for no case), then role (403), then state (409): dispatching a dispatched case.
    Row("case-action", lambda w: f"/api/cases/{w.cases['A1'].pk}/actions/dispatch/",
        in_scope("A1", 409, roles={"dispatcher"}, scope_first=True), method="post",
        data=lambda w: {"department_id": w.cases["A1"].department_id}),
    # A department's move on a closed case of its own (409) and of another department (404).
    Row("case-action", lambda w: f"/api/cases/{w.cases['B2'].pk}/actions/report_handled/",
        in_scope("B2", 409, roles={"handler_a", "handler_b"}, scope_first=True), method="post", echo=("B2",)),
    # The dispatcher's corrections and joint dispatch (issue 21) on a closed case: 409 for the
    # dispatcher, 403 for other roles in scope, 404 out of it.
    Row("case-action", lambda w: f"/api/cases/{w.cases['A3'].pk}/actions/redispatch/",
        in_scope("A3", 409, roles={"dispatcher"}, scope_first=True), method="post",
        data=lambda w: {"department_id": w.cases["B1"].department_id, "note": "改派"}),
    Row("case-action", lambda w: f"/api/cases/{w.cases['A3'].pk}/actions/withdraw/",
        in_scope("A3", 409, roles={"dispatcher"}, scope_first=True), method="post", data={"note": "撤回"}),
    # 挂账 until a date: asked by the case's department, granted by the shift leader (A3 is closed: 409).
    Row("case-action", lambda w: f"/api/cases/{w.cases['A3'].pk}/actions/request_suspension/",
        in_scope("A3", 409, roles={"handler_a", "handler_b"}, scope_first=True), method="post",
        data={"note": "待协调", "until": "2030-01-02"}),
    Row("case-action", lambda w: f"/api/cases/{w.cases['A3'].pk}/actions/approve_suspension/",
        in_scope("A3", 409, roles={"shift_leader"}, scope_first=True), method="post", data={"until": "2030-01-02"}),
    Row("case-action", lambda w: f"/api/cases/{w.cases['A1'].pk}/actions/joint_dispatch/",
        in_scope("A1", 409, roles={"dispatcher"}, scope_first=True), method="post",
        data=lambda w: {"department_id": w.cases["A1"].department_id,
                        "assisting_department_ids": [w.cases["B1"].department_id]}),
    # The assisting move is an assisting department's: the lead department (handler_b) is refused
    # (403) whatever the state, another department does not see the case (404).
    Row("case-action", lambda w: f"/api/cases/{w.cases['B2'].pk}/actions/assist_done/",
        in_scope("B2", 403, roles={"handler_a", "handler_b"}, scope_first=True), method="post", echo=("B2",)),
    # A collector answers only the tasks of their own grids: checking a verifying case.
    Row("case-action", lambda w: f"/api/cases/{w.cases['B1'].pk}/actions/verify/",
        in_scope("B1", 409, roles={"collector_a", "collector_b"}, scope_first=True), method="post",
        data={"is_true": True}, echo=("B1",)),

    # Hotline API: staff of the command center read (masked), hotline agents write and see in full.
    Row("hotline-api:call-list", "/api/hotline/calls/", only(HOTLINE_READERS, 200),
        lists=lambda w, role: scoped(w, role, {"A2"})),
    Row("hotline-api:call-detail", lambda w: f"/api/hotline/calls/{w.call.pk}/",
        only(HOTLINE_READERS, 200, operator_b=404)),
    Row("hotline-api:caller", "/api/hotline/callers/?phone=13700000000", only(SEES_PERSONAL_DATA, 200)),
    Row("hotline-api:case-feedback", case_path("/api/hotline/cases/{id}/feedback/", "A3"),
        only(SEES_PERSONAL_DATA, 400), method="post", data={"channel": "nonsense"}),
    Row("hotline-api:callback-list", "/api/hotline/callbacks/?status=all", only(HOTLINE_READERS, 200),
        lists=lambda w, role: scoped(w, role, {"A3"})),
    Row("hotline-api:callback-record", lambda w: f"/api/hotline/callbacks/{w.callback.pk}/record/",
        only(SEES_PERSONAL_DATA, 400), method="post", data={"status": "nonsense"}),
    Row("hotline-api:figures", "/api/hotline/figures/?start=2026-01-01&end=2026-02-01",
        only(HOTLINE_READERS, 200)),
    Row("hotline-api:figures", lambda w: f"/api/hotline/figures/?start=2026-01-01&end=2026-02-01"
        f"&district_id={w.cases['A1'].district_id}", only(HOTLINE_READERS, 200, operator_b=403)),
    # The public channel: the same for everyone, never a name or phone.
    Row("hotline-api:public-report", "/api/hotline/public/reports/", statuses(400), method="post",
        data={"description": ""}, **OPEN311),
    Row("hotline-api:public-case", case_path("/api/hotline/public/cases/{number}/", "B3"), statuses(200),
        lists=lambda w, role: {"B3"}, **OPEN311),
    Row("hotline-api:public-case", case_path("/api/hotline/public/cases/{number}/", "A2"), statuses(200),
        lists=lambda w, role: {"A2"}, **OPEN311),
    Row("hotline-api:public-classes", "/api/hotline/public/classes/", statuses(200), **OPEN311),

    # Assessment API: managers and the administrator.
    Row("assessment-periods", "/api/assessment/periods/", ASSESSMENT_API),
    # A period never computed: 404 to those who may read results.
    Row("assessment-ranking", f"/api/assessment/{LABEL}/ranking/department/", only({"manager", "admin"}, 404)),
    Row("assessment-object", lambda w: f"/api/assessment/{LABEL}/objects/region/district/"
        f"{w.cases['A1'].district_id}/", only({"manager", "admin"}, 404)),
    Row("assessment-compute", f"/api/assessment/{LABEL}/compute/", only({"manager", "admin"}, 200),
        method="post", data={"nonsense": True}),
    Row("assessment-recompute", f"/api/assessment/{LABEL}/recompute/", only({"manager", "admin"}, 400),
        method="post", data={}),

    # Open311 GeoReport v2: public; a request shows no personal data (the text is redacted).
    Row("open311:discovery-root", "/open311/discovery.json", statuses(200), **OPEN311),
    Row("open311:discovery", "/open311/v2/discovery.xml", statuses(200), **OPEN311),
    Row("open311:services", "/open311/v2/services.json", statuses(200), **OPEN311),
    Row("open311:service-definition", lambda w: f"/open311/v2/services/{w.service_code}.json", statuses(200),
        **OPEN311),
    Row("open311:requests", "/open311/v2/requests.json", statuses(200), **OPEN311),
    Row("open311:requests", "/open311/v2/requests.xml", statuses(200), **OPEN311),
    # Filing needs a key: 403 without one, 400 for the empty form with one.
    Row("open311:requests", "/open311/v2/requests.json", statuses(403, api_key=400), method="post", data={},
        **OPEN311),
    Row("open311:request-detail", case_path("/open311/v2/requests/{number}.json", "B3"), statuses(200),
        lists=lambda w, role: {"B3"}, **OPEN311),
    Row("open311:request-detail", case_path("/open311/v2/requests/{number}.xml", "A2"), statuses(200),
        lists=lambda w, role: {"A2"}, **OPEN311),
    Row("open311:token", lambda w: f"/open311/v2/tokens/{w.public.token}.json", statuses(200), **OPEN311),

    # Hotline pages.
    Row("hotline:home", "/hotline/", only(HOTLINE_READERS, 200, anonymous=PAGE),
        lists=lambda w, role: scoped(w, role, {"A2"})),
    Row("hotline:home", case_path("/hotline/?case={number}", "A2"), only(HOTLINE_READERS, 200, anonymous=PAGE),
        echo=("A2",), hidden=("A2", "井盖缺失")),
    Row("hotline:home", "/hotline/?phone=13700000000", only(HOTLINE_READERS, 200, anonymous=PAGE),
        echo=("13700000000",)),
    Row("hotline:case-feedback", case_path("/hotline/cases/{id}/feedback/", "A3"),
        only(SEES_PERSONAL_DATA, 302, anonymous=PAGE), method="post", data={}),
    Row("hotline:callbacks", "/hotline/callbacks/", only(HOTLINE_READERS, 200, anonymous=PAGE),
        lists=lambda w, role: scoped(w, role, {"A3"})),
    Row("hotline:callback-record", lambda w: f"/hotline/callbacks/{w.callback.pk}/",
        only(SEES_PERSONAL_DATA, 302, anonymous=PAGE), method="post", data={}),
    Row("hotline:status", case_path("/hotline/status/?number={number}", "B3"), statuses(200),
        lists=lambda w, role: {"B3"}, public=True),

    # Assessment pages.
    Row("assessment:home", "/assessment/", only({"manager", "admin", "handler_a", "handler_b"}, 302, anonymous=PAGE)),
    Row("assessment:schedule", "/assessment/schedule/", ASSESSMENT_PAGE),
    Row("assessment:overview", f"/assessment/{LABEL}/", ASSESSMENT_READ),
    Row("assessment:compute", f"/assessment/{LABEL}/compute/", only({"manager", "admin"}, 302, anonymous=PAGE),
        method="post", data={}),
    Row("assessment:freeze", f"/assessment/{LABEL}/freeze/", only({"manager", "admin"}, 302, anonymous=PAGE),
        method="post", data={}),
    Row("assessment:recompute", f"/assessment/{LABEL}/recompute/",
        only({"manager", "admin"}, 302, anonymous=PAGE), method="post", data={}),
    Row("assessment:ranking", f"/assessment/{LABEL}/ranking/department/", ASSESSMENT_READ),
    Row("assessment:object", lambda w: f"/assessment/{LABEL}/object/region/district/{w.cases['A1'].district_id}/",
        only({"manager", "admin", "handler_a", "handler_b"}, 404, anonymous=PAGE)),
    # A region's numbers are not a department's: 404; its own department's drill-down: 200.
    Row("assessment:drill", lambda w: f"/assessment/{LABEL}/drill/region/district/{w.cases['A1'].district_id}"
        "/reports/", only({"manager", "admin"}, 200, anonymous=PAGE, handler_a=404, handler_b=404)),
    Row("assessment:drill", lambda w: f"/assessment/{LABEL}/drill/department/district/"
        f"{User.objects.get(username='handler_a').department_id}/reports/",
        only({"manager", "admin", "handler_a"}, 200, anonymous=PAGE, handler_b=404)),
    # The hotline's agents and lines (issue 22): ranked like the others; a line's calls are no
    # department's numbers.
    Row("assessment:ranking", f"/assessment/{LABEL}/ranking/hotline_agent/", ASSESSMENT_READ),
    Row("assessment:drill", f"/assessment/{LABEL}/drill/hotline_line/city/12345/calls/",
        only({"manager", "admin"}, 200, anonymous=PAGE, handler_a=404, handler_b=404)),
    Row("assessment:distribution", f"/assessment/{LABEL}/distribution/", ASSESSMENT_READ),
    Row("assessment:hotspots", f"/assessment/{LABEL}/hotspots/", ASSESSMENT_READ),
    Row("assessment:leaders", f"/assessment/{LABEL}/leaders/", ASSESSMENT_READ),
    Row("assessment:bulletin", f"/assessment/{LABEL}/bulletin/", ASSESSMENT_READ),
    # Issued bulletins, as archived: the same readers (a department's people see their own lines).
    Row("assessment:bulletins", "/assessment/bulletins/", ASSESSMENT_READ),
    Row("assessment:bulletin_issued", lambda w: f"/assessment/bulletins/{_bulletin(w)}/", ASSESSMENT_READ),
    Row("assessment:bulletin_issued", lambda w: f"/assessment/bulletins/{_bulletin(w)}/?export=xlsx",
        ASSESSMENT_READ),

    # Workbench pages: a home per role, the case page and its moves, search, export, overview.
    Row("cases:home", "/", statuses(302, anonymous=PAGE)),
    Row("cases:operator", "/work/operator/", only({"operator", "operator_b", "admin"}, 200, anonymous=PAGE),
        lists=lambda w, role: scoped(w, role, {"A2", "A4", "B2", "B3"})),
    Row("cases:shift_leader", "/work/shift-leader/", only({"shift_leader", "admin"}, 200, anonymous=PAGE)),
    Row("cases:dispatcher", "/work/dispatcher/", only({"dispatcher", "admin"}, 200, anonymous=PAGE)),
    Row("cases:department", "/work/department/", only({"handler_a", "handler_b", "admin"}, 200, anonymous=PAGE),
        lists=lambda w, role: {"handler_a": {"A1"}, "handler_b": {"B1"}, "admin": {"A1", "B1"}}.get(role, set())),
    Row("cases:collector", "/work/collector/", only({"collector_a", "collector_b", "admin"}, 200, anonymous=PAGE),
        lists=lambda w, role: {"collector_a": {"A4"}, "collector_b": {"B2"}}.get(role, set())),
    Row("cases:report_new", "/cases/new/", only({"operator", "operator_b", "admin"}, 200, anonymous=PAGE)),
    Row("cases:case", case_path("/cases/{id}/", "A1"), in_scope("A1", 200, anonymous=PAGE)),
    Row("cases:case", case_path("/cases/{id}/", "A2"), in_scope("A2", 200, anonymous=PAGE),
        lists=lambda w, role: scoped(w, role, {"A2"})),
    Row("cases:act", case_path("/cases/{id}/act/return/", "A3"),
        in_scope("A3", 409, anonymous=PAGE, roles={"handler_a", "handler_b"}, scope_first=True), method="post",
        data={"return-reason_code": "not_our_duty", "return-note": "不属于本部门"}),
    Row("cases:act", case_path("/cases/{id}/act/redispatch/", "A3"),
        in_scope("A3", 409, anonymous=PAGE, roles={"dispatcher"}, scope_first=True), method="post",
        data=lambda w: {"redispatch-department": w.cases["B1"].department_id, "redispatch-note": "改派"}),
    Row("cases:search", "/search/", LOGGED_IN_PAGE, lists=lambda w, role: scoped(w, role)),
    Row("cases:export", "/search/export.xlsx", LOGGED_IN_PAGE, lists=lambda w, role: scoped(w, role)),
    Row("cases:overview", "/overview/", LOGGED_IN_PAGE),
    Row("cases:overview_grids", "/overview/grids.json", LOGGED_IN_PAGE),
    Row("cases:wall", "/overview/wall/", LOGGED_IN_PAGE),
    # The class picker's search: the desk roles (cases.selectors.class_picker.PICKER_ROLES); JSON 401
    # signed out, 403 for departments and collectors.
    Row("cases:classes", "/classes.json?q=jdc", only(CITY_LEVEL | {"operator_b"}, 200, anonymous=401)),
    # A photo: within the case's scope only; anyone else, signed in or not, the same 404.
    Row("cases:photo", lambda w: f"/photos/{w.ids['photo']}/", in_scope("A1", 200, anonymous=404)),
    Row("cases:photo_thumbnail", lambda w: f"/photos/{w.ids['photo']}/thumbnail/",
        in_scope("A1", 200, anonymous=404)),
]

# The patrol: a collector's own duty, track and posts (collectors only); where collectors are, the
# command center's within its region (patrol.selectors.VIEWER_ROLES).
COLLECTORS = {"collector_a", "collector_b"}
PATROL_VIEWERS = {"operator", "operator_b", "shift_leader", "dispatcher", "manager", "admin"}
PATROL_ROWS = [
    Row("patrol-duty", "/api/patrol/duty/", only(COLLECTORS, 200)),
    Row("patrol-points", "/api/patrol/points/", only(COLLECTORS, 400), method="post", data={"points": "x"}),
    Row("patrol-posts", "/api/patrol/posts/", only(COLLECTORS, 200)),
    Row("patrol-checkins", "/api/patrol/checkins/", only(COLLECTORS, 400), method="post", data={}),
    Row("patrol-today", "/api/patrol/today/", only(COLLECTORS, 200)),
    Row("patrol-collectors", "/api/patrol/collectors/", only(PATROL_VIEWERS, 200)),
    Row("patrol-track", lambda w: f"/api/patrol/collectors/{w.ids['collector_a']}/track/",
        only(PATROL_VIEWERS, 200, operator_b=404)),
    Row("patrol:map", "/patrol/", only(PATROL_VIEWERS, 200, anonymous=PAGE)),
    Row("patrol:day", lambda w: f"/patrol/collectors/{w.ids['collector_a']}/",
        only(PATROL_VIEWERS, 200, anonymous=PAGE, operator_b=404)),
    Row("patrol:table", "/patrol/table/", only(PATROL_VIEWERS, 200, anonymous=PAGE)),
]

# The field app: the shell for the field roles (and the administrator), its login page for whoever
# is not signed in, its manifest and service worker for everyone; the class list for all staff, the
# inbox for handlers.
FIELD_ROLES = COLLECTORS | {"handler_a", "handler_b", "admin"}
FIELD_ROWS = [
    Row("field:app", "/m/", only(FIELD_ROLES, 200, anonymous=PAGE)),
    Row("field:login", "/m/login/", statuses(302, anonymous=200)),
    Row("field:manifest", "/m/manifest.webmanifest", statuses(200)),
    Row("field:sw", "/m/sw.js", statuses(200)),
    Row("field-classes", "/api/field/classes/", LOGGED_IN_API),
    Row("field-inbox", "/api/field/inbox/", only({"handler_a", "handler_b", "admin"}, 200)),
]
ROWS += PATROL_ROWS + FIELD_ROWS


def _video_event(world: World, kind: str) -> int:
    """A video event of a camera in district A, made on first use: "pending" (waiting for an
    operator) or "rejected" (already decided, so that a confirmation is refused with a 409)."""
    key = f"video_{kind}"
    if key not in world.ids:
        from django.utils import timezone

        from video import services as video_services
        from video.models import Camera, EventStatus, VideoEvent

        camera = Camera.objects.filter(code="CAM-A").first() or video_services.camera_save(
            camera=Camera(code="CAM-A", name="东区路口", lon=point_in(0)[0], lat=point_in(0)[1]))
        platform = world.ids.get("video_platform_obj") or video_services.platform_create(name="matrix")[0]
        world.ids["video_platform_obj"] = platform
        event = video_services.video_event_receive(
            platform=platform, external_id=kind, camera_code=camera.code, detected_at=timezone.now(),
            class_code="0101", confidence=0.3, frame=photo("f.png"))
        if kind == "rejected":
            VideoEvent.objects.filter(pk=event.event.pk).update(status=EventStatus.REJECTED, reject_reason="x")
        world.ids[key] = event.event.pk
    return world.ids[key]


# Video intake: the platform's endpoint takes its key alone (a session or the Open311 key: 401);
# the command center reads pending events and accuracy within its region (video.selectors), and
# operators, shift leaders and the administrator decide (the rows are refused: an empty reason,
# an event already rejected). Scheduled backups: a page for staff (the administrator).
VIDEO_VIEWERS = {"operator", "operator_b", "shift_leader", "dispatcher", "manager", "admin"}
VIDEO_DECIDERS = {"operator", "shift_leader", "admin"}
VIDEO_ROWS = [
    Row("video-event-receive", "/api/video/events/", statuses(401), method="post", data={}, api_key=True),
    Row("video-events-pending", "/api/video/events/pending/", only(VIDEO_VIEWERS, 200)),
    Row("video-event-confirm", lambda w: f"/api/video/events/{_video_event(w, 'rejected')}/confirm/",
        only(VIDEO_DECIDERS, 409, operator_b=404), method="post"),
    Row("video-event-reject", lambda w: f"/api/video/events/{_video_event(w, 'pending')}/reject/",
        only(VIDEO_DECIDERS, 400, operator_b=404), method="post", data={"reason": ""}),
    Row("video-accuracy", "/api/video/accuracy/", only(VIDEO_VIEWERS, 200)),
    Row("video:pending", "/video/", only(VIDEO_VIEWERS, 200, anonymous=PAGE)),
    Row("video:confirm", lambda w: f"/video/events/{_video_event(w, 'rejected')}/confirm/",
        only(VIDEO_DECIDERS, 409, anonymous=PAGE, operator_b=404), method="post"),
    Row("video:reject", lambda w: f"/video/events/{_video_event(w, 'pending')}/reject/",
        only(VIDEO_DECIDERS, 400, anonymous=PAGE, operator_b=404), method="post", data={"reason": ""}),
    Row("video:frame", lambda w: f"/video/events/{_video_event(w, 'pending')}/frame/",
        only(VIDEO_VIEWERS, 200, other=404, anonymous=PAGE, operator_b=404)),
    Row("video:accuracy", "/video/accuracy/", only(VIDEO_VIEWERS, 200, anonymous=PAGE)),
    Row("backups", "/backups/", only({"admin"}, 200, other=302, anonymous=302)),
]
ROWS += VIDEO_ROWS


def _supervision(world: World, what: str) -> int:
    """Made on first use: a review (convened city-wide, district-A case A1 on its agenda, attendance
    not recorded) and its item, and a 交办函 about A1 sent to A1's department (sanitation_a)."""
    if what not in world.ids:
        from django.utils import timezone

        from supervision import services as supervision_services
        from supervision.models import LetterKind

        leader, dispatcher = User.objects.get(username="shift_leader"), User.objects.get(username="dispatcher")
        review = supervision_services.review_create(actor=leader, title="矩阵会审", held_on=timezone.localdate(),
                                                    case_numbers=[world.number("A1")])
        world.ids["review"], world.ids["review_item"] = review.pk, review.items.get().pk
        letter = supervision_services.letter_draft(actor=dispatcher, kind=LetterKind.ASSIGN,
                                                   department_id=world.cases["A1"].department_id,
                                                   case_numbers=[world.number("A1")])
        supervision_services.letter_send(actor=dispatcher, letter_id=letter.pk)
        world.ids["letter"] = letter.pk
    return world.ids[what]


# Joint reviews and letters (supervision.selectors): the command center reads them within its region
# (operator_b, in district B, does not see a city-wide review or letter: 404); shift leaders and
# managers convene and decide reviews, shift leaders, dispatchers and managers write letters;
# departments read and answer only the letters sent to them. The POST rows are refused: empty
# input (400), a letter already sent or not yet answered (409); the role is checked first (403).
SUPERVISION_VIEWERS = {"operator", "operator_b", "shift_leader", "dispatcher", "manager", "admin"}
REVIEWERS = {"shift_leader", "manager"}
LETTER_WRITERS = {"shift_leader", "dispatcher", "manager"}
LETTER_READERS = SUPERVISION_VIEWERS | {"handler_a", "handler_b"}
SUPERVISION_ROWS = [
    Row("supervision:reviews", "/supervision/reviews/", only(SUPERVISION_VIEWERS, 200, anonymous=PAGE)),
    Row("supervision:review", lambda w: f"/supervision/reviews/{_supervision(w, 'review')}/",
        only(SUPERVISION_VIEWERS, 200, anonymous=PAGE, operator_b=404)),
    Row("supervision:review-record", lambda w: f"/supervision/reviews/{_supervision(w, 'review')}/record/",
        only(REVIEWERS, 400, anonymous=PAGE), method="post", data={"minutes": "x"}),
    Row("supervision:review-cases", lambda w: f"/supervision/reviews/{_supervision(w, 'review')}/cases/",
        only(REVIEWERS, 400, anonymous=PAGE), method="post", data={"case_numbers": ""}),
    Row("supervision:review-decide", lambda w: f"/supervision/reviews/items/{_supervision(w, 'review_item')}/decide/",
        only(REVIEWERS, 400, anonymous=PAGE), method="post", data={"outcome": ""}),
    Row("supervision:letters", "/supervision/letters/", only(LETTER_READERS, 200, anonymous=PAGE)),
    Row("supervision:letter-new", "/supervision/letters/new/", only(LETTER_WRITERS, 200, anonymous=PAGE)),
    Row("supervision:letter", lambda w: f"/supervision/letters/{_supervision(w, 'letter')}/",
        only(LETTER_READERS, 200, anonymous=PAGE, operator_b=404, handler_b=404)),
    Row("supervision:letter-step", lambda w: f"/supervision/letters/{_supervision(w, 'letter')}/send/",
        only(LETTER_WRITERS, 409, anonymous=PAGE), method="post"),
    Row("supervision:letter-file", lambda w: f"/supervision/letters/{_supervision(w, 'letter')}/file",
        statuses(404, anonymous=PAGE)),
    Row("supervision-reviews", "/api/supervision/reviews/", only(SUPERVISION_VIEWERS, 200)),
    Row("supervision-reviews", "/api/supervision/reviews/", only(REVIEWERS, 400), method="post", data={"title": ""}),
    Row("supervision-review", lambda w: f"/api/supervision/reviews/{_supervision(w, 'review')}/",
        only(SUPERVISION_VIEWERS, 200, operator_b=404)),
    Row("supervision-review-attendance", lambda w: f"/api/supervision/reviews/{_supervision(w, 'review')}/attendance/",
        only(REVIEWERS, 400), method="post", data={"minutes": "x"}),
    Row("supervision-review-decide", lambda w: f"/api/supervision/review-items/{_supervision(w, 'review_item')}/decide/",
        only(REVIEWERS, 400), method="post", data={"note": "x"}),
    Row("supervision-letters", "/api/supervision/letters/", only(LETTER_READERS, 200)),
    Row("supervision-letters", "/api/supervision/letters/", only(LETTER_WRITERS, 400), method="post",
        data={"kind": "x"}),
    Row("supervision-letter", lambda w: f"/api/supervision/letters/{_supervision(w, 'letter')}/",
        only(LETTER_READERS, 200, operator_b=404, handler_b=404)),
    Row("supervision-letter-send", lambda w: f"/api/supervision/letters/{_supervision(w, 'letter')}/send/",
        only(LETTER_WRITERS, 409), method="post"),
    Row("supervision-letter-answer", lambda w: f"/api/supervision/letters/{_supervision(w, 'letter')}/answer/",
        only({"handler_a", "handler_b"}, 400), method="post", data={"note": "x"}),
    Row("supervision-letter-sign-off", lambda w: f"/api/supervision/letters/{_supervision(w, 'letter')}/sign-off/",
        only(LETTER_WRITERS, 409), method="post"),
    Row("supervision-letter-return", lambda w: f"/api/supervision/letters/{_supervision(w, 'letter')}/return/",
        only(LETTER_WRITERS, 400), method="post", data={"x": "y"}),
]
ROWS += SUPERVISION_ROWS


def _citizens(world: World, what: str) -> int:
    """Made on first use: a special survey of every grid for both collectors (collector_a's first
    task), and the rewards' record of 李四 (the public report B3's phone)."""
    if what not in world.ids:
        from django.utils import timezone

        from grids.models import UnitGrid
        from rewards.models import Citizen
        from surveys import services as survey_services

        today = timezone.localdate()
        survey = survey_services.survey_create(
            actor=User.objects.get(username="shift_leader"), name="矩阵普查", starts_on=today, ends_on=today,
            minor_ids=[], grid_ids=list(UnitGrid.objects.values_list("pk", flat=True)),
            collector_ids=list(User.objects.filter(username__in=["collector_a", "collector_b"])
                               .values_list("pk", flat=True)))
        world.ids["survey"] = survey.pk
        world.ids["survey_task"] = survey.tasks.filter(collector__username="collector_a").order_by("pk").first().pk
        world.ids["citizen"] = Citizen.objects.create(phone="13900000000").pk
    return world.ids[what]


# Special surveys (surveys.selectors): the command center reads them (city-wide work: no case in
# them), shift leaders and managers make and close them; a collector answers their own tasks (a
# manager may answer for them), another collector is told there is no such task (404). The finding
# row sends an empty body (400 for everyone signed in: the input is checked first).
SURVEY_VIEWERS = {"operator", "operator_b", "shift_leader", "dispatcher", "manager", "admin"}
SURVEY_MANAGERS = {"shift_leader", "manager", "admin"}
# Rewards (rewards.selectors): statements for hotline agents, shift leaders and managers, the payout
# register for managers; the citizen's own statement is public (phone and one of their case numbers).
REWARD_VIEWERS = {"hotline_agent", "shift_leader", "manager", "admin"}
REWARD_PAYERS = {"manager", "admin"}
CITIZENS_ROWS = [
    Row("surveys:list", "/surveys/", only(SURVEY_VIEWERS, 200, anonymous=PAGE)),
    Row("surveys:new", "/surveys/new/", only(SURVEY_MANAGERS, 200, anonymous=PAGE)),
    Row("surveys:detail", lambda w: f"/surveys/{_citizens(w, 'survey')}/", only(SURVEY_VIEWERS, 200, anonymous=PAGE)),
    Row("surveys:close", lambda w: f"/surveys/{_citizens(w, 'survey')}/close/",
        only(SURVEY_MANAGERS, 302, anonymous=PAGE), method="post"),
    Row("surveys:report", lambda w: f"/surveys/{_citizens(w, 'survey')}/report/",
        only(SURVEY_VIEWERS, 200, anonymous=PAGE)),
    Row("surveys:export", lambda w: f"/surveys/{_citizens(w, 'survey')}/export/",
        only(SURVEY_VIEWERS, 200, anonymous=PAGE)),
    Row("surveys-api:tasks-mine", "/api/surveys/tasks/mine/", statuses(200, anonymous=API)),
    Row("surveys-api:task-finding", lambda w: f"/api/surveys/tasks/{_citizens(w, 'survey_task')}/findings/",
        statuses(400, anonymous=API), method="post", data={"minor_id": "x"}),
    Row("surveys-api:task-no-problem", lambda w: f"/api/surveys/tasks/{_citizens(w, 'survey_task')}/no-problem/",
        only(SURVEY_MANAGERS | {"collector_a"}, 200, other=404, anonymous=API), method="post", data={"note": "无"}),
    Row("rewards:citizens", "/rewards/", only(REWARD_VIEWERS, 200, anonymous=PAGE)),
    Row("rewards:statement", lambda w: f"/rewards/citizens/{_citizens(w, 'citizen')}/",
        only(REWARD_VIEWERS, 200, anonymous=PAGE)),
    Row("rewards:my-statement", "/rewards/my/", statuses(200)),
    Row("rewards:payouts", "/rewards/payouts/", only(REWARD_PAYERS, 200, anonymous=PAGE)),
    Row("rewards:payouts-create", "/rewards/payouts/create/", only(REWARD_PAYERS, 302, anonymous=PAGE),
        method="post", data={"month": "2026-13"}),
    Row("rewards:payouts-paid", "/rewards/payouts/paid/", only(REWARD_PAYERS, 302, anonymous=PAGE), method="post"),
    Row("rewards:payouts-export", "/rewards/payouts/export/", only(REWARD_PAYERS, 200, anonymous=PAGE)),
    Row("rewards-api:statement", "/api/rewards/statement/?phone=13900000000", only(REWARD_VIEWERS, 200)),
    Row("rewards-api:public-statement", "/api/rewards/public/statement/", statuses(200), method="post",
        data=lambda w: {"phone": "13900000000", "case_number": w.number("B3")}, public=True),
    Row("rewards-api:payouts", "/api/rewards/payouts/?month=2026-01", only(REWARD_PAYERS, 200)),
    Row("rewards-api:payouts", "/api/rewards/payouts/", only(REWARD_PAYERS, 400), method="post", data={"month": "x"}),
    Row("rewards-api:payouts-paid", "/api/rewards/payouts/paid/", only(REWARD_PAYERS, 400), method="post",
        data={"payout_ids": []}),
]
ROWS += CITIZENS_ROWS


def _admin_rows() -> list[Row]:
    """The admin site: its index and every registered model's list, for staff only (the
    administrator); everyone else is sent to the admin's login."""
    rows = [Row("admin:index", "/admin/", only({"admin"}, 200, other=302, anonymous=302))]
    for model in admin.site._registry:
        meta = model._meta
        rows.append(Row(f"admin:{meta.app_label}_{meta.model_name}_changelist",
                        f"/admin/{meta.app_label}/{meta.model_name}/",
                        only({"admin"}, 200, other=302, anonymous=302)))
    return rows


ALL_ROWS = ROWS + _admin_rows()


# --- running a row -----------------------------------------------------------------------------

def _client(world_users, role: str) -> Client:
    client = Client()
    if role not in ("anonymous", "api_key"):
        client.force_login(world_users[role])
    return client


def _body(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if content[:2] == b"PK":  # an .xlsx: the text of its sheets
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return "".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xml"))
    return content.decode(errors="replace")


def _request(client: Client, row: Row, world: World, role: str):
    path = row.path(world) if callable(row.path) else row.path
    data = row.data(world) if callable(row.data) else dict(row.data or {})
    headers = {}
    if role == "api_key" and row.api_key:
        headers["X-Api-Key"] = world.api_key
        if row.method == "post" and path.startswith("/open311/"):
            data["api_key"] = world.api_key
    if row.method == "get":
        return client.get(path, headers=headers)
    has_files = any(hasattr(value, "read") for value in data.values())
    if path.startswith("/api/") and data and not has_files:
        return client.post(path, data, content_type="application/json", headers=headers)
    return client.post(path, data, headers=headers)


@pytest.mark.parametrize("row", ALL_ROWS, ids=lambda row: f"{row.method} {row.name}")
def test_matrix(world, city, row):
    users = city.users
    expect = row.expect(world) if callable(row.expect) else row.expect
    numbers = {key: case.number for key, case in world.cases.items()}
    problems = []
    for role in ROLES:
        response = _request(_client(users, role), row, world, role)
        if response.status_code != expect[role]:
            problems.append(f"{role}: status {response.status_code}, expected {expect[role]}")
            continue
        if response.status_code in (301, 302):
            continue
        body = _body(response)
        shown = {key for key, number in numbers.items() if number in body} - set(row.echo)
        if row.lists is not None and response.status_code == 200:
            wanted = row.lists(world, role)
            if shown != wanted:
                problems.append(f"{role}: lists {sorted(shown)}, expected {sorted(wanted)}")
        if not row.public and not row.name.startswith("admin:"):
            leaked = shown - world.scope[role]
            if leaked:
                problems.append(f"{role}: out-of-scope cases {sorted(leaked)} in the answer")
        if row.hidden and row.hidden[0] not in world.scope[role] and row.hidden[1] in body:
            problems.append(f"{role}: the text of out-of-scope case {row.hidden[0]} in the answer")
        if role in ("anonymous", "api_key") and IN_PUBLIC_TEXT in body:
            problems.append(f"{role}: the phone number in a report's text in a public answer")
        if role not in SEES_PERSONAL_DATA:
            personal = [value for value in PERSONAL if value in body and value not in row.echo]
            if personal:
                problems.append(f"{role}: personal data {personal} in the answer")
    assert not problems, "\n".join(problems)


def test_hotline_staff_see_callers_in_full(world, city):
    """The other side of masking: the agent who calls back sees the number (and others its mask)."""
    agent = _client(city.users, "hotline_agent").get(f"/api/hotline/calls/{world.call.pk}/").json()
    operator = _client(city.users, "operator").get(f"/api/hotline/calls/{world.call.pk}/").json()
    assert (agent["caller_phone"], agent["caller_name"]) == ("13700000000", "王五")
    assert (operator["caller_phone"], operator["caller_name"]) == ("137****0000", "王*")


# --- coverage ----------------------------------------------------------------------------------

def _url_names(patterns, prefix: str = "", namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _url_names(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name


def test_every_url_has_a_row():
    """Every URL the project serves is in the table (the admin site as a whole: its index and every
    registered model); a new endpoint or page without a row fails here."""
    covered = {row.name for row in ALL_ROWS}
    missing = []
    for route, name in _url_names(get_resolver().url_patterns):
        if route.startswith("admin/") or route.startswith("^media/"):  # the admin: below; media: DEBUG only
            continue
        if name is None or name not in covered:
            missing.append(f"{route} ({name})")
    assert not missing, "URLs without a row in the permission matrix:\n" + "\n".join(missing)


def test_every_role_is_in_the_matrix():
    assert {role for role in ROLES if role in Role.values or role in STAFF} == set(STAFF)
    roles_of_staff = {"operator": Role.OPERATOR, "shift_leader": Role.SHIFT_LEADER, "dispatcher": Role.DISPATCHER,
                      "manager": Role.MANAGER, "hotline_agent": Role.HOTLINE_AGENT, "handler_a": Role.HANDLER,
                      "collector_a": Role.COLLECTOR, "admin": Role.ADMIN}
    assert set(roles_of_staff.values()) == set(Role.values), "a role without a person in the matrix"
