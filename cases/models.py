"""The case loop's records: cases, their steps on the clock, collector tasks, assisting departments'
tasks (协办), the city's return reasons, requests awaiting a decision (extension, suspension),
attachments, the append-only event log, and the work calendar.

The case's `state` is written only by cases.workflow; every other write goes through cases.services.
Side effects that leave the database are rows of the outbox (OutboxMessage, see cases.outbox).
"""
import os
import secrets
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connections, models, router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.months import case_id_new, month_ids
from grids.models import (
    ClassKind,
    Component,
    Department,
    MinorClass,
    Region,
    ResponsibilityGrid,
    Role,
    UnitGrid,
)


class Source(models.TextChoices):
    COLLECTOR = "collector", _("监督员上报")
    HOTLINE_12319 = "hotline_12319", _("12319热线")
    HOTLINE_12345 = "hotline_12345", _("12345转办")
    PUBLIC = "public", _("公众上报")
    MEDIA = "media", _("媒体曝光")
    LEADER = "leader", _("领导交办")
    VIDEO = "video", _("视频/智能识别")
    TRANSFER_110 = "transfer_110", _("110联动")
    OTHER = "other", _("其他")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    ENGINEERING = "engineering", _("工程性")


class State(models.TextChoices):
    REPORTED = "reported", _("待受理")
    VERIFYING = "verifying", _("核实中")
    FILED = "filed", _("待派遣")
    DISPATCHED = "dispatched", _("处置中")
    SUSPENDED = "suspended", _("挂账")
    HANDLED = "handled", _("待核查")
    CHECKING = "checking", _("核查中")
    CHECKED = "checked", _("待结案")
    CLOSED = "closed", _("已结案")
    VOIDED = "voided", _("已作废")
    MERGED = "merged", _("已合并")


# The work queue of each command-center role (cases.selectors.case_queue). The two that span two
# states have partial indexes in deadline order (migration 0007): with the (state, deadline) index
# PostgreSQL can give the order for one state only, and with the (deadline, id) one it skipped
# about 23,000 cases of other states to find a page at a million cases (22 ms).
QUEUE_STATES = {
    Role.OPERATOR: [State.REPORTED, State.HANDLED],
    Role.SHIFT_LEADER: [State.REPORTED, State.CHECKED],
    Role.DISPATCHER: [State.FILED],
    Role.HANDLER: [State.DISPATCHED],
}
OPEN_STATES = [State.REPORTED, State.VERIFYING, State.FILED, State.DISPATCHED, State.SUSPENDED,
               State.HANDLED, State.CHECKING, State.CHECKED]
# Open states whose clock runs: a suspended (挂账) case's clock is paused, so it is never overdue.
CLOCK_RUNNING_STATES = [state for state in OPEN_STATES if state != State.SUSPENDED]


class StepKind(models.TextChoices):
    """The clocked steps of the loop (each with its own limit, deadline and completion)."""

    ACCEPT = "accept", _("受理")
    VERIFY = "verify", _("核实")
    FILE = "file", _("立案")
    DISPATCH = "dispatch", _("派遣")
    HANDLE = "handle", _("处置")
    CHECK = "check", _("核查")
    CLOSE = "close", _("结案")


