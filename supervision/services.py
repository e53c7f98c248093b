"""Writes of supervision: convening a joint review, adding cases to its agenda, recording its
attendees and each decision (made on the case through cases.services.case_move, REVIEW_ASSIGN or
REVIEW_VOID, in the same transaction); drafting a letter from its template, sending it with the
next number of its kind and year (a 督办函 urges each of its cases through the URGE move), the
department's answer, and the command center's sign-off (销号) or return."""
from datetime import date
from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.calendar import WorkCalendar
from cases.models import Case
from cases.selectors import cases_visible
from cases.services import case_move
from cases.transitions import TRANSITIONS, Action
from core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from core.queries import row_by_key
from core.storage import StoredFiles
from core.text import text_clean
from grids.models import Department, Role, User

from . import selectors
from .models import (
    Letter,
    LetterKind,
    LetterSequence,
    LetterStatus,
    LetterTemplate,
    Outcome,
    Review,
    ReviewItem,
    ReviewStatus,
)

REVIEWABLE_STATES = TRANSITIONS[Action.REVIEW_ASSIGN].sources
# What a department may attach to its answer, and how large.
ANSWER_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx", ".ofd", ".txt"}
ANSWER_MAX_BYTES = 20 * 2**20
# The default reply limits, in working hours on the department's calendar.
REPLY_HOURS = {LetterKind.ASSIGN: 24, LetterKind.URGE: 8}


