"""Video intake's tables: the camera register, the video platforms and their keys, and every event
a platform detected (pending confirmation, reported, confirmed or rejected)."""
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from grids.models import Department, MinorClass, UnitGrid


class Camera(models.Model):
    """A camera of the register: its position, the unit grid located from it, and the department
    that owns it."""

    code = models.CharField(_("摄像头编码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    unit_grid = models.ForeignKey(UnitGrid, verbose_name=_("单元网格"), on_delete=models.PROTECT,
                                  related_name="cameras", editable=False)
    owner = models.ForeignKey(Department, verbose_name=_("权属部门"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="cameras")
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("摄像头")
        verbose_name_plural = _("摄像头")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class VideoPlatform(models.Model):
    """A video platform allowed to send its detected events. Only the SHA-256 of its key is kept;
    the key is shown once, when it is made."""

    name = models.CharField(_("平台名称"), max_length=100)
    prefix = models.CharField(_("密钥前缀"), max_length=12, db_index=True, editable=False)
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("视频平台")
        verbose_name_plural = _("视频平台")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"


class EventStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    REPORTED = "reported", _("已上报")
    CONFIRMED = "confirmed", _("确认属实")
    REJECTED = "rejected", _("驳回")


def frame_path(instance: "VideoEvent", filename: str) -> str:
    # A random name: the frame is served only through the scoped view, never as a guessable URL.
    suffix = filename.rsplit(".", 1)[-1] if "." in filename else "jpg"
    return f"video/{uuid.uuid4().hex}.{suffix}"


class VideoEvent(models.Model):
    """One event a platform detected. At or above VIDEO_CONFIRM_THRESHOLD it became a case at once
    (reported); below it waits for an operator (pending), who confirms it (a case is made) or
    rejects it with a reason. Unique per platform and the platform's event id."""

    platform = models.ForeignKey(VideoPlatform, verbose_name=_("视频平台"), on_delete=models.PROTECT,
                                 related_name="events")
    external_id = models.CharField(_("平台事件编号"), max_length=100)
    digest = models.CharField(_("内容摘要"), max_length=64, editable=False)
    camera = models.ForeignKey(Camera, verbose_name=_("摄像头"), on_delete=models.PROTECT, related_name="events")
    minor = models.ForeignKey(MinorClass, verbose_name=_("小类"), on_delete=models.PROTECT, related_name="+")
    detected_at = models.DateTimeField(_("识别时间"))
    confidence = models.FloatField(_("置信度"))
    frame = models.ImageField(_("抓拍图片"), upload_to=frame_path, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=EventStatus.choices)
    case = models.OneToOneField(Case, verbose_name=_("案件"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="video_event")
    reject_reason = models.CharField(_("驳回原因"), max_length=200, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间"), db_index=True)

    class Meta:
        verbose_name = _("视频事件")
        verbose_name_plural = _("视频事件")
        ordering = ["-received_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["platform", "external_id"], name="video_event_once")]
        indexes = [models.Index(fields=["status", "received_at"], name="video_event_status")]

    def __str__(self) -> str:
        return f"{self.camera_id}:{self.external_id}"
