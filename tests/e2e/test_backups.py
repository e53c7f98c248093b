"""A scheduled backup restored, seen in a real headless Chromium: the nightly task writes a backup of
the city (with a photo), the restore check restores it into a scratch database, and the administrator
reads both runs (success, size, duration, restored counts) on /backups/. Screenshot in /tmp/h/shots/."""
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cases.services import case_report
from cases.tests.helpers import photo
from citygrid.backup import backup_restore_check, backup_scheduled
from citygrid.tasks import backup_scheduled_task
from citygrid.testing import PASSWORD, point_in, tiny_city_build
from grids.models import Role, User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("BACKUP_SHOTS", "/tmp/h/shots"))


def test_a_scheduled_backup_is_restored_and_shown(login_page, live_server, settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    city = tiny_city_build()
    User.objects.create_superuser(username="root", password=PASSWORD, role=Role.ADMIN)
    x, y = point_in(0)
    case_report(actor=city.users["collector_a"], source="collector", minor_id=city.classes["garbage"].pk,
                lon=x, lat=y, description="暴露垃圾", photos=[photo()])
    monthly = backup_scheduled(now=datetime(2026, 3, 1, 3, 15, tzinfo=UTC))
    # Through Celery, as beat sends it (eager here). A real worker started earlier in the same
    # process (the broker tests) leaves Celery's "inside a task" flag set: get() must not refuse.
    daily = backup_scheduled_task.delay().get(disable_sync_subtasks=False)
    check = backup_restore_check()
    assert monthly["ok"] and daily["ok"] and check["ok"] and check["folder"] == daily["folder"]
    assert check["counts"]["cases"] == 1

    page = login_page("root")
    page.goto(f"{live_server.url}/backups/")
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    assert "恢复检验" in rows.nth(0).inner_text() and "成功" in rows.nth(0).inner_text()
    assert daily["folder"] in page.locator("body").inner_text()
    assert "最近一次备份失败" not in page.locator("body").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "backups.png"))
