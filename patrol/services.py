"""Patrol writes: going on and off duty, storing a batch of track points, checking in at a post,
and the retention purge. Every write a phone may retry takes an idempotency key (WriteReceipt)."""
import hashlib
import json
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ConflictError, PermissionDeniedError
from core.partitions import drop_months_before
from core.queries import row_by_key
from grids.geometry import metres_between
from grids.locator import OutsideCityError, grid_index
from grids.models import Role, User

from .days import city_day
from .models import CheckIn, DutyShift, GridVisit, PatrolPoint, Post, WriteReceipt
from .selectors import shift_distance

# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)
MAX_POINTS_PER_BATCH = 500


@dataclass(frozen=True)
class WriteResult:
    """What a write answered (JSON-able) and whether it was written now (False: a retry)."""

    body: dict[str, Any]
    created: bool


def collector_check(actor: User) -> None:
    if not actor.is_active or actor.role != Role.COLLECTOR:
        raise PermissionDeniedError(_("只有监督员可以使用巡查功能。"))


# --- idempotency -----------------------------------------------------------------------------------

def _scoped_key(actor: User, key: str) -> str:
    # Scoped to the person: two phones that number their writes from 1 must not share answers.
    return hashlib.sha256(f"patrol:{actor.pk}:{key.strip()}".encode()).hexdigest()


def _fingerprint(operation: str, payload: Any) -> str:
    return hashlib.sha256(json.dumps([operation, payload], sort_keys=True, default=str).encode()).hexdigest()


def _receipt_answer(key: str, fingerprint: str) -> WriteResult | None:
    receipt = row_by_key(WriteReceipt.objects.filter(key=key))
    if receipt is None:
        return None
    if receipt.fingerprint != fingerprint:
        raise ApplicationError(
            _("该幂等键（Idempotency-Key）已用于另一份内容不同的提交；新的提交请使用新的键。"),
            extra={"field": "idempotency_key"}, status_code=422,
        )
    return WriteResult(receipt.body, created=False)


def _idempotent(*, actor: User, key: str | None, operation: str, payload: Any, write) -> WriteResult:
    """Run `write()` (which returns the JSON-able answer) once per key. The receipt is inserted
    first, in the write's transaction: a second request with the same key, at the same moment,
    waits on the unique index until the first commits and then answers with its receipt."""
    if not key:
        with transaction.atomic():
            return WriteResult(write(), created=True)
    scoped, fingerprint = _scoped_key(actor, key), _fingerprint(operation, payload)
    found = _receipt_answer(scoped, fingerprint)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            receipt = WriteReceipt.objects.create(key=scoped, collector=actor, operation=operation,
                                                  fingerprint=fingerprint, body={}, created_at=timezone.now())
            receipt.body = write()
            receipt.save(update_fields=["body"])
    except IntegrityError:
        found = _receipt_answer(scoped, fingerprint)
        if found is None:
            raise
        return found
    return WriteResult(receipt.body, created=True)


# --- duty ------------------------------------------------------------------------------------------

def _when(at: datetime | None, now: datetime) -> datetime:
    if at is None:
        return now
    if at > now + CLOCK_SKEW:
        raise ApplicationError(_("时间不能晚于当前时间。"), extra={"field": "at"})
    return at


def duty_state(shift: DutyShift | None) -> dict[str, Any]:
    return {
        "on_duty": shift is not None and shift.ended_at is None,
        "shift_id": shift.pk if shift else None,
        "started_at": timezone.localtime(shift.started_at).isoformat() if shift else None,
        "ended_at": timezone.localtime(shift.ended_at).isoformat() if shift and shift.ended_at else None,
    }


