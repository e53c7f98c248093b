"""Writes of the case loop other than state moves: intake (idempotent, located, checked for
duplicates), self-handled cases, photos, case numbers, marking overdue steps, the default return
reasons, and case_move, the one entry of every state move for the pages, the API and the field app."""
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from core.errors import ApplicationError, IdempotencyKeyReusedError
from core.queries import row_by_key
from core.storage import StoredFiles
from core.text import text_clean
from grids.locator import locate
from grids.models import Component, ComponentStatus, MinorClass, Role, UnitGrid, User
from grids.selectors import ownership_resolve

from . import months, steps, workflow
from .models import (
    OPEN_STATES,
    Attachment,
    AttachmentKind,
    Case,
    CaseEvent,
    CaseKey,
    CaseNumberSequence,
    CaseStep,
    ReturnReason,
    Source,
    State,
    StepKind,
    Urgency,
)
from .notifiers import ReportNotice, notifier_get
from .outbox import outbox_claim, outbox_enqueue
from .photos import photo_clean, photo_thumbnail, photo_validate
from .transitions import ARGUMENT_MISSING, TRANSITIONS, Action


@dataclass(frozen=True)
class ReportResult:
    case: Case
    created: bool
    attachments: list["Attachment"] | None = None  # the photos stored with a new case (None: not loaded)


def attachments_add(*, case: Case, photos: list[UploadedFile], kind: str, actor: User | None,
                    stored: StoredFiles | None = None) -> list[Attachment]:
    """Store validated photos of a case, inside the caller's transaction; `stored` collects the
    files so that the caller can remove them if the transaction fails."""
    content_types = [photo_validate(photo) for photo in photos]
    attachments = []
    for photo, content_type in zip(photos, content_types, strict=True):
        # Stored re-written, without EXIF/XMP (the GPS position of a citizen's phone): see cases.photos.
        cleaned = photo_clean(photo)
        attachment = Attachment(case=case, kind=kind, content_type=content_type, size=cleaned.size,
                                uploaded_by=actor)
        thumbnail = photo_thumbnail(cleaned)
        try:
            attachment.file.save(cleaned.name, cleaned, save=False)
            if stored is not None:
                stored.files.append(attachment.file)
            attachment.thumbnail.save(thumbnail.name, thumbnail, save=False)
            if stored is not None:
                stored.files.append(attachment.thumbnail)
        except OSError as exc:
            # Storage full or unavailable: the whole submission fails (files already written are
            # removed by StoredFiles) and the client is told to retry, not shown a bare 500.
            raise ApplicationError(_("照片未能保存，本次提交未生效，请稍后重试。"), status_code=503,
                                   extra={"field": "photos"}) from exc
        attachment.save()
        attachments.append(attachment)
    return attachments


def case_number_next(year: int) -> str:
    """The next case number of the year: the year and 8 digits. On PostgreSQL a sequence per year
    (no lock held across the intake transaction; a rolled-back intake leaves a gap); elsewhere a
    locked counter row."""
    if connection.vendor == "postgresql":
        name = f"case_number_{year}"
        with connection.cursor() as cursor:
            # One query once the year's sequence exists: to_regclass is NULL for a missing one
            # and nextval(NULL) is NULL, where nextval('missing') would abort the transaction.
            cursor.execute("SELECT nextval(to_regclass(%s))", [name])
            value = cursor.fetchone()[0]
            if value is None:
                try:
                    # In a savepoint: the first intakes of a year race to create its sequence; the
                    # losers wait for the winner to commit, then fail on the catalog's unique index
                    # (IF NOT EXISTS checked too early), and simply use the winner's sequence.
                    with transaction.atomic():
                        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name}")
                except IntegrityError:
                    pass
                cursor.execute("SELECT nextval(%s)", [name])
                value = cursor.fetchone()[0]
    else:
        with transaction.atomic():
            sequence, _created = CaseNumberSequence.objects.select_for_update().get_or_create(year=year)
            sequence.last += 1
            sequence.save(update_fields=["last"])
            value = sequence.last
    return f"{year}{value:08d}"


