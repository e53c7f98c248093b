"""Helpers of the case-loop tests: the clock, tiny real images made by Pillow, reporting a case
through the services, building a case directly in any state, and snapshots of everything a move
may write."""
import io
import itertools
from datetime import datetime, timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from cases import services
from cases.models import (
    Attachment,
    Case,
    CaseAssist,
    CaseEvent,
    CaseRequest,
    CaseStep,
    RequestKind,
    RequestStatus,
    Source,
    State,
    StepKind,
    Task,
    TaskKind,
)
from citygrid.testing import CST, START, Clock, at, point_in  # noqa: F401 - the tests import them from here

# --- images -------------------------------------------------------------------------------------

def image_bytes(image_format: str = "PNG", size: tuple[int, int] = (16, 12), color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=image_format)
    return buffer.getvalue()


def photo(name: str = "photo.png", image_format: str = "PNG", **kwargs) -> SimpleUploadedFile:
    """A real, tiny image as an upload."""
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}.get(image_format, "")
    return SimpleUploadedFile(name, image_bytes(image_format, **kwargs), content_type=content_type)


def media_files(settings) -> list[Path]:
    """Every file under MEDIA_ROOT: two per photo, the photo and its thumbnail."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


# --- cases --------------------------------------------------------------------------------------

def report(city, *, by: str = "collector_a", cls: str = "garbage", grid: int = 0, dx: float = 0.5,
           dy: float = 0.5, source: str = Source.COLLECTOR, description: str = "路边有暴露垃圾",
           **kwargs) -> Case:
    """Report a case through the real intake service; returns the case."""
    lon, lat = point_in(grid, dx, dy)
    result = services.case_report(actor=city.users[by], source=source, minor_id=city.classes[cls].pk, lon=lon,
                                  lat=lat, description=description, **kwargs)
    return result.case


_numbers = itertools.count(1)

# The step that runs while a case is in each state (what the real loop leaves open).
OPEN_STEP = {
    State.REPORTED: StepKind.ACCEPT,
    State.VERIFYING: StepKind.VERIFY,
    State.FILED: StepKind.DISPATCH,
    State.DISPATCHED: StepKind.HANDLE,
    State.SUSPENDED: StepKind.HANDLE,
    State.HANDLED: StepKind.CHECK,
    State.CHECKING: StepKind.CHECK,
    State.CHECKED: StepKind.CLOSE,
}
AFTER_FILING = {State.FILED, State.DISPATCHED, State.SUSPENDED, State.HANDLED, State.CHECKING, State.CHECKED,
                State.CLOSED}
AFTER_DISPATCH = AFTER_FILING - {State.FILED}
AFTER_HANDLING = {State.HANDLED, State.CHECKING, State.CHECKED, State.CLOSED}


def case_build(city, state: str, *, grid: int = 0, cls: str = "garbage", department: str | None = "sanitation_a",
               reporter: str | None = None, when: datetime | None = None) -> Case:
    """A case put directly in the database in `state`, with the rows the real loop would have left
    (open step, open task, approved suspension, milestones). `department` is set whatever the state
    so that a department's moves reach the state check instead of stopping at the scope check."""
    now = when or timezone.now()
    unit_grid = city.grids[grid]
    minor = city.classes[cls]
    lon, lat = point_in(grid)
    reporter = reporter or ("collector_a" if grid < 2 else "collector_b")
    case = Case.objects.create(
        number=f"T{next(_numbers):08d}", source=Source.COLLECTOR, kind=minor.kind, minor=minor, lon=lon, lat=lat,
        unit_grid=unit_grid, community_id=unit_grid.community_id, street_id=unit_grid.street_id,
        district_id=unit_grid.district_id, responsibility_grid_id=unit_grid.responsibility_grid_id,
        description="测试案件", reporter=city.users[reporter], state=state, reported_at=now,
        department=city.departments[department] if department else None,
    )
    if state in AFTER_FILING:
        case.filed_at = now
    if state in AFTER_DISPATCH:
        case.dispatched_at = now
        case.handle_deadline = now + timedelta(days=2)
    if state in AFTER_HANDLING:
        case.handled_at, case.handled_on_time = now, True
    if state == State.CLOSED:
        case.closed_at, case.closed_on_time = now, True
    if state == State.VOIDED:
        case.voided_at = now
    if state == State.MERGED:
        case.merged_into = case_build(city, State.REPORTED, grid=grid, cls=cls, department=department)
    kind = OPEN_STEP.get(state)
    if kind:
        deadline = case.handle_deadline if kind == StepKind.HANDLE else now + timedelta(hours=4)
        CaseStep.objects.create(case=case, kind=kind, department=case.department if kind == StepKind.HANDLE else None,
                                started_at=now, deadline=deadline)
        case.current_step, case.current_deadline, case.current_step_started_at = kind, deadline, now
    if state in (State.VERIFYING, State.CHECKING):
        Task.objects.create(case=case, kind=TaskKind.VERIFY if state == State.VERIFYING else TaskKind.CHECK,
                            responsibility_grid_id=case.responsibility_grid_id, created_at=now,
                            deadline=now + timedelta(hours=4))
    if state == State.SUSPENDED:
        request = request_add(case, RequestKind.SUSPENSION, city.users["handler_a"], status=RequestStatus.APPROVED)
        case.suspension_count = 1
        case.suspended_until = request.requested_deadline
    case.save()
    return case


