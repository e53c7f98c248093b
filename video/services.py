"""Writes of video intake: platform keys, the camera register (located with the grid locator, imported
all or nothing), a platform's detected event (a report, or pending confirmation below the threshold,
idempotent by the platform's event id), and an operator's confirmation or rejection."""
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Source
from cases.photos import photo_clean, photo_validate
from cases.services import case_report
from core.client_keys import key_holder, key_set
from core.errors import ApplicationError, ConflictError, IdempotencyKeyReusedError, NotFoundError
from core.queries import row_by_key
from core.storage import StoredFiles
from core.text import text_clean
from grids.importers.tabular import format_from_name, row_error, rows_read
from grids.locator import locate
from grids.models import Department, MinorClass, UnitGrid, User

from . import selectors
from .models import Camera, EventStatus, VideoEvent, VideoPlatform

KEY_PREFIX = "vp_"


@dataclass(frozen=True)
class EventResult:
    event: VideoEvent
    created: bool


# --- platforms ---------------------------------------------------------------------------------

def platform_set_key(platform: VideoPlatform) -> str:
    """Give a platform a new key (the old one stops working once saved); returns the raw key."""
    return key_set(platform, prefix=KEY_PREFIX)


def platform_create(*, name: str) -> tuple[VideoPlatform, str]:
    platform = VideoPlatform(name=name)
    raw = platform_set_key(platform)
    platform.save()
    return platform, raw


def platform_rotate(*, platform: VideoPlatform) -> str:
    raw = platform_set_key(platform)
    platform.save(update_fields=["prefix", "key_hash"])
    return raw


def platform_authenticate(raw: str) -> VideoPlatform | None:
    """The active platform of a key, or None. Marks it used (at most once a minute)."""
    return key_holder(VideoPlatform.objects.all(), raw)


# --- cameras -----------------------------------------------------------------------------------

def camera_locate(camera: Camera) -> None:
    """Set the camera's unit grid from its position (OutsideCityError, a 400, when in none)."""
    location = locate(camera.lon, camera.lat)
    camera.unit_grid = UnitGrid(pk=location.unit_grid_id, code=location.unit_grid_code)


def camera_save(*, camera: Camera) -> Camera:
    camera.code, camera.name = text_clean(camera.code), text_clean(camera.name)
    if not camera.code:
        raise ApplicationError(_("请填写摄像头编码。"), extra={"field": "code"})
    camera_locate(camera)
    camera.save()
    return camera


CAMERA_ALIASES = {"摄像头编码": "code", "编码": "code", "名称": "name", "经度": "lon", "纬度": "lat",
                  "权属部门": "owner", "权属部门编码": "owner", "启用": "active"}
TRUE_WORDS = {"1", "true", "yes", "y", "是", "启用"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "停用"}


def cameras_import(*, file, name: str, fmt: str | None = None) -> dict[str, int]:
    """Cameras from a csv or xlsx (编码, 名称, 经度, 纬度, 权属部门编码, 启用): new codes added, known
    ones updated. All or nothing: the first bad row (named by its number) refuses the file."""
    fmt = format_from_name(name, fmt)
    departments = dict(Department.objects.values_list("code", "pk"))
    known = {camera.code: camera for camera in Camera.objects.all()}
    added = updated = 0
    seen: set[str] = set()
    with transaction.atomic():
        for number, row in rows_read(file, fmt, aliases=CAMERA_ALIASES):
            code = text_clean(str(row.get("code") or ""))
            if not code:
                raise row_error(number, _("缺少摄像头编码"))
            if code in seen:
                raise row_error(number, _("摄像头编码“%(code)s”重复") % {"code": code})
            seen.add(code)
            try:
                lon, lat = float(row.get("lon")), float(row.get("lat"))
            except (TypeError, ValueError):
                raise row_error(number, _("经纬度必须是数字")) from None
            owner_code = text_clean(str(row.get("owner") or ""))
            if owner_code and owner_code not in departments:
                raise row_error(number, _("权属部门“%(code)s”不存在") % {"code": owner_code})
            active_text = str(row.get("active") if row.get("active") is not None else "1").strip().lower()
            if active_text not in TRUE_WORDS | FALSE_WORDS:
                raise row_error(number, _("“启用”应为 是 或 否"))
            camera = known.get(code) or Camera(code=code)
            camera.name = text_clean(str(row.get("name") or "")) or code
            camera.lon, camera.lat = lon, lat
            camera.owner_id = departments.get(owner_code)
            camera.is_active = active_text in TRUE_WORDS
            try:
                camera_locate(camera)
            except ApplicationError as error:
                raise row_error(number, error.message) from None
            camera.save()
            if code in known:
                updated += 1
            else:
                added += 1
    return {"added": added, "updated": updated}