def duty_set(*, actor: User, on_duty: bool, at: datetime | None = None, lon: float | None = None,
             lat: float | None = None, accuracy: float | None = None,
             idempotency_key: str | None = None) -> WriteResult:
    """上岗 / 下岗. Going on duty while on duty (or off while off) changes nothing and answers the
    current state. A position given with 上岗 is the track's first point."""
    collector_check(actor)
    payload = {"on_duty": on_duty, "at": at, "lon": lon, "lat": lat, "accuracy": accuracy}

    def write() -> dict[str, Any]:
        now = timezone.now()
        moment = _when(at, now)
        # Locks the person's row: their duty changes (two taps, two tabs) queue here.
        User.objects.select_for_update().filter(pk=actor.pk).values_list("pk").first()
        open_shift = row_by_key(DutyShift.objects.filter(collector=actor, ended_at__isnull=True))
        if on_duty:
            if open_shift is not None:
                return duty_state(open_shift)
            last = DutyShift.objects.filter(collector=actor).order_by("-started_at").first()
            if last is not None and last.ended_at and moment < last.ended_at:
                moment = last.ended_at  # a queued 上岗 older than the last 下岗 starts where it ended
            shift = DutyShift.objects.create(collector=actor, started_at=moment)
            if lon is not None and lat is not None:
                _points_insert(actor, [(shift, moment, lon, lat, accuracy)])
            return duty_state(shift)
        if open_shift is None:
            last = DutyShift.objects.filter(collector=actor).order_by("-started_at").first()
            return duty_state(last)
        open_shift.ended_at = max(moment, open_shift.started_at)
        open_shift.distance_m = shift_distance(open_shift)
        open_shift.save(update_fields=["ended_at", "distance_m"])
        return duty_state(open_shift)

    return _idempotent(actor=actor, key=idempotency_key, operation="duty", payload=payload, write=write)


# --- points ----------------------------------------------------------------------------------------

def points_record(*, actor: User, points: list[dict[str, Any]], idempotency_key: str | None = None) -> WriteResult:
    """Store a batch of track points ({at, lon, lat, accuracy}). Only points that fall in one of
    the collector's duty shifts are kept (positions are recorded on duty only); the answer says
    how many. One INSERT for the batch."""
    collector_check(actor)
    if len(points) > MAX_POINTS_PER_BATCH:
        raise ApplicationError(_("每批最多 %(n)d 个轨迹点。") % {"n": MAX_POINTS_PER_BATCH}, extra={"field": "points"})
    payload = [[p["at"], p["lon"], p["lat"], p.get("accuracy")] for p in points]

    def write() -> dict[str, Any]:
        if not points:
            return {"stored": 0}
        now = timezone.now()
        oldest = now - timedelta(days=settings.PATROL_RETENTION_DAYS)
        kept = [p for p in points if oldest <= p["at"] <= now + CLOCK_SKEW]
        if not kept:
            return {"stored": 0}
        first, last = min(p["at"] for p in kept), max(p["at"] for p in kept)
        shifts = list(DutyShift.objects.filter(collector=actor, started_at__lte=last)
                      .exclude(ended_at__lt=first).order_by("started_at"))
        starts = [shift.started_at for shift in shifts]
        rows = []
        for point in kept:
            index = bisect_right(starts, point["at"]) - 1
            if index < 0:
                continue
            shift = shifts[index]
            if shift.ended_at is not None and point["at"] > shift.ended_at:
                continue
            rows.append((shift, point["at"], point["lon"], point["lat"], point.get("accuracy")))
        _points_insert(actor, rows)
        # Points of a shift that already ended came late (the phone was offline): its walk is
        # summed again.
        for shift in {row[0] for row in rows if row[0].ended_at is not None}:
            shift.distance_m = shift_distance(shift)
            shift.save(update_fields=["distance_m"])
        return {"stored": len(rows)}

    return _idempotent(actor=actor, key=idempotency_key, operation="points", payload=payload, write=write)


def _points_insert(actor: User, rows: list[tuple]) -> None:
    """Insert (shift, at, lon, lat, accuracy) rows in one statement, each placed in its unit grid
    by the locator, and note the grids visited per city day."""
    if not rows:
        return
    index = grid_index()
    points, visits = [], set()
    for shift, at, lon, lat, accuracy in rows:
        try:
            unit_grid_id = index.locate(lon, lat).unit_grid_id
        except OutsideCityError:
            unit_grid_id = None
        points.append(PatrolPoint(collector=actor, shift=shift, at=at, lon=lon, lat=lat, accuracy_m=accuracy,
                                  unit_grid_id=unit_grid_id))
        if unit_grid_id is not None:
            visits.add((city_day(at), unit_grid_id))
    PatrolPoint.objects.bulk_create(points, batch_size=MAX_POINTS_PER_BATCH)
    GridVisit.objects.bulk_create([GridVisit(collector=actor, day=day, unit_grid_id=grid) for day, grid in visits],
                                  ignore_conflicts=True)


