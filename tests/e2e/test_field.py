"""The field app on a 390×844 phone in headless Chromium, with the position emulated: a collector goes
on duty, walks, checks in at a post, reports a problem with a photo, loses signal, reports another
and answers a 核查 task, gets signal back and both arrive exactly once; the operator sees the answer
with its position and distance; a handler answers a case with a photo; the supervisor replays the
track. Screenshots of the screens go to FIELD_SCREENSHOTS (docs/screenshots for the README) if set."""
import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image

from cases import workflow
from cases.models import Attachment, AttachmentKind, Case, State, Task
from citygrid.testing import PASSWORD, point_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("FIELD_SCREENSHOTS")
# Violations are recorded in every document before its own scripts run.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__csp.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


@pytest.fixture
def town(transactional_db, settings):
    from cases.calendar import calendar_cache_clear
    from citygrid.testing import tiny_city_build

    settings.PATROL_POINT_SECONDS = 1
    settings.FIELD_TRACK_BATCH_SECONDS = 3
    calendar_cache_clear()
    return tiny_city_build()


def photo(color: str) -> dict:
    """A camera photo as the phone would hand it over: bigger than the app sends (2400 px wide)."""
    buffer = io.BytesIO()
    Image.new("RGB", (2400, 1800), color).save(buffer, format="JPEG", quality=70)
    return {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def wait_for(condition, seconds: float = 20, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def phone(browser, live_server):
    """phone("collector_a", lon, lat) → a logged-in page of a 390×844 touch phone at that position;
    phone("collector_a") → one that refuses to tell its position (geolocation denied)."""
    contexts = []

    def make(username: str, lon: float | None = None, lat: float | None = None):
        located = {} if lon is None else {"permissions": ["geolocation"],
                                          "geolocation": {"longitude": lon, "latitude": lat, "accuracy": 8}}
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", **located)
        context.set_default_timeout(15_000)
        context.add_init_script(RECORD_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/m/")
        assert "/m/login/" in page.url
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.url.endswith("/m/"), page.url
        page.wait_for_selector("#view[data-screen]")
        return page

    yield make
    for context in contexts:
        context.close()


def fits_the_phone(page, name: str) -> None:
    """Nothing wider than the screen, the tab bar and the header on it, the page free of CSP
    violations; a screenshot for the README when asked."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    for selector in ("#tabs", ".bar"):
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (name, selector)
    assert page.evaluate("window.__csp") == [], name
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"field-{name}.png"))


def until(page, expression: str, seconds: float = 15) -> None:
    """Wait until a JavaScript expression holds in the page (polled from outside: the page's CSP
    forbids the eval that Playwright's wait_for_function uses)."""
    wait_for(lambda: page.evaluate(expression), seconds, what=expression)


def badge(page) -> tuple[int, int]:
    element = page.locator("#queue-badge")
    return int(element.get_attribute("data-waiting") or 0), int(element.get_attribute("data-failed") or 0)


def screen(page, hash_: str, name: str) -> None:
    page.evaluate(f"location.hash = '{hash_}'")
    page.wait_for_selector(f"#view[data-screen='{name}']")


def report(page, *, description: str, color: str, shot: str | None = None, tap_dx: int = 0) -> None:
    screen(page, "#report", "report")
    page.set_input_files("#report-photos", files=[photo(color)])
    page.wait_for_selector(".thumb img")
    until(page, "document.getElementById('position-text').textContent.indexOf('±') >= 0")
    page.wait_for_selector("#report-map path.leaflet-interactive")  # the unit grid the point falls in
    if tap_dx:  # the position moved by a tap on the map, west or east of the marker
        marker = page.locator("#report-map path[fill='#e0201b']").bounding_box()
        page.mouse.click(marker["x"] + marker["width"] / 2 + tap_dx, marker["y"] + marker["height"] / 2)
        until(page, "document.getElementById('position-text').textContent === '已手动调整位置'")
    page.fill("#class-search", "垃圾")
    page.click("#class-results button:has-text('暴露垃圾')")
    page.fill("#report-description", description)
    page.locator("#report-description").blur()
    # The submit button stays on screen above the tab bar however long the form is.
    box = page.locator("#report-submit").bounding_box()
    tabs = page.locator("#tabs").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= tabs["y"] + 1, (box, tabs)
    if shot:
        page.evaluate("window.scrollTo(0, 0)")
        fits_the_phone(page, shot)
    page.click("#report-submit")


def test_a_day_in_the_field(town, phone, login_page, live_server, settings):
    from patrol.models import CheckIn, DutyShift, PatrolPoint, Post

    collector = town.users["collector_a"]
    post_lon, post_lat = point_in(1)
    post = Post.objects.create(name="人民路口岗", lon=post_lon, lat=post_lat, radius_m=60,
                               responsibility_grid=town.responsibility_grids[0])
    post.collectors.add(collector)
    from cases.tests.helpers import case_build

    to_check = case_build(town, State.CHECKING, grid=0)
    to_handle = case_build(town, State.DISPATCHED, grid=1)
    # The department's other cases, each with a mark the phone must show.
    overdue = case_build(town, State.DISPATCHED, grid=1)
    overdue.current_deadline = timezone.now() - timedelta(hours=2)
    overdue.save(update_fields=["current_deadline"])
    for reason in ("群众反映强烈", "再次督办"):
        workflow.case_urge(actor=town.users["dispatcher"], case_id=overdue.pk, note=reason)
    suspended = case_build(town, State.DISPATCHED, grid=0)
    workflow.case_request_suspension(actor=town.users["handler_a"], case_id=suspended.pk,
                                     until=timezone.localdate() + timedelta(days=30), note="待管线施工结束")
    workflow.case_approve_suspension(actor=town.users["shift_leader"], case_id=suspended.pk)
    reworked = case_build(town, State.CHECKING, grid=0)
    workflow.case_check_fail(actor=town.users["operator"], case_id=reworked.pk, note="垃圾仍未清运")
    for case, address in ((to_check, "人民路 88 号门前"), (to_handle, "解放路与五一路口"), (overdue, "五一路 16 号"),
                          (suspended, "建设路 3 号"), (reworked, "人民路 120 号")):
        Case.objects.filter(pk=case.pk).update(address=address)
    built = set(Case.objects.values_list("pk", flat=True))

    # On duty at the west end of grid 0, then walking east.
    start_lon, start_lat = point_in(0, 0.1)
    page = phone("collector_a", start_lon, start_lat)
    assert page.locator("#tabs a[aria-current=page]").inner_text() == "上报"
    screen(page, "#patrol", "patrol")
    page.click("#duty-toggle")
    wait_for(lambda: DutyShift.objects.filter(collector=collector, ended_at__isnull=True).exists(), what="duty")
    page.wait_for_selector("#duty-state:has-text('在岗')")
    for step in range(1, 6):
        page.context.set_geolocation({"longitude": start_lon + step * 0.0002, "latitude": start_lat, "accuracy": 8})
        page.wait_for_timeout(1100)
    # At the post: check in.
    page.context.set_geolocation({"longitude": post_lon + 0.0001, "latitude": post_lat, "accuracy": 6})
    page.wait_for_timeout(1100)
    screen(page, "#patrol", "patrol")
    page.click(f"button[data-post='{post.pk}']")
    checkin = wait_for(lambda: CheckIn.objects.filter(collector=collector, post=post).first(), what="check-in")
    assert 5 < checkin.distance_m < 15  # 0.0001° of longitude at 28°N is about 9.8 m
    wait_for(lambda: PatrolPoint.objects.filter(collector=collector).count() >= 4, what="track points")
    fits_the_phone(page, "patrol")

    # A report with a photo, online.
    report(page, description="E2E：人民路口暴露垃圾", color="green", shot="report", tap_dx=-15)
    first = wait_for(lambda: Case.objects.filter(description="E2E：人民路口暴露垃圾").first(), what="first report")
    assert (first.reporter_id, first.unit_grid_id) == (collector.pk, town.grids[1].pk)
    assert post_lon - 0.0003 < first.lon < post_lon + 0.0001 - 1e-6  # tapped a little west of the GPS fix
    assert abs(first.lat - post_lat) < 0.0001
    stored = wait_for(lambda: Attachment.objects.filter(case=first).first(), what="the report's photo")
    with Image.open(stored.file.path) as image:
        assert max(image.size) == 1600  # compressed on the phone: 2400 px in, 1600 px out

    # The service worker controls the app and keeps its shell for a start without signal.
    until(page, "!!navigator.serviceWorker.controller")
    assert page.evaluate("caches.match('/m/').then(function (r) { return !!r; })")

    # No signal: a second report and a 核查 answer wait on the phone. The app is closed and opened
    # again in the middle of the report: the shell starts offline, the typed text and photo are there.
    page.context.set_offline(True)
    page.wait_for_selector("#net.off")
    screen(page, "#report", "report")
    page.set_input_files("#report-photos", files=[photo("blue")])
    page.wait_for_selector(".thumb img")
    page.fill("#report-description", "E2E：离线上报的井盖破损")
    page.wait_for_timeout(600)  # the draft is saved 250 ms after the last keystroke
    restarted = page.reload()
    assert restarted.from_service_worker  # no signal: the page is the service worker's copy
    page.wait_for_selector("#view[data-screen='report']")
    assert page.input_value("#report-description") == "E2E：离线上报的井盖破损"
    assert page.locator(".thumb img").count() == 1
    assert page.locator("#net").inner_text() == "离线"
    until(page, "document.getElementById('position-text').textContent.indexOf('±') >= 0")
    page.fill("#class-search", "垃圾")
    page.click("#class-results button:has-text('暴露垃圾')")
    page.click("#report-submit")
    until(page, "+document.getElementById('queue-badge').dataset.waiting >= 1")
    screen(page, "#tasks", "tasks")
    task = Task.objects.get(case=to_check)
    page.click(f"a[data-task='{task.pk}']")
    page.wait_for_selector("#view[data-screen='task']")
    page.set_input_files("#task-photos", files=[photo("orange")])
    page.wait_for_selector(".thumb img")
    page.click("button[data-result='true']")
    page.fill("#task-note", "已清理干净")
    page.click("#task-submit")
    page.wait_for_selector("#view[data-screen='tasks']")
    assert "答复待发送" in page.locator(f"a[data-task='{task.pk}']").inner_text()
    fits_the_phone(page, "tasks")
    time.sleep(2)  # the outbox would have sent by now if it could
    assert not Case.objects.filter(description="E2E：离线上报的井盖破损").exists()
    task.refresh_from_db()
    assert task.completed_at is None
    waiting, failed = badge(page)
    assert waiting >= 2 and failed == 0
    screen(page, "#queue", "queue")
    assert page.locator("#queue-list li[data-status=waiting]").count() >= 2
    fits_the_phone(page, "queue")

    # Signal again: everything goes, each exactly once, and nothing is left waiting.
    page.context.set_offline(False)
    wait_for(lambda: Case.objects.filter(description="E2E：离线上报的井盖破损").exists(), what="the offline report")
    wait_for(lambda: Task.objects.filter(pk=task.pk, completed_at__isnull=False).exists(), what="the offline answer")
    until(page, "document.getElementById('queue-badge').textContent === ''")
    # The queue is empty; a restart of the app sends nothing again.
    page.wait_for_selector("#queue-list li.muted:has-text('没有待发送的内容')")
    assert page.locator("#send-now").is_disabled()
    page.reload()
    page.wait_for_selector("#view[data-screen='queue']")
    page.wait_for_timeout(1500)
    assert Case.objects.filter(description="E2E：离线上报的井盖破损").count() == 1
    assert Case.objects.exclude(pk__in=built).count() == 2
    task.refresh_from_db()
    to_check.refresh_from_db()
    assert (task.result, to_check.state) == (True, State.CHECKED)
    assert task.answered_lon is not None and task.distance_m is not None
    assert Attachment.objects.filter(case=to_check, kind=AttachmentKind.AFTER).count() == 1

    # Off duty: the track is on the server, every point within the shift.
    screen(page, "#patrol", "patrol")
    page.click("#duty-toggle")
    shift = wait_for(lambda: DutyShift.objects.filter(collector=collector, ended_at__isnull=False).first(), what="off duty")
    points = list(PatrolPoint.objects.filter(shift=shift).order_by("at"))
    assert len(points) >= 6
    assert points[-1].lon - points[0].lon > 0.0008  # the walk east is in the track
    assert len({(p.at, p.lon) for p in points}) == len(points)  # no point twice

    # The operator sees the answer with where it was given and how far from the case.
    operator = login_page("operator")
    operator.goto(f"{live_server.url}/cases/{to_check.pk}/")
    text = operator.inner_text("main")
    assert f"{round(task.distance_m)}" in text, text[:2000]

    # The handler answers a case on the phone, with a photo and the position.
    handler = phone("handler_a", to_handle.lon + 0.0002, to_handle.lat)
    handler.wait_for_selector("#view[data-screen='inbox']")
    handler.wait_for_selector(f"a[data-case='{to_handle.number}']")
    items = handler.locator("#inbox-list a.item")
    assert items.count() == 4  # the department's cases being handled or suspended
    first_item = items.nth(0).inner_text()
    assert overdue.number in first_item and "超时" in first_item and "督办 ×2" in first_item
    assert "挂账" in handler.locator(f"a[data-case='{suspended.number}']").inner_text()
    assert "返工 ×1" in handler.locator(f"a[data-case='{reworked.number}']").inner_text()
    fits_the_phone(handler, "inbox")

    # A request the server refuses stays on the phone as failed, with the server's reason.
    handler.click(f"a[data-case='{overdue.number}']")
    handler.wait_for_selector("#view[data-screen='case']")
    handler.click("summary:has-text('申请延期')")
    handler.fill("#ext-until", "2020-01-01T10:00")
    handler.fill("#ext-reason", "需调运大型机械")
    handler.click("#ext-submit")
    handler.wait_for_selector("#view[data-screen='inbox']")  # the app goes back to the inbox
    handler.wait_for_selector("#queue-badge.has-failed")
    assert badge(handler) == (0, 1)
    screen(handler, "#queue", "queue")
    failed = handler.locator("#queue-list li[data-status=failed]")
    assert "申请的延期时限必须晚于当前时间" in failed.inner_text()
    screen(handler, "#inbox", "inbox")
    handler.click(f"a[data-case='{to_handle.number}']")
    handler.wait_for_selector("#view[data-screen='case']")
    assert handler.locator("#navigate").get_attribute("href").startswith(f"geo:{to_handle.lat},{to_handle.lon}")
    handler.wait_for_selector("#case-map.leaflet-container")
    fits_the_phone(handler, "case")
    handler.set_input_files("#handled-photos", files=[photo("gray")])
    handler.wait_for_selector(".thumb img")
    handler.fill("#handled-note", "已清运完毕")
    fits_the_phone(handler, "handled")
    handler.click("#handled-submit")
    handler.wait_for_selector("#view[data-screen='inbox']")
    wait_for(lambda: Case.objects.filter(pk=to_handle.pk, state=State.HANDLED).exists(), what="the handled report")
    wait_for(lambda: Attachment.objects.filter(case=to_handle, kind=AttachmentKind.AFTER).count() == 1,
             what="the handled report's photo")
    # The failed request did not hold the handled report back; discarded, it is gone. (The server
    # commits before the phone reads its answer: the queue empties a moment after the row exists.)
    screen(handler, "#queue", "queue")
    wait_for(lambda: badge(handler) == (0, 1), what="the handled report off the phone's queue")
    handler.click("#queue-list li[data-status=failed] button.danger")
    handler.wait_for_selector("#queue-list li.muted")
    assert handler.locator("#queue-badge").inner_text() == ""

    # The supervisor replays the collector's day.
    leader = login_page("shift_leader")
    leader.goto(f"{live_server.url}/patrol/collectors/{collector.pk}/")
    leader.wait_for_selector("#patrol-track.leaflet-container")
    assert f"{len(points)} 个点" in leader.inner_text("#h-track")
    assert "人民路口岗" in leader.inner_text("main")
    leader.locator("#patrol-replay").fill("0")
    first_point = timezone.localtime(points[0].at).strftime("%H:%M:%S")
    wait_for(lambda: first_point in leader.inner_text("#patrol-replay-time"), what="the replay's first point")


def test_an_assisting_department_reports_its_part_from_the_phone(town, phone):
    """协办 on the phone: the case a department assists on is in its inbox, marked 协办 with its
    task's deadline; 协办完成 is queued offline like every answer and arrives once with the signal."""
    from cases.models import CaseAssist
    from cases.tests.helpers import case_build

    case = case_build(town, State.FILED, department=None, grid=0)
    workflow.case_joint_dispatch(actor=town.users["dispatcher"], case_id=case.pk,
                                 department_id=town.departments["sanitation_a"].pk,
                                 assisting_department_ids=[town.departments["municipal"].pk], note="市政协办")
    lon, lat = point_in(0)
    handler = phone("handler_municipal", lon, lat)
    handler.wait_for_selector(f"a[data-case='{case.number}']")
    row = handler.locator(f"a[data-case='{case.number}']")
    assert "协办" in row.locator(".mark-assisting").inner_text()
    handler.click(f"a[data-case='{case.number}']")
    handler.wait_for_selector("#assist-form")
    assert handler.locator("#handled-form").count() == 0  # the lead's moves are not offered
    handler.fill("#assist-note", "井盖已复位")
    fits_the_phone(handler, "assist")
    handler.context.set_offline(True)
    handler.click("#assist-submit")
    handler.wait_for_selector("#view[data-screen='inbox']")
    until(handler, "document.getElementById('queue-badge').dataset.waiting === '1'")
    assert CaseAssist.objects.get(case=case).completed_at is None  # nothing left the phone yet
    handler.context.set_offline(False)
    handler.evaluate("window.dispatchEvent(new Event('online'))")
    assist = wait_for(lambda: CaseAssist.objects.filter(case=case, completed_at__isnull=False).first(),
                      what="协办完成")
    assert (assist.note, assist.completed_by) == ("井盖已复位", town.users["handler_municipal"])
    until(handler, "document.getElementById('queue-badge').textContent === ''")


def test_a_report_without_position_is_placed_by_a_tap_on_the_collectors_area(town, phone):
    """No GPS (the position refused): the report's map opens on the collector's own grids with a
    hint, and a tap on the map sets the point the report is filed at."""
    page = phone("collector_a")
    screen(page, "#report", "report")
    until(page, "document.getElementById('position-text').textContent.indexOf('未获取到定位，请在地图上点选位置') === 0")
    page.wait_for_selector("#report-map.leaflet-container")
    fits_the_phone(page, "report-no-position")
    # The map shows collector_a's grids 0 and 1: a tap right of the middle lands in grid 1.
    # Tapped again while the map is still fitting the grids (a loaded CI machine): a tap taken
    # during Leaflet's zoom animation is dropped, as it is on a phone.
    box = page.locator("#report-map").bounding_box()
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    placed = "document.getElementById('position-text').textContent === '已手动调整位置'"
    for _attempt in range(5):
        page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
        try:
            page.wait_for_function(placed, timeout=3000)
            break
        except PlaywrightTimeout:
            continue
    until(page, placed)
    page.wait_for_selector("#report-map path[fill='#e0201b']")
    page.set_input_files("#report-photos", files=[photo("blue")])
    page.wait_for_selector(".thumb img")
    page.fill("#class-search", "垃圾")
    page.click("#class-results button:has-text('暴露垃圾')")
    page.fill("#report-description", "E2E：无定位点选上报")
    page.click("#report-submit")
    case = wait_for(lambda: Case.objects.filter(description="E2E：无定位点选上报").first(), what="the tapped report")
    assert case.unit_grid_id == town.grids[1].pk
    until(page, "document.getElementById('queue-badge').textContent === ''")
    wait_for(lambda: Attachment.objects.filter(case=case).exists(), what="the report's photo")
