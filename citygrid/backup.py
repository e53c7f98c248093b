"""Backup and restore of the whole installation: the database (pg_dump custom format on
PostgreSQL, SQLite's online backup API otherwise) and the media files (photos), in one folder; the
scheduled backups into BACKUP_DIR (daily and monthly, pruned, logged) and the restore check."""

# Why not django-dbbackup (5.4, which drives the same pg_dump and SQLite backup API): its dbrestore
# writes into a database of settings.DATABASES, the one the installation runs on, dropping what
# is there first (--clean), and its mediarestore adds to the files already in MEDIA_ROOT. Ours
# restores only into a new, empty database and an empty folder and refuses otherwise, so that a
# restore can never overwrite the live city, and the copy is checked before switching to it. Its
# database and media backups are also two files from two commands, with nothing to say that they
# belong together (our manifest does). What it adds (remote storage, compression, encryption,
# removing old backups) may serve the daily backups of a later issue.
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError

DB_PG = "database.dump"
DB_SQLITE = "database.sqlite3"
MEDIA = "media"
MANIFEST = "manifest.json"


def _pg_env_and_args(database: dict) -> tuple[dict, list[str]]:
    import os

    env = {**os.environ}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    args = ["-h", str(database.get("HOST") or "127.0.0.1"), "-p", str(database.get("PORT") or 5432),
            "-U", str(database.get("USER") or "postgres")]
    return env, args


def backup_create(*, target: Path, database: dict | None = None, media_link_from: Path | None = None) -> Path:
    """Write a backup folder: the database dump, a copy of MEDIA_ROOT and a manifest. With
    `media_link_from` (the previous backup's media folder) a photo already there is hard-linked,
    not copied: photos are never changed once stored (random names), so each backup is a whole,
    restorable folder that costs on disk only the photos new since the previous one."""
    database = database or settings.DATABASES["default"]
    target.mkdir(parents=True, exist_ok=False)
    vendor = "postgresql" if database["ENGINE"].endswith("postgresql") else "sqlite"
    if vendor == "postgresql":
        env, args = _pg_env_and_args(database)
        subprocess.run(["pg_dump", "-Fc", "--no-owner", *args, "-f", str(target / DB_PG), database["NAME"]],
                       env=env, check=True)
    else:
        connection.ensure_connection()
        with sqlite3.connect(target / DB_SQLITE) as destination:
            connection.connection.backup(destination)
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.exists():
        shutil.copytree(media_root, target / MEDIA, copy_function=_linker(media_root, media_link_from))
    (target / MANIFEST).write_text(json.dumps({
        "vendor": vendor, "created_at": datetime.now(UTC).isoformat(), "database": database["NAME"],
    }, ensure_ascii=False, indent=2), encoding="utf-8")
    return target


def backup_restore(*, source: Path, database_name: str, media_root: Path, database: dict | None = None) -> None:
    """Restore a backup folder into an EMPTY database (created here on PostgreSQL; a new file for
    SQLite) and an empty media folder. Refuses to overwrite existing data."""
    database = database or settings.DATABASES["default"]
    manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    if manifest["vendor"] == "postgresql":
        env, args = _pg_env_and_args(database)
        created = subprocess.run(["createdb", *args, database_name], env=env, capture_output=True, text=True)
        if created.returncode != 0:
            raise ApplicationError(_("无法创建空数据库 %(name)s：%(error)s")
                                   % {"name": database_name, "error": created.stderr.strip()})
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", *args, "-d", database_name,
                        str(source / DB_PG)], env=env, check=True)
    else:
        destination = Path(database_name)
        if destination.exists():
            raise ApplicationError(_("目标数据库文件 %(path)s 已存在，恢复只写入空库。") % {"path": destination})
        shutil.copyfile(source / DB_SQLITE, destination)
    if (source / MEDIA).exists():
        if media_root.exists() and any(media_root.iterdir()):
            raise ApplicationError(_("目标附件目录 %(path)s 不为空，恢复只写入空目录。") % {"path": media_root})
        shutil.copytree(source / MEDIA, media_root, dirs_exist_ok=True)


def _linker(media_root: Path, previous: Path | None):
    """A copy function for copytree that hard-links a file the previous backup holds unchanged."""
    if previous is None or not previous.is_dir():
        return shutil.copy2

    def copy(source: str, destination: str) -> str:
        old = previous / Path(source).relative_to(media_root)
        try:
            if old.is_file() and old.stat().st_size == Path(source).stat().st_size:
                os.link(old, destination)
                return destination
        except OSError:  # another file system, or no hard links: a plain copy
            pass
        return shutil.copy2(source, destination)

    return copy


# --- scheduled backups ---------------------------------------------------------------------------
# Kept in BACKUP_DIR, one folder per backup (daily-YYYYmmdd-HHMMSS, monthly-…), and a log of every
# run (backups.jsonl) beside them: the record of the backups lives with the backups, not in the
# database they copy, so it survives the loss of that database and a restore does not rewrite it.

logger = logging.getLogger("citygrid.backup")
LOG = "backups.jsonl"
KINDS = ("daily", "monthly")


def _log_append(record: dict) -> None:
    directory = Path(settings.BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps(record, ensure_ascii=False) + "\n")


def _alert(subject: str, detail: str) -> None:
    """Mail BACKUP_ALERT_EMAILS of a failure (the log line and the /backups/ page say it too). A mail
    that cannot be sent is logged, never raised over the failure it reports."""
    recipients = settings.BACKUP_ALERT_EMAILS
    if not recipients:
        return
    from django.core.mail import send_mail

    try:
        send_mail(f"[{settings.CITY_NAME}] {subject}", f"{subject}\n\n{detail}\n\n{settings.BACKUP_DIR}",
                  None, recipients)
    except Exception:  # noqa: BLE001 - the backup's own failure is what matters
        logger.exception("could not mail the backup alert")