# --- events ------------------------------------------------------------------------------------

def minor_by_code(code: str) -> MinorClass | None:
    """The active class of a code: `edition-kind-code` (as the Open311 service codes), or a bare
    code that names one active class (an event class preferred over a component of that code)."""
    parts = (code or "").strip().split("-")
    classes = MinorClass.objects.filter(is_active=True)
    if len(parts) == 3:
        return classes.filter(edition=parts[0], kind=parts[1], code=parts[2]).first()
    if len(parts) != 1 or not parts[0]:
        return None
    matches = list(classes.filter(code=parts[0]).order_by("-kind", "-edition")[:3])
    events = [minor for minor in matches if minor.kind == "event"]
    candidates = events or matches
    if len({minor.edition for minor in candidates}) > 1:
        raise ApplicationError(_("小类代码“%(code)s”在多个标准版本中存在，请用“版本-类型-代码”的形式。")
                               % {"code": code}, extra={"field": "class_code"})
    return candidates[0] if candidates else None


def frame_from_bytes(content: bytes, name: str = "frame") -> UploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _event_digest(*, camera_code, detected_at, class_code, confidence, frame_bytes: bytes) -> str:
    """What an event said (the frame by its hash): a retry under the same event id is told from
    another event that reuses it."""
    fields = {"camera": camera_code, "at": detected_at.isoformat(), "class": class_code,
              "confidence": round(float(confidence), 6), "frame": hashlib.sha256(frame_bytes).hexdigest()}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def _existing_event(platform: VideoPlatform, external_id: str, digest: str) -> VideoEvent | None:
    event = row_by_key(VideoEvent.objects.filter(platform=platform, external_id=external_id)
                       .select_related("case"))
    if event is not None and event.digest != digest:
        raise IdempotencyKeyReusedError()
    return event


def _case_idempotency_key(event: VideoEvent) -> str:
    return hashlib.sha256(f"video:{event.platform_id}:{event.external_id}".encode()).hexdigest()


def _case_description(event: VideoEvent) -> str:
    return _("视频识别：%(class)s（摄像头 %(code)s %(name)s，置信度 %(confidence).0f%%）") % {
        "class": event.minor.name, "code": event.camera.code, "name": event.camera.name,
        "confidence": event.confidence * 100}


def _event_case(event: VideoEvent, frame: UploadedFile, actor: User | None):
    return case_report(
        actor=actor, source=Source.VIDEO, minor_id=event.minor_id, lon=event.camera.lon, lat=event.camera.lat,
        description=_case_description(event), address=event.camera.name[:200], photos=[frame],
        idempotency_key=_case_idempotency_key(event),
    ).case


