"""The registry: regions, unit and responsibility grids, classification, departments, ownership,
components and the people who work the grid (the user model carries each person's role and scope).

Geometry is stored as GeoJSON in a JSON column plus a bounding box, so the same schema runs on
SQLite and PostgreSQL; spatial questions are answered by grids.locator's in-memory index.
"""
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.display import person_name
from core.pinyin import pinyin_search_text
from grids.codes import component_code_validate


class Role(models.TextChoices):
    COLLECTOR = "collector", _("监督员")
    OPERATOR = "operator", _("受理员")
    SHIFT_LEADER = "shift_leader", _("值班长")
    DISPATCHER = "dispatcher", _("派遣员")
    HANDLER = "handler", _("专业部门")
    HOTLINE_AGENT = "hotline_agent", _("热线坐席")
    MANAGER = "manager", _("领导")
    ADMIN = "admin", _("系统管理员")


class RegionLevel(models.IntegerChoices):
    CITY = 1, _("市")
    DISTRICT = 2, _("区/县")
    STREET = 3, _("街道/乡镇")
    COMMUNITY = 4, _("社区/村")


# Regions, roads and places keep their names' pinyin keys beside them (core.pinyin), so the map's
# search matches "frzl" or "furong" in SQL, in the queries it already makes (grids.mapping).
PINYIN_HELP = _("名称（及别名）的拼音首字母和全拼，保存时自动生成，供地图搜索")


def _pinyin_keep(row: models.Model, name: str, save_kwargs: dict, *more_names: str) -> None:
    """Refresh a row's `name_pinyin` before it is saved (also when only some fields are). Rows
    written in bulk (importers, the demo city) set it themselves with core.pinyin.pinyin_search_text."""
    row.name_pinyin = pinyin_search_text(name, *more_names)
    fields = save_kwargs.get("update_fields")
    if fields is not None and "name_pinyin" not in fields:
        save_kwargs["update_fields"] = [*fields, "name_pinyin"]


