"""Demo cases for the demo city (`manage.py seed_demo`): a few hundred cases in every state of the
loop, made through the real intake (cases.services) and moves (cases.workflow), so that every row
is one production would write. Deterministic for a seed; every time is "now".
"""
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from core.errors import ApplicationError
from grids.models import Department, Edition, MinorClass, RegionLevel, Role, UnitGrid, User
from grids.selectors import ownership_resolve

from . import services, workflow
from .models import Case, Source, Urgency
from .transitions import Action

# Where the reports come from (collectors dominate, then the hotlines), and how urgent they are.
SOURCE_MIX = [
    (Source.COLLECTOR, 62), (Source.HOTLINE_12319, 10), (Source.HOTLINE_12345, 10), (Source.PUBLIC, 6),
    (Source.VIDEO, 6), (Source.MEDIA, 1), (Source.LEADER, 2), (Source.TRANSFER_110, 2), (Source.OTHER, 1),
]
URGENCY_MIX = [(Urgency.NORMAL, 85), (Urgency.URGENT, 12), (Urgency.ENGINEERING, 3)]
# The classes most reported in practice (legacy 4-digit codes, kind, weight): a few classes make most
# of the reports, as published city reports find.
CLASS_MIX = [
    ("event", "0102", 18), ("event", "0201", 14), ("event", "0104", 10), ("event", "0103", 6),
    ("event", "0110", 5), ("event", "0304", 4), ("event", "0302", 3), ("event", "0404", 4), ("event", "0406", 2),
    ("event", "0501", 8), ("event", "0502", 6), ("event", "0503", 4),
    ("component", "0101", 4), ("component", "0102", 4), ("component", "0103", 4), ("component", "0104", 3),
    ("component", "0117", 3), ("component", "0118", 4), ("component", "0305", 3), ("component", "0402", 3),
    ("component", "0114", 2),  # 无主井盖: owner unknown, for the dispatcher to decide
]
# How far each demo case goes (the state it ends in), as a share of all demo cases. "self" is a
# collector's self-handled case (born closed).
PLAN_MIX = [
    ("reported", 8), ("verifying", 6), ("verified_false", 2), ("filed", 7), ("returned", 3),
    ("dispatched", 12), ("extension_pending", 3), ("extended", 3), ("suspension_pending", 2),
    ("suspended", 3), ("handled", 5), ("checking", 6), ("checked", 4), ("closed", 20), ("rework_closed", 4),
    ("reopened", 1), ("voided", 4), ("merged", 3), ("self", 4),
]
# Plans that need the department to act: only departments with a handler account can.
NEEDS_HANDLER = {"returned", "extension_pending", "extended", "suspension_pending", "suspended", "handled",
                 "checking", "checked", "closed", "rework_closed", "reopened"}
