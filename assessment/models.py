"""Assessment records: the indicator catalogue (data, admin-editable and versioned), periods (with
their freeze), the stored results per period × object × indicator and per period × object, and the
audit of computations and of recomputed frozen periods."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ObjectType(models.TextChoices):
    """What is assessed. Regions carry a level (city, district, street, community, unit grid)."""

    REGION = "region", _("区域")
    DEPARTMENT = "department", _("专业部门")
    COLLECTOR = "collector", _("监督员")
    OPERATOR = "operator", _("受理员")
    SHIFT_LEADER = "shift_leader", _("值班长")
    DISPATCHER = "dispatcher", _("派遣员")
    HOTLINE_LINE = "hotline_line", _("热线线路")
    HOTLINE_AGENT = "hotline_agent", _("热线坐席")


class RegionLevelKey(models.TextChoices):
    """Levels of the region objects (stored as text on the results, so they sort and read well)."""

    CITY = "city", _("全市")
    DISTRICT = "district", _("区/县")
    STREET = "street", _("街道")
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("单元网格")


class Direction(models.TextChoices):
    HIGHER = "higher", _("越高越好")
    LOWER = "lower", _("越低越好")


class IndicatorKind(models.TextChoices):
    """How an indicator turns its counters into a figure and a score."""

    RATIO = "ratio", _("比率")
    COUNT = "count", _("数量")
    DEDUCTION = "deduction", _("扣分项")
    BONUS = "bonus", _("加分项")
    AVERAGE = "average", _("平均用时")
    MEDIAN = "median", _("用时中位数")


class Rounding(models.TextChoices):
    HALF_UP = "half_up", _("四舍五入")
    TRUNCATE = "truncate", _("截断")
    BANKERS = "bankers", _("银行家舍入（四舍六入五成双）")


class IndicatorCatalogue(models.Model):
    """A named set of indicators. Exactly one is active; every change to it or its indicators
    bumps `version`, and every stored result records the catalogue and version it used."""

    name = models.CharField(_("名称"), max_length=64, unique=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    is_active = models.BooleanField(_("启用"), default=False)
    note = models.TextField(_("说明"), blank=True)
    participation = models.JSONField(
        _("参评门槛"), default=dict, blank=True,
        help_text=_('每类考核对象的最低工作量：{"collector": {"counters": ["reports", "verify_due"], "minimum": 1}}；'
                    "这些计数项之和低于门槛的对象“不参评”（不计综合指标值、等级和排名）"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("修改人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("指标体系")
        verbose_name_plural = _("指标体系")
        ordering = ["-is_active", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_catalogue"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Indicator(models.Model):
    """One indicator of an object type. Its kind says what it computes: a ratio (numerator counter /
    denominator counter), a count scored by volume bands, or a deduction / bonus (points per counted
    occurrence, capped, taken from / added to the composite). Each counter is a base counter with
    optional filters (assessment.filters). `weight` is its share (in %) of the object type's
    composite; 0 = shown but not scored. Rounding and decimals shape the published figure."""

    catalogue = models.ForeignKey(IndicatorCatalogue, verbose_name=_("指标体系"), on_delete=models.CASCADE,
                                  related_name="indicators")
    object_type = models.CharField(_("考核对象"), max_length=16, choices=ObjectType.choices)
    code = models.SlugField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=40)
    kind = models.CharField(_("指标类型"), max_length=10, choices=IndicatorKind.choices, default=IndicatorKind.RATIO)
    numerator = models.CharField(_("分子（计数项）"), max_length=40)
    numerator_filters = models.JSONField(
        _("分子筛选"), default=dict, blank=True,
        help_text=_('可选：{"sources": ["video", "other"], "class_kind": "component", "majors": ["01"], '
                    '"minors": ["0101"], "lines": ["12345"], "flags": ["urged"]}'),
    )
    denominator = models.CharField(_("分母（计数项）"), max_length=40, blank=True,
                                   help_text=_("比率指标必填；数量、扣分、加分指标留空"))
    denominator_filters = models.JSONField(_("分母筛选"), default=dict, blank=True)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    weight = models.DecimalField(_("权重（%）"), max_digits=5, decimal_places=2, default=0)
    bands = models.JSONField(
        _("数量分档"), default=dict, blank=True,
        help_text=_('数量指标的分档：{"default": [[下限, 得分], ...], "grid": [...]}，按层级覆盖；'
                    "下限为月度数量，其他周期按天数折算"),
    )
    rounding = models.CharField(_("舍入方式"), max_length=10, choices=Rounding.choices, default=Rounding.HALF_UP)
    decimals = models.PositiveSmallIntegerField(_("小数位数"), default=2)
    target = models.DecimalField(_("目标值"), max_digits=10, decimal_places=2, null=True, blank=True,
                                 help_text=_("比率指标为百分数；按方向判断是否达标"))
    points = models.DecimalField(_("每次分值"), max_digits=6, decimal_places=2, null=True, blank=True,
                                 help_text=_("扣分、加分指标：每计一次的分值"))
    cap = models.DecimalField(_("封顶分值"), max_digits=6, decimal_places=2, null=True, blank=True,
                              help_text=_("扣分、加分指标：最多扣（加）的分值，空为不封顶"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["catalogue", "object_type", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "object_type", "code"], name="indicator_code_unique"),
            models.CheckConstraint(condition=Q(weight__gte=0) & Q(weight__lte=100), name="indicator_weight_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_object_type_display()} · {self.name}"

    @property
    def is_volume(self) -> bool:
        return self.kind == IndicatorKind.COUNT

    @property
    def is_adjustment(self) -> bool:
        return self.kind in (IndicatorKind.DEDUCTION, IndicatorKind.BONUS)


class PeriodKind(models.TextChoices):
    DAY = "day", _("日")
    WEEK = "week", _("周")
    MONTH = "month", _("月")
    QUARTER = "quarter", _("季度")
    YEAR = "year", _("年")
    RANGE = "range", _("自定义区间")


class Period(models.Model):
    """An assessment period: local dates [start, end) in the city's time zone. A frozen period is
    not recomputed by the schedule; only assessment_recompute_frozen (audited) may change it."""

    kind = models.CharField(_("周期类型"), max_length=8, choices=PeriodKind.choices)
    label = models.CharField(_("周期"), max_length=32, unique=True)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期（不含）"))
    computed_at = models.DateTimeField(_("最近计算"), null=True, blank=True)
    frozen_at = models.DateTimeField(_("冻结时间"), null=True, blank=True)
    frozen_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("冻结人"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("考核周期")
        verbose_name_plural = _("考核周期")
        ordering = ["-start", "kind"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="period_end_after_start"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class ResultFields(models.Model):
    """What a result row shares: the period, the object and the catalogue version it used.

    Result rows are derived data, written only by assessment.services in bulk (about 200,000 per
    month at a million cases), so their references are kept by Django (on_delete) without database
    constraints: PostgreSQL checked two deferred foreign keys per row at commit, 3 s of a month's
    computation. The period's own index is the unique constraints' leading column."""

    period = models.ForeignKey(Period, verbose_name=_("周期"), on_delete=models.CASCADE, related_name="+",
                               db_constraint=False, db_index=False)
    object_type = models.CharField(_("考核对象"), max_length=16, choices=ObjectType.choices)
    level = models.CharField(_("层级"), max_length=12, blank=True,
                             help_text=_("区域：city/district/street/community/grid（网格ID属于单元网格表）；"
                                         "部门与岗位：所属层级"))
    object_id = models.PositiveBigIntegerField(_("对象ID"))
    # No index either: every row of a month has the same one or two catalogues, so the index only
    # costs its upkeep on each COPY (0.2 s of a month's); its one reader is the PROTECT check of
    # deleting a catalogue in the admin, a scan of the results that is rare and may take seconds.
    catalogue = models.ForeignKey(IndicatorCatalogue, verbose_name=_("指标体系"), on_delete=models.PROTECT,
                                  related_name="+", db_constraint=False, db_index=False)
    catalogue_version = models.PositiveIntegerField(_("指标体系版本"))
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        abstract = True


class Snapshot(ResultFields):
    """One indicator of one object in one period: its counters, rate and score, and a copy of the
    definition it was computed with (so a later catalogue change never rewrites history)."""

    # No index of its own (SlugField's default made two: btree and LIKE): every lookup by indicator
    # comes with the object or period first (snapshot_unique, snapshot_trend_idx), and the month's
    # 200,000 snapshots are COPYed through every index of this table.
    indicator_code = models.SlugField(_("指标代码"), max_length=40, db_index=False)
    indicator_name = models.CharField(_("指标"), max_length=40)
    kind = models.CharField(_("指标类型"), max_length=10, choices=IndicatorKind.choices, default=IndicatorKind.RATIO)
    numerator_key = models.CharField(_("分子"), max_length=200)
    denominator_key = models.CharField(_("分母"), max_length=200, blank=True)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices)
    weight = models.DecimalField(_("权重（%）"), max_digits=5, decimal_places=2)
    numerator = models.BigIntegerField(_("分子值"))
    denominator = models.BigIntegerField(_("分母值"), null=True, blank=True)
    rate = models.DecimalField(_("比率"), max_digits=12, decimal_places=6, null=True, blank=True,
                               help_text=_("分母为零时为空（不适用）"))
    value = models.DecimalField(_("指标值"), max_digits=16, decimal_places=6, null=True, blank=True,
                                help_text=_("按指标的舍入方式与小数位数发布的数值：比率为百分数，扣分、加分为分值"))
    target = models.DecimalField(_("目标值"), max_digits=10, decimal_places=2, null=True, blank=True)
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=2, null=True, blank=True,
                                help_text=_("扣分项为负，加分项为正"))
    applicable = models.BooleanField(_("适用"), default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("指标快照")
        verbose_name_plural = _("指标快照")
        ordering = ["period", "object_type", "object_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["period", "object_type", "level", "object_id", "indicator_code"],
                                    name="snapshot_unique"),
        ]
        indexes = [
            models.Index(fields=["object_type", "level", "object_id", "indicator_code"], name="snapshot_trend_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} {self.object_type}:{self.object_id} {self.indicator_code}"

    @property
    def percent(self):
        return None if self.rate is None else self.rate * 100


class Composite(ResultFields):
    """The object's result for the period: every counter, the composite score (综合指标值), the
    grade and the rank within its object type and level."""

    object_code = models.CharField(_("编码"), max_length=40, blank=True)
    object_name = models.CharField(_("名称"), max_length=150)
    parent_name = models.CharField(_("上级"), max_length=150, blank=True)
    district_id = models.PositiveBigIntegerField(_("所属区/县"), null=True, blank=True,
                                                 help_text=_("用于区级领导的查看范围"))
    counters = models.JSONField(_("计数项"), default=dict)
    score = models.DecimalField(_("综合指标值"), max_digits=5, decimal_places=2, null=True, blank=True)
    participating = models.BooleanField(_("参评"), default=True,
                                        help_text=_("工作量低于指标体系的参评门槛时为否：不计分、不定级、不排名"))
    grade = models.CharField(_("等级"), max_length=1, blank=True)
    rank = models.PositiveIntegerField(_("排名"), null=True, blank=True)
    ranked_count = models.PositiveIntegerField(_("参与排名数"), default=0)

    class Meta:
        verbose_name = _("综合评价结果")
        verbose_name_plural = _("综合评价结果")
        ordering = ["period", "object_type", "level", "rank", "object_code"]
        constraints = [
            models.UniqueConstraint(fields=["period", "object_type", "level", "object_id"], name="composite_unique"),
        ]
        indexes = [
            models.Index(fields=["period", "object_type", "level", "rank"], name="composite_ranking_idx"),
            models.Index(fields=["object_type", "level", "object_id"], name="composite_trend_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} {self.object_name} {self.score} {self.grade}"


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", _("定时任务")
    COMMAND = "command", _("命令行")
    MANUAL = "manual", _("页面/接口")
    FREEZE = "freeze", _("月末冻结")
    RECOMPUTE = "recompute", _("冻结后重算")


class ComputeRun(models.Model):
    """The log of computations: what was computed, when, with which catalogue, how many rows."""

    period = models.ForeignKey(Period, verbose_name=_("周期"), on_delete=models.CASCADE, related_name="runs")
    object_types = models.CharField(_("考核对象"), max_length=120)
    levels = models.CharField(_("层级"), max_length=80, blank=True)
    trigger = models.CharField(_("触发方式"), max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    task_name = models.CharField(_("任务"), max_length=80, blank=True)
    catalogue = models.ForeignKey(IndicatorCatalogue, verbose_name=_("指标体系"), on_delete=models.PROTECT,
                                  related_name="+")
    catalogue_version = models.PositiveIntegerField(_("指标体系版本"))
    started_at = models.DateTimeField(_("开始"))
    finished_at = models.DateTimeField(_("结束"))
    snapshots = models.PositiveIntegerField(_("快照数"), default=0)
    composites = models.PositiveIntegerField(_("对象数"), default=0)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("计算记录")
        verbose_name_plural = _("计算记录")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.period} {self.object_types} @ {self.started_at:%Y-%m-%d %H:%M}"


class RecomputeAudit(models.Model):
    """A frozen period recomputed on request: who, when, why, with which catalogue, and which
    objects' composite or grade changed (before → after)."""

    period = models.ForeignKey(Period, verbose_name=_("周期"), on_delete=models.PROTECT, related_name="recomputes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT,
                              related_name="+")
    note = models.TextField(_("重算理由"))
    created_at = models.DateTimeField(_("时间"))
    catalogue = models.ForeignKey(IndicatorCatalogue, verbose_name=_("指标体系"), on_delete=models.PROTECT,
                                  related_name="+")
    catalogue_version = models.PositiveIntegerField(_("指标体系版本"))
    previous_versions = models.JSONField(_("原指标体系版本"), default=list)
    changes = models.JSONField(_("变化"), default=list,
                               help_text=_("[{object_type, object_id, name, before: [score, grade], after: [...]}]"))
    run = models.ForeignKey(ComputeRun, verbose_name=_("计算记录"), null=True, on_delete=models.SET_NULL,
                            related_name="+")

    class Meta:
        verbose_name = _("冻结周期重算记录")
        verbose_name_plural = _("冻结周期重算记录")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.period} · {self.actor} · {self.created_at:%Y-%m-%d %H:%M}"


