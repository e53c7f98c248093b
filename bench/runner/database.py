"""The bench database and its history: manage.py commands run in a child process (with their peak
memory), the database created and migrated, the case tables emptied, and one-off queries."""
import subprocess
import tempfile
import time

import psycopg

from bench.common import log, memory_mb
from bench.runner import PYTHON, ROOT


def run_command(args: list[str], env: dict, *, label: str) -> tuple[float, str]:
    """Run a manage.py command; (seconds, its output)."""
    started = time.perf_counter()
    process = subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True,
                             text=True)
    if process.returncode:
        raise SystemExit(f"{label} failed ({process.returncode}):\n{process.stdout}\n{process.stderr}")
    return time.perf_counter() - started, process.stdout


def run_measured(args: list[str], env: dict, *, label: str) -> tuple[float, float, str]:
    """Like run_command, with the child's peak resident memory: its VmHWM, read every 0.2 s until
    it exits (see bench.common.memory_mb for why not wait4's ru_maxrss)."""
    started = time.perf_counter()
    peak = 0.0
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen([PYTHON, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT,
                                   stdout=out, stderr=subprocess.STDOUT, text=True)
        while process.poll() is None:
            peak = max(peak, memory_mb(process.pid, "VmHWM"))
            time.sleep(0.2)
        out.seek(0)
        output = out.read()
    seconds = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"{label} failed ({process.returncode}):\n{output}")
    return seconds, peak, output


def database_prepare(env: dict, name: str, *, fresh: bool) -> None:
    admin = env["BENCH_ADMIN_URL"]
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    seconds, _out = run_command(["migrate", "--noinput", "-v0"], env, label="migrate")
    log(f"database {name} migrated in {seconds:.1f} s")


def case_tables_truncate(env: dict) -> None:
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND (tablename LIKE 'cases\\_%%' "
            "OR tablename LIKE 'hotline\\_%%' OR tablename LIKE 'assessment\\_%%') AND tablename NOT IN "
            "('cases_calendarday', 'cases_workschedule', 'cases_casenumbersequence')")]
        conn.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


def database_analyze(env: dict) -> None:
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("ANALYZE")


def scalar(env: dict, sql: str, params=None):
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        return conn.execute(sql, params or []).fetchone()[0]