def duplicate_candidate(*, minor: MinorClass, lon: float, lat: float, at: datetime) -> Case | None:
    """An open case of the same class within DUPLICATE_DISTANCE_M metres and DUPLICATE_WINDOW_HOURS
    before `at`: the likely duplicate shown to the operator. A bounding box in the index, then the
    exact distance."""
    metres = settings.DUPLICATE_DISTANCE_M
    dlat = metres / 111_320
    dlon = metres / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    since = at - timedelta(hours=settings.DUPLICATE_WINDOW_HOURS)
    # Only the months up to `at`'s (the later ones' empty partitions cost PostgreSQL as much
    # planning as the rest of the query), and only the columns the check and the answer need: each
    # report reads up to 20 candidates, where fifty columns of each cost more than the check.
    candidates = Case.objects.filter(
        months.reported_between_q(since, at + timedelta(microseconds=1)), minor=minor, state__in=OPEN_STATES,
        reported_at__gte=since, lon__range=(lon - dlon, lon + dlon), lat__range=(lat - dlat, lat + dlat),
        merged_into__isnull=True,
    ).order_by("reported_at").values_list(*_CANDIDATE_FIELDS)[:20]
    for row in candidates:
        found = dict(zip(_CANDIDATE_FIELDS, row, strict=True))
        if _distance_m(lon, lat, found["lon"], found["lat"]) <= metres:
            # The case with only these fields loaded (the others deferred), as `.only()` builds it.
            return Case.from_db(candidates.db, _CANDIDATE_FIELDS, row)
    return None


# In the model's field order, as Model.from_db takes a subset of them.
_CANDIDATE_FIELDS = tuple(f.attname for f in Case._meta.concrete_fields if f.attname in {"id", "number", "lon", "lat"})


def _distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6_371_000 * math.hypot(x, y)


def case_report(
    *,
    actor: User | None,
    source: str,
    minor_id: int,
    lon: float,
    lat: float,
    description: str,
    urgency: str = Urgency.NORMAL,
    address: str = "",
    component_code: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    photos: list[UploadedFile] | None = None,
    idempotency_key: str | None = None,
) -> ReportResult:
    """Take a report from any source. A retried submission with the same idempotency key returns
    the first case; the same key with another submission is refused (422). Everything (case,
    photos, first step, event) is written or nothing is."""
    description, address, reporter_name = text_clean(description), text_clean(address), text_clean(reporter_name)
    digest = None
    if idempotency_key:
        digest = _submission_digest(
            source=source, minor_id=minor_id, lon=lon, lat=lat, description=description, urgency=urgency,
            address=address, component_code=component_code, reporter_name=reporter_name,
            reporter_phone=reporter_phone, photos=[photo.size for photo in photos or []])
        existing = _case_of_key(idempotency_key)
        if existing is not None:
            _retry_check(existing, digest)
            return ReportResult(existing, created=False)
    if source not in Source.values:
        raise ApplicationError(_("来源“%(source)s”无效。") % {"source": source}, extra={"field": "source"})
    if urgency not in Urgency.values:
        raise ApplicationError(_("紧急程度无效。"), extra={"field": "urgency"})
    if not (description or "").strip():
        raise ApplicationError(_("请填写问题描述。"), extra={"field": "description"})
    minor = row_by_key(MinorClass.objects.filter(pk=minor_id, is_active=True))
    if minor is None:
        raise ApplicationError(_("分类不存在或已停用（%(id)s）。") % {"id": minor_id}, extra={"field": "minor_id"})
    location = locate(lon, lat)
    component = None
    if component_code:
        component = row_by_key(Component.objects.filter(code=component_code))
        if component is None:
            raise ApplicationError(_("部件“%(code)s”不存在。") % {"code": component_code},
                                   extra={"field": "component_code"})
        if component.minor_id != minor.pk:
            raise ApplicationError(_("部件“%(code)s”不属于所选小类。") % {"code": component_code},
                                   extra={"field": "component_code"})
        if component.status == ComponentStatus.RETIRED:
            # Retired by a census update: kept for the cases that name it, closed to new ones.
            raise ApplicationError(_("部件“%(code)s”已在普查中注销。") % {"code": component_code},
                                   extra={"field": "component_code"})
    for photo in photos or []:
        photo_validate(photo)

    now = timezone.now()
    try:
        with StoredFiles() as stored, transaction.atomic():
            case = _case_create(
                actor=actor, source=source, minor=minor, location=location, lon=lon, lat=lat,
                description=description, urgency=urgency, address=address, component=component,
                reporter_name=reporter_name, reporter_phone=reporter_phone,
                idempotency_key=idempotency_key or None, now=now,
            )
            # The case row was inserted with this step as its current one (no second write).
            steps.step_open(case, StepKind.ACCEPT, now, deadline=case.current_deadline)
            CaseEvent.objects.create(
                case=case, action="report", to_state=case.state, actor=actor, created_at=now,
                payload={"source": source, "duplicate_of": case.duplicate_of.number if case.duplicate_of else None,
                         **({"digest": digest} if digest else {})},
            )
            attachments = []
            if photos:
                attachments = attachments_add(case=case, photos=photos, kind=AttachmentKind.BEFORE, actor=actor,
                                              stored=stored)
            # The side effect is a row of this transaction: sent after commit, or kept pending
            # while the broker is down (cases.outbox), so the report is accepted either way.
            outbox_enqueue(task="cases.report_received", kwargs={"case_id": case.pk}, once=True)
    except IntegrityError:
        # Two retries of the same submission raced: the first one's case is the answer.
        if idempotency_key:
            existing = _case_of_key(idempotency_key)
            if existing is not None:
                _retry_check(existing, digest)
                return ReportResult(existing, created=False)
        raise
    return ReportResult(case, created=True, attachments=attachments)