def video_event_receive(*, platform: VideoPlatform, external_id: str, camera_code: str, detected_at: datetime,
                        class_code: str, confidence: float, frame: UploadedFile) -> EventResult:
    """A platform's detected event. At or above VIDEO_CONFIRM_THRESHOLD it becomes a report (source
    video, the frame as its photo); below, it waits for an operator. The same event id again returns
    the first answer; the same id with another body is refused (422)."""
    external_id = (external_id or "").strip()
    if not external_id:
        raise ApplicationError(_("缺少平台事件编号（event_id）。"), extra={"field": "event_id"})
    if not 0 <= confidence <= 1:
        raise ApplicationError(_("置信度应在 0 到 1 之间。"), extra={"field": "confidence"})
    frame.seek(0)
    frame_bytes = frame.read()
    frame.seek(0)
    digest = _event_digest(camera_code=camera_code, detected_at=detected_at, class_code=class_code,
                           confidence=confidence, frame_bytes=frame_bytes)
    existing = _existing_event(platform, external_id, digest)
    if existing is not None:
        return EventResult(existing, created=False)

    camera = row_by_key(Camera.objects.filter(code=camera_code, is_active=True))
    if camera is None:
        raise ApplicationError(_("摄像头“%(code)s”未登记或已停用。") % {"code": camera_code},
                               extra={"field": "camera_code"})
    minor = minor_by_code(class_code)
    if minor is None:
        raise ApplicationError(_("小类“%(code)s”不存在或已停用。") % {"code": class_code},
                               extra={"field": "class_code"})
    photo_validate(frame)
    pending = confidence < settings.VIDEO_CONFIRM_THRESHOLD
    event = VideoEvent(platform=platform, external_id=external_id, digest=digest, camera=camera, minor=minor,
                       detected_at=detected_at, confidence=confidence, received_at=timezone.now(),
                       status=EventStatus.PENDING if pending else EventStatus.REPORTED)
    try:
        with StoredFiles() as stored, transaction.atomic():
            if pending:
                # Kept with the event (re-written without metadata) until an operator decides.
                cleaned = photo_clean(frame)
                event.frame.save(cleaned.name, cleaned, save=False)
                stored.files.append(event.frame)
            else:
                event.case = _event_case(event, frame, actor=None)
            event.save()
    except IntegrityError:
        # The same event raced in twice: the first one's answer stands.
        existing = _existing_event(platform, external_id, digest)
        if existing is None:
            raise
        return EventResult(existing, created=False)
    return EventResult(event, created=True)


def _event_to_decide(actor: User, event_id: int) -> VideoEvent:
    if not selectors.can_decide(actor):
        raise ApplicationError(_("您无权确认视频事件。"), status_code=403)
    event = row_by_key(selectors.events_in_scope(actor).select_for_update(of=("self",)).filter(pk=event_id))
    if event is None:
        raise NotFoundError(_("视频事件不存在或不在您的管辖范围内。"))
    if event.status != EventStatus.PENDING:
        raise ConflictError(_("该视频事件已处理（%(status)s）。") % {"status": event.get_status_display()})
    return event


def video_event_confirm(*, actor: User, event_id: int) -> VideoEvent:
    """An operator confirms a pending event: it becomes a report with its frame."""
    with StoredFiles(), transaction.atomic():
        event = _event_to_decide(actor, event_id)
        with event.frame.open("rb") as handle:
            frame = frame_from_bytes(handle.read(), name=event.frame.name.rsplit("/", 1)[-1])
        event.case = _event_case(event, frame, actor=None)
        event.status, event.decided_by, event.decided_at = EventStatus.CONFIRMED, actor, timezone.now()
        event.save(update_fields=["case", "status", "decided_by", "decided_at"])
    return event


def video_event_reject(*, actor: User, event_id: int, reason: str) -> VideoEvent:
    """An operator rejects a pending event (a false detection), with the reason."""
    reason = text_clean(reason)
    with transaction.atomic():
        # Role, scope and state first: a refusal says nothing of an event the person may not see.
        event = _event_to_decide(actor, event_id)
        if not reason:
            raise ApplicationError(_("请填写驳回原因。"), extra={"field": "reason"})
        if len(reason) > 200:
            raise ApplicationError(_("驳回原因不能超过 200 字。"), extra={"field": "reason"})
        event.status, event.reject_reason = EventStatus.REJECTED, reason
        event.decided_by, event.decided_at = actor, timezone.now()
        event.save(update_fields=["status", "reject_reason", "decided_by", "decided_at"])
    return event