def _refuse_unless(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDeniedError(message)


# --- joint review ---------------------------------------------------------------------------------

def _cases_by_number(actor: User, numbers: list[str]) -> list[Case]:
    """The open cases of these numbers in the person's scope, in the order given; an unknown or
    out-of-scope number is named (alike), and so is a case no review can decide."""
    wanted = list(dict.fromkeys(number.strip() for number in numbers if number and number.strip()))
    if not wanted:
        raise ApplicationError(_("请填写至少一个案件编号。"), extra={"field": "case_numbers"})
    found = {case.number: case for case in cases_visible(actor).filter(number__in=wanted)}
    missing = [number for number in wanted if number not in found]
    if missing:
        raise ApplicationError(_("案件不存在或不在您的管辖范围内：%(numbers)s。") % {"numbers": "、".join(missing)},
                               extra={"field": "case_numbers", "numbers": missing}, status_code=400)
    return [found[number] for number in wanted]


def _check_reviewable(cases: list[Case]) -> None:
    wrong = [case.number for case in cases if case.state not in REVIEWABLE_STATES]
    if wrong:
        raise ApplicationError(
            _("只有待派遣或处置中的案件可以提请会审：%(numbers)s。") % {"numbers": "、".join(wrong)},
            extra={"field": "case_numbers", "numbers": wrong})
    pending = list(ReviewItem.objects.filter(case__in=cases, outcome=Outcome.PENDING)
                   .values_list("case__number", flat=True))
    if pending:
        raise ConflictError(_("案件已在待决定的会审议程上：%(numbers)s。") % {"numbers": "、".join(pending)},
                            extra={"field": "case_numbers", "numbers": pending})


def review_create(*, actor: User, title: str, held_on: date, case_numbers: list[str], reason: str = "") -> Review:
    """Convene a review on a day with one or several cases on its agenda."""
    _refuse_unless(selectors.can_review(actor), _("只有值班长或领导可以提请联合会审。"))
    title = text_clean(title or "").strip()
    if not title:
        raise ApplicationError(_("请填写会审名称。"), extra={"field": "title"})
    if held_on is None:
        raise ApplicationError(_("请填写会审日期。"), extra={"field": "held_on"})
    with transaction.atomic():
        review = Review.objects.create(title=title[:100], held_on=held_on, region=selectors.region_of(actor),
                                       created_by=actor)
        review_cases_add(actor=actor, review_id=review.pk, case_numbers=case_numbers, reason=reason)
    return review


def _review_locked(actor: User, review_id: int) -> Review:
    review = row_by_key(selectors.reviews_visible(actor).select_for_update().filter(pk=review_id))
    if review is None:
        raise NotFoundError(_("会审不存在或不在您的管辖范围内。"))
    return review


def review_cases_add(*, actor: User, review_id: int, case_numbers: list[str], reason: str = "") -> list[ReviewItem]:
    """Put more cases on a pending review's agenda."""
    _refuse_unless(selectors.can_review(actor), _("只有值班长或领导可以提请联合会审。"))
    with transaction.atomic():
        review = _review_locked(actor, review_id)
        if review.status != ReviewStatus.PENDING:
            raise ConflictError(_("该会审已结束，不能再添加案件。"))
        cases = _cases_by_number(actor, case_numbers)
        _check_reviewable(cases)
        try:
            with transaction.atomic():
                return ReviewItem.objects.bulk_create([
                    ReviewItem(review=review, case=case, reason=text_clean(reason or "")[:200], added_by=actor)
                    for case in cases])
        except IntegrityError:  # the same case put on another agenda at the same moment
            raise ConflictError(_("案件已在待决定的会审议程上。"), extra={"field": "case_numbers"}) from None


def review_record(*, actor: User, review_id: int, department_ids: list[int], minutes: str = "") -> Review:
    """Record who attended (departments) and the minutes."""
    _refuse_unless(selectors.can_review(actor), _("只有值班长或领导可以登记会审。"))
    with transaction.atomic():
        review = _review_locked(actor, review_id)
        departments = list(Department.objects.filter(pk__in=department_ids, is_active=True))
        if not departments:
            raise ApplicationError(_("请选择至少一个参会部门。"), extra={"field": "attendees"})
        review.attendees.set(departments)
        review.minutes = text_clean(minutes or "")
        review.save(update_fields=["minutes"])
    return review


def review_decide(*, actor: User, item_id: int, outcome: str, department_id: int | None = None,
                  deadline: date | None = None, note: str = "") -> ReviewItem:
    """Record the review's decision on one case and carry it into the loop in the same
    transaction: 定责 dispatches the case to the department due by the day (REVIEW_ASSIGN), 作废
    voids it with the reason (REVIEW_VOID). The confirming person is the one who makes the move.
    The review is concluded when its last case is decided."""
    _refuse_unless(selectors.can_review(actor), _("只有值班长或领导可以确认会审决定。"))
    if outcome not in (Outcome.ASSIGNED, Outcome.VOIDED):
        raise ApplicationError(_("请选择会审决定：定责或作废。"), extra={"field": "outcome"})
    note = text_clean(note or "")
    with transaction.atomic():
        # The item first, then (in case_move) its case: a second confirmation waits here and then
        # finds the item decided.
        item = row_by_key(ReviewItem.objects.select_for_update().filter(
            pk=item_id, review__in=selectors.reviews_visible(actor)))
        if item is None:
            raise NotFoundError(_("会审案件不存在或不在您的管辖范围内。"))
        if item.outcome != Outcome.PENDING:
            raise ConflictError(_("该案件的会审决定已确认。"))
        if not item.review.attendees.exists():
            raise ApplicationError(_("请先登记参会部门，再确认决定。"), extra={"field": "attendees"})
        if outcome == Outcome.ASSIGNED:
            if not department_id:
                raise ApplicationError(_("请选择责任部门。"), extra={"field": "department_id"})
            if deadline is None:
                raise ApplicationError(_("请填写会审确定的办结日期。"), extra={"field": "deadline"})
            case_move(actor=actor, case_id=item.case_id, action=Action.REVIEW_ASSIGN, department_id=department_id,
                      deadline=deadline, note=note)
            item.department_id, item.deadline = department_id, deadline
        else:
            case_move(actor=actor, case_id=item.case_id, action=Action.REVIEW_VOID, note=note)
        item.outcome, item.decision_note, item.confirmed_by, item.decided_at = outcome, note, actor, timezone.now()
        item.save(update_fields=["outcome", "department", "deadline", "decision_note", "confirmed_by", "decided_at"])
        review = item.review
        if not review.items.filter(outcome=Outcome.PENDING).exists():
            review.status, review.concluded_at = ReviewStatus.CONCLUDED, item.decided_at
            review.save(update_fields=["status", "concluded_at"])
    return item


# --- letters --------------------------------------------------------------------------------------

LETTER_DEFAULTS = {
    LetterKind.ASSIGN: (
        "关于交办{{ cases|length }}件城市管理问题的函",
        "{{ department.name }}：\n\n"
        "经{{ city }}数字化城市管理指挥中心核实，以下{{ cases|length }}件城市管理问题属贵单位职责范围，"
        "现予交办，请按期处置，并于答复期限前书面答复处置情况。\n\n"
        "{% for case in cases %}{{ forloop.counter }}. 案件编号 {{ case.number }}：{{ case.minor.name }}"
        "{% if case.address %}，{{ case.address }}{% endif %}。{{ case.description }}\n{% endfor %}\n"
        "{{ city }}数字化城市管理指挥中心\n{{ today|date:'Y年n月j日' }}",
    ),
    LetterKind.URGE: (
        "关于督办{{ cases|length }}件城市管理问题的函",
        "{{ department.name }}：\n\n"
        "以下{{ cases|length }}件城市管理问题已派遣贵单位，至今未按期办结，群众反映强烈。"
        "现予督办，请高度重视，立即组织处置，并于答复期限前书面答复处置结果及未按期办结的原因。\n\n"
        "{% for case in cases %}{{ forloop.counter }}. 案件编号 {{ case.number }}：{{ case.minor.name }}"
        "{% if case.address %}，{{ case.address }}{% endif %}"
        "（处置时限 {{ case.handle_deadline|date:'Y-m-d H:i'|default:'—' }}）。\n{% endfor %}\n"
        "{{ city }}数字化城市管理指挥中心\n{{ today|date:'Y年n月j日' }}",
    ),
}


def letter_templates_install() -> int:
    """Add the default template of each kind the city has not got (an edited one is left alone)."""
    added = 0
    for kind, (title, body) in LETTER_DEFAULTS.items():
        _template, created = LetterTemplate.objects.get_or_create(kind=kind, defaults={"title": title, "body": body})
        added += created
    return added


def _render(text: str, context: dict) -> str:
    try:
        return Template(text).render(Context(context, autoescape=False)).strip()
    except TemplateSyntaxError as error:
        raise ApplicationError(_("函件模板有误，请在系统管理中修改：%(error)s") % {"error": error}) from None


def letter_draft(*, actor: User, kind: str, department_id: int, case_numbers: list[str],
                 reply_hours: int | None = None) -> Letter:
    """Draft a letter to a department about cases of the person's scope, its title and text from
    the city's template of the kind (editable until it is sent)."""
    _refuse_unless(selectors.can_write_letters(actor), _("您无权起草函件。"))
    if kind not in LetterKind.values:
        raise ApplicationError(_("请选择函件类型。"), extra={"field": "kind"})
    department = row_by_key(Department.objects.filter(pk=department_id or 0, is_active=True))
    if department is None:
        raise ApplicationError(_("主送部门不存在或已停用。"), extra={"field": "department_id"})
    cases = _cases_by_number(actor, case_numbers)
    if kind == LetterKind.URGE:
        closed = [case.number for case in cases if not case.is_open]
        if closed:
            raise ApplicationError(_("已办结的案件不能督办：%(numbers)s。") % {"numbers": "、".join(closed)},
                                   extra={"field": "case_numbers"})
    hours = _reply_hours(reply_hours, kind)
    template = LetterTemplate.objects.filter(kind=kind).first()
    title, body = (template.title, template.body) if template else LETTER_DEFAULTS[kind]
    context = {"cases": cases, "department": department, "today": timezone.localdate(), "kind": kind,
               "city": settings.CITY_NAME}
    with transaction.atomic():
        letter = Letter.objects.create(kind=kind, department=department, region=selectors.region_of(actor),
                                       title=_render(title, context)[:200] or LetterKind(kind).label,
                                       body=_render(body, context), reply_hours=hours, created_by=actor)
        letter.cases.set(cases)
    return letter


def _reply_hours(value, kind: str) -> int:
    if value in (None, ""):
        return REPLY_HOURS[kind]
    try:
        hours = int(value)
    except (TypeError, ValueError):
        hours = 0
    if not 1 <= hours <= 400:
        raise ApplicationError(_("答复时限须为 1 至 400 个工作小时。"), extra={"field": "reply_hours"})
    return hours


def _letter_locked(actor: User, letter_id: int) -> Letter:
    letter = row_by_key(selectors.letters_visible(actor).select_for_update().filter(pk=letter_id))
    if letter is None:
        raise NotFoundError(_("函件不存在或不在您的管辖范围内。"))
    return letter


def _status_is(letter: Letter, status: str, message: str) -> None:
    if letter.status != status:
        raise ConflictError(message, extra={"status": letter.status})


def letter_edit(*, actor: User, letter_id: int, title: str, body: str, reply_hours: int | None = None) -> Letter:
    """Change a draft's title, text or reply limit."""
    _refuse_unless(selectors.can_write_letters(actor), _("您无权修改函件。"))
    with transaction.atomic():
        letter = _letter_locked(actor, letter_id)
        _status_is(letter, LetterStatus.DRAFT, _("函件已发出，不能再修改。"))
        title, body = text_clean(title or "").strip(), (body or "").strip()
        if not title or not body:
            raise ApplicationError(_("请填写函件标题和正文。"), extra={"field": "body" if title else "title"})
        letter.title, letter.body = title[:200], body
        letter.reply_hours = _reply_hours(reply_hours if reply_hours is not None else letter.reply_hours, letter.kind)
        letter.save(update_fields=["title", "body", "reply_hours"])
    return letter


def _next_number(kind: str, year: int) -> int:
    """The next number of the kind in the year. The sequence row is locked until the sending
    transaction commits, so concurrent sends queue and each gets its own number."""
    LetterSequence.objects.get_or_create(kind=kind, year=year)
    sequence = LetterSequence.objects.select_for_update().get(kind=kind, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return sequence.last


def letter_send(*, actor: User, letter_id: int) -> Letter:
    """Send a draft: it takes the next number of its kind and year (〔2027〕督字第 N 号; drafts have
    none, so a discarded draft leaves no gap), and its reply deadline, `reply_hours` of working time
    on the department's calendar. A 督办函 records an urge (督办) on each of its cases through the
    URGE move, with its event, in the same transaction: who may not urge may not send it, and a
    case closed meanwhile refuses it."""
    _refuse_unless(selectors.can_write_letters(actor), _("您无权发出函件。"))
    with transaction.atomic():
        letter = _letter_locked(actor, letter_id)
        _status_is(letter, LetterStatus.DRAFT, _("函件已发出。"))
        now = timezone.now()
        year = timezone.localtime(now).year
        letter.year, letter.number = year, _next_number(letter.kind, year)
        letter.reply_deadline = WorkCalendar.for_department(letter.department_id).add_work_time(
            now, hours=letter.reply_hours)
        letter.status, letter.sent_by, letter.sent_at = LetterStatus.SENT, actor, now
        letter.save(update_fields=["year", "number", "reply_deadline", "status", "sent_by", "sent_at"])
        if letter.kind == LetterKind.URGE:
            for case_id in letter.cases.order_by("pk").values_list("pk", flat=True):
                case_move(actor=actor, case_id=case_id, action=Action.URGE,
                          note=_("督办函 %(reference)s：%(title)s") % {"reference": letter.reference,
                                                                     "title": letter.title})
    return letter


def _answer_file_check(upload: UploadedFile) -> None:
    suffix = PurePath(upload.name or "").suffix.lower()
    if suffix not in ANSWER_SUFFIXES:
        raise ApplicationError(_("附件只能是 PDF、图片、Word、Excel、OFD 或文本文件。"), extra={"field": "answer_file"})
    if upload.size > ANSWER_MAX_BYTES:
        raise ApplicationError(_("附件不能超过 %(mb)d MB。") % {"mb": ANSWER_MAX_BYTES // 2**20},
                               extra={"field": "answer_file"})


def letter_answer(*, actor: User, letter_id: int, answer: str, answer_file: UploadedFile | None = None) -> Letter:
    """The department answers a letter sent (or returned) to it: text, and optionally a file."""
    _refuse_unless(actor.role == Role.HANDLER, _("只有主送部门可以答复函件。"))
    answer = text_clean(answer or "").strip()
    if not answer:
        raise ApplicationError(_("请填写答复内容。"), extra={"field": "answer"})
    if answer_file is not None:
        _answer_file_check(answer_file)
    with StoredFiles() as stored, transaction.atomic():
        letter = _letter_locked(actor, letter_id)
        _status_is(letter, LetterStatus.SENT, _("该函件当前不需要答复。"))
        fields = ["answer", "answered_by", "answered_at", "status"]
        if answer_file is not None:
            letter.answer_file.save(answer_file.name, answer_file, save=False)
            stored.files.append(letter.answer_file)
            letter.answer_file_name = PurePath(answer_file.name).name[:200]
            fields += ["answer_file", "answer_file_name"]
        letter.answer, letter.answered_by, letter.answered_at = answer, actor, timezone.now()
        letter.status = LetterStatus.ANSWERED
        letter.save(update_fields=fields)
    return letter


def letter_sign_off(*, actor: User, letter_id: int) -> Letter:
    """销号: the command center accepts the answer; the letter is done."""
    _refuse_unless(selectors.can_write_letters(actor), _("您无权销号。"))
    with transaction.atomic():
        letter = _letter_locked(actor, letter_id)
        _status_is(letter, LetterStatus.ANSWERED, _("只有已答复的函件可以销号。"))
        letter.status, letter.signed_off_by, letter.signed_off_at = LetterStatus.SIGNED_OFF, actor, timezone.now()
        letter.save(update_fields=["status", "signed_off_by", "signed_off_at"])
    return letter


def letter_return(*, actor: User, letter_id: int, note: str) -> Letter:
    """退回: the answer does not do; the department answers again, within a new reply limit of the
    letter's working hours from now."""
    _refuse_unless(selectors.can_write_letters(actor), _("您无权退回函件。"))
    note = text_clean(note or "").strip()
    if not note:
        raise ApplicationError(_("请填写退回意见。"), extra={"field": "note"})
    with transaction.atomic():
        letter = _letter_locked(actor, letter_id)
        _status_is(letter, LetterStatus.ANSWERED, _("只有已答复的函件可以退回。"))
        now = timezone.now()
        letter.status, letter.return_note, letter.return_count = LetterStatus.SENT, note, letter.return_count + 1
        letter.reply_deadline = WorkCalendar.for_department(letter.department_id).add_work_time(
            now, hours=letter.reply_hours)
        letter.save(update_fields=["status", "return_note", "return_count", "reply_deadline"])
    return letter