def _case_of_key(key: str) -> Case | None:
    case_id = next(iter(CaseKey.objects.filter(key=key).values_list("case_id", flat=True).order_by()), None)
    return row_by_key(Case.objects.filter(pk=case_id)) if case_id else None


def _submission_digest(**fields) -> str:
    """What a keyed submission said, as a digest kept in its report event: a retry under the same
    key is told from another submission that reuses it. Keyed (HMAC), as the fields hold a phone
    number, which a plain hash of so few digits would give away to whoever reads the event."""
    return salted_hmac("cases.submission", json.dumps(fields, sort_keys=True, default=str)).hexdigest()


def _retry_check(case: Case, digest: str | None) -> None:
    """Refuse (422) a submission whose key names a case reported with other content. A case from
    before digests were kept is taken as the retry it most likely is."""
    payload = CaseEvent.objects.filter(case=case, action="report").values_list("payload", flat=True).first()
    recorded = (payload or {}).get("digest")
    if recorded and digest and recorded != digest:
        raise IdempotencyKeyReusedError()


def case_report_announce(*, case_id: int, outbox_key: str | None = None) -> bool:
    """Hand a new report to CASE_REPORT_NOTIFIER, once per outbox message: the claim and the hand-
    over share a transaction, so a failing notifier leaves the message to be retried."""
    with transaction.atomic():
        if not outbox_claim(outbox_key):
            return False
        case = Case.objects.filter(pk=case_id).values(
            "pk", "number", "source", "urgency", "district_id", "responsibility_grid_id").first()
        if case is None:
            return False
        notifier_get().case_reported(ReportNotice(
            case_id=case["pk"], number=case["number"], source=case["source"], urgency=case["urgency"],
            district_id=case["district_id"], responsibility_grid_id=case["responsibility_grid_id"]))
    return True


def _case_create(*, actor, source, minor, location, lon, lat, description, urgency, address, component,
                 reporter_name, reporter_phone, idempotency_key, now) -> Case:
    # Built from the locator's answer (no query), and kept on the case for the intake receipt.
    unit_grid = UnitGrid(pk=location.unit_grid_id, code=location.unit_grid_code, community_id=location.community_id,
                         street_id=location.street_id, district_id=location.district_id)
    ownership = ownership_resolve(minor=minor, unit_grid=unit_grid, component=component)
    case = Case.objects.create(
        number=case_number_next(timezone.localtime(now).year),
        source=source, kind=minor.kind, minor=minor, component=component, lon=lon, lat=lat, address=address,
        unit_grid=unit_grid, community_id=location.community_id, street_id=location.street_id,
        district_id=location.district_id, responsibility_grid_id=location.responsibility_grid_id,
        description=description, urgency=urgency, reporter=actor if actor and actor.is_authenticated else None,
        reporter_name=reporter_name, reporter_phone=reporter_phone, idempotency_key=idempotency_key,
        suggested_department=ownership.department, ownership_unknown=ownership.unknown,
        duplicate_of=duplicate_candidate(minor=minor, lon=lon, lat=lat, at=now),
        state=State.REPORTED, reported_at=now, current_step=StepKind.ACCEPT, current_step_started_at=now,
        current_deadline=steps.step_deadline(None, StepKind.ACCEPT, now),
    )
    if idempotency_key:
        # A second submission with the key fails here (IntegrityError), and the caller answers the first case.
        CaseKey.objects.create(key=idempotency_key, case=case)
    return case


def case_report_self_handled(
    *, actor: User, minor_id: int, lon: float, lat: float, description: str,
    before_photos: list[UploadedFile], after_photos: list[UploadedFile], address: str = "",
    idempotency_key: str | None = None,
) -> ReportResult:
    """自行处置: a collector fixes a trivial problem on the spot; the case is created closed,
    with photos before and after."""
    if actor.role != Role.COLLECTOR:
        raise ApplicationError(_("只有监督员可以上报自行处置案件。"), status_code=403)
    if not before_photos or not after_photos:
        raise ApplicationError(_("自行处置必须同时上传处置前和处置后的照片。"), extra={"field": "photos"})
    for photo in [*before_photos, *after_photos]:
        photo_validate(photo)
    with StoredFiles() as stored, transaction.atomic():
        result = case_report(
            actor=actor, source=Source.COLLECTOR, minor_id=minor_id, lon=lon, lat=lat, description=description,
            address=address, photos=before_photos, idempotency_key=idempotency_key,
        )
        if not result.created:
            return result
        case = Case.objects.select_for_update().get(pk=result.case.pk)
        now = timezone.now()
        attachments_add(case=case, photos=after_photos, kind=AttachmentKind.AFTER, actor=actor, stored=stored)
        steps.steps_close_all(case, now)
        CaseStep.objects.filter(case=case).update(on_time=True, completed_by=actor)
        case.state = State.CLOSED  # the one write of state outside workflow: a case born closed
        case.filed_at = case.dispatched_at = case.handled_at = case.closed_at = now
        case.handled_on_time = case.closed_on_time = True
        case.verified = True
        case.save()
        CaseEvent.objects.create(case=case, action="self_handle", from_state=State.REPORTED, to_state=State.CLOSED,
                                 actor=actor, created_at=now)
    return ReportResult(case, created=True)


