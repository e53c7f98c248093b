"""`make screenshots`: the README's pictures in docs/screenshots/ from the demo city — the desk at
1366×768 (intake with its map and class picker, the operator's queue, a confirmation, a case, the
department's inbox with its state marks, the overview), the wall at 1920×1080 and the field app on a
390×844 phone. PNGs are quantized to 256 colours (Pillow) to keep the repository small.

Builds a throwaway SQLite database (the demo city of grids.demo plus a shift's worth of live cases
reported and moved through cases.services / cases.workflow, as the pages would), serves it with
runserver, and photographs the pages in the machine's headless Chromium (/usr/bin/chromium).
Nothing touches the project's own database.
"""
import io
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1366, "height": 768}
DEMO_PASSWORD = "citygrid-demo"


def shift_anchor() -> str:
    """10:40 on the latest past weekday, city time: the moment the pictures pretend it is, so the
    queue shows a morning's mix of green, yellow and red whatever time the command runs."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    day = now.date() - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 40, tzinfo=ZoneInfo("Asia/Shanghai")).isoformat()


def clock_install(anchor: str) -> None:
    """Make django.utils.timezone.now() run from `anchor` onwards (every module reads the clock
    through it)."""
    from datetime import UTC, datetime

    from django.utils import timezone

    start_real = datetime.now(UTC)
    start_fake = datetime.fromisoformat(anchor).astimezone(UTC)
    timezone.now = lambda: start_fake + (datetime.now(UTC) - start_real)


def environment(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "MAP_TILE_URL"):
        env.pop(name, None)
    env.update({
        "DATABASE_URL": f"sqlite:///{workdir / 'screenshots.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "citygrid.settings",
    })
    env.setdefault("CITYGRID_SCREENSHOT_NOW", shift_anchor())
    return env


def photo(seed: int) -> "io.BytesIO":
    """A plausible street photo stand-in: grey road, a kerb, a coloured heap."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", (320, 240), (120, 124, 128))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 150, 320, 240], fill=(170, 170, 165))
    draw.rectangle([0, 140, 320, 150], fill=(210, 210, 200))
    x, y = rng.randint(60, 220), rng.randint(160, 200)
    draw.ellipse([x - 40, y - 20, x + 40, y + 20], fill=(rng.randint(90, 160), rng.randint(60, 110), 40))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return SimpleUploadedFile(f"demo-{seed}.jpg", buffer.getvalue(), content_type="image/jpeg")


