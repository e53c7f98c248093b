"""The queues and searches the HTTP phase times, and the EXPLAIN (ANALYZE, BUFFERS) of the SQL the case
list and detail APIs run for them (bench/results/explain-<scale>.txt)."""
import random

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from bench.runner import RESULTS

QUEUE_QUERIES = {
    # name: (user, query string); all 50 rows, ordered by deadline as the queue pages are.
    "operator queue (city)": ("operator", "state=reported&state=handled&ordering=deadline"),
    "operator queue (district)": ("operator_district", "state=reported&state=handled&ordering=deadline"),
    "dispatcher queue": ("dispatcher", "state=filed&ordering=deadline"),
    "department queue": ("handler", "state=dispatched&ordering=deadline"),
    "overdue (city)": ("operator", "overdue=true&ordering=deadline"),
    "search: district + class + month": ("operator", "district={district}&minor={minor}&reported_after={after}"
                                                     "&reported_before={before}&ordering=deadline"),
    "search: district + state + source": ("operator", "district={district}&state=dispatched&source=hotline_12345"
                                                      "&ordering=deadline"),
    "search: case number": ("operator", "number={number}"),
    "search: text": ("operator", "q={text}&ordering=deadline"),
}


def queue_paths(name: str, query: str, params: dict, rnd: random.Random, n: int) -> list[str]:
    paths = []
    for _ in range(n):
        values = {k: rnd.choice(v) if isinstance(v, list) else v for k, v in params.items()}
        paths.append("/api/cases/?" + query.format(**values))
    return paths


def explain_queries(users, params: dict, scale: int) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the SQL the case list API runs for each queue and search."""
    out = []
    rnd = random.Random(3)
    for name, (who, query) in QUEUE_QUERIES.items():
        client = APIClient()
        client.force_authenticate(users[who])
        path = queue_paths(name, query, params, rnd, 1)[0]
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, HTTP_HOST="127.0.0.1")
        out.append(f"=== {name}: GET {path} → {response.status_code}, {len(captured.captured_queries)} queries")
        for item in captured.captured_queries:
            sql = item["sql"]
            if "cases_case" not in sql or sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            out.append(f"--- {sql}\n{plan}\n")
    case_id = params["case_id"]
    for name, who in (("case detail API (operator)", "operator"), ("intake response: case detail (collector)",
                                                                   "collector")):
        client = APIClient()
        client.force_authenticate(users[who])
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/cases/{case_id}/", HTTP_HOST="127.0.0.1")
        out.append(f"=== {name}: GET /api/cases/{case_id}/ → {response.status_code}")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + captured.captured_queries[0]["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        out.append(f"--- {captured.captured_queries[0]['sql']}\n{plan}\n")
    text = "\n".join(out)
    (RESULTS / f"explain-{scale}.txt").write_text(text)
    return text


def explain_summary(text: str) -> list[dict]:
    """(query, planning ms, execution ms) of each plan in an explain file."""
    rows, name = [], None
    for line in text.splitlines():
        if line.startswith("=== "):
            name = line[4:].split(":")[0] + (":" + line.split(":")[1] if line.startswith("=== search") else "")
        elif line.startswith("--- "):
            rows.append({"query": name, "sql": line[4:90]})
        elif line.startswith("Planning Time:") and rows:
            rows[-1]["planning_ms"] = float(line.split()[2])
        elif line.startswith("Execution Time:") and rows:
            rows[-1]["execution_ms"] = float(line.split()[2])
    return rows
