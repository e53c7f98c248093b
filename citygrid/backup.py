"""Backup and restore of the whole installation: the database (pg_dump custom format on
PostgreSQL, SQLite's online backup API otherwise) and the media files (photos), in one folder."""

# Why not django-dbbackup (5.4, which drives the same pg_dump and SQLite backup API): its dbrestore
# writes into a database of settings.DATABASES, the one the installation runs on, dropping what
# is there first (--clean), and its mediarestore adds to the files already in MEDIA_ROOT. Ours
# restores only into a new, empty database and an empty folder and refuses otherwise, so that a
# restore can never overwrite the live city, and the copy is checked before switching to it. Its
# database and media backups are also two files from two commands, with nothing to say that they
# belong together (our manifest does). What it adds (remote storage, compression, encryption,
# removing old backups) may serve the daily backups of a later issue.
import json
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection
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


def backup_create(*, target: Path, database: dict | None = None) -> Path:
    """Write a backup folder: the database dump, a copy of MEDIA_ROOT and a manifest."""
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
        shutil.copytree(media_root, target / MEDIA)
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