def assist_add(case: Case, department, *, done: bool = False) -> CaseAssist:
    """An assisting department's task on the case (joint dispatch), open unless `done`."""
    now = timezone.now()
    return CaseAssist.objects.create(case=case, department=department, created_at=now,
                                     deadline=now + timedelta(days=2), completed_at=now if done else None)


def request_add(case: Case, kind: str, by, *, status: str = RequestStatus.PENDING) -> CaseRequest:
    now = timezone.now()
    decided = status != RequestStatus.PENDING
    return CaseRequest.objects.create(
        case=case, kind=kind, status=status, reason="现场条件不具备", requested_by=by, requested_at=now,
        # An extension asks for a deadline; a suspension for the day it ends (the start of that day).
        requested_deadline=now + timedelta(days=5) if kind == RequestKind.EXTENSION else suspension_until(days=5),
        decided_at=now if decided else None,
    )


def suspension_until(*, days: int) -> datetime:
    """The instant a suspension until `days` from today ends (the start of that day, city time)."""
    from cases.calendar import local_midnight

    return local_midnight(timezone.localdate() + timedelta(days=days))


def snapshot(case_id: int) -> dict:
    """Every row a move of this case may write, as plain values."""
    return {
        "case": Case.objects.filter(pk=case_id).values().get(),
        "events": list(CaseEvent.objects.filter(case_id=case_id).order_by("pk").values()),
        "steps": list(CaseStep.objects.filter(case_id=case_id).order_by("pk").values()),
        "tasks": list(Task.objects.filter(case_id=case_id).order_by("pk").values()),
        "requests": list(CaseRequest.objects.filter(case_id=case_id).order_by("pk").values()),
        "attachments": list(Attachment.objects.filter(case_id=case_id).order_by("pk").values()),
        "assists": list(CaseAssist.objects.filter(case_id=case_id).order_by("pk").values()),
    }


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (Case, CaseEvent, CaseStep, Task, CaseRequest, Attachment)}


def events_of(case: Case) -> list[tuple[str, str, str, str | None]]:
    """(action, from, to, actor) of every event of the case, in order."""
    return [
        (event.action, event.from_state, event.to_state, event.actor.username if event.actor else None)
        for event in CaseEvent.objects.filter(case=case).select_related("actor").order_by("created_at", "pk")
    ]


def steps_of(case: Case) -> list[tuple]:
    """(kind, started, deadline, completed, on_time) of every step, times in the city's zone."""
    def local(moment):
        return moment.astimezone(CST).strftime("%m-%d %H:%M") if moment else None

    return [
        (step.kind, local(step.started_at), local(step.deadline), local(step.completed_at), step.on_time)
        for step in CaseStep.objects.filter(case=case).order_by("started_at", "pk")
    ]