class Case(models.Model):
    """A case. On PostgreSQL the table is partitioned by id, and the id carries the city month the
    case was reported in (`save` gives it: cases.months, docs/partitioning.md): a case is found by
    its id in one month's partition, and a month's cases are a range of ids."""

    # Unique by its year's counter (CaseNumberSequence, under a row lock), not by an index: a unique
    # index of the partitioned table would have to include the id.
    number = models.CharField(_("案件编号"), max_length=16, db_index=True)
    # No index of its own (nor for state below): nine sources are no filter an index serves, and
    # at ten million cases PostgreSQL ANDed this index's 800,000 hotline entries into the district
    # search's bitmap (91 ms instead of 1); state leads case_queue_idx, which serves it.
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    kind = models.CharField(_("类型"), max_length=10, choices=ClassKind.choices)
    # No index of their own (db_index=False): each leads a composite index of Meta.indexes, which
    # serves its lookups as well; every index costs each intake and each move (see migration 0012).
    minor = models.ForeignKey(MinorClass, verbose_name=_("小类"), on_delete=models.PROTECT, related_name="cases",
                              db_index=False)
    component = models.ForeignKey(Component, verbose_name=_("部件"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="cases")
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    unit_grid = models.ForeignKey(UnitGrid, verbose_name=_("单元网格"), on_delete=models.PROTECT, related_name="cases")
    community = models.ForeignKey(Region, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(Region, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(Region, verbose_name=_("区/县"), on_delete=models.PROTECT, related_name="+",
                                 db_index=False)  # leads case_district_queue_idx, see minor
    responsibility_grid = models.ForeignKey(ResponsibilityGrid, verbose_name=_("责任网格"), null=True, blank=True,
                                            on_delete=models.SET_NULL, related_name="cases")
    description = models.TextField(_("问题描述"))
    urgency = models.CharField(_("紧急程度"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上报人"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="reported_cases")
    reporter_name = models.CharField(_("联系人"), max_length=64, blank=True)
    reporter_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    # Kept with the case for the record; unique, and looked up, through CaseKey.
    idempotency_key = models.CharField(_("幂等键"), max_length=64, null=True, blank=True)

    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.REPORTED)
    department = models.ForeignKey(Department, verbose_name=_("处置部门"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="cases",
                                   db_index=False)  # leads case_department_queue_idx, see minor
    suggested_department = models.ForeignKey(Department, verbose_name=_("建议部门"), null=True, blank=True,
                                             on_delete=models.SET_NULL, related_name="+")
    ownership_unknown = models.BooleanField(_("权属不明"), default=False)
    verified = models.BooleanField(_("核实属实"), null=True, blank=True)
    duplicate_of = models.ForeignKey("self", verbose_name=_("疑似重复"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="likely_duplicates")
    merged_into = models.ForeignKey("self", verbose_name=_("合并至"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="merged_cases")

    # The current step's clock, kept on the case so queues sort by deadline on one index.
    current_step = models.CharField(_("当前环节"), max_length=10, choices=StepKind.choices, blank=True)
    current_deadline = models.DateTimeField(_("当前环节时限"), null=True, blank=True)
    current_step_started_at = models.DateTimeField(_("当前环节开始"), null=True, blank=True)

    # Milestones, so the assessment counts facts in one pass over cases.
    reported_at = models.DateTimeField(_("上报时间"), db_index=True)
    filed_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    handle_deadline = models.DateTimeField(_("处置时限"), null=True, blank=True)
    handled_at = models.DateTimeField(_("处置时间"), null=True, blank=True)
    handled_on_time = models.BooleanField(_("按期处置"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    closed_on_time = models.BooleanField(_("按期结案"), null=True, blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    return_count = models.PositiveSmallIntegerField(_("回退次数"), default=0)
    extension_count = models.PositiveSmallIntegerField(_("延期次数"), default=0)
    suspension_count = models.PositiveSmallIntegerField(_("挂账次数"), default=0)
    urge_count = models.PositiveSmallIntegerField(_("督办次数"), default=0)
    # 挂账 until when: the moment the suspension ends by itself (the start of the chosen day, city
    # time; cases.suspensions resumes it then), and when the reminder a working day before was sent.
    suspended_until = models.DateTimeField(_("挂账至"), null=True, blank=True)
    suspension_reminded_at = models.DateTimeField(_("挂账到期提醒时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        ordering = ["-reported_at"]
        indexes = [
            models.Index(fields=["state", "current_deadline"], name="case_queue_idx"),
            models.Index(fields=["district", "state", "current_deadline"], name="case_district_queue_idx"),
            models.Index(fields=["department", "state", "current_deadline"], name="case_department_queue_idx"),
            models.Index(fields=["minor", "reported_at"], name="case_class_time_idx"),
            # Every list ordered by deadline (the API's default, overdue, text search): read in
            # order and stop after the page instead of sorting every match (migration 0005).
            models.Index(fields=["current_deadline", "id"], name="case_deadline_idx"),
            # Search by district + class + period (the most common search form): counted on the
            # first, listed in deadline order on the second (at ten million cases the deadline
            # index alone passed 90,000 other cases before the page's fifty: 97 ms).
            models.Index(fields=["district", "minor", "reported_at"], name="case_district_class_time_idx"),
            models.Index(fields=["district", "minor", "current_deadline", "id"],
                         name="case_district_class_due_idx"),
            models.Index(fields=["current_deadline", "id"], condition=Q(state__in=QUEUE_STATES[Role.OPERATOR]),
                         name="case_operator_queue_idx"),
            models.Index(fields=["current_deadline", "id"], condition=Q(state__in=QUEUE_STATES[Role.SHIFT_LEADER]),
                         name="case_leader_queue_idx"),
            # The overdue list (running clock, deadline passed, in deadline order): at ten million
            # cases PostgreSQL estimated 1,700 overdue cases where there were 89,000, and sorted
            # them all (475 ms) instead of reading case_deadline_idx; in this index the first
            # fifty in order are the page, whatever the estimate.
            models.Index(fields=["current_deadline", "id"], condition=Q(state__in=CLOCK_RUNNING_STATES),
                         name="case_running_deadline_idx"),
            # The suspensions coming to an end (cases.suspensions, every minute): few rows, read in order.
            models.Index(fields=["suspended_until"], condition=Q(state="suspended"), name="case_suspended_until_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        if self._state.adding and self.pk is None and month_ids(kwargs.get("using") or router.db_for_write(Case, instance=self)):
            self.pk = case_id_new(self.reported_at)
            kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class CaseKey(models.Model):
    """An intake's idempotency key and the case it made: one row per key, so that a retry finds
    the first case and two racing submissions cannot both make one (the case table, partitioned,
    cannot hold a unique index of its own on the key)."""

    key = models.CharField(_("幂等键"), max_length=64, primary_key=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return self.key


class CaseNumberSequence(models.Model):
    """Year-scoped counter behind case numbers (2026 + 8 digits), independent of the class."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class CaseStep(models.Model):
    """One clocked step of a case: when it started, its deadline (moved by extensions and
    suspensions), when it was completed and whether on time. Rework opens a new handle step."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("环节"), max_length=10, choices=StepKind.choices)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("开始时间"))
    deadline = models.DateTimeField(_("时限"))
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    on_time = models.BooleanField(_("按时"), null=True, blank=True)
    overdue_marked_at = models.DateTimeField(_("超时标记时间"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    # The move that ended a handling step without a verdict: a department's return, or the
    # dispatcher's redispatch (改派) or withdrawal (撤回), which the assessment must not count as the
    # department's return. Blank for a step completed with a verdict, and for returns before
    # migration 0017 (a verdict-less handling step without a mark is a return). Blank by default in
    # the database too: the generator's COPY (cases.generate) writes steps without it.
    ended_by = models.CharField(_("结束方式"), max_length=24, blank=True, db_default="")
    # Working minutes the step took (whole minutes, on the calendar its deadline runs on, a
    # suspended span left out), written by cases.steps when the step ends, so the assessment can
    # average and take medians in SQL. NULL while open, and for steps ended before migration 0020.
    work_minutes = models.PositiveIntegerField(_("用时（工作分钟）"), null=True, blank=True)

    class Meta:
        verbose_name = _("环节")
        verbose_name_plural = _("环节")
        ordering = ["started_at", "pk"]
        indexes = [
            models.Index(fields=["deadline"], condition=Q(completed_at__isnull=True, overdue_marked_at__isnull=True),
                         name="step_open_deadline_idx"),
            models.Index(fields=["kind", "completed_at"], name="step_kind_completed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} → {self.deadline:%Y-%m-%d %H:%M}"


class TaskKind(models.TextChoices):
    VERIFY = "verify", _("核实")
    CHECK = "check", _("核查")


class Task(models.Model):
    """A verify or check task for the collectors of the case's responsibility grid."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(_("任务类型"), max_length=8, choices=TaskKind.choices)
    responsibility_grid = models.ForeignKey(ResponsibilityGrid, null=True, blank=True, on_delete=models.SET_NULL,
                                            related_name="tasks")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("下发时间"))
    deadline = models.DateTimeField(_("时限"))
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="completed_tasks")
    result = models.BooleanField(_("结果"), null=True, blank=True, help_text=_("核实：属实；核查：通过"))
    note = models.TextField(_("说明"), blank=True)
    # Where the answer was given (the phone's position, issue 20) and how far that is from the case:
    # shown to the operator, flagged beyond FIELD_ANSWER_RADIUS_M, never refused.
    answered_lon = models.FloatField(_("作答经度"), null=True, blank=True)
    answered_lat = models.FloatField(_("作答纬度"), null=True, blank=True)
    answered_accuracy_m = models.FloatField(_("作答定位精度（米）"), null=True, blank=True)
    distance_m = models.FloatField(_("作答位置距案件（米）"), null=True, blank=True)

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["deadline", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind"], condition=Q(completed_at__isnull=True),
                                    name="one_open_task_per_kind"),
        ]
        indexes = [
            # The operator's home lists the answers of the last day, newest first (task_results):
            # without it every page read the whole table (10 s at ten million cases, 1.2 M tasks).
            models.Index(fields=["completed_at", "id"], condition=Q(completed_by__isnull=False),
                         name="task_answered_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def answered_far(self) -> bool | None:
        """The answer was given beyond FIELD_ANSWER_RADIUS_M from the case (None: no position)."""
        return None if self.distance_m is None else self.distance_m > settings.FIELD_ANSWER_RADIUS_M


class ReturnReason(models.Model):
    """A reason a department gives for a return (回退原因), from a list the city edits in the admin
    (a reason no longer used is made inactive, not deleted: past returns name it); the return also
    carries its free text, required as before."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    label = models.CharField(_("名称"), max_length=64)
    is_active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("回退原因")
        verbose_name_plural = _("回退原因")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.label


class CaseAssist(models.Model):
    """An assisting department's task (协办) in a joint dispatch (联合派遣): the lead department
    (主办, Case.department) holds the handling step; each assisting one reports its part done here.
    A task ended without being done (the case withdrawn or returned) keeps `ended_by`, the move."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assists")
    department = models.ForeignKey(Department, verbose_name=_("协办部门"), on_delete=models.PROTECT,
                                   related_name="assists")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("派遣时间"))
    deadline = models.DateTimeField(_("时限"))
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    note = models.TextField(_("协办情况"), blank=True)
    ended_by = models.CharField(_("结束方式"), max_length=24, blank=True)

    class Meta:
        verbose_name = _("协办任务")
        verbose_name_plural = _("协办任务")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["department", "case"], name="assist_department_case_idx")]
        constraints = [
            models.UniqueConstraint(fields=["case", "department"], condition=Q(completed_at__isnull=True),
                                    name="one_open_assist_per_department"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.department_id}"

    @property
    def done(self) -> bool:
        return self.completed_at is not None and not self.ended_by


class RequestKind(models.TextChoices):
    EXTENSION = "extension", _("延期申请")
    SUSPENSION = "suspension", _("挂账申请")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    DENIED = "denied", _("已驳回")


class CaseRequest(models.Model):
    """A department's request awaiting a decision: an extension (with the deadline it asks for)
    or a suspension (挂账, with its explanation)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="requests")
    kind = models.CharField(_("申请类型"), max_length=12, choices=RequestKind.choices)
    status = models.CharField(_("状态"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    reason = models.TextField(_("理由"))
    requested_deadline = models.DateTimeField(_("申请时限"), null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("申请")
        verbose_name_plural = _("申请")
        ordering = ["requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind"], condition=Q(status="pending"),
                                    name="one_pending_request_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class AttachmentKind(models.TextChoices):
    BEFORE = "before", _("处置前")
    AFTER = "after", _("处置后")
    OTHER = "other", _("其他")


def attachment_path(instance: "Attachment", filename: str) -> str:
    """Where a photo is stored: cases/YYYY/MM/<128 random bits>.<ext>. The uploaded name is never
    used: it could be guessed, and it may say things about the person who sent it."""
    extension = os.path.splitext(filename)[1].lower()
    return f"cases/{timezone.now():%Y/%m}/{secrets.token_hex(16)}{extension}"


class Attachment(models.Model):
    """A photo of a case, with the thumbnail made once at upload. Served only through
    cases.media (the case's scope), never as a public file."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("类型"), max_length=8, choices=AttachmentKind.choices, default=AttachmentKind.BEFORE)
    file = models.ImageField(_("照片"), upload_to=attachment_path)
    thumbnail = models.ImageField(_("缩略图"), upload_to=attachment_path, blank=True)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.file.name


class EventLogAppendOnlyError(RuntimeError):
    """An attempt to change or delete a row of the event log."""


# Lifted only by event_log_maintenance(), never by a page, the API or the admin.
_event_log_maintenance: ContextVar[bool] = ContextVar("event_log_maintenance", default=False)


def _refuse_event_change(what: str) -> None:
    if not _event_log_maintenance.get():
        raise EventLogAppendOnlyError(f"The case event log is append-only: {what} refused.")


class CaseEventQuerySet(models.QuerySet):
    """Rows can be read and inserted (create, bulk_create); update and delete are refused, as they
    are by the database trigger of migration 0004 on PostgreSQL."""

    def update(self, **kwargs):
        _refuse_event_change("update")
        return super().update(**kwargs)

    def delete(self):
        _refuse_event_change("delete")
        return super().delete()


@contextmanager
def event_log_maintenance(using: str = "default"):
    """The one way to delete or rewrite events: a database owner's maintenance (a test forgetting a
    generated history, a retention purge decided by the city). It lifts the ORM guards in this
    context and, on PostgreSQL, skips the append-only trigger for this transaction with
    `session_replication_role = replica`, which only a superuser may set: the application's own
    role, if it is not one, still cannot rewrite history. Nothing in the pages, API or admin uses it."""
    connection = connections[using]
    token = _event_log_maintenance.set(True)
    try:
        with transaction.atomic(using=using):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
            yield
            # Only on success: after an error the transaction may be aborted (a statement here
            # would hide the error), and the rollback to come undoes the SET LOCAL anyway.
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    finally:
        _event_log_maintenance.reset(token)


class CaseEvent(models.Model):
    """Append-only log: who did what to a case, when, from which state to which, with the payload.

    Enforced twice: here (save of an existing row, delete, queryset update/delete raise
    EventLogAppendOnlyError) and in PostgreSQL by a trigger refusing UPDATE and DELETE."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("动作"), max_length=24)  # looked up through event_action_time_idx
    from_state = models.CharField(_("原状态"), max_length=12, blank=True)
    to_state = models.CharField(_("新状态"), max_length=12, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField(_("时间"), db_index=True)
    note = models.TextField(_("说明"), blank=True)
    payload = models.JSONField(default=dict, blank=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("案件日志")
        verbose_name_plural = _("案件日志")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["action", "created_at"], name="event_action_time_idx")]

    def __str__(self) -> str:
        return f"{self.action} @ {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            _refuse_event_change("save of an existing event")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_event_change("delete")
        return super().delete(*args, **kwargs)


class CalendarDay(models.Model):
    """An override of the statutory calendar (chinese-calendar): a city's own holiday or working
    day, and the way to extend the calendar to years the package does not know yet."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("工作日"))
    note = models.CharField(_("说明"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("工作日历调整")
        verbose_name_plural = _("工作日历调整")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {_('工作日') if self.is_workday else _('休息日')}"


class CalendarYear(models.Model):
    """A year whose schedule the city entered (cases.calendar_import): from then on every day of
    that year is answered from the city's entries (CalendarDay) over the Monday–Friday week, never
    from the weekday fallback, and the warning for that year disappears."""

    year = models.PositiveSmallIntegerField(_("年份"), primary_key=True)
    entered_at = models.DateTimeField(_("录入时间"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    source_text = models.TextField(_("录入内容"), blank=True)

    class Meta:
        verbose_name = _("已录入年度日历")
        verbose_name_plural = _("已录入年度日历")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class WorkSchedule(models.Model):
    """Work windows, e.g. "08:30-12:00,14:00-18:00". The row without a department is the city's
    default (settings.WORK_WINDOWS when there is none); a department's row overrides it."""

    department = models.OneToOneField(Department, verbose_name=_("部门"), null=True, blank=True,
                                      on_delete=models.CASCADE, related_name="work_schedule")
    windows = models.CharField(_("工作时段"), max_length=120, default="08:30-12:00,14:00-18:00")
    works_on_holidays = models.BooleanField(_("节假日照常工作"), default=False,
                                            help_text=_("如环卫等全天候部门"))

    class Meta:
        verbose_name = _("工作时段")
        verbose_name_plural = _("工作时段")
        constraints = [
            models.UniqueConstraint(fields=["department"], condition=Q(department__isnull=True),
                                    name="one_default_schedule"),
        ]

    def __str__(self) -> str:
        return f"{self.department or _('全市默认')}: {self.windows}"


class OutboxMessage(models.Model):
    """A side effect (a Celery task and its arguments) written in the same transaction as the change
    that causes it, so that it is never lost: sent after commit, and while the broker is down kept
    pending until the periodic drain (and every worker's start) sends it. See cases.outbox."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    task = models.CharField(_("任务"), max_length=100)
    kwargs = models.JSONField(_("参数"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("发送次数"), default=0)
    last_attempt_at = models.DateTimeField(_("最近发送"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    # Set by a task that runs once per message (outbox_claim): a message sent twice (the broker
    # took it, then the database lost our "sent") still has its effect once.
    done_at = models.DateTimeField(_("执行时间"), null=True, blank=True)
    # The X-Request-ID of the request that wrote it (core.request_id): a message the drain sends
    # later carries it into the task's log lines all the same.
    request_id = models.CharField(_("请求编号"), max_length=128, blank=True, default="")

    class Meta:
        verbose_name = _("待发送任务")
        verbose_name_plural = _("待发送任务")
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="outbox_pending_idx"),
            models.Index(fields=["sent_at"], condition=Q(sent_at__isnull=False), name="outbox_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"
