"""Every case's real state in a real headless Chromium: the department's inbox marks a suspended case
with the day it resumes and no running countdown, an urged one with its count; a shift leader closes
a case through the confirmation dialog with the keyboard (shortcut, then Enter), and a cancelled
dialog leaves it open; a check task held for its undo is never sent when undone."""
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from cases import workflow
from cases.models import Case, State

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/h/shots")


@pytest.fixture
def town(transactional_db):
    from cases.calendar import calendar_cache_clear
    from citygrid.testing import tiny_city_build

    calendar_cache_clear()
    return tiny_city_build()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"states-{name}.png"), full_page=False)


def row(page, number: str):
    return page.locator(f"tr[data-row]:has-text('{number}')")


def test_the_inbox_shows_suspension_until_and_urges(town, login_page, live_server):
    from cases.tests.helpers import case_build

    users = town.users
    until = timezone.localdate() + timedelta(days=12)
    suspended = case_build(town, State.DISPATCHED, grid=0)
    workflow.case_request_suspension(actor=users["handler_a"], case_id=suspended.pk, until=until,
                                     note="待管线施工结束")
    workflow.case_approve_suspension(actor=users["shift_leader"], case_id=suspended.pk)
    urged = case_build(town, State.DISPATCHED, grid=1)
    for reason in ("群众反映强烈", "再次督办"):
        workflow.case_urge(actor=users["dispatcher"], case_id=urged.pk, note=reason)
    plain = case_build(town, State.DISPATCHED, grid=1)

    handler = login_page("handler_a")
    assert handler.url.endswith("/work/department/")
    suspended_row = row(handler, suspended.number)
    text = suspended_row.inner_text()
    assert f"挂账至 {until:%m-%d}" in text and "计时暂停" in text
    assert not re.search(r"\d+(小时|分钟|天)", text) and "超期" not in text  # no running countdown
    mark = suspended_row.locator("[data-mark='suspended']")
    assert f"{until:%Y-%m-%d} 自动恢复处置" in mark.get_attribute("title")
    assert "督办 ×2" in row(handler, urged.number).inner_text()
    assert row(handler, plain.number).locator("[data-mark]").count() == 0
    assert re.search(r"\d+(小时|分钟|天)", row(handler, plain.number).inner_text())  # its clock runs
    shot(handler, "inbox")

    # The case page says the same.
    handler.goto(f"{live_server.url}/cases/{suspended.pk}/")
    head = handler.inner_text(".case-head")
    assert f"挂账至 {until:%m-%d}" in head and "计时暂停" in head


def test_a_close_is_confirmed_by_keyboard_and_a_cancel_leaves_the_case_open(town, login_page, live_server):
    from cases.tests.helpers import case_build

    case = case_build(town, State.CHECKED, grid=0)
    leader = login_page("shift_leader")
    assert leader.url.endswith("/work/shift-leader/")
    leader.keyboard.press("j")  # the only case of the queues
    assert "selected" in (row(leader, case.number).get_attribute("class") or "")

    # The shortcut opens the dialog instead of closing: it says what will happen, to which case.
    leader.keyboard.press("c")
    dialog = leader.locator("dialog#confirm-move[open]")
    dialog.wait_for()
    assert "结案：案件办结并计入考核" in dialog.inner_text() and case.number in dialog.inner_text()
    assert leader.evaluate("document.activeElement.hasAttribute('data-confirm-ok')")
    # Tab stays in the dialog; the queue's shortcuts are asleep while it asks.
    for _i in range(3):
        leader.keyboard.press("Tab")
        assert leader.evaluate("!!document.activeElement.closest('dialog#confirm-move')")
    leader.keyboard.press("j")
    shot(leader, "confirm")

    # Esc cancels: nothing was sent.
    leader.keyboard.press("Escape")
    assert leader.locator("dialog#confirm-move[open]").count() == 0
    leader.wait_for_timeout(500)
    assert Case.objects.get(pk=case.pk).state == State.CHECKED
    assert leader.url.endswith("/work/shift-leader/")

    # The shortcut again, and Enter confirms.
    leader.keyboard.press("c")
    dialog.wait_for()
    leader.keyboard.press("Shift+Tab")
    leader.keyboard.press("Tab")  # back on 确认
    with leader.expect_navigation():
        leader.keyboard.press("Enter")
    assert "结案" in leader.locator(".messages[role=status]").inner_text()
    assert Case.objects.get(pk=case.pk).state == State.CLOSED


def test_a_check_task_held_for_undo_is_not_sent_when_undone(town, login_page, live_server):
    from cases.tests.helpers import case_build

    case = case_build(town, State.HANDLED, grid=0)
    operator = login_page("operator")
    operator.goto(f"{live_server.url}/cases/{case.pk}/")
    operator.click("#action-send_check summary")
    operator.click("#action-send_check button[type=submit]")
    operator.locator("dialog#confirm-move[open]").wait_for()
    operator.keyboard.press("Enter")
    bar = operator.locator("[data-undo-bar]")
    bar.wait_for(state="visible")
    assert re.search(r"“下发核查”将在 \d 秒后提交", bar.inner_text())
    shot(operator, "undo")
    operator.keyboard.press("Escape")  # 撤销
    assert "已撤销" in bar.inner_text()
    operator.wait_for_timeout(6_000)  # past the undo's five seconds
    assert Case.objects.get(pk=case.pk).state == State.HANDLED
    assert operator.url.endswith(f"/cases/{case.pk}/")

    # Not undone: sent once the five seconds have passed.
    operator.click("#action-send_check button[type=submit]")
    operator.locator("dialog#confirm-move[open]").wait_for()
    with operator.expect_navigation(timeout=15_000):
        operator.keyboard.press("Enter")
    assert Case.objects.get(pk=case.pk).state == State.CHECKING
