"""Scheduled backups: the nightly task writes a daily or monthly backup into BACKUP_DIR and logs it,
photos unchanged since the previous backup are hard-linked, old backups are pruned, a failure is
logged and raised, the restore check restores the newest one, and the log is a page for admins."""
import io
import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases.models import Case
from cases.services import case_report
from citygrid import backup
from citygrid.testing import point_in


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def backup_dir(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    return settings.BACKUP_DIR


def test_the_beat_runs_the_scheduled_backup_nightly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["citygrid-backup"]
    assert entry["task"] == "citygrid.backup_scheduled"
    assert settings.CELERY_BEAT_SCHEDULE["citygrid-backup-restore-check"]["task"] == "citygrid.backup_restore_check"
    from citygrid.tasks import backup_restore_check_task, backup_scheduled_task

    assert backup_scheduled_task.name == entry["task"] and backup_restore_check_task.name.startswith("citygrid.")


@pytest.mark.django_db(transaction=True)
def test_nightly_backups_link_unchanged_photos_and_the_last_one_restores(city, backup_dir):
    x, y = point_in(0)
    case_report(actor=city.users["collector_a"], source="collector", minor_id=city.classes["garbage"].pk,
                lon=x, lat=y, description="暴露垃圾", photos=[_png()])
    first = backup.backup_scheduled(now=datetime(2026, 3, 1, 3, 15, tzinfo=UTC))
    assert first["ok"] and first["kind"] == "monthly" and first["bytes"] > 0
    case_report(actor=city.users["collector_a"], source="collector", minor_id=city.classes["garbage"].pk,
                lon=x, lat=y + 1e-5, description="又一处暴露垃圾", photos=[_png()])
    second = backup.backup_scheduled(now=datetime(2026, 3, 2, 3, 15, tzinfo=UTC))
    assert second["kind"] == "daily"
    photos = {folder: sorted(p for p in (backup_dir / folder / "media").rglob("*") if p.is_file())
              for folder in (first["folder"], second["folder"])}
    assert len(photos[second["folder"]]) == 2 * len(photos[first["folder"]])  # photo and thumbnail each
    old = photos[first["folder"]][0]
    linked = backup_dir / second["folder"] / "media" / old.relative_to(backup_dir / first["folder"] / "media")
    assert os.stat(old).st_ino == os.stat(linked).st_ino  # hard-linked, not copied

    check = backup.backup_restore_check()
    assert check["ok"] and check["folder"] == second["folder"]
    assert check["counts"]["cases"] == Case.objects.count() == 2
    kinds = [run["kind"] for run in backup.backup_log()]
    assert kinds == ["restore_check", "daily", "monthly"]


@pytest.mark.django_db
def test_old_backups_are_pruned_but_monthly_ones_kept_a_year(backup_dir, settings):
    settings.BACKUP_KEEP_DAYS, settings.BACKUP_KEEP_MONTHS = 14, 12
    now = datetime(2026, 6, 20, tzinfo=UTC)
    made = {}
    for name, age in [("daily-20260601-031500", 19), ("daily-20260615-031500", 5),
                      ("monthly-20250501-031500", 415), ("monthly-20260101-031500", 170),
                      ("daily-20260619-031500", 1)]:
        folder = backup_dir / name
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(json.dumps(
            {"vendor": "sqlite", "created_at": (now - timedelta(days=age)).isoformat()}))
        made[name] = folder
    removed = backup.backups_prune(now=now)
    assert sorted(removed) == ["daily-20260601-031500", "monthly-20250501-031500"]
    assert sorted(p.name for p in backup_dir.iterdir() if p.is_dir()) == [
        "daily-20260615-031500", "daily-20260619-031500", "monthly-20260101-031500"]


@pytest.mark.django_db
def test_a_failed_backup_is_logged_raised_mailed_and_leaves_no_folder(backup_dir, monkeypatch, caplog, settings,
                                                                     mailoutbox):
    settings.BACKUP_ALERT_EMAILS = ["duty@example.gov.cn"]

    def broken(**kwargs):
        kwargs["target"].mkdir(parents=True)
        raise OSError("No space left on device")

    monkeypatch.setattr(backup, "backup_create", broken)
    with pytest.raises(OSError):
        backup.backup_scheduled(now=datetime(2026, 3, 2, tzinfo=UTC))
    run, = backup.backup_log()
    assert run["ok"] is False and "No space" in run["error"]
    assert not [p for p in backup_dir.iterdir() if p.is_dir()]
    assert any(record.levelname == "ERROR" and "failed" in record.getMessage() for record in caplog.records)
    alert, = mailoutbox
    assert alert.to == ["duty@example.gov.cn"] and "备份失败" in alert.subject and "No space" in alert.body


@pytest.mark.django_db
def test_the_backups_page_is_for_staff_only(backup_dir, client, city, admin_user):
    client.force_login(city.users["operator"])
    assert client.get("/backups/").status_code == 302  # to the admin login
    client.force_login(admin_user)
    assert "还没有定时备份记录" in client.get("/backups/").content.decode()
    backup._log_append({"at": "2026-03-02T03:15:00+00:00", "kind": "daily", "folder": "daily-x", "ok": False,
                        "error": "pg_dump: connection refused", "seconds": 0.2})
    page = client.get("/backups/").content.decode()
    assert "最近一次备份失败" in page and "connection refused" in page