DETAILS = ["影响行人通行", "群众反映强烈", "已持续数日", "位于主干道旁", "靠近学校门口", "夜间存在安全隐患",
           "现场有照片", "周边商户反映", "早高峰时段发现", "雨后情况加重"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭"


@dataclass
class _Cast:
    """The demo city's people and places the cases are made with."""

    operator: User
    shift_leader: User
    dispatcher: User
    manager: User
    hotline_agent: User
    handlers: dict[int, User]  # department id → a handler of it
    grids: list[UnitGrid]
    collectors: dict[int, list[User]]  # responsibility grid id → its collectors
    classes: list[tuple[MinorClass, int]]
    departments_by_district: dict[int, list[Department]]
    ownership: dict[tuple[int, int], int | None] = field(default_factory=dict)


def _city_level(role: str) -> User:
    person = (
        User.objects.filter(role=role, is_active=True)
        .filter(Q(region__isnull=True) | Q(region__level=RegionLevel.CITY))
        .order_by("username").first()
    )
    if person is None:
        raise ApplicationError(_("演示城市缺少全市范围的“%(role)s”账号，无法生成演示案件。") % {"role": Role(role).label})
    return person


def _cast_load() -> _Cast:
    grids = list(UnitGrid.objects.filter(responsibility_grid__isnull=False).select_related("street")
                 .order_by("code"))
    if not grids:
        raise ApplicationError(_("没有单元网格，请先生成示范城市。"))
    collectors: dict[int, list[User]] = {}
    for user in User.objects.filter(role=Role.COLLECTOR, is_active=True).prefetch_related("responsibility_grids") \
            .order_by("username"):
        for grid in user.responsibility_grids.all():
            collectors.setdefault(grid.pk, []).append(user)
    handlers: dict[int, User] = {}
    for user in User.objects.filter(role=Role.HANDLER, is_active=True, department__is_active=True).order_by("username"):
        handlers.setdefault(user.department_id, user)
    minors = {(minor.kind, minor.code): minor
              for minor in MinorClass.objects.filter(edition=Edition.LEGACY, is_active=True)}
    classes = [(minors[(kind, code)], weight) for kind, code, weight in CLASS_MIX if (kind, code) in minors]
    if not classes:
        classes = [(minor, 1) for minor in sorted(minors.values(), key=lambda m: (m.kind, m.code))[:20]]
    if not classes:
        raise ApplicationError(_("没有可用的分类，请先载入分类标准。"))
    by_district: dict[int, list[Department]] = {}
    for department in Department.objects.filter(is_active=True).order_by("code"):
        by_district.setdefault(department.region_id, []).append(department)
    return _Cast(
        operator=_city_level(Role.OPERATOR), shift_leader=_city_level(Role.SHIFT_LEADER),
        dispatcher=_city_level(Role.DISPATCHER), manager=_city_level(Role.MANAGER),
        hotline_agent=_city_level(Role.HOTLINE_AGENT), handlers=handlers, grids=grids, collectors=collectors,
        classes=classes, departments_by_district=by_district,
    )


def _weighted(rng: random.Random, mix: list[tuple]) -> object:
    return rng.choices([item[0] for item in mix], weights=[item[-1] for item in mix])[0]


def _photo(rng: random.Random, name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    colour = tuple(rng.randrange(40, 220) for _ in range(3))
    Image.new("RGB", (64, 48), colour).save(buffer, format="JPEG", quality=70)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


class _Maker:
    """Makes one demo case after another along its plan."""

    def __init__(self, *, seed: int, cast: _Cast):
        self.rng = random.Random(seed)
        self.seed = seed
        self.cast = cast
        self.number = 0

    # -- choosing ---------------------------------------------------------------------------------

    def _department_of(self, grid: UnitGrid, minor: MinorClass) -> int | None:
        key = (grid.community_id, minor.pk)
        if key not in self.cast.ownership:
            answer = ownership_resolve(minor=minor, unit_grid=grid)
            self.cast.ownership[key] = answer.department.pk if answer.department else None
        return self.cast.ownership[key]

    def _place(self, plan: str) -> tuple[UnitGrid, MinorClass]:
        """A grid and a class; for a plan the department must act on, one whose responsible
        department has a handler account (else the plan is shortened, see _make)."""
        for _attempt in range(60 if plan in NEEDS_HANDLER else 1):
            grid = self.rng.choice(self.cast.grids)
            minor = _weighted(self.rng, self.cast.classes)
            if plan not in NEEDS_HANDLER or self._department_of(grid, minor) in self.cast.handlers:
                return grid, minor
        return grid, minor

    def _collector(self, grid: UnitGrid) -> User | None:
        people = self.cast.collectors.get(grid.responsibility_grid_id)
        return self.rng.choice(people) if people else None

    def _point(self, grid: UnitGrid) -> tuple[float, float]:
        # Within about 5 m of the grid's centre: always inside a (convex, ~100 m) demo grid.
        return (round(grid.center_lon + self.rng.uniform(-5e-5, 5e-5), 7),
                round(grid.center_lat + self.rng.uniform(-4e-5, 4e-5), 7))

    # -- making -----------------------------------------------------------------------------------

    def report(self, grid: UnitGrid, minor: MinorClass, *, point: tuple[float, float] | None = None) -> Case:
        self.number += 1
        source = _weighted(self.rng, SOURCE_MIX)
        collector = self._collector(grid)
        if source == Source.COLLECTOR and collector is None:
            source = Source.VIDEO
        actor = {
            Source.COLLECTOR: collector,
            Source.HOTLINE_12319: self.cast.hotline_agent,
            Source.HOTLINE_12345: self.cast.hotline_agent,
            Source.PUBLIC: None,
        }.get(source, self.cast.operator)
        lon, lat = point or self._point(grid)
        citizen = source in (Source.HOTLINE_12319, Source.HOTLINE_12345, Source.PUBLIC)
        return services.case_report(
            actor=actor, source=source, minor_id=minor.pk, lon=lon, lat=lat,
            description=f"{minor.name}，{self.rng.choice(DETAILS)}。",
            urgency=_weighted(self.rng, URGENCY_MIX),
            address=_("%(street)s%(number)d号附近") % {"street": grid.street.name, "number": self.rng.randint(1, 399)},
            reporter_name=f"{self.rng.choice(SURNAMES)}先生" if citizen else "",
            reporter_phone=f"139{self.rng.randrange(10**8):08d}" if citizen else "",
            idempotency_key=f"demo-{self.seed}-{self.number}",
        ).case

    def make(self, plan: str) -> None:
        cast = self.cast
        if plan == "self":
            grid, minor = self._place(plan)
            collector = self._collector(grid)
            if collector is not None:
                self.number += 1
                lon, lat = self._point(grid)
                services.case_report_self_handled(
                    actor=collector, minor_id=minor.pk, lon=lon, lat=lat,
                    description=f"{minor.name}，现场已自行处置。",
                    before_photos=[_photo(self.rng, "before.jpg")], after_photos=[_photo(self.rng, "after.jpg")],
                    idempotency_key=f"demo-{self.seed}-{self.number}",
                )
                return
            plan = "closed"

        grid, minor = self._place(plan)
        case = self.report(grid, minor)
        if plan == "reported":
            if self.rng.random() < 0.3:
                workflow.case_propose_file(actor=cast.operator, case_id=case.pk)
            return
        if plan == "merged":
            original = case
            duplicate = self.report(grid, minor, point=(case.lon, case.lat))
            workflow.case_merge(actor=cast.operator, case_id=duplicate.pk, into_case_id=original.pk,
                                note=_("同一问题重复上报"))
            return

        collector = self._collector(grid)
        verify = collector is not None and (case.source != Source.COLLECTOR or plan in ("verifying", "verified_false"))
        if verify:
            workflow.case_send_verify(actor=cast.operator, case_id=case.pk)
            if plan == "verifying":
                return
            truth = plan != "verified_false" and (plan != "voided" or self.rng.random() < 0.3)
            workflow.case_verify(actor=collector, case_id=case.pk, is_true=truth,
                                 note=_("现场核实属实") if truth else _("现场未发现该问题"))
        elif plan in ("verifying", "verified_false"):
            return  # no collector for this grid: stays reported
        if plan == "verified_false":
            return
        if plan == "voided":
            workflow.case_void(actor=cast.shift_leader, case_id=case.pk,
                               note=self.rng.choice([_("不符合立案条件"), _("核实不属实"), _("重复上报")]))
            return

        workflow.case_file(actor=cast.shift_leader, case_id=case.pk, filing_condition=minor.filing_conditions[:60])
        if plan == "filed":
            return
        department_id = self._department_of(grid, minor)
        handler = cast.handlers.get(department_id)
        if handler is None:
            # Owner unknown, or a department with no account in the demo: the dispatcher picks one
            # of the district's departments, and the case waits there.
            choices = cast.departments_by_district.get(grid.district_id) or [
                department for departments in cast.departments_by_district.values() for department in departments]
            department_id = department_id or self.rng.choice(choices).pk
            workflow.case_dispatch(actor=cast.dispatcher, case_id=case.pk, department_id=department_id)
            if self.rng.random() < 0.3:
                workflow.case_urge(actor=cast.manager, case_id=case.pk, note=_("请加快处置"))
            return
        workflow.case_dispatch(actor=cast.dispatcher, case_id=case.pk, department_id=department_id)
        self._handle(plan, case, handler, collector)

    def _handle(self, plan: str, case: Case, handler: User, collector: User | None) -> None:
        cast = self.cast
        case_id = case.pk
        check_by = collector or cast.operator

        def extension_request() -> None:
            deadline = Case.objects.values_list("handle_deadline", flat=True).get(pk=case_id)
            workflow.case_request_extension(actor=handler, case_id=case_id,
                                            requested_deadline=max(deadline, timezone.now()) + timedelta(days=3),
                                            note=_("需协调施工队伍，申请延期"))

        suspend_until = timezone.localdate() + timedelta(days=self.rng.randint(3, 30))
        steps: dict[str, list[Callable[[], object]]] = {
            "returned": [lambda: workflow.case_return(actor=handler, case_id=case_id, reason_code="not_our_duty",
                                                      note=_("不属于本单位职责范围"))],
            "dispatched": [],
            "extension_pending": [extension_request],
            "extended": [extension_request,
                         lambda: workflow.case_approve_extension(actor=cast.dispatcher, case_id=case_id)],
            "suspension_pending": [lambda: workflow.case_request_suspension(
                actor=handler, case_id=case_id, until=suspend_until, note=_("涉及产权纠纷，需协调解决"))],
            "suspended": [lambda: workflow.case_request_suspension(actor=handler, case_id=case_id, until=suspend_until,
                                                                   note=_("涉及产权纠纷，需协调解决")),
                          lambda: workflow.case_approve_suspension(actor=cast.shift_leader, case_id=case_id)],
        }
        for step in steps.get(plan, []):
            step()
        if plan in steps:
            if plan == "dispatched" and self.rng.random() < 0.3:
                workflow.case_urge(actor=cast.dispatcher, case_id=case_id, note=_("请按时处置"))
            return

        def handled() -> None:
            services.case_move(actor=handler, case_id=case_id, action=Action.REPORT_HANDLED, note=_("已按要求处置完毕"),
                               photos=[_photo(self.rng, "after.jpg")])

        def check(passed: bool) -> None:
            workflow.case_send_check(actor=cast.operator, case_id=case_id)
            if passed:
                workflow.case_check_pass(actor=check_by, case_id=case_id, note=_("现场核查已整改"))
            else:
                workflow.case_check_fail(actor=check_by, case_id=case_id, note=_("现场仍未整改到位"))

        handled()
        if plan == "handled":
            return
        if plan == "checking":
            workflow.case_send_check(actor=cast.operator, case_id=case_id)
            return
        if plan == "rework_closed":
            check(False)
            handled()
        check(True)
        if plan == "checked":
            return
        workflow.case_close(actor=cast.shift_leader, case_id=case_id)
        if plan == "reopened":
            workflow.case_reopen(actor=cast.hotline_agent, case_id=case_id, note=_("回访市民不满意"))


def demo_cases_build(*, seed: int, count: int = 400, progress: Callable[[int, int], None] | None = None) -> int:
    """Add `count` demo cases (in every state of the loop) to the demo city; returns how many were
    made. The same seed on the same city makes the same cases; a second run for a seed whose cases
    exist makes none. `progress(done, total)` is told after each case."""
    if count <= 0:
        return 0
    if Case.objects.filter(idempotency_key__startswith=f"demo-{seed}-").exists():
        return 0
    cast = _cast_load()
    maker = _Maker(seed=seed, cast=cast)
    plans = [_weighted(maker.rng, PLAN_MIX) for _ in range(count)]
    # Every state at least once, whatever the count and the draw.
    for index, plan in enumerate(["reported", "verifying", "filed", "dispatched", "suspended", "handled", "checking",
                                  "checked", "closed", "voided", "merged"][:count]):
        plans[index] = plan
    before = Case.objects.count()
    with transaction.atomic():  # one commit for the lot (and on SQLite, much faster)
        for plan in plans:
            made = Case.objects.count() - before
            if progress is not None:
                progress(min(made, count), count)
            if made >= count:
                break
            maker.make(plan)
    made = Case.objects.count() - before
    if progress is not None and made < count:
        progress(count, count)  # the last draws were merged or refused: the bar still ends
    return made
