"""The outbox (cases.outbox) keeps the id of the request that wrote a message, and the task is
published with it whoever sends it: a task the drain sends long after the request still runs (and
logs) under that request's id. The end-to-end run on a real worker: test_broker_outbox.py."""
import pytest
from celery import current_app
from rest_framework.test import APIClient

from cases.models import OutboxMessage
from cases.notifiers import ReportNotifier
from cases.outbox import outbox_drain
from core.request_id import CELERY_HEADER, request_id_get

from .helpers import report
from .test_safety import report_body

pytestmark = pytest.mark.django_db


class RequestIdNotifier(ReportNotifier):
    """Remembers each report it is told about and the request id its task ran under."""

    seen: list[tuple[str, str]] = []

    def case_reported(self, notice) -> None:
        RequestIdNotifier.seen.append((notice.number, request_id_get()))


@pytest.fixture
def notifier(settings):
    settings.CASE_REPORT_NOTIFIER = "cases.tests.test_outbox.RequestIdNotifier"
    RequestIdNotifier.seen = []
    return RequestIdNotifier.seen


def test_a_task_the_drain_sends_late_runs_under_the_id_of_the_request_that_wrote_it(city, notifier):
    client = APIClient()
    client.force_authenticate(city.users["collector_a"])
    response = client.post("/api/cases/", report_body(city), format="json", HTTP_X_REQUEST_ID="rid-late-4711")
    assert response.status_code == 201 and response["X-Request-ID"] == "rid-late-4711"
    # The test's transaction never commits, so the commit hook never sent it: pending, as while
    # Redis is down. The drain runs later, outside any request.
    message = OutboxMessage.objects.get(task="cases.report_received")
    assert message.sent_at is None and message.request_id == "rid-late-4711"
    assert request_id_get() == ""
    assert outbox_drain()["sent"] == 1
    assert notifier == [(response.json()["number"], "rid-late-4711")]
    assert request_id_get() == ""  # the task's id does not leak into the drain after it


def test_the_task_is_published_with_the_request_id_in_its_headers(city, notifier, monkeypatch):
    published = []
    task = current_app.tasks["cases.report_received"]
    monkeypatch.setattr(task, "apply_async", lambda **options: published.append(options))
    client = APIClient()
    client.force_authenticate(city.users["collector_a"])
    client.post("/api/cases/", report_body(city), format="json", HTTP_X_REQUEST_ID="rid-headers-1")
    report(city)  # written outside a request: no id, no header
    assert [m.request_id for m in OutboxMessage.objects.order_by("pk")] == ["rid-headers-1", ""]
    outbox_drain()
    assert [options["headers"] for options in published] == [{CELERY_HEADER: "rid-headers-1"}, None]