def seed(env: dict[str, str]) -> str:
    """Migrate, build the demo city, and report a shift's cases; returns the pk of the case to show and
    the collector's home grid centre (where the phones stand), "pk lon lat"."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    clock_install(env["CITYGRID_SCREENSHOT_NOW"])
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", scale=0.3, cases=0, verbosity=0)

    from cases import services, workflow
    from cases.models import Source, Urgency
    from grids.models import Component, MinorClass, UnitGrid, User

    users = {u.username: u for u in User.objects.filter(
        username__in=["operator", "shift_leader", "dispatcher", "handler", "handler2", "collector"])}
    collector = users["collector"]
    home_grids = list(UnitGrid.objects.filter(responsibility_grid__collectors=collector).order_by("code"))
    district = home_grids[0].district_id
    grids = list(UnitGrid.objects.filter(district_id=district).order_by("code")[:120])
    rng = random.Random(2026)

    def minor(name: str) -> MinorClass:
        found = MinorClass.objects.filter(name__contains=name, is_active=True, edition="legacy4").first()
        return found or MinorClass.objects.filter(is_active=True).first()

    classes = [minor(n) for n in ("暴露垃圾", "井盖", "占道经营", "乱堆物料", "道路破损", "路灯", "积存垃圾渣土",
                                   "非法小广告", "废弃车辆", "绿地脏乱")]
    descriptions = {
        "暴露垃圾": "人行道旁堆放生活垃圾约2平方米，有异味",
        "井盖": "雨水井盖破损，一角下陷，存在安全隐患",
        "占道经营": "早市摊贩占用人行道经营水果",
        "乱堆物料": "装修建材堆放在小区出入口",
        "道路破损": "机动车道出现坑槽约1米见方",
        "路灯": "路灯夜间不亮，已持续两晚",
        "积存垃圾渣土": "绿化带内积存建筑渣土",
        "非法小广告": "公交站牌上张贴大量小广告",
        "废弃车辆": "路边停放一辆无牌废弃面包车",
        "绿地脏乱": "街头绿地有塑料袋和烟头",
    }
    addresses = ["人民路与解放路交叉口东北角", "五一大道368号门前", "芙蓉中路二段老邮局对面", "湘江中路滨江风光带",
                 "劳动西路天心阁北门", "韶山北路东塘菜市场", "黄兴南路步行街入口", "车站北路公交站"]
    sources = [Source.COLLECTOR] * 5 + [Source.HOTLINE_12319] * 2 + [Source.HOTLINE_12345, Source.PUBLIC, Source.VIDEO]

    real_now = timezone.now
    # Yesterday afternoon's leftovers, then this morning's intake up to the anchor.
    started = real_now() - timedelta(hours=22)
    created = []
    show = None
    try:
        for i in range(48):
            if i < 30:
                moment = started + timedelta(minutes=9 * i + rng.randint(0, 8))
            else:
                moment = real_now() - timedelta(minutes=4 * (48 - i) + rng.randint(0, 3))
            timezone.now = lambda moment=moment: moment  # every module reads the clock through timezone
            grid = rng.choice(home_grids if i % 3 == 0 else grids)
            minor_class = classes[i % len(classes)]
            lon = grid.min_lon + (grid.max_lon - grid.min_lon) * rng.uniform(0.35, 0.65)
            lat = grid.min_lat + (grid.max_lat - grid.min_lat) * rng.uniform(0.35, 0.65)
            if not _inside(grid, lon, lat):
                lon, lat = grid.center_lon, grid.center_lat
            source = sources[i % len(sources)]
            key = next((k for k in descriptions if k in minor_class.name), None)
            result = services.case_report(
                actor=collector if source == Source.COLLECTOR else None, source=source, minor_id=minor_class.pk,
                lon=lon, lat=lat, description=descriptions.get(key, f"{minor_class.name}问题"),
                address=rng.choice(addresses), urgency=Urgency.URGENT if i % 11 == 0 else Urgency.NORMAL,
                photos=[photo(i)] if source == Source.COLLECTOR else None,
                reporter_name="" if source == Source.COLLECTOR else rng.choice(["王女士", "李先生", "张先生"]),
                reporter_phone="" if source == Source.COLLECTOR else f"1390731{rng.randint(1000, 9999)}",
            )
            created.append(result.case)
        # Move the older ones along the loop so every queue and light has something in it.
        for index, case in enumerate(created[:34]):
            moment = case.reported_at + timedelta(minutes=20)
            timezone.now = lambda moment=moment: moment
            stage = index % 6
            workflow.case_propose_file(actor=users["operator"], case_id=case.pk)
            if stage == 0:
                continue
            workflow.case_file(actor=users["shift_leader"], case_id=case.pk)
            if stage == 1:
                if show is None and case.attachments.exists() and Component.objects.filter(
                        lon__range=(case.lon - 0.001, case.lon + 0.001),
                        lat__range=(case.lat - 0.001, case.lat + 0.001)).exists():
                    show = case.pk
                continue
            case.refresh_from_db()
            department = case.suggested_department_id
            if not department:
                continue
            timezone.now = lambda moment=moment + timedelta(minutes=15): moment
            workflow.case_dispatch(actor=users["dispatcher"], case_id=case.pk, department_id=department)
            if stage == 4:
                timezone.now = lambda moment=moment + timedelta(minutes=40): moment
                workflow.case_request_extension(actor=users["handler"] if case.department_id == users[
                    "handler"].department_id else users["handler2"], case_id=case.pk, note="需协调管线单位",
                    requested_deadline=case.reported_at + timedelta(days=7)) if case.department_id in (
                    users["handler"].department_id, users["handler2"].department_id) else None
        timezone.now = lambda: real_now() - timedelta(minutes=30)
        _marks(users, created, show)
    finally:
        timezone.now = real_now
    home = home_grids[0]
    return f"{show or created[0].pk} {home.center_lon:.6f} {home.center_lat:.6f}"


def _marks(users: dict, created: list, show: int | None) -> None:
    """Give the department's inbox every mark it shows (督办, 挂账 until a date, 返工, a joint case it
    assists on) and the shift leader a case to close — each through the workflow, as the desk would."""
    from cases import workflow
    from cases.models import Case, State

    handler, other = users["handler"], users["handler2"]
    ids = [c.pk for c in created if c.pk != show]
    filed = list(Case.objects.filter(pk__in=ids, state=State.FILED).order_by("pk").values_list("pk", flat=True))
    if filed:
        workflow.case_joint_dispatch(actor=users["dispatcher"], case_id=filed[0], department_id=other.department_id,
                                     assisting_department_ids=[handler.department_id], note="需市政协助复位井盖")
    for case_id in filed[1:4]:
        workflow.case_dispatch(actor=users["dispatcher"], case_id=case_id, department_id=handler.department_id)
    mine = list(Case.objects.filter(pk__in=ids, state=State.DISPATCHED, department_id=handler.department_id)
                .exclude(pk__in=filed[:1]).order_by("pk").values_list("pk", flat=True))
    if len(mine) >= 1:
        workflow.case_urge(actor=users["dispatcher"], case_id=mine[0], note="群众多次反映，请尽快处置")
    if len(mine) >= 2:
        until = (timezone_now() + timedelta(days=30)).date()
        workflow.case_request_suspension(actor=handler, case_id=mine[1], until=until, note="需管线单位配合施工")
        workflow.case_approve_suspension(actor=users["shift_leader"], case_id=mine[1])
    if len(mine) >= 3:
        workflow.case_report_handled(actor=handler, case_id=mine[2], note="已修复")
        workflow.case_send_check(actor=users["operator"], case_id=mine[2])
        workflow.case_check_fail(actor=users["operator"], case_id=mine[2], note="现场仍有破损，需返工")
    theirs = Case.objects.filter(pk__in=ids, state=State.DISPATCHED, department_id=other.department_id).order_by("pk")
    for case_id in list(theirs.values_list("pk", flat=True))[1:3]:  # checked, waiting for the shift leader's 结案
        workflow.case_report_handled(actor=other, case_id=case_id, note="已清运")
        workflow.case_send_check(actor=users["operator"], case_id=case_id)
        collector = Case.objects.get(pk=case_id).responsibility_grid.collectors.order_by("username").first()
        workflow.case_check_pass(actor=collector, case_id=case_id, note="现场已清理干净")


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def _inside(grid, lon: float, lat: float) -> bool:
    import shapely
    from shapely.geometry import shape

    return bool(shapely.intersects_xy(shape(grid.geometry), lon, lat))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server at {url} did not start")


PHONE = {"width": 390, "height": 844}
WALL = {"width": 1920, "height": 1080}
SHOTS = ("intake", "queue", "confirm", "case", "inbox", "overview", "wall", "field-report", "field-inbox",
         "field-case")


def shoot(base: str, case_pk: int, position: dict) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)

        def login(username: str, viewport: dict = VIEWPORT, phone: bool = False):
            located = {"permissions": ["geolocation"], "geolocation": position} if phone else {}
            context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai",
                                          is_mobile=phone, has_touch=phone, **located)
            page = context.new_page()
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            return page

        def save(page, name: str, **options) -> None:
            page.mouse.move(0, 0)
            page.screenshot(path=str(OUT / f"{name}.png"), **options)

        # The operator registers a call: the class picked by pinyin initials, the place found by name
        # and then clicked on the map; the whole form at 1366 px wide.
        operator = login("operator")
        operator.goto(f"{base}/cases/new/")
        operator.select_option("#id_source", label="12319热线")
        operator.fill("#id_description", "人行道旁堆放生活垃圾约2平方米，有异味")
        combo = operator.locator("#id_minor_search")
        combo.click()
        combo.press_sequentially("bllj")
        combo.press("Enter")
        search = operator.locator("[data-map-picker] [data-search]")
        search.press_sequentially("人民")
        operator.locator("[data-map-picker] [data-results] li").first.wait_for()
        search.press("ArrowDown")
        search.press("Enter")
        for _ in range(50):  # the site's CSP refuses wait_for_function's eval: poll the field instead
            if operator.input_value("#id_unit_grid"):
                break
            operator.wait_for_timeout(200)
        operator.wait_for_timeout(1200)  # the basemap of the new view
        save(operator, "intake", full_page=True)

        operator.goto(f"{base}/work/operator/")
        operator.keyboard.press("j")
        operator.keyboard.press("j")
        save(operator, "queue")

        # The shift leader closes a case: the dialog says what will happen, Enter confirms.
        leader = login("shift_leader")
        leader.goto(f"{base}/work/shift-leader/")
        leader.wait_for_load_state("networkidle")
        button = leader.locator("tr[data-row] form[data-confirm] button[data-key='c']").first  # 结案
        if button.count():
            button.scroll_into_view_if_needed()
            button.click()
            leader.locator("dialog#confirm-move[open]").wait_for()
            leader.wait_for_timeout(300)
            save(leader, "confirm")

        dispatcher = login("dispatcher")
        dispatcher.goto(f"{base}/cases/{case_pk}/")
        dispatcher.wait_for_load_state("networkidle")
        dispatcher.keyboard.press("d")  # opens the dispatch form, as a dispatcher would
        dispatcher.evaluate("window.scrollTo(0, 0)")
        dispatcher.wait_for_timeout(500)
        save(dispatcher, "case")

        handler = login("handler")
        handler.goto(f"{base}/work/department/")
        handler.wait_for_load_state("networkidle")
        save(handler, "inbox")

        manager = login("manager")
        manager.goto(f"{base}/overview/")
        manager.wait_for_load_state("networkidle")
        manager.wait_for_selector("#overview-map[data-loaded]", timeout=15_000)
        manager.wait_for_timeout(500)
        save(manager, "overview")

        wall = login("manager", WALL)
        wall.goto(f"{base}/overview/wall/")
        wall.wait_for_load_state("networkidle")
        wall.wait_for_timeout(1500)
        save(wall, "wall")

        collector = login("collector", PHONE, phone=True)
        collector.goto(f"{base}/m/#report")
        collector.wait_for_selector("#view[data-screen='report']")
        collector.fill("#class-search", "垃圾")
        collector.locator("#class-results button").first.click()
        collector.fill("#report-description", "人行道旁堆放生活垃圾，有异味")
        collector.evaluate("window.scrollTo(0, 0)")
        collector.wait_for_timeout(2000)  # the position, then the basemap around it
        save(collector, "field-report")

        phone = login("handler", PHONE, phone=True)
        phone.goto(f"{base}/m/")
        phone.wait_for_selector("#view[data-screen='inbox']")
        phone.wait_for_timeout(800)
        save(phone, "field-inbox")
        phone.locator("a[data-case]").first.click()
        phone.wait_for_selector("#case-map[data-basemap]", timeout=15_000)
        phone.wait_for_timeout(800)
        save(phone, "field-case")
        browser.close()


def quantize(path: Path) -> None:
    """256 colours, as pngquant would: a fifth of the size, the text as sharp."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def main() -> None:
    if not Path(CHROMIUM).exists():
        sys.exit(f"no Chromium at {CHROMIUM}: apt-get install -y chromium chromium-driver")
    try:
        fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout
    except OSError:
        fonts = ""
    if not fonts.strip():
        print("warning: no CJK font found (apt-get install -y fonts-noto-cjk); Chinese text will show as boxes",
              file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="citygrid-shots-") as tmp:
        workdir = Path(tmp)
        env = environment(workdir)
        # Seeding runs in a child process so that this process keeps no Django state around.
        result = subprocess.run([sys.executable, __file__, "--seed-only", str(workdir)], env=env, cwd=ROOT,
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            sys.exit(f"seeding failed:\n{result.stdout}\n{result.stderr}")
        case_pk, lon, lat = result.stdout.strip().splitlines()[-1].split()
        port = free_port()
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)],
                                  env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/accounts/login/")
            shoot(base, int(case_pk), {"longitude": float(lon), "latitude": float(lat), "accuracy": 8})
        finally:
            server.terminate()
            server.wait(timeout=10)
    for name in SHOTS:
        path = OUT / f"{name}.png"
        if path.exists():
            quantize(path)
            print(path, f"{path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--seed-only":
        print(seed(dict(os.environ)))
    elif len(sys.argv) == 3 and sys.argv[1] == "--serve":
        # runserver on the same shifted clock as the seeding.
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        clock_install(os.environ["CITYGRID_SCREENSHOT_NOW"])
        from django.core.management import call_command

        call_command("runserver", f"127.0.0.1:{sys.argv[2]}", use_reloader=False)
    else:
        main()
