"""Rewards' tables: the city's scheme (unit, sources, caps) and its rates by class, the citizens
known by phone, the ledger of awards and reversals (one award per case at most, enforced by the
database), and the payout register handed to the finance office."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Source
from core.phones import mask_phone
from grids.models import MajorClass, MinorClass

# The case sources a scheme may reward: the public channel (web, WeChat, app and Open311 reports
# all arrive as "public") and, if the city wishes, the hotlines.
REWARDABLE_SOURCES = [Source.PUBLIC, Source.HOTLINE_12319, Source.HOTLINE_12345]


class Unit(models.TextChoices):
    POINTS = "points", _("积分")
    YUAN = "yuan", _("元")


class RewardScheme(models.Model):
    """The city's rules: what a valid report earns (the default amount, or a rate of its class),
    from which sources, and the most one person may earn in a day and in a month. At most one
    scheme is active; with none, nothing is awarded."""

    name = models.CharField(_("名称"), max_length=100)
    is_active = models.BooleanField(_("启用"), default=True)
    unit = models.CharField(_("奖励单位"), max_length=8, choices=Unit.choices, default=Unit.POINTS)
    sources = models.JSONField(_("奖励来源"), default=list,
                               help_text=_("可选：public（公众上报，含 Open311）、hotline_12319、hotline_12345"))
    default_amount = models.DecimalField(_("默认奖励"), max_digits=10, decimal_places=2, default=0)
    daily_cap = models.DecimalField(_("每人每日上限"), max_digits=10, decimal_places=2, null=True, blank=True,
                                    help_text=_("为空则不限"))
    monthly_cap = models.DecimalField(_("每人每月上限"), max_digits=10, decimal_places=2, null=True, blank=True,
                                      help_text=_("为空则不限"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("奖励规则")
        verbose_name_plural = _("奖励规则")
        ordering = ["-is_active", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="reward_one_active_scheme"),
            models.CheckConstraint(condition=Q(default_amount__gte=0), name="reward_default_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        allowed = [str(source) for source in REWARDABLE_SOURCES]
        if not isinstance(self.sources, list) or not self.sources or any(s not in allowed for s in self.sources):
            raise ValidationError({"sources": _("奖励来源须为以下值的列表：%(sources)s") % {
                "sources": ", ".join(allowed)}})


class RewardRate(models.Model):
    """What a report of one minor class, or of any class of one major class, earns under a scheme.
    The minor class's rate wins over its major class's, which wins over the scheme's default."""

    scheme = models.ForeignKey(RewardScheme, verbose_name=_("奖励规则"), on_delete=models.CASCADE,
                               related_name="rates")
    major = models.ForeignKey(MajorClass, verbose_name=_("大类"), null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+")
    minor = models.ForeignKey(MinorClass, verbose_name=_("小类"), null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+")
    amount = models.DecimalField(_("奖励"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("分类奖励")
        verbose_name_plural = _("分类奖励")
        constraints = [
            models.CheckConstraint(condition=Q(major__isnull=True, minor__isnull=False) | Q(major__isnull=False, minor__isnull=True),
                                   name="reward_rate_major_or_minor"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="reward_rate_not_negative"),
            models.UniqueConstraint(fields=["scheme", "minor"], condition=Q(minor__isnull=False),
                                    name="reward_rate_one_per_minor"),
            models.UniqueConstraint(fields=["scheme", "major"], condition=Q(major__isnull=False),
                                    name="reward_rate_one_per_major"),
        ]

    def __str__(self) -> str:
        return f"{self.minor or self.major}: {self.amount}"


class Citizen(models.Model):
    """A citizen known by the phone of their reports (digits only, as the intake stores it). Its
    row is locked while an award is weighed against the caps: two reports of one person filed at
    once are counted one after the other."""

    phone = models.CharField(_("电话"), max_length=32, unique=True)
    created_at = models.DateTimeField(_("首次获奖"), auto_now_add=True)

    class Meta:
        verbose_name = _("举报人")
        verbose_name_plural = _("举报人")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return mask_phone(self.phone)


class EntryKind(models.TextChoices):
    AWARD = "award", _("奖励")
    REVERSAL = "reversal", _("扣回")


class RewardPayout(models.Model):
    """A line of the payout register: what one citizen is paid for a month's entries, marked paid
    by a manager once the finance office has paid it."""

    citizen = models.ForeignKey(Citizen, verbose_name=_("举报人"), on_delete=models.PROTECT, related_name="payouts")
    month = models.DateField(_("结算月份"), help_text=_("该月第一天"))
    unit = models.CharField(_("奖励单位"), max_length=8, choices=Unit.choices)
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)
    entry_count = models.PositiveIntegerField(_("条目数"))
    created_at = models.DateTimeField(_("生成时间"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("生成人"), on_delete=models.PROTECT,
                                   related_name="+")
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发放确认人"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("奖励发放")
        verbose_name_plural = _("奖励发放登记")
        ordering = ["-month", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["citizen", "month", "unit"], name="reward_payout_once_per_month"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="reward_payout_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.citizen}"


class RewardEntry(models.Model):
    """One line of a citizen's ledger: the award of a filed case (its amount cut to what the caps
    leave, possibly 0), or its reversal (the negative of the award) when the case is voided or
    merged. A case has at most one award and one reversal (database constraints)."""

    citizen = models.ForeignKey(Citizen, verbose_name=_("举报人"), on_delete=models.PROTECT, related_name="entries")
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=8, choices=EntryKind.choices)
    unit = models.CharField(_("奖励单位"), max_length=8, choices=Unit.choices)
    amount = models.DecimalField(_("金额"), max_digits=10, decimal_places=2)
    # The amount the rule gave before the caps cut it (equal to amount when no cap applied).
    rule_amount = models.DecimalField(_("规则金额"), max_digits=10, decimal_places=2)
    capped = models.BooleanField(_("受上限限制"), default=False)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    payout = models.ForeignKey(RewardPayout, verbose_name=_("发放登记"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="entries")

    class Meta:
        verbose_name = _("奖励明细")
        verbose_name_plural = _("奖励明细")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(kind="award"), name="reward_one_award_per_case"),
            models.UniqueConstraint(fields=["case"], condition=Q(kind="reversal"),
                                    name="reward_one_reversal_per_case"),
        ]
        indexes = [models.Index(fields=["citizen", "created_at"], name="reward_entry_citizen_time_idx"),
                   models.Index(fields=["created_at"], condition=Q(payout__isnull=True),
                                name="reward_entry_unpaid_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"