class Region(models.Model):
    """A node of the administrative tree. Codes: 6 digits (GB/T 2260) for city and district,
    then +3 for a street and +3 for a community."""

    code = models.CharField(_("行政区划代码"), max_length=12, unique=True,
                            validators=[RegexValidator(r"^(\d{6}|\d{9}|\d{12})$", _("区划代码应为6、9或12位数字"))])
    name = models.CharField(_("名称"), max_length=64)
    level = models.PositiveSmallIntegerField(_("层级"), choices=RegionLevel.choices, db_index=True)
    parent = models.ForeignKey("self", verbose_name=_("上级"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    name_pinyin = models.TextField(_("拼音检索键"), blank=True, default="", editable=False,
                                   help_text=PINYIN_HELP)

    class Meta:
        verbose_name = _("行政区域")
        verbose_name_plural = _("行政区域")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def save(self, *args, **kwargs):
        _pinyin_keep(self, self.name, kwargs)
        super().save(*args, **kwargs)


unit_grid_code_validator = RegexValidator(
    r"^\d{14,15}$", _("单元网格代码应为15位（县6+街道3+社区3+序号3），旧数据可为14位（序号2位）")
)


class UnitGrid(models.Model):
    """万米单元网格: the smallest closed polygon, inside one community. The district and street are
    kept beside the community so that scope filters need no join up the tree."""

    code = models.CharField(_("网格代码"), max_length=15, unique=True, validators=[unit_grid_code_validator])
    community = models.ForeignKey(Region, verbose_name=_("社区"), on_delete=models.PROTECT,
                                  related_name="unit_grids", limit_choices_to={"level": RegionLevel.COMMUNITY})
    street = models.ForeignKey(Region, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(Region, verbose_name=_("区/县"), on_delete=models.PROTECT, related_name="+")
    responsibility_grid = models.ForeignKey("ResponsibilityGrid", verbose_name=_("责任网格"), null=True,
                                            blank=True, on_delete=models.SET_NULL, related_name="unit_grids")
    geometry = models.JSONField(_("边界（GeoJSON，WGS-84）"))
    area_m2 = models.FloatField(_("面积（平方米）"))
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    center_lon = models.FloatField()
    center_lat = models.FloatField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("单元网格")
        verbose_name_plural = _("单元网格")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class PatrolClass(models.TextChoices):
    A = "A", _("A类（高频巡查）")
    B = "B", _("B类")
    C = "C", _("C类")
    D = "D", _("D类（低频巡查）")


class ResponsibilityGrid(models.Model):
    """责任网格: adjacent unit grids patrolled by one or more collectors."""

    code = models.CharField(_("责任网格编号"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    district = models.ForeignKey(Region, verbose_name=_("区/县"), on_delete=models.PROTECT, related_name="+")
    patrol_class = models.CharField(_("巡查等级"), max_length=1, choices=PatrolClass.choices, default=PatrolClass.B)
    patrol_times = models.CharField(_("巡查时段"), max_length=120, blank=True, default="08:30-12:00,14:00-18:00")
    collectors = models.ManyToManyField("User", verbose_name=_("监督员"), blank=True,
                                        related_name="responsibility_grids")

    class Meta:
        verbose_name = _("责任网格")
        verbose_name_plural = _("责任网格")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Edition(models.TextChoices):
    LEGACY = "legacy4", _("CJ/T 214-2007 / GB/T 30428.2-2013（4位）")
    STD2026 = "std2026", _("GB/T 47678.5-2026（5位）")


class ClassKind(models.TextChoices):
    COMPONENT = "component", _("部件")
    EVENT = "event", _("事件")
    MATTER = "matter", _("管理事项")


# What each edition of the standard classifies, and how long its minor codes are.
EDITION_KINDS = {
    Edition.LEGACY: (ClassKind.COMPONENT, ClassKind.EVENT),
    Edition.STD2026: (ClassKind.COMPONENT, ClassKind.MATTER),
}
EDITION_MINOR_LENGTH = {Edition.LEGACY: 4, Edition.STD2026: 5}
# A city's own major classes take the codes from 21 up; below are the standard's.
LOCAL_MAJOR_FROM = 21


class MajorClass(models.Model):
    edition = models.CharField(_("标准版本"), max_length=8, choices=Edition.choices)
    kind = models.CharField(_("类型"), max_length=10, choices=ClassKind.choices)
    code = models.CharField(_("大类代码"), max_length=2, validators=[RegexValidator(r"^\d{2}$")])
    name = models.CharField(_("名称"), max_length=64)
    is_local = models.BooleanField(_("地方扩展"), default=False)

    class Meta:
        verbose_name = _("大类")
        verbose_name_plural = _("大类")
        ordering = ["edition", "kind", "code"]
        constraints = [models.UniqueConstraint(fields=["edition", "kind", "code"], name="major_class_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LimitUnit(models.TextChoices):
    WORK_HOURS = "work_hours", _("工作时")
    WORK_DAYS = "work_days", _("工作日")


class DepartmentType(models.Model):
    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)

    class Meta:
        verbose_name = _("部门类型")
        verbose_name_plural = _("部门类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class MinorClass(models.Model):
    """小类, with the rules a city sets for it: filing and closure conditions, time limits per
    urgency, and the type of department that handles it. `limits_are_default` says the figures
    are the project's shipped defaults rather than the city's own."""

    major = models.ForeignKey(MajorClass, verbose_name=_("大类"), on_delete=models.PROTECT, related_name="minors")
    edition = models.CharField(_("标准版本"), max_length=8, choices=Edition.choices, db_index=True)
    kind = models.CharField(_("类型"), max_length=10, choices=ClassKind.choices, db_index=True)
    code = models.CharField(_("小类代码"), max_length=5, validators=[RegexValidator(r"^\d{4,5}$")])
    name = models.CharField(_("名称"), max_length=64)
    is_local = models.BooleanField(_("地方扩展"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    filing_conditions = models.TextField(_("立案条件"), blank=True)
    closure_condition = models.TextField(_("结案条件"), blank=True)
    limit_unit = models.CharField(_("时限单位"), max_length=10, choices=LimitUnit.choices,
                                  default=LimitUnit.WORK_HOURS)
    limit_normal = models.PositiveIntegerField(_("一般时限"), default=24)
    limit_urgent = models.PositiveIntegerField(_("紧急时限"), default=2)
    limit_engineering = models.PositiveIntegerField(_("工程性时限"), default=80)
    limits_are_default = models.BooleanField(_("时限为系统默认值"), default=True)
    department_type = models.ForeignKey(DepartmentType, verbose_name=_("处置部门类型"), null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="classes")

    class Meta:
        verbose_name = _("小类")
        verbose_name_plural = _("小类")
        ordering = ["edition", "kind", "code"]
        constraints = [models.UniqueConstraint(fields=["edition", "kind", "code"], name="minor_class_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def major_code(self) -> str:
        return self.code[:2]


class DepartmentLevel(models.IntegerChoices):
    CITY = 1, _("市级")
    DISTRICT = 2, _("区级")
    STREET = 3, _("街道级")


class Department(models.Model):
    code = models.CharField(_("部门编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=DepartmentLevel.choices)
    parent = models.ForeignKey("self", verbose_name=_("上级部门"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    region = models.ForeignKey(Region, verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="departments")
    department_type = models.ForeignKey(DepartmentType, verbose_name=_("部门类型"), null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="departments")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class OwnershipRule(models.Model):
    """Which department handles a class in a region (and every region below it). A rule without a
    minor class covers the whole major class. The most specific region wins, then the minor over
    the major; see grids.selectors.ownership_resolve."""

    major = models.ForeignKey(MajorClass, verbose_name=_("大类"), on_delete=models.CASCADE, related_name="+")
    minor = models.ForeignKey(MinorClass, verbose_name=_("小类"), null=True, blank=True, on_delete=models.CASCADE,
                              related_name="ownership_rules")
    region = models.ForeignKey(Region, verbose_name=_("区域"), on_delete=models.CASCADE, related_name="ownership_rules")
    department = models.ForeignKey(Department, verbose_name=_("责任部门"), on_delete=models.CASCADE,
                                   related_name="ownership_rules")
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("权属规则")
        verbose_name_plural = _("权属规则")
        constraints = [
            models.UniqueConstraint(fields=["major", "minor", "region"], name="ownership_rule_unique_minor",
                                    condition=Q(minor__isnull=False)),
            models.UniqueConstraint(fields=["major", "region"], name="ownership_rule_unique_major",
                                    condition=Q(minor__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.minor or self.major} @ {self.region.name} → {self.department}"


class ComponentStatus(models.TextChoices):
    INTACT = "intact", _("完好")
    DAMAGED = "damaged", _("破损")
    LOST = "lost", _("丢失")
    OCCUPIED = "occupied", _("占用")
    ABANDONED = "abandoned", _("废弃")
    RETIRED = "retired", _("已注销")  # removed by a census update; kept for the cases that name it


component_code_validator = RegexValidator(
    r"^\d{16,17}$", _("部件标识码应为16位（县6+大类2+小类2+序号6），5位分类为17位")
)


class Component(models.Model):
    code = models.CharField(_("部件标识码"), max_length=17, unique=True, validators=[component_code_validator])
    minor = models.ForeignKey(MinorClass, verbose_name=_("小类"), on_delete=models.PROTECT, related_name="components")
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    unit_grid = models.ForeignKey(UnitGrid, verbose_name=_("单元网格"), on_delete=models.PROTECT,
                                  related_name="components")
    status = models.CharField(_("状态"), max_length=10, choices=ComponentStatus.choices, default=ComponentStatus.INTACT)
    in_use = models.BooleanField(_("在用"), default=True)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    competent_department = models.ForeignKey(Department, verbose_name=_("主管部门"), null=True, blank=True,
                                             on_delete=models.SET_NULL, related_name="+")
    owner_department = models.ForeignKey(Department, verbose_name=_("权属单位"), null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    maintainer_department = models.ForeignKey(Department, verbose_name=_("养护单位"), null=True, blank=True,
                                              on_delete=models.SET_NULL, related_name="+")
    surveyed_on = models.DateField(_("普查日期"), null=True, blank=True)
    changed_on = models.DateField(_("变更日期"), null=True, blank=True)
    data_source = models.CharField(_("数据来源"), max_length=64, blank=True)
    photo = models.ImageField(_("照片"), upload_to="components/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("部件")
        verbose_name_plural = _("部件")
        ordering = ["code"]
        indexes = [models.Index(fields=["lon", "lat"], name="component_point_idx")]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        """The identity code must agree with the class and with the district of the unit grid."""
        if not self.code or self.minor_id is None:
            return
        district_code = None
        if self.unit_grid_id is not None:
            district_code = (UnitGrid.objects.filter(pk=self.unit_grid_id)
                             .values_list("district__code", flat=True).first())
        try:
            component_code_validate(self.code, minor=self.minor, district_code=district_code)
        except ValidationError as exc:
            raise ValidationError({"code": exc.messages}) from None


class User(AbstractUser):
    """A person of the command center. `region` is the scope (empty = the whole city); a department
    handler also has `department`, and sees only the cases sent to it."""

    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.OPERATOR, db_index=True)
    region = models.ForeignKey(Region, verbose_name=_("管辖区域"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="staff", help_text=_("为空表示全市"))
    department = models.ForeignKey(Department, verbose_name=_("所属部门"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="staff")
    phone = models.CharField(_("电话"), max_length=20, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    @property
    def is_city_level(self) -> bool:
        return self.region_id is None or (self.region is not None and self.region.level == RegionLevel.CITY)

    def get_full_name(self) -> str:
        """The name as people write it: family name first for a Chinese name ("孙波玉", where
        Django would write "波玉 孙"). Every page, export and API shows names through this or
        core.display.person_name (for rows read with values())."""
        return person_name(family=self.last_name, given=self.first_name)

    @property
    def display_name(self) -> str:
        """The name, or the username for an account without one."""
        return self.get_full_name() or self.username


class GridIndexVersion(models.Model):
    """A single counter bumped whenever unit grids change, so every process's locator knows when
    to rebuild its in-memory index."""

    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("网格索引版本")
        verbose_name_plural = _("网格索引版本")

    def __str__(self) -> str:
        return f"v{self.version}"


# --- The map registry: roads, places and the offline basemap's features --------------------------------

class RoadKind(models.TextChoices):
    ARTERIAL = "arterial", _("主干路")
    SECONDARY = "secondary", _("次干路")
    BRANCH = "branch", _("支路")


class Road(models.Model):
    """A named road (路/街/巷) as a GeoJSON LineString or MultiLineString in WGS-84. The bounding box
    beside the geometry lets a map ask for the roads of a view without a spatial database."""

    name = models.CharField(_("道路名称"), max_length=64, db_index=True)
    kind = models.CharField(_("道路等级"), max_length=10, choices=RoadKind.choices, default=RoadKind.BRANCH)
    district = models.ForeignKey(Region, verbose_name=_("区/县"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="roads")
    geometry = models.JSONField(_("中心线（GeoJSON，WGS-84）"))
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    name_pinyin = models.TextField(_("拼音检索键"), blank=True, default="", editable=False,
                                   help_text=PINYIN_HELP)

    class Meta:
        verbose_name = _("道路")
        verbose_name_plural = _("道路")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["min_lon", "max_lon", "min_lat", "max_lat"], name="road_bbox_idx")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        _pinyin_keep(self, self.name, kwargs)
        super().save(*args, **kwargs)


class PlaceKind(models.TextChoices):
    COMMUNITY = "community", _("小区/社区")
    LANDMARK = "landmark", _("地标")
    POI = "poi", _("兴趣点")


class Place(models.Model):
    """A place the city registers by name (a residential compound, a landmark, a school, a market),
    found by the map's search under its name or any of its aliases."""

    name = models.CharField(_("名称"), max_length=100, db_index=True)
    kind = models.CharField(_("类型"), max_length=10, choices=PlaceKind.choices, default=PlaceKind.LANDMARK)
    aliases = models.CharField(_("别名"), max_length=200, blank=True, help_text=_("多个别名以顿号或逗号分隔"))
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    district = models.ForeignKey(Region, verbose_name=_("区/县"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="places")
    name_pinyin = models.TextField(_("拼音检索键"), blank=True, default="", editable=False,
                                   help_text=PINYIN_HELP)

    class Meta:
        verbose_name = _("地名/地标")
        verbose_name_plural = _("地名/地标")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["lon", "lat"], name="place_point_idx")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        _pinyin_keep(self, self.name, kwargs, self.aliases)
        super().save(*args, **kwargs)


class BasemapKind(models.TextChoices):
    BLOCK = "block", _("街区")
    BUILDING = "building", _("建筑")
    WATER = "water", _("水域")
    GREEN = "green", _("绿地")


class BasemapFeature(models.Model):
    """A polygon the offline basemap draws under the grids: a block, a building footprint, water or
    a park. Only drawn; nothing is located against it."""

    kind = models.CharField(_("类型"), max_length=10, choices=BasemapKind.choices, db_index=True)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    geometry = models.JSONField(_("边界（GeoJSON，WGS-84）"))
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()

    class Meta:
        verbose_name = _("底图要素")
        verbose_name_plural = _("底图要素")
        ordering = ["kind", "pk"]
        indexes = [models.Index(fields=["min_lon", "max_lon", "min_lat", "max_lat"], name="basemap_bbox_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}".strip()


class ComponentHistory(models.Model):
    """A component's values before a census update changed or retired it (grids.importers.census):
    one row per component and update, with only the fields that changed, as they were."""

    class Action(models.TextChoices):
        CHANGED = "changed", _("变更")
        RETIRED = "retired", _("注销")

    component = models.ForeignKey(Component, verbose_name=_("部件"), on_delete=models.CASCADE, related_name="history")
    update_id = models.UUIDField(_("更新批次"), db_index=True)
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    previous = models.JSONField(_("原值"))
    current = models.JSONField(_("新值"))
    source = models.CharField(_("来源文件"), max_length=200, blank=True)
    changed_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("部件变更记录")
        verbose_name_plural = _("部件变更记录")
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.component_id} {self.action} {self.changed_at:%Y-%m-%d}"
