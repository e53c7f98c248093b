"""A move of the loop beside its floor (issue 24: "CPU ≤ 2× the floor of its own writes by
hand-written SQL in one transaction"), in one process, no concurrency.

Twin cases are reported at the service level. For each move of the loop in order (runner.moves'
loop_moves), the first twin of every pair makes the move through cases.workflow, measured: this
process's CPU and its database backend's (/proc). Meanwhile `connection.execute_wrapper` keeps
the statements the move wrote (INSERT, UPDATE, DELETE) with their parameters. The other twin then
gets the same writes as plain statements sent by psycopg on a connection of its own, one
transaction per case, measured alike: the case's id and the ids of the rows an UPDATE names
(its steps, tasks, requests) swapped for the twin's, everything else as written (the same columns,
values and rows). The floor holds no read: the lock, the checks and the look-ups are what a move
adds to its writes. The second twins reach the same state and take the next move the same way.
The floor's statements are psycopg's (server-side parameters, each prepared by the server after
its fifth run, as hand-written SQL would be); the workflow's are Django's (client-side binding).
"""
from __future__ import annotations

import re
import time

import psycopg
from django.db import connection

from bench.common import log
from bench.runner.machine import process_cpu
from bench.runner.moves import grid_checkers, loop_moves, loop_report

WRITES = ("INSERT", "UPDATE", "DELETE")
ROW_TABLES = ("cases_casestep", "cases_task", "cases_caserequest", "cases_caseassist")
_INSERT = re.compile(r'INSERT INTO "(\w+)" \((.*?)\) VALUES', re.S)
_ROW_ID = re.compile(r'"(\w+)"\."id" = $')


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _row_ids(case_ids: list[int]) -> dict[int, dict[str, list[int]]]:
    """{case id: {table: ids of its rows, in order}} of the tables whose rows a move may update by id."""
    out: dict[int, dict[str, list[int]]] = {case_id: {} for case_id in case_ids}
    with connection.cursor() as cursor:
        for table in ROW_TABLES:
            cursor.execute(f"SELECT case_id, id FROM {table} WHERE case_id = ANY(%s) ORDER BY case_id, id",
                           [case_ids])
            for case_id, row_id in cursor.fetchall():
                out[case_id].setdefault(table, []).append(row_id)
    return out


def _for_twin(sql: str, params, source: int, twin: int, source_rows: dict, twin_rows: dict) -> tuple[list, int]:
    """The parameters of one captured write with the source case's ids swapped for its twin's;
    and how many ids found no twin (0 when the replay writes the twin's own rows)."""
    params = list(params or [])
    unmapped = 0
    insert = _INSERT.match(sql)
    columns = [c.strip().strip('"') for c in insert[2].split(",")] if insert else []
    before = sql.split("%s")
    for i, value in enumerate(params):
        preceding = before[i].rstrip()[-80:] + " "
        if insert:
            if columns[i % len(columns)] == "case_id" and value == source:
                params[i] = twin
        elif preceding.endswith('"case_id" = ') or preceding.endswith('"cases_case"."id" = '):
            params[i] = twin if value == source else value
        elif (match := _ROW_ID.search(preceding)) and match[1] in ROW_TABLES:
            ids = source_rows.get(match[1], [])
            twins = twin_rows.get(match[1], [])
            if value in ids and len(twins) == len(ids):
                params[i] = twins[ids.index(value)]
            else:
                unmapped += 1
    return params, unmapped


