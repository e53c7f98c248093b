"""Surveys: grids given to the collectors who patrol them, findings through the case intake tied
to their task, no-problem grids, closing, the progress and the report, and the API."""
import io
from datetime import timedelta

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, Source
from cases.tests.helpers import photo
from citygrid.testing import point_in
from core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from surveys import selectors, services
from surveys.models import Outcome, SurveyFinding

pytestmark = pytest.mark.django_db


def _find(city, task, *, grid: int, cls: str = "manhole", key: str | None = None):
    lon, lat = point_in(grid, dx=0.4)
    return services.survey_finding_report(actor=task.collector, task_id=task.pk, minor_id=city.classes[cls].pk,
                                          lon=lon, lat=lat, description="井盖破损", idempotency_key=key)


def test_grids_go_to_the_collectors_who_patrol_them(city, survey):
    owners = {task.unit_grid.code: task.collector.username for task in survey.tasks.select_related("unit_grid", "collector")}
    assert owners == {city.grids[0].code: "collector_a", city.grids[1].code: "collector_a",
                      city.grids[2].code: "collector_b", city.grids[3].code: "collector_b"}


def test_only_managers_make_surveys_and_bad_input_is_told(city):
    today = timezone.localdate()
    arguments = dict(name="普查", starts_on=today, ends_on=today, minor_ids=[], grid_ids=[city.grids[0].pk],
                     collector_ids=[city.users["collector_a"].pk])
    with pytest.raises(PermissionDeniedError):
        services.survey_create(actor=city.users["operator"], **arguments)
    with pytest.raises(ApplicationError, match="结束日期"):
        services.survey_create(actor=city.users["manager"], **{**arguments, "ends_on": today - timedelta(days=1)})
    with pytest.raises(ApplicationError, match="监督员"):
        services.survey_create(actor=city.users["manager"], **{**arguments, "collector_ids": [city.users["operator"].pk]})


def test_a_finding_is_a_case_tied_to_its_task(city, task_of):
    task = task_of(0)
    result = _find(city, task, grid=0, key="k1")
    case = result.finding.case
    assert (case.source, case.unit_grid_id, case.reporter) == (Source.COLLECTOR, city.grids[0].pk, task.collector)
    task.refresh_from_db()
    assert task.outcome == Outcome.FOUND and task.done_at
    # A retry with the same key answers with the first finding.
    again = _find(city, task, grid=0, key="k1")
    assert (again.created, again.finding) == (False, result.finding)
    assert Case.objects.count() == 1


def test_findings_outside_the_grid_class_or_collector_are_refused(city, task_of):
    task = task_of(0)
    with pytest.raises(ApplicationError, match="不在普查网格"):
        _find(city, task, grid=1)
    with pytest.raises(ApplicationError, match="不在本次普查范围"):
        _find(city, task, grid=0, cls="garbage")
    with pytest.raises(NotFoundError):
        services.survey_finding_report(actor=city.users["collector_b"], task_id=task.pk,
                                       minor_id=city.classes["manhole"].pk, lon=0, lat=0, description="x")
    assert Case.objects.count() == 0 and SurveyFinding.objects.count() == 0  # nothing half-written


def test_no_problem_grids_and_closing(city, survey, task_of):
    task = services.survey_task_no_problem(actor=city.users["collector_b"], task_id=task_of(2).pk, note="已巡查")
    assert task.outcome == Outcome.NO_PROBLEM
    found = task_of(0)
    _find(city, found, grid=0)
    with pytest.raises(ConflictError):
        services.survey_task_no_problem(actor=city.users["collector_a"], task_id=found.pk)
    services.survey_close(actor=city.users["manager"], survey_id=survey.pk)
    with pytest.raises(ConflictError, match="已结束"):
        services.survey_task_no_problem(actor=city.users["collector_a"], task_id=task_of(1).pk)


def test_progress_and_report(city, survey, task_of):
    _find(city, task_of(0), grid=0)
    _find(city, task_of(0), grid=0)
    services.survey_task_no_problem(actor=city.users["collector_b"], task_id=task_of(3).pk)
    row = selectors.survey_get(survey.pk)
    assert (row.grids, row.done, row.found, row.no_problem, row.findings) == (4, 2, 1, 1, 2)
    by_collector = {r["username"]: (r["grids"], r["done"], r["findings"]) for r in selectors.progress_by_collector(survey)}
    assert by_collector == {"collector_a": (2, 1, 2), "collector_b": (2, 1, 0)}
    assert [(r["name"], r["count"]) for r in selectors.report_by_class(survey)] == [("上水井盖", 2)]
    by_grid = {(r["grid"], r["outcome"], r["class_name"]): r["count"] for r in selectors.report_by_grid(survey)}
    assert by_grid == {(city.grids[0].code, "found", "上水井盖"): 2, (city.grids[1].code, "pending", None): 0,
                       (city.grids[2].code, "pending", None): 0, (city.grids[3].code, "no_problem", None): 0}


