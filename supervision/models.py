"""Supervision's tables: joint reviews of difficult cases (疑难案卷联合会审) with their agenda and
the decision per case, and formal letters (交办函, 督办函) with their editable templates, their
numbering per kind and year, the department's answer and the command center's sign-off (销号)."""
import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from grids.models import Department, Region


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("待会审")
    CONCLUDED = "concluded", _("已结束")


class Review(models.Model):
    """A joint review (联合会审): its date, the departments that attended, and its agenda of cases
    (ReviewItem). It is concluded when every case on it is decided."""

    title = models.CharField(_("会审名称"), max_length=100)
    held_on = models.DateField(_("会审日期"))
    region = models.ForeignKey(Region, verbose_name=_("区域"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", help_text=_("召集人所在区域；空为全市"))
    attendees = models.ManyToManyField(Department, verbose_name=_("参会部门"), blank=True, related_name="reviews")
    status = models.CharField(_("状态"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    minutes = models.TextField(_("会审纪要"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    concluded_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("联合会审")
        verbose_name_plural = _("联合会审")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["status", "held_on"], name="review_status_date_idx")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"


class Outcome(models.TextChoices):
    PENDING = "pending", _("待决定")
    ASSIGNED = "assigned", _("定责")
    VOIDED = "voided", _("作废")


class ReviewItem(models.Model):
    """A case on a review's agenda, why it is there, and the decision: the owner department and
    the day it must be done by (会审定责), or void with a reason (会审作废), and who confirmed it.
    A case is on at most one undecided agenda at a time."""

    review = models.ForeignKey(Review, verbose_name=_("联合会审"), on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="review_items")
    reason = models.CharField(_("提请理由"), max_length=200, blank=True)
    outcome = models.CharField(_("决定"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    department = models.ForeignKey(Department, verbose_name=_("责任部门"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(_("办结日期"), null=True, blank=True)
    decision_note = models.TextField(_("决定说明"), blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(_("提请时间"), default=timezone.now)

    class Meta:
        verbose_name = _("会审案件")
        verbose_name_plural = _("会审案件")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "case"], name="review_item_once_per_review"),
            models.UniqueConstraint(fields=["case"], condition=Q(outcome="pending"),
                                    name="review_item_one_pending_per_case"),
            models.CheckConstraint(
                condition=Q(outcome="pending") | Q(outcome="voided", department__isnull=True)
                | Q(outcome="assigned", department__isnull=False, deadline__isnull=False),
                name="review_item_decision_complete"),
        ]

    def __str__(self) -> str:
        return f"{self.review_id} {self.case_id}"


class LetterKind(models.TextChoices):
    ASSIGN = "assign", _("交办函")
    URGE = "urge", _("督办函")


# The character of the number: 〔2027〕交字第 3 号, 〔2027〕督字第 12 号.
KIND_MARKS = {LetterKind.ASSIGN: "交", LetterKind.URGE: "督"}


class LetterStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SENT = "sent", _("已发出")
    ANSWERED = "answered", _("已答复")
    SIGNED_OFF = "signed_off", _("已销号")


class LetterTemplate(models.Model):
    """The text a letter of its kind starts from, in Django's template language, edited by the city
    in the admin. It sees `letter` (kind, department), `cases` (number, address, minor, description,
    …), `department`, `today` and `city`."""

    kind = models.CharField(_("函件类型"), max_length=16, choices=LetterKind.choices, unique=True)
    title = models.CharField(_("标题模板"), max_length=200)
    body = models.TextField(_("正文模板"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("函件模板")
        verbose_name_plural = _("函件模板")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()


class LetterSequence(models.Model):
    """The last number given to a letter of a kind in a year: locked (SELECT … FOR UPDATE) while the
    next is taken, so two letters sent at once never share a number."""

    kind = models.CharField(_("函件类型"), max_length=16, choices=LetterKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    last = models.PositiveIntegerField(_("已用号"), default=0)

    class Meta:
        verbose_name = _("函件编号")
        verbose_name_plural = _("函件编号")
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="letter_sequence_kind_year")]

    def __str__(self) -> str:
        return f"{self.year} {self.kind} {self.last}"


def letter_answer_path(letter: "Letter", filename: str) -> str:
    """Stored under a random name (the original name is kept on the row)."""
    return f"letters/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:10]}"


class Letter(models.Model):
    """A formal letter to a department about one or several cases: drafted from its template, sent
    with a number and a reply deadline in working hours, answered by the department (text and an
    optional file), then signed off (销号) by the command center or returned for a new answer."""

    kind = models.CharField(_("函件类型"), max_length=16, choices=LetterKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    number = models.PositiveIntegerField(_("序号"), null=True, blank=True)
    department = models.ForeignKey(Department, verbose_name=_("主送部门"), on_delete=models.PROTECT,
                                   related_name="letters")
    region = models.ForeignKey(Region, verbose_name=_("区域"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", help_text=_("发函人所在区域；空为全市"))
    cases = models.ManyToManyField(Case, verbose_name=_("案件"), related_name="letters")
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    status = models.CharField(_("状态"), max_length=16, choices=LetterStatus.choices, default=LetterStatus.DRAFT)
    reply_hours = models.PositiveSmallIntegerField(_("答复时限（工作小时）"), default=16)
    reply_deadline = models.DateTimeField(_("答复期限"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("起草时间"), default=timezone.now)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    sent_at = models.DateTimeField(_("发出时间"), null=True, blank=True)
    answer = models.TextField(_("答复内容"), blank=True)
    answer_file = models.FileField(_("答复附件"), upload_to=letter_answer_path, blank=True)
    answer_file_name = models.CharField(_("附件名"), max_length=200, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    return_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    return_note = models.TextField(_("退回意见"), blank=True)
    signed_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    signed_off_at = models.DateTimeField(_("销号时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("函件")
        verbose_name_plural = _("函件")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["department", "status"], name="letter_department_status_idx"),
            models.Index(fields=["status", "reply_deadline"], name="letter_status_deadline_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "number"], name="letter_number_unique"),
            models.CheckConstraint(condition=Q(status="draft") | Q(number__isnull=False, reply_deadline__isnull=False),
                                   name="letter_sent_has_number"),
        ]

    def __str__(self) -> str:
        return self.reference or str(_("草稿"))

    @property
    def reference(self) -> str:
        """〔2027〕督字第 12 号 (empty for a draft)."""
        if self.number is None:
            return ""
        return f"〔{self.year}〕{KIND_MARKS[self.kind]}字第 {self.number} 号"

    def is_overdue(self, now=None) -> bool:
        """Sent (or returned) and not answered by its deadline."""
        return (self.status == LetterStatus.SENT and self.reply_deadline is not None
                and self.reply_deadline < (now or timezone.now()))
