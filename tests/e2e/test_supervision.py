"""Joint review and letters in a real headless Chromium (1366×768): a disputed case convened,
attended, assigned by the review to a department and then closed; a 督办函 drafted, sent (numbered,
the case urged), answered by the department with a file, and signed off (销号). Screenshots go to
/tmp/h/shots/supervision-*.png (or SUPERVISION_SHOTS)."""
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from cases import workflow
from cases.models import CaseEvent, State
from cases.tests.helpers import case_build
from citygrid.testing import tiny_city_build
from supervision.models import Letter, LetterStatus, ReviewItem

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("SUPERVISION_SHOTS", "/tmp/h/shots"))


def confirm(page) -> None:
    """The confirmation dialog of a step that cannot be undone (cases/_confirm.html): Enter."""
    page.locator("dialog#confirm-move[open]").wait_for()
    page.keyboard.press("Enter")


def flash(page) -> str:
    messages = page.locator(".messages[role=status]")
    messages.wait_for()
    return messages.inner_text()


@pytest.fixture
def town():
    from cases.calendar import calendar_cache_clear

    calendar_cache_clear()
    return tiny_city_build()


def test_a_disputed_case_through_joint_review_to_a_department_and_closed(town, login_page):
    case = case_build(town, State.FILED, department=None)
    municipal = town.departments["municipal"]
    SHOTS.mkdir(parents=True, exist_ok=True)

    leader = login_page("shift_leader")
    leader.click("nav >> text=会审督办")
    leader.fill("#id_title", "三月权属不明案件联合会审")
    leader.fill("#id_case_numbers", case.number)
    leader.fill("#id_reason", "环卫与市政均称非本部门职责")
    with leader.expect_navigation():
        leader.click("text=提请会审 >> nth=-1")
    assert "已提请联合会审" in flash(leader)
    for name in (municipal.name, town.departments["sanitation_a"].name):
        leader.check(f"label:has-text('{name}') input[name=attendees]")
    leader.fill("#minutes", "市政、环卫到会，明确由市政负责。")
    with leader.expect_navigation():
        leader.click("text=保存参会部门和纪要")
    item = ReviewItem.objects.get(case=case)
    deadline = timezone.localdate() + timedelta(days=3)
    leader.select_option(f"#dept-{item.pk}", str(municipal.pk))
    leader.fill(f"#deadline-{item.pk}", deadline.isoformat())
    leader.fill(f"#note-{item.pk}", "会审确定由市政负责")
    leader.screenshot(path=str(SHOTS / "supervision-review-pending.png"), full_page=True)
    with leader.expect_navigation():
        leader.click(f"#item-{item.pk} button[type=submit]")
        confirm(leader)
    assert "会审决定已确认" in flash(leader)
    assert "定责" in leader.locator(f"#item-{item.pk}").inner_text()
    leader.screenshot(path=str(SHOTS / "supervision-review.png"), full_page=True)
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.department_id == municipal.pk
    assert CaseEvent.objects.filter(case=case, action="review_assign").exists()

    # The department sees it in its inbox; the loop goes on as usual, and the shift leader closes it.
    department = login_page("handler_municipal")
    assert case.number in department.content()
    workflow.case_report_handled(actor=town.users["handler_municipal"], case_id=case.pk)
    workflow.case_send_check(actor=town.users["operator"], case_id=case.pk)
    workflow.case_check_pass(actor=town.users["collector_a"], case_id=case.pk)
    leader.goto(leader.url.split("/supervision/")[0] + f"/cases/{case.pk}/")
    if leader.locator("#action-close").get_attribute("open") is None:
        leader.click("#action-close summary")
    with leader.expect_navigation():
        leader.click("#action-close button[type=submit]")
        confirm(leader)
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.closed_on_time
    leader.goto(leader.url.split("/cases/")[0] + "/supervision/reviews/")
    leader.screenshot(path=str(SHOTS / "supervision-reviews.png"), full_page=True)


def test_a_duban_letter_from_draft_to_sign_off(town, login_page, tmp_path):
    late = case_build(town, State.DISPATCHED)
    SHOTS.mkdir(parents=True, exist_ok=True)

    center = login_page("dispatcher")
    base = center.url.split("/work/")[0]
    center.goto(f"{base}/supervision/letters/new/?cases={late.number}&kind=urge")
    center.select_option("#id_department", str(town.departments["sanitation_a"].pk))
    with center.expect_navigation():
        center.click("text=生成草稿")
    assert "函件草稿已生成" in flash(center)
    assert late.number in center.locator(".letter-sheet").inner_text()
    center.fill("#l-hours", "4")
    with center.expect_navigation():
        center.click("text=保存草稿")
    with center.expect_navigation():
        center.click("button:has-text('发出')")
        confirm(center)
    letter = Letter.objects.get()
    assert letter.status == LetterStatus.SENT and letter.reference.endswith("督字第 1 号")
    assert "督字第 1 号" in center.locator("h1").inner_text()
    assert CaseEvent.objects.filter(case=late, action="urge").count() == 1
    center.screenshot(path=str(SHOTS / "supervision-letter-sent.png"), full_page=True)

    department = login_page("handler_a")
    department.click("nav >> text=函件")
    department.click(f"#letter-{letter.pk} a >> nth=0")
    department.fill("#l-answer", "已组织清运，现场恢复整洁。")
    answer_file = tmp_path / "处置情况.pdf"
    answer_file.write_bytes(b"%PDF-1.4 test")
    department.set_input_files("#l-file", str(answer_file))
    with department.expect_navigation():
        department.click("text=提交答复")
    assert "答复已提交" in flash(department)

    center.reload()
    with center.expect_navigation():
        center.click("button:has-text('销号')")
        confirm(center)
    assert "函件已销号" in flash(center)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SIGNED_OFF and letter.answer_file_name == "处置情况.pdf"
    center.screenshot(path=str(SHOTS / "supervision-letter.png"), full_page=True)
    center.emulate_media(media="print")
    center.screenshot(path=str(SHOTS / "supervision-letter-print.png"), full_page=True)
    center.emulate_media(media="screen")
    center.goto(f"{base}/supervision/letters/")
    assert "已销号" in center.locator(f"#letter-{letter.pk}").inner_text()
    center.screenshot(path=str(SHOTS / "supervision-register.png"))