def backup_log(limit: int = 200) -> list[dict]:
    """The latest runs first (backups, restore checks, pruning)."""
    path = Path(settings.BACKUP_DIR) / LOG
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in reversed(lines[-limit:]) if line.strip()]


def _folders(kind: str | None = None) -> list[Path]:
    """Complete backup folders (those with their manifest), oldest first."""
    directory = Path(settings.BACKUP_DIR)
    if not directory.is_dir():
        return []
    kinds = (kind,) if kind else KINDS
    return sorted((path for path in directory.iterdir() if path.is_dir() and (path / MANIFEST).is_file()
                   and path.name.split("-", 1)[0] in kinds), key=lambda path: path.name[-15:])


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def backup_scheduled(*, now: datetime | None = None) -> dict:
    """The beat's nightly backup: a monthly one on the first of the month, a daily one otherwise;
    then the old ones pruned. Logged either way; a failure is logged as an error (mailed to
    BACKUP_ALERT_EMAILS where mail is set up) and raised, so that the task shows as failed."""
    now = now or datetime.now(UTC)
    local = timezone.localtime(now)
    kind = "monthly" if local.day == 1 else "daily"
    target = Path(settings.BACKUP_DIR) / f"{kind}-{local:%Y%m%d-%H%M%S}"
    previous = next(reversed(_folders()), None)
    started = time.monotonic()
    record = {"at": now.isoformat(), "kind": kind, "folder": target.name}
    try:
        backup_create(target=target, media_link_from=previous / MEDIA if previous else None)
    except Exception as error:
        shutil.rmtree(target, ignore_errors=True)
        record.update(ok=False, error=str(error)[:500], seconds=round(time.monotonic() - started, 1))
        _log_append(record)
        logger.error("scheduled backup %s failed: %s", target.name, error)
        _alert(_("备份失败：%(folder)s") % {"folder": target.name}, str(error))
        raise
    record.update(ok=True, bytes=_size(target), seconds=round(time.monotonic() - started, 1))
    _log_append(record)
    record["pruned"] = backups_prune(now=now)
    return record


def backups_prune(*, now: datetime | None = None) -> list[str]:
    """Remove daily backups older than BACKUP_KEEP_DAYS and monthly ones older than
    BACKUP_KEEP_MONTHS (a month counted as 31 days). The newest backup is never removed."""
    now = now or datetime.now(UTC)
    limits = {"daily": timedelta(days=settings.BACKUP_KEEP_DAYS),
              "monthly": timedelta(days=31 * settings.BACKUP_KEEP_MONTHS)}
    newest = next(reversed(_folders()), None)
    removed = []
    for folder in _folders():
        kind = folder.name.split("-", 1)[0]
        created = datetime.fromisoformat(json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["created_at"])
        if folder != newest and now - created > limits[kind]:
            shutil.rmtree(folder)
            removed.append(folder.name)
    if removed:
        _log_append({"at": now.isoformat(), "kind": "prune", "ok": True, "removed": removed})
    return removed


def backup_restore_check(*, database: dict | None = None) -> dict:
    """Restore the newest backup into a scratch database and folder, count its cases and events, and
    remove the scratch copy: proof that the last backup can be restored. Logged, and raised on failure."""
    database = database or settings.DATABASES["default"]
    folder = next(reversed(_folders()), None)
    record: dict = {"at": datetime.now(UTC).isoformat(), "kind": "restore_check",
                    "folder": folder.name if folder else None}
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="citygrid-restore-"))
    name = f"citygrid_restorecheck_{uuid.uuid4().hex[:8]}"
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8")) if folder else {}
    try:
        if folder is None:
            raise ApplicationError(_("还没有可检验的备份。"))
        target = name if manifest["vendor"] == "postgresql" else str(scratch / "restored.sqlite3")
        backup_restore(source=folder, database_name=target, media_root=scratch / "media", database=database)
        record["counts"] = _restored_counts(manifest["vendor"], target, database)
    except Exception as error:
        record.update(ok=False, error=str(error)[:500], seconds=round(time.monotonic() - started, 1))
        _log_append(record)
        logger.error("restore check of %s failed: %s", record["folder"], error)
        _alert(_("备份恢复检验失败：%(folder)s") % {"folder": record["folder"]}, str(error))
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if manifest.get("vendor") == "postgresql":
            env, args = _pg_env_and_args(database)
            subprocess.run(["dropdb", "--if-exists", *args, name], env=env, capture_output=True)
    record.update(ok=True, seconds=round(time.monotonic() - started, 1))
    _log_append(record)
    return record


COUNT_QUERY = "SELECT (SELECT count(*) FROM cases_case), (SELECT count(*) FROM cases_caseevent)"


def _restored_counts(vendor: str, target: str, database: dict) -> dict:
    if vendor == "postgresql":
        import psycopg

        dsn = (f"host={database.get('HOST') or '127.0.0.1'} port={database.get('PORT') or 5432} "
               f"user={database.get('USER') or 'postgres'} dbname={target}")
        with psycopg.connect(dsn, password=database.get("PASSWORD") or None) as restored:
            cases, events = restored.execute(COUNT_QUERY).fetchone()
    else:
        with closing(sqlite3.connect(target)) as restored:
            cases, events = restored.execute(COUNT_QUERY).fetchone()
    return {"cases": cases, "events": events}
