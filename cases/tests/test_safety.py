"""Data safety (issue 8): a report accepted while the broker is down is kept and its side effect
runs once when the broker returns (the outbox); a transition failing midway leaves nothing behind;
photos are stored before the case commits or the case is not created; the event log cannot be
changed or deleted through the ORM, the admin or (on PostgreSQL) plain SQL."""
import pytest
from django.core.files.storage import FileSystemStorage
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from cases import workflow
from cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseStep,
    EventLogAppendOnlyError,
    OutboxMessage,
    event_log_maintenance,
)
from cases.notifiers import ReportNotifier
from cases.outbox import outbox_drain, outbox_send
from cases.tasks import _outbox_drain_on_worker_start, report_received
from cases.transitions import TRANSITIONS
from citygrid.celery import app
from citygrid.testing import point_in
from hotline import services as hotline_services
from hotline.models import DeliveryStatus, Feedback, FeedbackChannel, FeedbackKind

from .helpers import media_files, photo, report, row_counts, snapshot
from .test_transitions import ACTORS, case_for_action, valid_arguments

pytestmark = pytest.mark.django_db

URL = "/api/cases/"
CLOSED_PORT = "redis://127.0.0.1:6390/0"  # nothing listens there: the broker is "down"


class RecordingNotifier(ReportNotifier):
    """Remembers every report it is told about (the side effect whose count we check)."""

    calls: list[str] = []

    def case_reported(self, notice) -> None:
        RecordingNotifier.calls.append(notice.number)


@pytest.fixture
def notifier(settings):
    settings.CASE_REPORT_NOTIFIER = "cases.tests.test_safety.RecordingNotifier"
    RecordingNotifier.calls = []
    return RecordingNotifier.calls


@pytest.fixture
def broker_down():
    """Celery pointed at a closed port, as a web process sees it while Redis is down; the broker
    "returns" (eager Celery, as in the rest of the suite) when broker_returns() is called or the
    test ends. The app reads Django's CELERY_* names, so those are the keys overridden here."""
    saved = {key: app.conf.get(key) for key in ("CELERY_BROKER_WRITE_URL", "CELERY_TASK_ALWAYS_EAGER")}
    saved_pools = (app._pool, app.amqp._producer_pool)
    app.conf.update(CELERY_BROKER_WRITE_URL=CLOSED_PORT, CELERY_TASK_ALWAYS_EAGER=False)
    app._pool = app.amqp._producer_pool = None  # new pools, built from the closed port
    assert app.connection_for_write().port == 6390 and not app.conf.task_always_eager

    def broker_returns():
        # kombu keeps pools per URL in a process-wide registry: the closed port's pool is simply
        # no longer used (closing it would close a registry entry others may share).
        app.conf.update(saved)
        app._pool, app.amqp._producer_pool = saved_pools

    yield broker_returns
    broker_returns()


def report_body(city, **overrides) -> dict:
    lon, lat = point_in(0)
    body = {"source": "collector", "minor_id": city.classes["garbage"].pk, "lon": lon, "lat": lat,
            "description": "路边有暴露垃圾"}
    return {**body, **overrides}


# --- the outbox -------------------------------------------------------------------------------

