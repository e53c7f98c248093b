"""Patrol records: a collector's duty shifts, the track points sent while on duty, the fixed posts
(岗点) they check in at, their check-ins, and the receipts that make every write safe to retry.
Points are the volume table (millions a day): bigint ids, a BRIN index on `at` on PostgreSQL
(migration 0002) and a btree on (collector, at) for one collector's day."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models import ResponsibilityGrid, UnitGrid


class DutyShift(models.Model):
    """One stretch on duty (上岗 … 下岗). At most one open shift per collector."""

    collector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("监督员"), on_delete=models.CASCADE,
                                  related_name="duty_shifts")
    started_at = models.DateTimeField(_("上岗时间"))
    ended_at = models.DateTimeField(_("下岗时间"), null=True, blank=True)
    # Metres walked, summed when the shift ends (and again if its points arrive late, from a phone
    # that was offline): the day and month tables read it instead of every point.
    distance_m = models.FloatField(_("巡查里程（米）"), default=0.0)

    class Meta:
        verbose_name = _("在岗记录")
        verbose_name_plural = _("在岗记录")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["collector", "started_at"], name="patrol_shift_collector_start")]
        constraints = [
            models.UniqueConstraint(fields=["collector"], condition=Q(ended_at__isnull=True),
                                    name="patrol_one_open_shift"),
            models.CheckConstraint(condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                                   name="patrol_shift_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.collector_id} {self.started_at:%Y-%m-%d %H:%M}"


class PatrolPoint(models.Model):
    """One position of the phone while on duty. `unit_grid` is where the locator put it when it
    arrived (null outside every grid), so coverage is a COUNT(DISTINCT) in SQL."""

    id = models.BigAutoField(primary_key=True)
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                  db_index=False)
    shift = models.ForeignKey(DutyShift, on_delete=models.CASCADE, related_name="points", db_index=False)
    at = models.DateTimeField(_("时间"))
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    accuracy_m = models.FloatField(_("定位精度（米）"), null=True, blank=True)
    unit_grid = models.ForeignKey(UnitGrid, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  db_index=False, db_constraint=False)

    class Meta:
        verbose_name = _("轨迹点")
        verbose_name_plural = _("轨迹点")
        # One collector's day, and their last position for the map, are range scans of this index;
        # on PostgreSQL it carries the position too (INCLUDE), so both are index-only scans instead
        # of a heap read per point (a collector's points lie in as many blocks as points: the
        # phones' batches interleave). The retention's bulk delete uses the BRIN on `at` (0002).
        indexes = [models.Index(fields=["collector", "at"], include=["lon", "lat", "accuracy_m"],
                                name="patrol_point_collector_at_pos")]

    def __str__(self) -> str:
        return f"{self.collector_id} {self.at:%Y-%m-%d %H:%M:%S}"


class Post(models.Model):
    """A fixed post (岗点) where its collectors check in at the times given, within `radius_m`."""

    name = models.CharField(_("名称"), max_length=64)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    radius_m = models.PositiveIntegerField(_("签到半径（米）"), default=100)
    responsibility_grid = models.ForeignKey(ResponsibilityGrid, verbose_name=_("责任网格"), null=True, blank=True,
                                            on_delete=models.SET_NULL, related_name="posts")
    collectors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("监督员"), blank=True,
                                        related_name="patrol_posts")
    checkin_times = models.CharField(
        _("应签到时间"), max_length=120, default="09:00",
        help_text=_("每个工作日应签到的时间，逗号分隔，如 09:00,15:00；每个时间前后 CHECKIN_WINDOW 分钟内签到算作已签"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("岗点")
        verbose_name_plural = _("岗点")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class CheckIn(models.Model):
    """签到: the collector was at the post (within its radius) at `at`."""

    collector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("监督员"), on_delete=models.CASCADE,
                                  related_name="patrol_checkins")
    post = models.ForeignKey(Post, verbose_name=_("岗点"), on_delete=models.CASCADE, related_name="checkins")
    at = models.DateTimeField(_("签到时间"))
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    accuracy_m = models.FloatField(_("定位精度（米）"), null=True, blank=True)
    distance_m = models.FloatField(_("距岗点（米）"))
    client_key = models.CharField(_("幂等键"), max_length=64, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("签到")
        verbose_name_plural = _("签到")
        ordering = ["-at"]
        indexes = [models.Index(fields=["collector", "at"], name="patrol_checkin_collector_at")]

    def __str__(self) -> str:
        return f"{self.post} {self.at:%Y-%m-%d %H:%M}"


class WriteReceipt(models.Model):
    """The answer given to a write sent with an Idempotency-Key: a retry of the same key gets it
    again (200) instead of writing twice. Forgotten with the points, after PATROL_RETENTION_DAYS."""

    key = models.CharField(max_length=64, unique=True)
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    operation = models.CharField(max_length=16)
    fingerprint = models.CharField(max_length=64)
    body = models.JSONField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("提交回执")
        verbose_name_plural = _("提交回执")

    def __str__(self) -> str:
        return f"{self.operation} {self.created_at:%Y-%m-%d %H:%M}"


class GridVisit(models.Model):
    """A unit grid the collector's track touched on a (city) day: written with the points (a few
    rows per batch, duplicates ignored), so coverage counts these rows instead of the day's points."""

    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                  db_index=False)
    day = models.DateField()
    unit_grid = models.ForeignKey(UnitGrid, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("网格巡查记录")
        verbose_name_plural = _("网格巡查记录")
        constraints = [models.UniqueConstraint(fields=["collector", "day", "unit_grid"],
                                               name="patrol_grid_visit_unique")]

    def __str__(self) -> str:
        return f"{self.collector_id} {self.day} {self.unit_grid_id}"
