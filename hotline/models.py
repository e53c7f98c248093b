"""Hotline records: callers, calls (12319, 12345 transfers, other channels) and the case each call
created or joined, feedback to the citizen, callbacks (回访) after closure, the public channel's
reports, and the API keys of Open311 and public clients (stored hashed).

Personal data (caller names and phones, contact details, client IPs) lives only here and on
Case.reporter_*; it leaves the app masked (hotline.masking) except to hotline agents and admins.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from grids.models import Region


class Channel(models.TextChoices):
    HOTLINE_12319 = "12319", _("12319热线")
    HOTLINE_12345 = "12345", _("12345转办")
    OTHER = "other", _("其他渠道")


class CallKind(models.TextChoices):
    REPORT = "report", _("反映问题")
    INQUIRY = "inquiry", _("查询进度")
    CONSULT = "consult", _("政策咨询")
    OTHER = "other", _("其他")


class CaseLink(models.TextChoices):
    """How a call relates to its case: it created it, joined an open case of the same problem
    (instead of duplicating it), or asked about it."""

    CREATED = "created", _("新建案件")
    JOINED = "joined", _("并入已有案件")
    INQUIRY = "inquiry", _("查询案件")


# Calls that brought a problem in: the case is "taken" by the hotline through them.
INTAKE_LINKS = [CaseLink.CREATED, CaseLink.JOINED]


class Caller(models.Model):
    """A citizen known by phone number (normalised: digits only, without +86)."""

    phone = models.CharField(_("电话"), max_length=32, unique=True)
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("首次来电"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("来电人")
        verbose_name_plural = _("来电人")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        from .masking import mask_phone

        return mask_phone(self.phone)


class Call(models.Model):
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices, db_index=True)
    kind = models.CharField(_("诉求类型"), max_length=8, choices=CallKind.choices, default=CallKind.REPORT)
    caller = models.ForeignKey(Caller, verbose_name=_("来电人"), on_delete=models.PROTECT, related_name="calls")
    caller_name = models.CharField(_("来电人称呼"), max_length=64, blank=True)
    called_at = models.DateTimeField(_("来电时间"), db_index=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("坐席"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="hotline_calls")
    content = models.TextField(_("来电内容"))
    answer = models.TextField(_("答复内容"), blank=True)
    transfer_number = models.CharField(_("12345工单号"), max_length=40, blank=True)
    transfer_deadline = models.DateTimeField(_("12345办理时限"), null=True, blank=True)
    case = models.ForeignKey(Case, verbose_name=_("案件"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="hotline_calls")
    case_link = models.CharField(_("与案件关系"), max_length=8, choices=CaseLink.choices, blank=True)
    # The case's district (or the located point's), so figures per district need no join.
    district = models.ForeignKey(Region, verbose_name=_("区/县"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    idempotency_key = models.CharField(_("幂等键"), max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("来电记录")
        verbose_name_plural = _("来电记录")
        ordering = ["-called_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["transfer_number"], condition=~Q(transfer_number=""),
                                    name="call_transfer_number_unique"),
            models.CheckConstraint(condition=~Q(channel="12345") | ~Q(transfer_number=""),
                                   name="call_12345_has_transfer_number"),
            models.CheckConstraint(
                condition=Q(case__isnull=True, case_link="") | (Q(case__isnull=False) & ~Q(case_link="")),
                name="call_case_link_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["caller", "called_at"], name="call_caller_time_idx"),
            models.Index(fields=["district", "called_at"], name="call_district_time_idx"),
            models.Index(fields=["case", "case_link", "called_at"], name="call_case_link_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.called_at:%Y-%m-%d %H:%M}"


class FeedbackKind(models.TextChoices):
    RESULT = "result", _("办结答复")
    PROGRESS = "progress", _("进度答复")


class FeedbackChannel(models.TextChoices):
    SMS = "sms", _("短信")
    WECHAT = "wechat", _("微信")
    PHONE = "phone", _("电话")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已送达")
    LOGGED = "logged", _("已记录（未配置发送网关）")
    FAILED = "failed", _("发送失败")


class Feedback(models.Model):
    """A reply to the citizen. A result reply (办结答复) answers one closure of the case; its
    deadline and whether it came in time are stored, so 及时反馈率 counts facts."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="hotline_feedback")
    kind = models.CharField(_("答复类型"), max_length=8, choices=FeedbackKind.choices, default=FeedbackKind.RESULT)
    channel = models.CharField(_("答复方式"), max_length=8, choices=FeedbackChannel.choices)
    recipient = models.CharField(_("接收号码"), max_length=32)
    message = models.TextField(_("答复内容"))
    automatic = models.BooleanField(_("系统自动答复"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("答复人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("答复时间"), db_index=True)
    case_closed_at = models.DateTimeField(_("对应结案时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("答复时限"), null=True, blank=True)
    on_time = models.BooleanField(_("按时答复"), null=True, blank=True)
    status = models.CharField(_("发送状态"), max_length=8, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    gateway_reference = models.CharField(_("网关回执"), max_length=100, blank=True)
    status_detail = models.CharField(_("发送说明"), max_length=200, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("市民答复")
        verbose_name_plural = _("市民答复")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The closure poll writes at most one automatic result reply per closure.
            models.UniqueConstraint(fields=["case", "case_closed_at"], condition=Q(kind="result", automatic=True),
                                    name="one_automatic_result_feedback"),
            models.CheckConstraint(condition=~Q(kind="result") | Q(case_closed_at__isnull=False),
                                   name="result_feedback_has_closure"),
        ]
        indexes = [models.Index(fields=["case", "kind", "case_closed_at"], name="feedback_case_closure_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class CallbackStatus(models.TextChoices):
    PENDING = "pending", _("待回访")
    DONE = "done", _("已回访")
    UNREACHABLE = "unreachable", _("未接通")
    CANCELLED = "cancelled", _("已取消")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


SATISFIED_VALUES = [Satisfaction.SATISFIED, Satisfaction.BASIC]


class Callback(models.Model):
    """回访: a task created when a hotline or public case closes, then its result. One per closure
    (a reopened and re-closed case gets a new one)."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="hotline_callbacks")
    case_closed_at = models.DateTimeField(_("对应结案时间"))
    created_at = models.DateTimeField(_("生成时间"))
    due_at = models.DateTimeField(_("回访时限"))
    status = models.CharField(_("状态"), max_length=12, choices=CallbackStatus.choices,
                              default=CallbackStatus.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("拨打次数"), default=0)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices, blank=True)
    comment = models.TextField(_("市民意见"), blank=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("回访坐席"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    reopened = models.BooleanField(_("已重新处置"), default=False)

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "case_closed_at"], name="one_callback_per_closure"),
            models.CheckConstraint(condition=~Q(status="done") | ~Q(satisfaction=""),
                                   name="done_callback_has_satisfaction"),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="callback_queue_idx")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} #{self.pk}"


class ApiKey(models.Model):
    """A key of an Open311 or public-channel client. Only its SHA-256 is stored; the key itself is
    shown once, when it is created (admin) and never again."""

    name = models.CharField(_("客户端名称"), max_length=100)
    prefix = models.CharField(_("密钥前缀"), max_length=12, db_index=True, editable=False)
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    contact = models.CharField(_("联系人/单位"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    rate_limit_per_hour = models.PositiveIntegerField(_("每小时提交上限"), null=True, blank=True,
                                                      help_text=_("为空则使用系统默认值"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 密钥")
        verbose_name_plural = _("API 密钥")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"


class PublicChannel(models.TextChoices):
    WEB = "web", _("网站")
    WECHAT = "wechat", _("微信")
    APP = "app", _("手机应用")
    OPEN311 = "open311", _("Open311")


class PublicReport(models.Model):
    """What the public channel adds to a case it created: the channel, the client's key, the
    Open311 token, the attributes, and contact details beyond name and phone."""

    case = models.OneToOneField(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="public_report")
    channel = models.CharField(_("渠道"), max_length=8, choices=PublicChannel.choices)
    api_key = models.ForeignKey(ApiKey, verbose_name=_("API 密钥"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="reports")
    token = models.CharField(_("受理凭证"), max_length=32, unique=True)
    client_ip = models.GenericIPAddressField(_("客户端 IP"), null=True, blank=True)
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    device_id = models.CharField(_("设备标识"), max_length=100, blank=True)
    account_id = models.CharField(_("账号标识"), max_length=100, blank=True)
    attributes = models.JSONField(_("附加属性"), default=dict, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("公众上报")
        verbose_name_plural = _("公众上报")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.case.number}"