def test_report_while_the_broker_is_down_is_kept_and_announced_once_when_it_returns(
        city, client_as, notifier, broker_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_as("collector_a").post(URL, report_body(city), format="json")
    assert response.status_code == 201, response.content
    assert len(callbacks) == 1  # the send was tried after the commit ...
    case = Case.objects.get(number=response.json()["number"])
    message = OutboxMessage.objects.get()
    # ... failed, and left the side effect pending, with the attempt on record
    assert (message.task, message.kwargs["case_id"]) == ("cases.report_received", case.pk)
    assert message.sent_at is None and message.attempts == 1 and "OperationalError" in message.last_error
    assert notifier == []
    assert outbox_drain()["failed"] == 1  # the beat's drain, still without a broker: kept again
    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 2

    broker_down()  # the broker returns (eager Celery here: sending runs the task)
    assert outbox_drain() == {"sent": 1, "failed": 0, "purged": 0}
    assert notifier == [case.number]
    message.refresh_from_db()
    assert message.sent_at is not None and message.done_at is not None and message.last_error == ""
    assert outbox_drain()["sent"] == 0  # a second drain (another worker, the next beat) sends nothing
    # A duplicate delivery (the broker took it, our "sent" mark was lost) has no second effect.
    assert report_received.delay(**message.kwargs).get() is False
    assert notifier == [case.number]


def test_with_the_broker_up_the_side_effect_is_sent_on_commit(city, client_as, notifier,
                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("collector_a").post(URL, report_body(city), format="json")
    assert response.status_code == 201
    message = OutboxMessage.objects.get()
    assert message.sent_at is not None and message.attempts == 1
    assert notifier == [response.json()["number"]]
    assert outbox_drain()["sent"] == 0


def test_a_retried_submission_adds_no_second_side_effect(city, client_as, notifier):
    client = client_as("collector_a")
    for _ in range(2):
        client.post(URL, report_body(city), format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert Case.objects.count() == 1 and OutboxMessage.objects.count() == 1


def test_a_failing_side_effect_stays_pending_and_is_retried(city, notifier, settings, monkeypatch):
    case = report(city)

    def broken(self, notice):
        raise ConnectionError("大屏接口不可用")

    monkeypatch.setattr(RecordingNotifier, "case_reported", broken)
    assert outbox_send(message_ids=[OutboxMessage.objects.get().pk]) == {"sent": 0, "failed": 1}
    message = OutboxMessage.objects.get()
    assert message.sent_at is None and message.done_at is None and "大屏接口不可用" in message.last_error
    monkeypatch.undo()
    settings.CASE_REPORT_NOTIFIER = "cases.tests.test_safety.RecordingNotifier"
    assert outbox_drain()["sent"] == 1 and notifier == [case.number]


def test_a_message_that_cannot_be_sent_does_not_hold_back_the_ones_after_it(city, notifier):
    """A task unknown to this release (renamed since the message was written) fails alone: the
    drain still sends the messages behind it, and keeps the broken one pending, on record."""
    broken = OutboxMessage.objects.create(task="cases.renamed_since", kwargs={})
    case = report(city)
    assert outbox_drain() == {"sent": 1, "failed": 1, "purged": 0}
    assert notifier == [case.number]
    broken.refresh_from_db()
    assert broken.sent_at is None and broken.attempts == 1 and "NotRegistered" in broken.last_error


def test_hotline_reply_while_the_broker_is_down_is_delivered_once_later(
        city, broker_down, settings, django_capture_on_commit_callbacks):
    settings.HOTLINE_FEEDBACK_GATEWAY = "hotline.gateways.LoggingGateway"
    case = report(city, reporter_phone="13800000000")
    with django_capture_on_commit_callbacks(execute=True):
        feedback = hotline_services.feedback_send(
            actor=city.users["hotline_agent"], case_id=case.pk, channel=FeedbackChannel.SMS,
            kind=FeedbackKind.PROGRESS, message="您反映的问题正在处理。", recipient="13800000000")
    pending = OutboxMessage.objects.get(task="hotline.feedback_deliver")
    assert pending.sent_at is None and Feedback.objects.get().status == DeliveryStatus.PENDING
    broker_down()
    outbox_drain()
    feedback.refresh_from_db()
    assert feedback.status == DeliveryStatus.LOGGED  # handed to the (logging) gateway, once
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0


def test_a_failed_report_leaves_no_side_effect_behind(city, monkeypatch):
    real_create = CaseEvent.objects.create

    def create(**fields):
        raise IntegrityError("simulated failure while writing the event")

    monkeypatch.setattr(CaseEvent.objects, "create", create)
    with pytest.raises(IntegrityError):
        report(city)
    monkeypatch.setattr(CaseEvent.objects, "create", real_create)
    assert Case.objects.count() == 0 and OutboxMessage.objects.count() == 0


def test_the_drain_runs_on_schedule_and_when_a_worker_starts(city, notifier, settings):
    assert settings.CELERY_BEAT_SCHEDULE["cases-outbox-drain"]["task"] == "cases.outbox_drain"
    case = report(city)  # its on-commit send never ran: the test's transaction does not commit
    _outbox_drain_on_worker_start()  # the worker_ready handler (eager here)
    assert notifier == [case.number]


def test_sent_messages_are_forgotten_after_the_keep_period(city, notifier, settings):
    from datetime import timedelta

    from django.utils import timezone

    report(city)
    outbox_drain()
    OutboxMessage.objects.update(sent_at=timezone.now() - timedelta(days=8))
    settings.OUTBOX_KEEP_DAYS = 7
    assert outbox_drain()["purged"] == 1 and OutboxMessage.objects.count() == 0


def test_admin_lists_pending_messages_read_only(city, admin_client):
    report(city)
    message = OutboxMessage.objects.get()
    listing = admin_client.get(reverse("admin:cases_outboxmessage_changelist") + "?pending=1")
    assert listing.status_code == 200 and "cases.report_received" in listing.content.decode()
    change_url = reverse("admin:cases_outboxmessage_change", args=[message.pk])
    assert admin_client.get(change_url).status_code == 200  # view only
    assert admin_client.post(change_url, {"task": "x"}).status_code == 403
    assert admin_client.post(reverse("admin:cases_outboxmessage_delete", args=[message.pk]),
                             {"post": "yes"}).status_code == 403
    assert admin_client.get(reverse("admin:cases_outboxmessage_add")).status_code == 403
    assert OutboxMessage.objects.get().task == "cases.report_received"


# --- a transition failing midway ----------------------------------------------------------------

def _first_source(action: str) -> str:
    return sorted(TRANSITIONS[action].sources)[0]


@pytest.mark.parametrize("failing", ["case_save", "event_write"])
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_every_transition_failing_midway_leaves_nothing_behind(city, monkeypatch, action, failing):
    """The move's own writes (steps, tasks, requests) happen first, then the case row, then the
    event: failing at the case row or at the event, the last write, undoes all of them."""
    case = case_for_action(city, action, _first_source(action))  # an assisting move: an open assist task
    arguments = valid_arguments(city, action)
    before, counts, outbox = snapshot(case.pk), row_counts(), OutboxMessage.objects.count()
    calls = []
    if failing == "event_write":
        def create(**fields):
            calls.append(fields["action"])
            raise IntegrityError("simulated failure while writing the event")

        monkeypatch.setattr(CaseEvent.objects, "create", create)
    else:
        real_save = Case.save

        def save(self, *args, **kwargs):
            if self.pk == case.pk:
                calls.append(self.state)
                raise DatabaseError("simulated failure while saving the case")
            return real_save(self, *args, **kwargs)

        monkeypatch.setattr(Case, "save", save)
    with pytest.raises(DatabaseError):
        workflow.ACTIONS[action](actor=city.users[ACTORS[action]], case_id=case.pk, **arguments)
    assert calls, "the failure must come after the move's own writes"
    assert snapshot(case.pk) == before
    assert row_counts() == counts and OutboxMessage.objects.count() == outbox


# --- photos before the case ---------------------------------------------------------------------

def test_storage_failure_creates_no_case_and_leaves_no_file(city, client_as, settings, monkeypatch):
    real_save = FileSystemStorage._save
    written = []

    def save(self, name, content):
        if written:  # the first photo is on disk; the disk fails on the second
            raise OSError(28, "No space left on device")
        written.append(real_save(self, name, content))
        return written[-1]

    monkeypatch.setattr(FileSystemStorage, "_save", save)
    body = report_body(city, photos=[photo("one.png"), photo("two.jpg", "JPEG")])
    response = client_as("collector_a").post(URL, body, format="multipart")
    assert response.status_code == 503 and "照片未能保存" in response.json()["detail"]
    assert len(written) == 1
    assert row_counts() == {"Case": 0, "CaseEvent": 0, "CaseStep": 0, "Task": 0, "CaseRequest": 0, "Attachment": 0}
    assert OutboxMessage.objects.count() == 0
    assert media_files(settings) == []


def test_case_failing_after_its_photos_were_stored_removes_them(city, client_as, settings, monkeypatch):
    """Decision: files are written first, inside the intake; if the case then fails to commit, the
    files are deleted (cases.services.StoredFiles), so no photo outlives its case."""
    real_save = Attachment.save

    def save(self, *args, **kwargs):
        real_save(self, *args, **kwargs)
        raise IntegrityError("simulated failure after the photo was stored")

    monkeypatch.setattr(Attachment, "save", save)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(city.users["collector_a"])
    response = client.post(URL, report_body(city, photos=[photo()]), format="multipart")
    assert response.status_code == 500
    assert Case.objects.count() == 0 and CaseStep.objects.count() == 0 and Attachment.objects.count() == 0
    assert media_files(settings) == []


def test_public_report_failing_after_its_photos_were_stored_removes_them(city, settings, monkeypatch):
    """The public channel adds its PublicReport row after case_report's savepoint: a failure there
    rolls the case back, and must take the photos with it."""
    from hotline.models import PublicChannel, PublicReport

    def create(**fields):
        raise IntegrityError("simulated failure while writing the public report")

    monkeypatch.setattr(PublicReport.objects, "create", create)
    lon, lat = point_in(0)
    with pytest.raises(IntegrityError):
        hotline_services.public_report(channel=PublicChannel.WEB, minor_id=city.classes["garbage"].pk, lon=lon,
                                       lat=lat, description="路口垃圾桶满了", photos=[photo()])
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0
    assert media_files(settings) == []


# --- the event log is append-only ---------------------------------------------------------------

@pytest.fixture
def event(city):
    case = report(city)
    return CaseEvent.objects.get(case=case)


def test_the_orm_refuses_to_change_or_delete_events(event):
    original = CaseEvent.objects.filter(pk=event.pk).values().get()
    event.note = "改写历史"
    with pytest.raises(EventLogAppendOnlyError):
        event.save()
    with pytest.raises(EventLogAppendOnlyError):
        event.delete()
    with pytest.raises(EventLogAppendOnlyError):
        CaseEvent.objects.filter(pk=event.pk).update(note="改写历史")
    with pytest.raises(EventLogAppendOnlyError):
        CaseEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(EventLogAppendOnlyError), transaction.atomic():  # (its own atomic, no savepoint)
        CaseEvent.objects.bulk_update([event], ["note"])
    with pytest.raises(EventLogAppendOnlyError), transaction.atomic():
        CaseEvent.objects.update_or_create(pk=event.pk, defaults={"note": "改写历史"})
    assert CaseEvent.objects.filter(pk=event.pk).values().get() == original
    # Appending is what the log is for.
    CaseEvent.objects.create(case=event.case, action="urge", created_at=event.created_at)
    assert CaseEvent.objects.filter(case=event.case).count() == 2


def test_the_admin_cannot_change_or_delete_events(event, admin_client):
    original = CaseEvent.objects.filter(pk=event.pk).values().get()
    change_url = reverse("admin:cases_caseevent_change", args=[event.pk])
    page = admin_client.get(change_url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()  # view only
    assert admin_client.post(change_url, {"note": "改写历史", "action": "close"}).status_code == 403
    assert admin_client.post(reverse("admin:cases_caseevent_delete", args=[event.pk]),
                             {"post": "yes"}).status_code == 403
    listing = admin_client.post(reverse("admin:cases_caseevent_changelist"),
                                {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
    assert listing.status_code in (200, 302)
    assert admin_client.get(reverse("admin:cases_caseevent_add")).status_code == 403
    case_page = admin_client.get(reverse("admin:cases_case_change", args=[event.case_id]))
    assert case_page.status_code == 200 and "events-0-DELETE" not in case_page.content.decode()
    assert CaseEvent.objects.filter(pk=event.pk).values().get() == original


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "UPDATE cases_caseevent SET note = 'rewritten' WHERE id = %s",
    "UPDATE cases_caseevent SET created_at = created_at - interval '1 day' WHERE id = %s",
    "DELETE FROM cases_caseevent WHERE id = %s",
])
def test_postgresql_refuses_update_and_delete_of_events(event, statement):
    original = CaseEvent.objects.filter(pk=event.pk).values().get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [event.pk])
    assert CaseEvent.objects.filter(pk=event.pk).values().get() == original


@pytest.mark.postgres
def test_postgresql_trigger_is_installed(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'cases_caseevent'::regclass "
                       "AND NOT tgisinternal")
        assert [row[0] for row in cursor.fetchall()] == ["cases_caseevent_append_only"]


@pytest.mark.postgres
def test_an_error_inside_the_maintenance_context_is_the_error_raised(event):
    """The trigger is back after a failed maintenance, and the caller sees its own error, not a
    "current transaction is aborted" from the context's clean-up."""
    with pytest.raises(IntegrityError), event_log_maintenance(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO cases_caseevent (id, case_id, action, from_state, to_state, created_at, "
                       "note, payload) SELECT id, case_id, action, from_state, to_state, created_at, note, payload "
                       "FROM cases_caseevent WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_caseevent WHERE id = %s", [event.pk])


def test_only_the_maintenance_context_may_forget_events(event):
    with event_log_maintenance():
        CaseEvent.objects.filter(pk=event.pk).delete()
    assert not CaseEvent.objects.filter(pk=event.pk).exists()
    with pytest.raises(EventLogAppendOnlyError):  # and the guard is back afterwards
        CaseEvent.objects.all().delete()


def test_task_modules_imported_once_while_other_threads_wait(monkeypatch):
    """Threads of a web worker publishing their first messages at once: one imports the task
    modules, the others wait for it to finish instead of looking the task up half-imported."""
    import threading
    import time

    from cases import outbox

    imports, finished = [], threading.Event()

    def slow_import():
        imports.append(threading.get_ident())
        time.sleep(0.2)
        finished.set()

    monkeypatch.setattr(outbox, "_tasks_imported", False)
    monkeypatch.setattr(outbox.current_app.loader, "import_default_modules", slow_import)
    seen = []

    def publish_first():
        outbox._tasks_ready()
        seen.append(finished.is_set())

    threads = [threading.Thread(target=publish_first) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(imports) == 1
    assert seen == [True] * 4
