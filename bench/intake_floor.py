"""Bench only: the report intake's floor, the rows one report writes (the case with its month-carrying
id, its idempotency key's row when it has one, its accept step, its report event, its outbox message,
written as sent) by one hand-written INSERT per table in one transaction, answered 201 with the case
number as the intake API is.

Mounted at /bench/intake-floor/ only in the gunicorn that bench/run.py starts, and only when
BENCH_INTAKE_FLOOR=1: bench/gunicorn_conf.py then points ROOT_URLCONF at this module, which is
the project's URLs plus that one path. No production setting or URL names it.

It is what no intake can do with less: Django's WSGI handler and middleware, a JSON body, the
locator's in-memory look-up, four INSERTs (five with a key) and a commit. What the real intake does
beyond it (the token, the serializer, the class and duplicate look-ups, the working-hours deadline,
the ORM, the outbox's publish after commit) is what the ratio of their CPU per report measures.
"""
import json
import uuid

from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from core.partitions import case_id_floor
from core.request_id import request_id_get
from grids.locator import locate

# The id as cases.months.case_id_new computes it (the month's base plus the one id sequence; on
# PostgreSQL, where the bench runs); the case number from the year's sequence, as
# cases.services.case_number_next takes it; the class's kind read in the same statement; the
# deadline one hour on (the real one follows the calendar).
CASE_INSERT = """
INSERT INTO cases_case (
    id, number, source, kind, lon, lat, address, description, urgency, reporter_name, reporter_phone,
    idempotency_key, state, ownership_unknown, current_step, current_deadline, current_step_started_at,
    reported_at, rework_count, return_count, extension_count, suspension_count, urge_count, updated_at,
    community_id, district_id, minor_id, reporter_id, responsibility_grid_id, street_id, unit_grid_id)
SELECT %(id_floor)s + nextval('cases_case_id_seq'),
       %(year)s || lpad(nextval(to_regclass(%(sequence)s))::text, 8, '0'), %(source)s, m.kind, %(lon)s,
       %(lat)s, %(address)s, %(description)s, 'normal', '', '', %(key)s, 'reported', false, 'accept',
       %(deadline)s, %(now)s, %(now)s, 0, 0, 0, 0, 0, %(now)s,
       %(community)s, %(district)s, m.id, %(reporter)s, %(responsibility)s, %(street)s, %(unit_grid)s
  FROM grids_minorclass m WHERE m.id = %(minor)s
RETURNING id, number"""
# The key's row, as cases.services writes it right after the case (the key is unique there, not in
# the partitioned case table).
KEY_INSERT = """
INSERT INTO cases_casekey (key, case_id) VALUES (%(key)s, %(case)s)"""
STEP_INSERT = """
INSERT INTO cases_casestep (kind, started_at, deadline, case_id, ended_by)
VALUES ('accept', %(now)s, %(deadline)s, %(case)s, '')"""
EVENT_INSERT = """
INSERT INTO cases_caseevent (action, from_state, to_state, created_at, note, payload, actor_id, case_id)
VALUES ('report', '', 'reported', %(now)s, '', %(payload)s, %(reporter)s, %(case)s)"""
OUTBOX_INSERT = """
INSERT INTO cases_outboxmessage (key, task, kwargs, created_at, attempts, last_error, sent_at, request_id)
VALUES (%(outbox_key)s, 'cases.report_received', %(kwargs)s, %(now)s, 0, '', %(now)s, %(request_id)s)"""


@csrf_exempt
def intake_floor(request):
    """POST the intake's JSON body (plus `reporter_id`): 201 with the case's id and number."""
    body = json.loads(request.body)
    location = locate(body["lon"], body["lat"])
    now = timezone.now()
    year = timezone.localtime(now).year
    values = {
        "id_floor": case_id_floor(now), "year": str(year), "sequence": f"case_number_{year}",
        "source": body["source"], "lon": body["lon"], "lat": body["lat"], "address": body.get("address", ""),
        "description": body["description"],
        "key": request.headers.get("Idempotency-Key"), "deadline": now + timezone.timedelta(hours=1), "now": now,
        "community": location.community_id, "district": location.district_id, "minor": body["minor_id"],
        "reporter": body.get("reporter_id"), "responsibility": location.responsibility_grid_id,
        "street": location.street_id, "unit_grid": location.unit_grid_id,
    }
    outbox_key = uuid.uuid4()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(CASE_INSERT, values)
        case_id, number = cursor.fetchone()
        values.update(case=case_id, outbox_key=outbox_key, request_id=request_id_get(),
                      payload=json.dumps({"source": body["source"], "duplicate_of": None}),
                      kwargs=json.dumps({"case_id": case_id, "outbox_key": str(outbox_key)}))
        if values["key"]:
            cursor.execute(KEY_INSERT, values)
        cursor.execute(STEP_INSERT, values)
        cursor.execute(EVENT_INSERT, values)
        cursor.execute(OUTBOX_INSERT, values)
    return JsonResponse({"id": case_id, "number": number}, status=201)


urlpatterns = [
    path("bench/intake-floor/", intake_floor, name="bench_intake_floor"),
    path("", include("citygrid.urls")),
]
handler400 = "citygrid.error_pages.bad_request"
handler403 = "citygrid.error_pages.permission_denied"
handler404 = "citygrid.error_pages.page_not_found"
handler500 = "citygrid.error_pages.server_error"
