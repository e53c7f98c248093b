"""A tiny city for tests: two districts of two unit grids each, classes, departments, an
ownership rule, responsibility grids and one person per role; a settable clock; and `race`, which
runs work in threads released together; a real Celery worker on the test database. Shared by every
app's tests."""
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.db import connection

from cases.months import month_ids
from core.partitions import case_id_floor
from grids.models import (
    ClassKind,
    Department,
    DepartmentLevel,
    DepartmentType,
    Edition,
    LimitUnit,
    MajorClass,
    MinorClass,
    OwnershipRule,
    Region,
    RegionLevel,
    ResponsibilityGrid,
    Role,
    UnitGrid,
    User,
)

BASE_LON, BASE_LAT, STEP = 112.98, 28.19, 0.001
PASSWORD = "citygrid-test-pass"
CST = ZoneInfo("Asia/Shanghai")
# A Wednesday of an ordinary working week (no holiday near it), 09:00 in the city.
START = "2025-03-05 09:00"


def at(text: str) -> datetime:
    """'2025-03-05 09:00' in the city's time zone, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=CST)


class Clock:
    """What django.utils.timezone.now() answers while a test's `clock` fixture is active. The
    project calls `timezone.now()` through the module everywhere, so one patch covers the workflow,
    the services, the steps and the models' auto_now fields."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)

    def set(self, when: str | datetime) -> datetime:
        self.now = at(when) if isinstance(when, str) else when
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def case_ids_give(cases: list) -> list:
    """Give each unsaved case the id `Case.save` would (bulk_create does not call it): on PostgreSQL
    its reported month's base plus a value of the one case id sequence (cases.months), so the
    month check and the month's partition take it; plain ids elsewhere are left to the database."""
    pending = [case for case in cases if case.pk is None]
    if pending and month_ids():
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval('cases_case_id_seq') FROM generate_series(1, %s)", [len(pending)])
            for case, (n,) in zip(pending, cursor.fetchall(), strict=True):
                case.pk = case_id_floor(case.reported_at) + n
    return cases


def race(work, threads: int = 8) -> list[tuple[str, object]]:
    """Run work(i) in `threads` threads released together; each closes its own connection.
    Returns ("ok", value) or ("error", exception) per thread, in thread order."""
    barrier = threading.Barrier(threads)
    results: list = [None] * threads

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", work(index))
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            results[index] = ("error", error)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert all(result is not None for result in results), "a thread did not finish"
    return results