# --- check-ins -------------------------------------------------------------------------------------

def checkin_record(*, actor: User, post_id: int, lon: float, lat: float, accuracy: float | None = None,
                   at: datetime | None = None, idempotency_key: str | None = None) -> WriteResult:
    """签到 at one of the collector's posts, on duty, within the post's radius."""
    collector_check(actor)
    payload = {"post_id": post_id, "lon": lon, "lat": lat, "accuracy": accuracy, "at": at}

    def write() -> dict[str, Any]:
        moment = _when(at, timezone.now())
        post = row_by_key(Post.objects.filter(pk=post_id, is_active=True, collectors=actor))
        if post is None:
            raise ApplicationError(_("该岗点不存在或不属于您。"), extra={"field": "post_id"}, status_code=404)
        on_duty = DutyShift.objects.filter(collector=actor, started_at__lte=moment).exclude(ended_at__lt=moment)
        if not on_duty.exists():
            raise ConflictError(_("请先上岗再签到。"))
        distance = metres_between(post.lon, post.lat, lon, lat)
        if distance > post.radius_m:
            raise ApplicationError(
                _("您距岗点“%(post)s”%(distance)d 米，超出签到范围（%(radius)d 米）。")
                % {"post": post.name, "distance": round(distance), "radius": post.radius_m},
                extra={"field": "lon", "distance_m": round(distance, 1), "radius_m": post.radius_m},
            )
        checkin = CheckIn.objects.create(
            collector=actor, post=post, at=moment, lon=lon, lat=lat, accuracy_m=accuracy,
            distance_m=round(distance, 1),
            client_key=_scoped_key(actor, idempotency_key) if idempotency_key else None,
        )
        return {"id": checkin.pk, "post_id": post.pk, "at": timezone.localtime(checkin.at).isoformat(), "distance_m": checkin.distance_m}

    return _idempotent(actor=actor, key=idempotency_key, operation="checkin", payload=payload, write=write)


# --- retention -------------------------------------------------------------------------------------

def points_purge(*, now: datetime | None = None, chunk: timedelta = timedelta(hours=1)) -> dict[str, int]:
    """Delete track points, grid visits, check-ins and receipts older than PATROL_RETENTION_DAYS.
    On PostgreSQL a month of points wholly past the cutoff is dropped with its partition
    (docs/partitioning.md); the rest (the month the cutoff falls in, DEFAULT, SQLite) goes by time
    range, an hour at a time: each DELETE reads only that hour's blocks (the BRIN on `at`) and stays
    short enough not to hold locks or swell the WAL for long. The next range starts at any old point
    left (LIMIT 1 with no ORDER BY: no sort over the table). Safe to run twice; duty shifts (times,
    no positions) stay for the assessment."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PATROL_RETENTION_DAYS)
    months_dropped = drop_months_before(PatrolPoint._meta.db_table, cutoff)
    deleted = 0
    while True:
        found = list(PatrolPoint.objects.filter(at__lt=cutoff).values_list("at", flat=True)[:1])
        if not found:
            break
        lower = found[0].replace(minute=0, second=0, microsecond=0)
        count, _kinds = PatrolPoint.objects.filter(at__gte=lower, at__lt=min(lower + chunk, cutoff)).delete()
        deleted += count
    visits, _kinds = GridVisit.objects.filter(day__lt=city_day(cutoff)).delete()
    checkins, _kinds = CheckIn.objects.filter(at__lt=cutoff).delete()
    receipts, _kinds = WriteReceipt.objects.filter(created_at__lt=cutoff).delete()
    return {"points": deleted, "point_months_dropped": len(months_dropped), "grid_visits": visits,
            "checkins": checkins, "receipts": receipts}
