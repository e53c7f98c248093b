"""The transactional outbox: side effects that leave the database (Celery tasks) are written as
OutboxMessage rows in the transaction of the change that causes them, sent after its commit, and,
when the broker (Redis) is down, kept pending until the periodic drain or a worker's start sends them.

A report accepted while Redis is down is therefore answered 201, and its side effects run when
Redis returns. Delivery to the broker is at least once (the broker may take a message whose "sent"
mark is then lost); a task whose effect must happen once claims its message (outbox_claim). A
message keeps the id of the request that wrote it, and its task is published with it.
With Celery eager (no broker configured) "sending" runs the task in the sender's transaction, so
its effect and the "sent" mark commit together.
"""
import logging
import threading
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from core.request_id import CELERY_HEADER, request_id_get

from .models import OutboxMessage

logger = logging.getLogger(__name__)

_tasks_imported = False
_tasks_lock = threading.Lock()
# The broker is unreachable: every later message would fail the same way, so the batch stops.
BROKER_ERRORS = (KombuOperationalError, OSError)


def outbox_enqueue(*, task: str, kwargs: dict, once: bool = False) -> OutboxMessage:
    """Record the Celery task `task` to be sent with `kwargs` after the caller's transaction
    commits (call it inside that transaction). With `once`, the task receives `outbox_key` and is
    expected to call outbox_claim with it before its effect."""
    message = OutboxMessage(task=task, kwargs=dict(kwargs), request_id=request_id_get())
    if once:
        message.kwargs["outbox_key"] = str(message.key)
    message.save()
    # robust: a failure here is recorded on the row and logged, never turned into an error for a
    # request whose data has already been committed.
    transaction.on_commit(lambda: _send_committed(message), robust=True)
    return message


def _send_committed(message: OutboxMessage) -> None:
    """The commit hook's send of the message its transaction just wrote: published from memory,
    then marked sent (or its failure counted) by one UPDATE, where outbox_send would open a second
    transaction to read and lock the row (five statements more per report). A drain sending the
    same row at that instant may publish it too: delivery is at least once either way, and a
    once-task claims its message. With Celery eager the task runs here, so outbox_send keeps its
    effect and its sent mark in one transaction."""
    if current_app.conf.task_always_eager:
        outbox_send(message_ids=[message.pk])
        return
    now = timezone.now()
    pending = OutboxMessage.objects.filter(pk=message.pk, sent_at__isnull=True)
    try:
        _publish(message)
    except Exception as exc:  # the broker is down (or the task unknown): the drain retries
        error = f"{type(exc).__name__}: {exc}"[:500]
        pending.update(attempts=F("attempts") + 1, last_attempt_at=now, last_error=error)
        logger.warning("outbox message %s (%s) not sent, kept pending: %s", message.pk, message.task, error)
        return
    pending.update(attempts=F("attempts") + 1, last_attempt_at=now, last_error="", sent_at=now)


def outbox_send(*, message_ids: list[int] | None = None, batch: int = 100) -> dict[str, int]:
    """Send pending messages (the given ones, or the oldest `batch`). Each row is locked while it
    is sent (SKIP LOCKED: two drains never send the same row at once) and marked
    sent or, on failure, left pending with its attempt counted. A failure to reach the broker stops
    the batch (the next drain retries); a failure of one message alone (a task unknown to this
    release, an eager task's error) does not hold back the messages after it."""
    sent = failed = 0
    with transaction.atomic():
        pending = OutboxMessage.objects.filter(sent_at__isnull=True).order_by("pk")
        if message_ids is not None:
            pending = pending.filter(pk__in=message_ids)
        if connection.features.has_select_for_update_skip_locked:
            pending = pending.select_for_update(skip_locked=True)
        for message in pending[:batch]:
            message.attempts += 1
            message.last_attempt_at = timezone.now()
            try:
                # A savepoint: an eager task failing in the database leaves our transaction usable.
                with transaction.atomic():
                    _publish(message)
            except Exception as exc:  # any failure (broker down, task error) leaves it pending
                message.last_error = f"{type(exc).__name__}: {exc}"[:500]
                message.save(update_fields=["attempts", "last_attempt_at", "last_error"])
                logger.warning("outbox message %s (%s) not sent, kept pending: %s", message.pk, message.task,
                               message.last_error)
                failed += 1
                if isinstance(exc, BROKER_ERRORS):
                    break
                continue
            message.sent_at, message.last_error = timezone.now(), ""
            message.save(update_fields=["attempts", "last_attempt_at", "last_error", "sent_at"])
            sent += 1
    return {"sent": sent, "failed": failed}


def outbox_drain(*, batch: int = 100, max_batches: int = 100) -> dict[str, int]:
    """Send every pending message, batch by batch, until none is left or a send fails; then forget
    messages sent more than OUTBOX_KEEP_DAYS ago. Safe to run twice and from two workers at once."""
    totals = {"sent": 0, "failed": 0, "purged": 0}
    for _ in range(max_batches):
        result = outbox_send(batch=batch)
        totals["sent"] += result["sent"]
        totals["failed"] += result["failed"]
        if result["failed"] or result["sent"] < batch:
            break
    keep = timedelta(days=float(getattr(settings, "OUTBOX_KEEP_DAYS", 7)))
    totals["purged"], _ = OutboxMessage.objects.filter(sent_at__lt=timezone.now() - keep).delete()
    return totals


def outbox_claim(key: str | None) -> bool:
    """True the first time a task asks for the message `key` (the effect may run), False after.
    Without a key (the task was called directly, not through the outbox) the effect may run."""
    if not key:
        return True
    return bool(OutboxMessage.objects.filter(key=key, done_at__isnull=True).update(done_at=timezone.now()))


def _tasks_ready() -> None:
    """Import every app's tasks.py once per process (web processes import task modules lazily, and
    the registry needs them). Under a lock: with threaded workers, a second thread that called the
    import while the first was still in it returned at once (Celery marks the import done when it
    starts) and found the task not yet registered (NotRegistered, seen under load)."""
    global _tasks_imported
    if _tasks_imported:
        return
    with _tasks_lock:
        if not _tasks_imported:
            current_app.loader.import_default_modules()
            _tasks_imported = True


def _publish(message: OutboxMessage) -> None:
    _tasks_ready()
    task = current_app.tasks[message.task]
    # No publish retries here: a down broker must not hold a request; the drain retries. The
    # request's id goes in the headers whoever sends it (the request's commit hook or the drain).
    headers = {CELERY_HEADER: message.request_id} if message.request_id else None
    task.apply_async(kwargs=message.kwargs, retry=False, headers=headers)
