"""Helpers of the hotline tests: the clock, logging calls through the service, carrying a case
through the loop to closure with the real workflow, and tiny real images."""
import io
from datetime import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from cases import workflow
from cases.models import Case
from citygrid.testing import CST, START, Clock, at, point_in  # noqa: F401 - the tests import them from here
from hotline import services
from hotline.models import Channel

PHONE = "13812345678"
MASKED = "138****5678"




def call(city, *, grid: int = 0, cls: str = "garbage", phone: str = PHONE, name: str = "张三",
         content: str = "小区门口有一堆垃圾没人清", dx: float = 0.5, dy: float = 0.5, channel: str = Channel.HOTLINE_12319,
         agent: str = "hotline_agent", **kwargs):
    """Log a reported problem through the real service; returns the CallResult."""
    lon, lat = point_in(grid, dx, dy)
    kwargs.setdefault("transfer_number", "")
    return services.call_log(actor=city.users[agent], channel=channel, phone=phone, caller_name=name,
                             content=content, minor_id=city.classes[cls].pk, lon=lon, lat=lat, **kwargs)


def close(city, case: Case, clock=None, *, step_minutes: int = 10) -> Case:
    """Carry a reported case to closure through the workflow, each move `step_minutes` apart."""
    west = case.district_id == city.districts[1].pk
    handler, collector = ("handler_b", "collector_b") if west else ("handler_a", "collector_a")
    department = city.departments["sanitation_b" if west else "sanitation_a"]
    moves = [
        ("shift_leader", workflow.case_file, {}),
        ("dispatcher", workflow.case_dispatch, {"department_id": department.pk}),
        (handler, workflow.case_report_handled, {}),
        ("operator", workflow.case_send_check, {}),
        (collector, workflow.case_check_pass, {}),
        ("shift_leader", workflow.case_close, {}),
    ]
    for username, move, extra in moves:
        if clock is not None:
            clock.advance(minutes=step_minutes)
        case = move(actor=city.users[username], case_id=case.pk, **extra)
    return case


def dispatch(city, case: Case) -> Case:
    """File and dispatch a reported case (it is then open, in handling)."""
    west = case.district_id == city.districts[1].pk
    department = city.departments["sanitation_b" if west else "sanitation_a"]
    workflow.case_file(actor=city.users["shift_leader"], case_id=case.pk)
    return workflow.case_dispatch(actor=city.users["dispatcher"], case_id=case.pk, department_id=department.pk)


def photo(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def now_local() -> datetime:
    return timezone.localtime()