def steps_mark_overdue(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Mark steps past their deadline and log an `overdue` event for each, once. Safe to run twice
    and from two workers at once (SKIP LOCKED on PostgreSQL)."""
    now = now or timezone.now()
    marked = 0
    while True:
        with transaction.atomic():
            # A suspended case's clock is paused: its handling step is not overdue (resume moves
            # the deadline on by the time spent suspended).
            due = CaseStep.objects.filter(
                completed_at__isnull=True, overdue_marked_at__isnull=True, deadline__lt=now,
            ).exclude(case__state=State.SUSPENDED)
            if connection.features.has_select_for_update_skip_locked:
                # Lock the steps only (of=self), not the joined cases that transitions lock.
                due = due.select_for_update(skip_locked=True, of=("self",))
            rows = list(due.select_related("case").order_by("pk")[:batch])
            if not rows:
                return marked
            CaseStep.objects.filter(pk__in=[row.pk for row in rows]).update(overdue_marked_at=now)
            CaseEvent.objects.bulk_create([
                CaseEvent(case_id=row.case_id, action="overdue", from_state=row.case.state, to_state=row.case.state,
                          created_at=now, payload={"step": row.kind, "deadline": row.deadline.isoformat()})
                for row in rows
            ])
            marked += len(rows)


def case_move(*, actor: User, case_id: int, action: str, photos: list[UploadedFile] | None = None,
              position: workflow.Position | None = None, key: str | None = None, **arguments) -> Case:
    """Make a move of the table, as the pages, the API and the field app all do: the move's required
    arguments present, its photos stored with it (what they show is the row's `photos`), the
    position of a field answer kept, and the city's rule applied that some moves need photos
    (REQUIRE_PHOTOS_FOR, by default the handled report). One transaction: the state moves only if
    the photos were stored, and the photos stay only if the state moved. With the client's `key`,
    a retry of the same move by the same person answers with the case (cases.workflow.move_keyed)."""
    transition = TRANSITIONS[action]
    for name in transition.required:
        if arguments.get(name) is None:
            raise ApplicationError(str(ARGUMENT_MISSING[name]), extra={"field": name})
    photos = photos or []
    if photos and transition.photos is None:
        raise ApplicationError(_("“%(action)s”不附带照片。") % {"action": transition.label}, extra={"field": "photos"})
    if position is not None and "lon" in transition.optional:
        arguments["position"] = position
    for photo in photos:
        photo_validate(photo)
    with StoredFiles() as stored, transaction.atomic(), workflow.move_keyed(key):
        case = workflow.ACTIONS[action](actor=actor, case_id=case_id, **arguments)
        if getattr(case, "replayed", False):  # a retry of a move made with this key: nothing more
            return case
        # After the move, so that scope, role and state are told first (an unknown case is a 404
        # whatever was sent); the refusal rolls the move back.
        if not photos and action in settings.REQUIRE_PHOTOS_FOR:
            raise ApplicationError(_("请上传至少一张处置后照片。") if action == Action.REPORT_HANDLED else
                                   _("“%(action)s”需要附带照片。") % {"action": transition.label},
                                   extra={"field": "photos"})
        if photos:
            attachments_add(case=case, photos=photos, kind=transition.photos, actor=actor, stored=stored)
    return case


# The return reasons a city starts with (migration 0017 installs the same), stored as data in the
# city's language; the city edits the list in the admin.
RETURN_REASON_DEFAULTS = [
    ("not_our_duty", "非本部门职责"),
    ("wrong_location", "位置不准确"),
    ("unclear", "描述不清"),
    ("duplicate", "重复案件"),
    ("other", "其他"),
]


def return_reasons_install() -> int:
    """Add the default return reasons the list lacks (by code; an edited one is left as it is).
    Returns how many were added."""
    added = 0
    for order, (code, label) in enumerate(RETURN_REASON_DEFAULTS, start=1):
        _reason, created = ReturnReason.objects.get_or_create(code=code, defaults={"label": label, "order": order * 10})
        added += created
    return added