def test_pages_export_and_constant_queries(city, survey, task_of):
    client = Client()
    client.force_login(city.users["manager"])
    urls = ["/surveys/", f"/surveys/{survey.pk}/", f"/surveys/{survey.pk}/report/"]

    def counts():
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            result.append(len(queries.captured_queries))
        return result

    before = counts()
    _find(city, task_of(0), grid=0)
    _find(city, task_of(2), grid=2)
    services.survey_task_no_problem(actor=city.users["collector_a"], task_id=task_of(1).pk)
    # The same whatever the findings: no query per grid, collector or case.
    assert counts() == before
    page = client.get(f"/surveys/{survey.pk}/").content.decode()
    assert "survey-map-data" in page and "井盖专项普查" in page
    export = client.get(f"/surveys/{survey.pk}/export/")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert [city.grids[0].code, "发现问题", "上水井盖", 1] in rows and ["合计", None, "上水井盖", 2] in rows
    collector = Client()
    collector.force_login(city.users["collector_a"])
    assert collector.get(f"/surveys/{survey.pk}/").status_code == 403


def test_the_field_api(city, survey, task_of, client_as):
    api = client_as("collector_a")
    tasks = api.get("/api/surveys/tasks/mine/").json()
    assert [t["unit_grid_code"] for t in tasks] == [city.grids[0].code, city.grids[1].code]
    assert tasks[0]["classes"] == [{"id": city.classes["manhole"].pk, "name": "上水井盖"}]
    lon, lat = point_in(0, dx=0.4)
    body = {"minor_id": city.classes["manhole"].pk, "lon": lon, "lat": lat, "description": "井盖缺失",
            "photos": [photo()]}
    created = api.post(f"/api/surveys/tasks/{tasks[0]['id']}/findings/", body, format="multipart",
                       HTTP_IDEMPOTENCY_KEY="abc")
    assert created.status_code == 201 and created.json()["outcome"] == "found"
    body["photos"] = [photo()]
    again = api.post(f"/api/surveys/tasks/{tasks[0]['id']}/findings/", body, format="multipart",
                     HTTP_IDEMPOTENCY_KEY="abc")
    assert again.status_code == 200 and again.json()["case_number"] == created.json()["case_number"]
    none = api.post(f"/api/surveys/tasks/{tasks[1]['id']}/no-problem/", {}, format="json")
    assert none.status_code == 200 and none.json()["outcome"] == "no_problem"
    assert api.post(f"/api/surveys/tasks/{tasks[0]['id']}/no-problem/", {}, format="json").status_code == 409
    other = client_as("collector_b").post(f"/api/surveys/tasks/{tasks[1]['id']}/no-problem/", {}, format="json")
    assert other.status_code == 404
    bad = api.post(f"/api/surveys/tasks/{tasks[0]['id']}/findings/", {"minor_id": "x"}, format="json")
    assert bad.status_code == 400


def test_the_collectors_tasks_in_two_queries(city, survey, django_assert_num_queries):
    with django_assert_num_queries(2):
        tasks = selectors.tasks_mine(city.users["collector_a"])
        [task.survey.minors.all() for task in tasks]


def test_the_new_survey_page(city):
    client = Client()
    client.force_login(city.users["shift_leader"])
    assert client.get("/surveys/new/").status_code == 200
    today = timezone.localdate()
    data = {"name": "共享单车普查", "starts_on": today.isoformat(), "ends_on": today.isoformat(),
            "grids": [str(city.grids[0].pk)], "collectors": [city.users["collector_b"].pk]}
    made = client.post("/surveys/new/", data)
    assert made.status_code == 302
    survey = selectors.surveys_list().get(name="共享单车普查")
    assert survey.tasks.get().collector == city.users["collector_b"]  # no patroller chosen: in turn
    refused = client.post("/surveys/new/", {**data, "ends_on": (today - timedelta(days=1)).isoformat()})
    assert refused.status_code == 400 and "结束日期不能早于开始日期" in refused.content.decode()