def measure_move_floor(users: dict, places: list[tuple[float, float, int]], pairs: int = 200) -> dict:
    """Each move's CPU-ms through the workflow and through its floor, and their ratios (per move
    and for the whole loop)."""
    checkers = grid_checkers()
    loop_report(users, places[0][:2], places[0][2])  # warm: the grid index, translations, calendars
    cases = [loop_report(users, places[i % len(places)][:2], places[i % len(places)][2])
             for i in range(2 * pairs)]
    made, twins = cases[:pairs], cases[pairs:]
    moves_of = {case.pk: dict(loop_moves(users, checkers.get(case.responsibility_grid_id, users["collector"])))
                for case in made}
    names = [name for name, _move in loop_moves(users, users["collector"])]
    captured: list[tuple[str, tuple]] = []

    def capture(execute, sql, params, many, context):
        if sql.lstrip()[:6].upper() in WRITES:
            captured.append((sql, params))
        return execute(sql, params, many, context)

    backend = _backend_pid()
    floor_conn = psycopg.connect(_dsn(), autocommit=True)
    floor_backend = floor_conn.info.backend_pid
    per_move: dict[str, dict] = {}
    unmapped = empty = 0
    empty_sql = ""
    try:
        for name in names:
            rows = _row_ids([c.pk for c in cases])
            writes: dict[int, list[tuple[str, tuple]]] = {}
            cpu, db = time.process_time(), process_cpu([backend])
            with connection.execute_wrapper(capture):
                for case in made:
                    captured.clear()
                    moves_of[case.pk][name](case.pk)
                    writes[case.pk] = list(captured)
            move_cpu = time.process_time() - cpu + process_cpu([backend]) - db
            replays = []
            for source, twin in zip(made, twins, strict=True):
                statements = []
                for sql, params in writes[source.pk]:
                    swapped, missing = _for_twin(sql, params, source.pk, twin.pk, rows[source.pk], rows[twin.pk])
                    unmapped += missing
                    statements.append((sql, swapped))
                replays.append(statements)
            cpu, db = time.process_time(), process_cpu([floor_backend])
            for statements in replays:
                with floor_conn.transaction():
                    for sql, params in statements:
                        if floor_conn.execute(sql, params).rowcount == 0:
                            empty += 1
                            empty_sql = sql[:160]
            floor_cpu = time.process_time() - cpu + process_cpu([floor_backend]) - db
            per_move[name] = {
                "cpu_ms": round(move_cpu / pairs * 1000, 2), "floor_cpu_ms": round(floor_cpu / pairs * 1000, 2),
                "writes": len(writes[made[0].pk]),
                "ratio": round(move_cpu / max(floor_cpu, 1e-3), 2),
            }
            log(f"move {name}: {per_move[name]}")
        # The twins made the same moves: each is where its first twin is, and no write missed its row.
        with connection.cursor() as cursor:
            # bigint: a case id that carries its month (cases.months) is far past int4.
            cursor.execute("SELECT count(*) FROM cases_case a JOIN cases_case b ON (a.state, a.current_step) "
                           "IS DISTINCT FROM (b.state, b.current_step) "
                           "JOIN unnest(%s::bigint[], %s::bigint[]) AS t(x, y) ON a.id = t.x AND b.id = t.y",
                           [[c.pk for c in made], [c.pk for c in twins]])
            apart = cursor.fetchone()[0]
    finally:
        floor_conn.close()
    loop_cpu = sum(m["cpu_ms"] for m in per_move.values())
    loop_floor = sum(m["floor_cpu_ms"] for m in per_move.values())
    return {
        "pairs": pairs, "moves": per_move, "cpu_ms_per_loop": round(loop_cpu, 2),
        "floor_cpu_ms_per_loop": round(loop_floor, 2),
        "ratio_to_floor": round(loop_cpu / max(loop_floor, 1e-3), 2),
        "worst_move": max(per_move, key=lambda n: per_move[n]["ratio"]) if per_move else None,
        "ids_not_swapped": unmapped, "writes_without_rows": empty, "a_write_without_rows": empty_sql, "twins_in_another_state": apart,
        "method": "workflow (process + backend CPU) against its own INSERT/UPDATE/DELETE replayed on a twin case "
                  "by psycopg, one transaction per case",
    }


def _dsn() -> str:
    settings = connection.settings_dict
    return (f"host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432} dbname={settings['NAME']} "
            f"user={settings['USER']}" + (f" password={settings['PASSWORD']}" if settings["PASSWORD"] else ""))
