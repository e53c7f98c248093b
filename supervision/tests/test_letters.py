"""Letters: drafted from the city's template, numbered per kind and year when sent, a 督办函 urging
each case through the URGE move, answered by the department (scoped), signed off or returned,
the register's filters (overdue), its export, and refusals in the person's language."""
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from cases.models import CaseEvent, State
from cases.tests.helpers import case_build
from core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from supervision import selectors, services
from supervision.models import Letter, LetterKind, LetterStatus, LetterTemplate

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue_cases(city):
    return [case_build(city, State.DISPATCHED), case_build(city, State.DISPATCHED, grid=1)]


def draft(city, cases, kind=LetterKind.URGE, by="dispatcher", department="sanitation_a", **extra):
    return services.letter_draft(actor=city.users[by], kind=kind, department_id=city.departments[department].pk,
                                 case_numbers=[case.number for case in cases], **extra)


def test_the_text_comes_from_the_template_the_city_edits(city, overdue_cases):
    services.letter_templates_install()
    LetterTemplate.objects.filter(kind=LetterKind.URGE).update(
        title="督办{{ cases|length }}件", body="{{ department.name }}：{% for c in cases %}[{{ c.number }}]{% endfor %}")
    letter = draft(city, overdue_cases)
    assert letter.title == "督办2件"
    first, second = overdue_cases
    assert letter.body == f"{city.departments['sanitation_a'].name}：[{first.number}][{second.number}]"
    assert letter.status == LetterStatus.DRAFT and letter.number is None and letter.reply_hours == 8


def test_a_broken_template_is_said_not_a_500(city, overdue_cases):
    LetterTemplate.objects.update_or_create(kind=LetterKind.ASSIGN, defaults={"title": "x", "body": "{% for %}"})
    with pytest.raises(ApplicationError, match="函件模板有误"):
        draft(city, overdue_cases, kind=LetterKind.ASSIGN)


def test_sending_numbers_per_kind_and_year_and_urges_every_case(city, overdue_cases):
    year = timezone.localdate().year
    first, second = draft(city, overdue_cases), draft(city, overdue_cases[:1])
    assign = draft(city, overdue_cases[:1], kind=LetterKind.ASSIGN)
    dispatcher = city.users["dispatcher"]
    for letter in (second, first, assign):
        services.letter_send(actor=dispatcher, letter_id=letter.pk)
    second.refresh_from_db()
    first.refresh_from_db()
    assign.refresh_from_db()
    assert (second.reference, first.reference) == (f"〔{year}〕督字第 1 号", f"〔{year}〕督字第 2 号")
    assert assign.reference == f"〔{year}〕交字第 1 号"
    assert first.status == LetterStatus.SENT and first.reply_deadline > first.sent_at
    urges = CaseEvent.objects.filter(action="urge", actor=dispatcher)
    assert urges.filter(case=overdue_cases[0]).count() == 2 and urges.filter(case=overdue_cases[1]).count() == 1
    assert first.reference in urges.filter(case=overdue_cases[1]).get().note
    overdue_cases[0].refresh_from_db()
    assert overdue_cases[0].urge_count == 2
    # A 交办函 urges nothing.
    assert urges.count() == 3


def test_who_may_not_urge_may_not_send_a_duban_and_nothing_is_numbered(city, overdue_cases):
    letter = draft(city, overdue_cases, by="shift_leader")
    with pytest.raises(PermissionDeniedError):
        services.letter_send(actor=city.users["shift_leader"], letter_id=letter.pk)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.DRAFT and letter.number is None
    services.letter_send(actor=city.users["manager"], letter_id=letter.pk)
    letter.refresh_from_db()
    assert letter.number == 1  # the refused send took no number


def test_a_closed_case_cannot_be_urged(city):
    closed = case_build(city, State.CLOSED)
    with pytest.raises(ApplicationError, match="已办结"):
        draft(city, [closed])


