"""Backup and restore: a dump restored into an empty database holds every case, event and
attachment, and the photo files come back too."""
import io
import sqlite3
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from cases.models import Attachment, Case, CaseEvent
from cases.services import case_report
from citygrid.backup import backup_create, backup_restore
from citygrid.testing import point_in


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def _counts(rows) -> dict:
    return dict(zip(["cases", "events", "attachments"], rows, strict=True))


@pytest.mark.django_db(transaction=True)
def test_backup_restores_every_case_event_and_attachment(city, tmp_path):
    x, y = point_in(0)
    for n in range(3):
        case_report(actor=city.users["collector_a"], source="collector", minor_id=city.classes["garbage"].pk,
                    lon=x, lat=y + n * 1e-5, description=f"暴露垃圾 {n}", photos=[_png()])
    expected = {"cases": Case.objects.count(), "events": CaseEvent.objects.count(),
                "attachments": Attachment.objects.count()}
    files = [attachment.file.name for attachment in Attachment.objects.all()]

    backup_create(target=tmp_path / "backup")
    media = tmp_path / "restored-media"
    query = ("SELECT (SELECT count(*) FROM cases_case), (SELECT count(*) FROM cases_caseevent), "
             "(SELECT count(*) FROM cases_attachment)")
    if connection.vendor == "postgresql":
        name = f"citygrid_restore_{uuid.uuid4().hex[:8]}"
        backup_restore(source=tmp_path / "backup", database_name=name, media_root=media)
        database = settings.DATABASES["default"]
        dsn = f"host={database.get('HOST') or '127.0.0.1'} port={database.get('PORT') or 5432} " \
              f"user={database.get('USER') or 'postgres'}"
        try:
            with psycopg.connect(f"{dsn} dbname={name}") as restored:
                restored_counts = _counts(restored.execute(query).fetchone())
        finally:
            with psycopg.connect(f"{dsn} dbname=postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    else:
        target = tmp_path / "restored.sqlite3"
        backup_restore(source=tmp_path / "backup", database_name=str(target), media_root=media)
        with sqlite3.connect(target) as restored:
            restored_counts = _counts(restored.execute(query).fetchone())

    assert restored_counts == expected
    assert expected["attachments"] == 3
    assert all((media / name).is_file() for name in files)


@pytest.mark.django_db
def test_restore_refuses_a_non_empty_target(tmp_path):
    backup_create(target=tmp_path / "backup")
    occupied = tmp_path / "occupied.sqlite3"
    occupied.write_bytes(b"x")
    if connection.vendor != "postgresql":
        from core.errors import ApplicationError

        with pytest.raises(ApplicationError, match="已存在"):
            backup_restore(source=tmp_path / "backup", database_name=str(occupied), media_root=tmp_path / "m")
    assert Path(tmp_path / "backup" / "manifest.json").is_file()
