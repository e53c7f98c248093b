"""Writes of the hotline and the public channel: logging a call (creating a case, or joining the
open case of the same problem), replies to citizens through the gateway, callbacks (回访) and the
closure poll that creates them, public reports, and API keys."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.calendar import WorkCalendar
from cases.models import Case, Source, State, Urgency
from cases.months import reported_since_q
from cases.outbox import outbox_enqueue
from cases.permissions import case_in_scope, case_not_found
from cases.services import case_report
from cases.workflow import case_reopen
from core.client_keys import key_holder, key_set
from core.errors import ApplicationError, IdempotencyKeyReusedError, NotFoundError, PermissionDeniedError
from core.phones import phone_normalize  # noqa: F401  (hotline.services.phone_normalize, as before)
from core.storage import StoredFiles
from core.text import text_clean
from grids.locator import locate
from grids.models import User

from . import selectors
from .masking import can_see_personal_data
from .models import (
    INTAKE_LINKS,
    ApiKey,
    Call,
    Callback,
    CallbackStatus,
    Caller,
    CallKind,
    CaseLink,
    Channel,
    DeliveryStatus,
    Feedback,
    FeedbackChannel,
    FeedbackKind,
    PublicChannel,
    PublicReport,
    Satisfaction,
)

CHANNEL_SOURCES = {
    Channel.HOTLINE_12319: Source.HOTLINE_12319,
    Channel.HOTLINE_12345: Source.HOTLINE_12345,
    Channel.OTHER: Source.OTHER,
}


def _require_hotline_staff(actor: User) -> None:
    if not can_see_personal_data(actor):
        raise PermissionDeniedError(_("只有热线坐席可以执行此操作。"))


# --- calls ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CallResult:
    call: Call
    created: bool  # False: a retried submission (same key or 12345 work-order number)

    @property
    def case(self) -> Case | None:
        return self.call.case


def call_log(
    *,
    actor: User,
    channel: str,
    phone: str,
    content: str,
    caller_name: str = "",
    kind: str = CallKind.REPORT,
    answer: str = "",
    minor_id: int | None = None,
    lon: float | None = None,
    lat: float | None = None,
    address: str = "",
    urgency: str = Urgency.NORMAL,
    case_number: str = "",
    transfer_number: str = "",
    transfer_deadline: datetime | None = None,
    called_at: datetime | None = None,
    idempotency_key: str | None = None,
) -> CallResult:
    """Log one call. A reported problem creates a case through cases.services.case_report unless
    it is already open: a case number given by the caller, or an open case of the same class
    within HOTLINE_JOIN_DISTANCE_M, is joined instead of duplicated. A question about a case
    (inquiry) links the call to it. Retries (same key, same 12345 work order) return the first call.
    """
    _require_hotline_staff(actor)
    transfer_number = (transfer_number or "").strip()
    content, answer, address = text_clean(content), text_clean(answer), text_clean(address)
    caller_name = text_clean(caller_name)
    existing = _call_existing(idempotency_key, transfer_number)
    if existing is not None:
        if idempotency_key and existing.idempotency_key == idempotency_key:
            _retry_check(existing, channel=channel, kind=kind, phone=phone, content=content)
        return CallResult(existing, created=False)
    if channel not in Channel.values:
        raise ApplicationError(_("来电渠道无效。"), extra={"field": "channel"})
    if kind not in CallKind.values:
        raise ApplicationError(_("诉求类型无效。"), extra={"field": "kind"})
    if channel == Channel.HOTLINE_12345 and not transfer_number:
        raise ApplicationError(_("12345转办必须填写工单号。"), extra={"field": "transfer_number"})
    if not (content or "").strip():
        raise ApplicationError(_("请填写来电内容。"), extra={"field": "content"})
    now = timezone.now()
    called_at = called_at or now
    if called_at > now + timedelta(minutes=5):
        raise ApplicationError(_("来电时间不能晚于当前时间。"), extra={"field": "called_at"})
    phone = phone_normalize(phone)

    case, link = None, ""
    if case_number:
        case, link = _case_by_number(case_number.strip(), kind)
    elif kind == CallKind.REPORT:
        if minor_id is None or lon is None or lat is None:
            raise ApplicationError(_("反映问题须选择问题分类并标注位置（经纬度）。"),
                                   extra={"field": "minor_id" if minor_id is None else "lon"})
        case = selectors.case_open_nearby(minor_id=minor_id, lon=lon, lat=lat)
        link = CaseLink.JOINED if case is not None else CaseLink.CREATED
    district_id = case.district_id if case is not None else None
    if district_id is None and lon is not None and lat is not None:
        district_id = locate(lon, lat).district_id

    with transaction.atomic():
        caller = _caller_upsert(phone, caller_name)
        if link == CaseLink.CREATED:
            result = case_report(
                actor=actor, source=CHANNEL_SOURCES[channel], minor_id=minor_id, lon=lon, lat=lat,
                description=content, urgency=urgency, address=address, reporter_name=caller_name,
                reporter_phone=phone,
                idempotency_key=_scoped_key("hotline", idempotency_key) if idempotency_key else None,
            )
            case = result.case
            district_id = case.district_id
        call = Call.objects.create(
            channel=channel, kind=kind, caller=caller, caller_name=caller_name, called_at=called_at, agent=actor,
            content=content, answer=answer, transfer_number=transfer_number,
            transfer_deadline=transfer_deadline, case=case, case_link=link, district_id=district_id,
            idempotency_key=idempotency_key or None,
        )
    return CallResult(call, created=True)


def _call_existing(idempotency_key: str | None, transfer_number: str) -> Call | None:
    if idempotency_key:
        call = Call.objects.filter(idempotency_key=idempotency_key).select_related("case").first()
        if call is not None:
            return call
    if transfer_number:
        return Call.objects.filter(transfer_number=transfer_number).select_related("case").first()
    return None


def _retry_check(call: Call, *, channel: str, kind: str, phone: str, content: str) -> None:
    """Refuse (422) a call logged again under the key of another call: another channel, kind,
    number or text."""
    same = (call.channel, call.kind, call.content) == (channel, kind, content)
    if same:
        try:
            same = call.caller.phone == phone_normalize(phone)
        except ApplicationError:
            same = False
    if not same:
        raise IdempotencyKeyReusedError()


def _case_by_number(number: str, kind: str) -> tuple[Case, str]:
    case = Case.objects.filter(number=number).select_related("merged_into").first()
    if case is None:
        raise ApplicationError(_("案件编号“%(number)s”不存在。") % {"number": number}, extra={"field": "case_number"})
    # A merged report lives on in the case it joined.
    while case.state == State.MERGED and case.merged_into_id:
        case = Case.objects.get(pk=case.merged_into_id)
    if kind != CallKind.REPORT:
        return case, CaseLink.INQUIRY
    if not case.is_open:
        raise ApplicationError(
            _("案件 %(number)s 当前为“%(state)s”，不能再并入新的反映。如问题再次出现，请不填案件编号，作为新问题登记；"
              "如对处理结果不满意，请在回访中办理。") % {"number": case.number, "state": case.get_state_display()},
            extra={"field": "case_number"},
        )
    return case, CaseLink.JOINED


def _caller_upsert(phone: str, name: str) -> Caller:
    caller, created = Caller.objects.get_or_create(phone=phone, defaults={"name": name})
    if not created:
        # Touch updated_at so that recent callers sort first; keep the newest name given.
        caller.name = name or caller.name
        caller.save(update_fields=["name", "updated_at"])
    return caller


def _scoped_key(scope: str, key: str) -> str:
    """A client's key, scoped so that two channels' keys never collide on Case.idempotency_key."""
    return hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()


# --- replies to the citizen -------------------------------------------------------------------

def feedback_deadline(closed_at: datetime) -> datetime:
    hours = float(getattr(settings, "HOTLINE_FEEDBACK_LIMIT_HOURS", 8))
    return WorkCalendar.for_department(None).add_work_time(closed_at, hours=hours)


def callback_deadline(closed_at: datetime) -> datetime:
    hours = float(getattr(settings, "HOTLINE_CALLBACK_LIMIT_HOURS", 24))
    return WorkCalendar.for_department(None).add_work_time(closed_at, hours=hours)


def feedback_send(
    *, actor: User | None, case_id: int, channel: str, message: str, kind: str = FeedbackKind.RESULT,
    recipient: str = "", automatic: bool = False,
) -> Feedback:
    """Record a reply to the citizen. By phone it is done (the agent spoke to them); by SMS or
    WeChat it goes out through the gateway after commit. A result reply answers the case's current
    closure and records whether it came within HOTLINE_FEEDBACK_LIMIT_HOURS working hours."""
    if not automatic:
        _require_hotline_staff(actor)
    if channel not in FeedbackChannel.values:
        raise ApplicationError(_("答复方式无效。"), extra={"field": "channel"})
    if kind not in FeedbackKind.values:
        raise ApplicationError(_("答复类型无效。"), extra={"field": "kind"})
    message = text_clean(message)
    if not message:
        raise ApplicationError(_("请填写答复内容。"), extra={"field": "message"})
    case = Case.objects.filter(pk=case_id).first()
    if case is None or (actor is not None and not case_in_scope(actor, case)):
        raise case_not_found()
    now = timezone.now()
    closed_at = due_at = on_time = None
    if kind == FeedbackKind.RESULT:
        if case.state != State.CLOSED or case.closed_at is None:
            raise ApplicationError(_("案件 %(number)s 尚未结案，只能答复办理进度。") % {"number": case.number},
                                   extra={"field": "kind"})
        closed_at = case.closed_at
        due_at = feedback_deadline(closed_at)
        on_time = now <= due_at
    recipient = phone_normalize(recipient) if recipient else selectors.citizen_phone(case)
    if not recipient:
        raise ApplicationError(_("案件 %(number)s 没有市民联系电话，无法答复。") % {"number": case.number},
                               extra={"field": "recipient"})
    by_phone = channel == FeedbackChannel.PHONE
    with transaction.atomic():
        feedback = Feedback.objects.create(
            case=case, kind=kind, channel=channel, recipient=recipient, message=message,
            automatic=automatic, created_by=actor, created_at=now, case_closed_at=closed_at, due_at=due_at,
            on_time=on_time, status=DeliveryStatus.SENT if by_phone else DeliveryStatus.PENDING,
            sent_at=now if by_phone else None,
        )
        if not by_phone:
            # Through the outbox: kept and sent later if the broker is down (cases.outbox).
            outbox_enqueue(task="hotline.feedback_deliver", kwargs={"feedback_id": feedback.pk})
    return feedback


def feedback_deliver(*, feedback_id: int) -> str:
    """Hand one pending reply to the gateway. Claimed by a conditional update first, so a task run
    twice (or by two workers) sends once."""
    from .gateways import gateway_get

    claimed = Feedback.objects.filter(pk=feedback_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING)
    if not claimed:
        return Feedback.objects.filter(pk=feedback_id).values_list("status", flat=True).first() or ""
    feedback = Feedback.objects.get(pk=feedback_id)
    try:
        result = gateway_get().send(channel=feedback.channel, recipient=feedback.recipient,
                                    message=feedback.message, reference=str(feedback.pk))
    except Exception as exc:  # a gateway's failure is recorded on the reply, never lost
        feedback.status, feedback.status_detail = DeliveryStatus.FAILED, str(exc)[:200]
        feedback.save(update_fields=["status", "status_detail"])
        return feedback.status
    feedback.status = DeliveryStatus.SENT if result.sent else DeliveryStatus.LOGGED
    feedback.gateway_reference, feedback.status_detail = result.reference[:100], result.detail[:200]
    feedback.sent_at = timezone.now() if result.sent else None
    feedback.save(update_fields=["status", "gateway_reference", "status_detail", "sent_at"])
    return feedback.status


# --- callbacks --------------------------------------------------------------------------------

def callback_record(
    *, actor: User, callback_id: int, satisfaction: str = "", comment: str = "", reached: bool = True,
    reopen: bool = False,
) -> Callback:
    """Record a callback: the citizen's satisfaction and comment, or that they could not be
    reached. A dissatisfied citizen's case can be sent back to its department as rework in the
    same action (cases.workflow.case_reopen): both are written, or neither."""
    _require_hotline_staff(actor)
    if reached and satisfaction not in Satisfaction.values:
        raise ApplicationError(_("请选择满意度（满意、基本满意或不满意）。"), extra={"field": "satisfaction"})
    if reopen and (not reached or satisfaction != Satisfaction.DISSATISFIED):
        raise ApplicationError(_("只有不满意的回访才能要求重新处置。"), extra={"field": "reopen"})
    with transaction.atomic():
        callback = Callback.objects.select_for_update().select_related("case").filter(pk=callback_id).first()
        # One answer for a missing callback and one of a case the agent may not see.
        if callback is None or not case_in_scope(actor, callback.case):
            raise NotFoundError(_("回访任务不存在。"))
        if callback.status not in (CallbackStatus.PENDING, CallbackStatus.UNREACHABLE):
            raise ApplicationError(
                _("该回访任务已%(status)s，不能重复记录。") % {"status": callback.get_status_display()},
                status_code=409,
            )
        now = timezone.now()
        callback.attempts += 1
        callback.agent = actor
        callback.comment = text_clean(comment)
        if not reached:
            callback.status = CallbackStatus.UNREACHABLE
        else:
            callback.status, callback.satisfaction, callback.done_at = CallbackStatus.DONE, satisfaction, now
        if reopen:
            if callback.case.state != State.CLOSED or callback.case.closed_at != callback.case_closed_at:
                raise ApplicationError(_("案件 %(number)s 已不在此次结案状态，无需重新处置。")
                                       % {"number": callback.case.number}, status_code=409)
            note = _("回访不满意：%(comment)s") % {"comment": callback.comment} if callback.comment \
                else _("回访不满意")
            case_reopen(actor=actor, case_id=callback.case_id, note=note)
            callback.reopened = True
        callback.save()
    return callback


def closure_followups_create(*, now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """The closure poll (Celery beat): for every closed case a citizen brought in (a hotline call
    created or joined it, or a public report with a phone number), create the callback task of its
    current closure; with HOTLINE_AUTO_FEEDBACK, also the automatic result reply. Cancels pending
    callbacks of closures since undone (case reopened). Safe to run twice and concurrently: one
    callback per closure is a unique constraint, and conflicting inserts are ignored."""
    now = now or timezone.now()
    counts = {"callbacks": 0, "feedback": 0, "cancelled": 0}
    # Only cases reported within the look-back (on the reported_at index): the poll stays cheap with
    # millions of old cases on file.
    since = now - timedelta(days=float(getattr(settings, "HOTLINE_CALLBACK_LOOKBACK_DAYS", 365)))
    citizen_cases = Case.objects.filter(
        reported_since_q(since), reported_at__gte=since, state=State.CLOSED, closed_at__isnull=False).filter(
        Q(Exists(Call.objects.filter(case=OuterRef("pk"), case_link__in=INTAKE_LINKS)))
        | (Q(source=Source.PUBLIC) & ~Q(reporter_phone=""))
    )
    missing = citizen_cases.exclude(
        Exists(Callback.objects.filter(case=OuterRef("pk"), case_closed_at=OuterRef("closed_at")))
    ).order_by("pk")
    previous: list = []
    while (rows := list(missing.values_list("pk", "closed_at")[:batch])) and rows != previous:
        previous = rows
        Callback.objects.bulk_create(
            [Callback(case_id=pk, case_closed_at=closed_at, created_at=now, due_at=callback_deadline(closed_at))
             for pk, closed_at in rows],
            ignore_conflicts=True,
        )
        counts["callbacks"] += len(rows)
    counts["cancelled"] = _callbacks_cancel_stale()
    if getattr(settings, "HOTLINE_AUTO_FEEDBACK", False):
        counts["feedback"] = _automatic_feedback_create(citizen_cases, batch=batch)
    return counts


def _callbacks_cancel_stale() -> int:
    stale = Callback.objects.filter(status__in=[CallbackStatus.PENDING, CallbackStatus.UNREACHABLE]).exclude(
        Exists(Case.objects.filter(pk=OuterRef("case_id"), state=State.CLOSED, closed_at=OuterRef("case_closed_at")))
    )
    return stale.update(status=CallbackStatus.CANCELLED)


def _automatic_feedback_create(citizen_cases, *, batch: int) -> int:
    missing = citizen_cases.exclude(
        Exists(Feedback.objects.filter(case=OuterRef("pk"), kind=FeedbackKind.RESULT,
                                       case_closed_at=OuterRef("closed_at")))
    ).order_by("pk")
    created = 0
    for case in missing.only("pk", "number")[:batch]:
        try:
            feedback_send(
                actor=None, case_id=case.pk, channel=FeedbackChannel.SMS, kind=FeedbackKind.RESULT, automatic=True,
                message=_("您反映的问题（案件编号 %(number)s）已办结，感谢您对城市管理工作的支持。")
                % {"number": case.number},
            )
            created += 1
        except ApplicationError:
            continue  # no phone on file: nothing to send
    return created


# --- public channel ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PublicReportResult:
    report: PublicReport
    created: bool

    @property
    def case(self) -> Case:
        return self.report.case


def public_report(
    *,
    channel: str,
    minor_id: int,
    lon: float,
    lat: float,
    description: str,
    address: str = "",
    component_code: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    photos: list[UploadedFile] | None = None,
    api_key: ApiKey | None = None,
    client_ip: str | None = None,
    device_id: str = "",
    account_id: str = "",
    attributes: dict | None = None,
    idempotency_key: str | None = None,
) -> PublicReportResult:
    """A citizen's report from the web/WeChat channel or an Open311 client. It enters the
    operator's queue as source "public" in state `reported`; the operator sends a verify task
    (核实) before it is filed. A retried submission (same client key) returns the first report."""
    if channel not in PublicChannel.values:
        raise ApplicationError(_("上报渠道无效。"), extra={"field": "channel"})
    phone = phone_normalize(contact_phone) if contact_phone else ""
    key = None
    if idempotency_key:
        key = _scoped_key(f"public:{api_key.pk if api_key else 'anonymous'}", idempotency_key)
    # StoredFiles around the whole transaction: the photos written by case_report are removed if
    # the PublicReport row fails after it (case_report's own collector only sees its savepoint).
    with StoredFiles(), transaction.atomic():
        result = case_report(
            actor=None, source=Source.PUBLIC, minor_id=minor_id, lon=lon, lat=lat, description=description,
            address=address, component_code=component_code, reporter_name=text_clean(contact_name)[:64],
            reporter_phone=phone, photos=photos or [], idempotency_key=key,
        )
        if not result.created:
            report = PublicReport.objects.filter(case=result.case).first()
            if report is not None:
                return PublicReportResult(report, created=False)
        report = PublicReport.objects.create(
            case=result.case, channel=channel, api_key=api_key, token=secrets.token_hex(16),
            client_ip=client_ip or None, contact_email=(contact_email or "").strip()[:254],
            device_id=(device_id or "")[:100], account_id=(account_id or "")[:100], attributes=attributes or {},
        )
    return PublicReportResult(report, created=True)


# --- API keys ---------------------------------------------------------------------------------

API_KEY_PREFIX = "cg_"


def apikey_create(*, name: str, contact: str = "", rate_limit_per_hour: int | None = None) -> tuple[ApiKey, str]:
    """A new key: returns the record and the raw key, which is not stored and cannot be shown again."""
    api_key = ApiKey(name=name, contact=contact, rate_limit_per_hour=rate_limit_per_hour)
    raw = apikey_set_secret(api_key)
    api_key.save()
    return api_key, raw


def apikey_rotate(*, api_key: ApiKey) -> str:
    """Replace a client's key: the old one stops working at once."""
    raw = apikey_set_secret(api_key)
    api_key.save(update_fields=["prefix", "key_hash"])
    return raw


def apikey_set_secret(api_key: ApiKey) -> str:
    """Give an unsaved ApiKey (the admin's add form) a fresh secret; returns the raw key."""
    return key_set(api_key, prefix=API_KEY_PREFIX)


def apikey_authenticate(raw: str) -> ApiKey | None:
    """The active key matching `raw`, or None. Marks it used (at most once a minute)."""
    return key_holder(ApiKey.objects.all(), raw)