def test_the_department_answers_its_own_letter_and_the_center_signs_off(city, overdue_cases, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    letter = draft(city, overdue_cases, kind=LetterKind.ASSIGN)
    services.letter_send(actor=city.users["dispatcher"], letter_id=letter.pk)
    # Another department does not see it at all.
    assert not selectors.letters_visible(city.users["handler_b"]).exists()
    with pytest.raises(NotFoundError):
        services.letter_answer(actor=city.users["handler_b"], letter_id=letter.pk, answer="已处理")
    with pytest.raises(ApplicationError, match="答复内容"):
        services.letter_answer(actor=city.users["handler_a"], letter_id=letter.pk, answer=" ")
    with pytest.raises(ApplicationError, match="附件只能"):
        services.letter_answer(actor=city.users["handler_a"], letter_id=letter.pk, answer="已处理",
                               answer_file=SimpleUploadedFile("x.exe", b"MZ"))
    services.letter_answer(actor=city.users["handler_a"], letter_id=letter.pk, answer="已全部清理",
                           answer_file=SimpleUploadedFile("情况说明.pdf", b"%PDF-1.4"))
    letter.refresh_from_db()
    assert letter.status == LetterStatus.ANSWERED and letter.answer_file_name == "情况说明.pdf"
    assert letter.answer_file.name.startswith("letters/") and "情况" not in letter.answer_file.name
    # Returned: the department answers again, within a new deadline.
    services.letter_return(actor=city.users["dispatcher"], letter_id=letter.pk, note="请附照片")
    letter.refresh_from_db()
    assert (letter.status, letter.return_count) == (LetterStatus.SENT, 1)
    with pytest.raises(ConflictError):
        services.letter_sign_off(actor=city.users["dispatcher"], letter_id=letter.pk)
    services.letter_answer(actor=city.users["handler_a"], letter_id=letter.pk, answer="补充照片")
    services.letter_sign_off(actor=city.users["shift_leader"], letter_id=letter.pk)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SIGNED_OFF and letter.signed_off_by == city.users["shift_leader"]
    with pytest.raises(PermissionDeniedError):
        services.letter_sign_off(actor=city.users["handler_a"], letter_id=letter.pk)


def test_drafts_are_not_the_departments_and_a_district_sees_its_own(city, overdue_cases):
    letter = draft(city, overdue_cases, kind=LetterKind.ASSIGN)
    assert not selectors.letters_visible(city.users["handler_a"]).exists()
    assert letter in selectors.letters_visible(city.users["operator"])
    assert not selectors.letters_visible(city.users["operator_b"]).exists()  # a city letter, not district B's
    assert not selectors.letters_visible(city.users["collector_a"]).exists()


def test_the_register_filters_overdue_and_exports(city, overdue_cases, client):
    late, fresh = draft(city, overdue_cases), draft(city, overdue_cases, kind=LetterKind.ASSIGN)
    for letter in (late, fresh):
        services.letter_send(actor=city.users["dispatcher"], letter_id=letter.pk)
    Letter.objects.filter(pk=late.pk).update(reply_deadline=timezone.now() - timedelta(hours=1))
    user = city.users["dispatcher"]
    assert list(selectors.letters_register(user, state="overdue")) == [Letter.objects.get(pk=late.pk)]
    assert list(selectors.letters_register(user, kind="assign")) == [Letter.objects.get(pk=fresh.pk)]
    client.force_login(user)
    html = client.get("/supervision/letters/?state=overdue").content.decode()
    assert "超期未答复" in html and "督字第" in html and "交字第" not in html
    response = client.get("/supervision/letters/?export=xlsx")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.values)
    texts = [str(cell) for row in rows for cell in row if cell is not None]
    assert "文号" in rows[0] and any("督字第" in text for text in texts) and "超期未答复" in texts


def test_bad_input_on_the_pages_is_a_4xx_with_the_message(city, overdue_cases, client):
    client.force_login(city.users["dispatcher"])
    response = client.post("/supervision/letters/new/", {"kind": "urge", "department_id": "",
                                                         "case_numbers": overdue_cases[0].number})
    assert response.status_code == 400 and "主送部门不存在" in response.content.decode()
    response = client.post("/supervision/letters/new/", {"kind": "urge",
                                                         "department_id": city.departments["sanitation_a"].pk,
                                                         "case_numbers": "NOPE-1", "reply_hours": "8"})
    assert response.status_code == 400 and "NOPE-1" in response.content.decode()