def square(x: int) -> dict:
    """The unit square number x (west to east) as a GeoJSON polygon."""
    lon0, lon1 = BASE_LON + x * STEP, BASE_LON + (x + 1) * STEP
    lat0, lat1 = BASE_LAT, BASE_LAT + STEP
    return {"type": "Polygon", "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]}


def point_in(x: int, dx: float = 0.5, dy: float = 0.5) -> tuple[float, float]:
    return BASE_LON + (x + dx) * STEP, BASE_LAT + dy * STEP


@dataclass
class TinyCity:
    city: Region
    districts: list[Region]
    grids: list[UnitGrid]
    responsibility_grids: list[ResponsibilityGrid]
    departments: dict[str, Department]
    classes: dict[str, MinorClass]
    users: dict[str, User] = field(default_factory=dict)


def tiny_city_build() -> TinyCity:
    from grids.locator import grid_index_bump

    city = Region.objects.create(code="439900", name="测试市", level=RegionLevel.CITY)
    districts, grids, rgrids = [], [], []
    for d in range(2):
        district = Region.objects.create(code=f"43990{d + 1}", name=f"{'东西'[d]}区", level=RegionLevel.DISTRICT,
                                         parent=city)
        street = Region.objects.create(code=f"{district.code}001", name=f"{'东西'[d]}街道",
                                       level=RegionLevel.STREET, parent=district)
        community = Region.objects.create(code=f"{street.code}001", name=f"{'东西'[d]}社区",
                                          level=RegionLevel.COMMUNITY, parent=street)
        rgrid = ResponsibilityGrid.objects.create(code=f"R{d + 1}", name=f"责任网格{d + 1}", district=district)
        for s in range(2):
            x = d * 2 + s
            lon0, lat0 = BASE_LON + x * STEP, BASE_LAT
            grids.append(UnitGrid.objects.create(
                code=f"{community.code}{s + 1:03d}", community=community, street=street, district=district,
                responsibility_grid=rgrid, geometry=square(x), area_m2=10_000.0,
                min_lon=lon0, min_lat=lat0, max_lon=lon0 + STEP, max_lat=lat0 + STEP,
                center_lon=lon0 + STEP / 2, center_lat=lat0 + STEP / 2,
            ))
        districts.append(district)
        rgrids.append(rgrid)

    municipal = DepartmentType.objects.create(code="municipal", name="市政")
    sanitation = DepartmentType.objects.create(code="sanitation", name="环卫")
    departments = {
        "municipal": Department.objects.create(code="D-SZ", name="市政设施管理处", level=DepartmentLevel.CITY,
                                               region=city, department_type=municipal),
        "sanitation_a": Department.objects.create(code="D-HW-1", name="东区环卫所", level=DepartmentLevel.DISTRICT,
                                                  region=districts[0], department_type=sanitation),
        "sanitation_b": Department.objects.create(code="D-HW-2", name="西区环卫所", level=DepartmentLevel.DISTRICT,
                                                  region=districts[1], department_type=sanitation),
    }
    component_major = MajorClass.objects.create(edition=Edition.LEGACY, kind=ClassKind.COMPONENT, code="01",
                                                name="公用设施")
    event_major = MajorClass.objects.create(edition=Edition.LEGACY, kind=ClassKind.EVENT, code="01", name="市容环境")
    orphan_major = MajorClass.objects.create(edition=Edition.LEGACY, kind=ClassKind.EVENT, code="05", name="街面秩序")
    classes = {
        "manhole": MinorClass.objects.create(
            major=component_major, edition=Edition.LEGACY, kind=ClassKind.COMPONENT, code="0101", name="上水井盖",
            limit_unit=LimitUnit.WORK_HOURS, limit_normal=24, limit_urgent=2, limit_engineering=80,
            department_type=municipal),
        "garbage": MinorClass.objects.create(
            major=event_major, edition=Edition.LEGACY, kind=ClassKind.EVENT, code="0101", name="暴露垃圾",
            limit_unit=LimitUnit.WORK_HOURS, limit_normal=4, limit_urgent=1, limit_engineering=40,
            department_type=sanitation),
        "vending": MinorClass.objects.create(
            major=orphan_major, edition=Edition.LEGACY, kind=ClassKind.EVENT, code="0501", name="无照经营游商",
            limit_unit=LimitUnit.WORK_HOURS, limit_normal=2, limit_urgent=1, limit_engineering=8),
    }
    OwnershipRule.objects.create(major=component_major, region=city, department=departments["municipal"])
    OwnershipRule.objects.create(major=event_major, region=districts[0], department=departments["sanitation_a"])
    OwnershipRule.objects.create(major=event_major, region=districts[1], department=departments["sanitation_b"])

    town = TinyCity(city, districts, grids, rgrids, departments, classes)
    people = {
        "operator": (Role.OPERATOR, None, None),
        "shift_leader": (Role.SHIFT_LEADER, None, None),
        "dispatcher": (Role.DISPATCHER, None, None),
        "manager": (Role.MANAGER, None, None),
        "hotline_agent": (Role.HOTLINE_AGENT, None, None),
        "operator_b": (Role.OPERATOR, districts[1], None),
        "shift_leader_b": (Role.SHIFT_LEADER, districts[1], None),
        "dispatcher_b": (Role.DISPATCHER, districts[1], None),
        "handler_a": (Role.HANDLER, districts[0], departments["sanitation_a"]),
        "handler_b": (Role.HANDLER, districts[1], departments["sanitation_b"]),
        "handler_municipal": (Role.HANDLER, None, departments["municipal"]),
        "collector_a": (Role.COLLECTOR, districts[0], None),
        "collector_b": (Role.COLLECTOR, districts[1], None),
    }
    for username, (role, region, department) in people.items():
        town.users[username] = User.objects.create_user(username=username, password=PASSWORD, role=role,
                                                        region=region, department=department)
    rgrids[0].collectors.add(town.users["collector_a"])
    rgrids[1].collectors.add(town.users["collector_b"])
    grid_index_bump()
    # Installed by migration 0017, but a transactional test (live server) flushes the tables.
    from cases.services import return_reasons_install

    return_reasons_install()
    return town


# --- a real Celery worker --------------------------------------------------------------------------

def tests_database_url() -> str:
    """The test database as a DATABASE_URL, for a subprocess that must see what a test commits."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}{port}/{db['NAME']}"


@dataclass
class Worker:
    process: subprocess.Popen
    log_path: str

    def running(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return Path(self.log_path).read_text(errors="replace")[-4000:]

    def wait_for(self, done: Callable[[], bool], seconds: float = 90) -> bool:
        """Poll `done` until it holds, the worker exits, or time runs out."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if done():
                return True
            if not self.running():
                return done()
            time.sleep(0.5)
        return False


@contextmanager
def celery_worker(queue: str, **env: str) -> Iterator[Worker]:
    """A Celery worker subprocess on the test database (tests_database_url) and the configured broker,
    consuming only `queue` so that no other worker on the same broker takes the test's messages;
    stopped, its log removed and its queue deleted from the broker on exit. `env` adds variables."""
    from django.conf import settings

    from citygrid.celery import app

    environment = {**os.environ, "DATABASE_URL": tests_database_url(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                   "DJANGO_SETTINGS_MODULE": "citygrid.test_settings", "PYTHONUNBUFFERED": "1", **env}
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "citygrid", "worker", "-Q", queue, "--pool", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"],
        cwd=Path(__file__).resolve().parent.parent, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        yield Worker(process, log.name)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        os.unlink(log.name)
        with app.connection_for_write() as conn:  # leave no test queue behind on the broker
            channel = conn.default_channel
            channel.queue_delete(queue)
            client = getattr(channel, "client", None)  # Redis: the queue's binding sets
            if client is not None:
                client.delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