class BeatScheduleEntry(Period):
    """No table of its own: the admin lists the configured Celery beat schedule (settings
    CELERY_BEAT_SCHEDULE) through this proxy, read-only. django-celery-beat is not needed."""

    class Meta:
        proxy = True
        verbose_name = _("定时任务（只读）")
        verbose_name_plural = _("定时任务（只读）")


class Bulletin(models.Model):
    """A bulletin as issued (通报, 第 N 期): numbered per year and kind, one per period, and archived:
    the article's text as rendered at issue time and the figures of its tables, so that reading it
    later shows what was issued even when the results have since been recomputed."""

    kind = models.CharField(_("通报类型"), max_length=8, choices=PeriodKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveIntegerField(_("期号"))
    period = models.OneToOneField(Period, verbose_name=_("周期"), on_delete=models.PROTECT, related_name="bulletin")
    title = models.CharField(_("标题"), max_length=200)
    html = models.TextField(_("正文（印发时）"))
    figures = models.JSONField(_("数据（印发时）"), default=dict)
    issued_at = models.DateTimeField(_("印发时间"))

    class Meta:
        verbose_name = _("通报")
        verbose_name_plural = _("通报")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "number"], name="bulletin_number_unique"),
        ]

    def __str__(self) -> str:
        return self.title
