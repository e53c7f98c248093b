"""Query-string filters of the registry's read API (django-filter). Foreign keys are filtered by id
with plain number filters: no lookup query to validate the id, an unknown id simply matches nothing."""
import django_filters as filters
from django.utils.translation import gettext_lazy as _

from core.filters import BooleanFilter, FilterSet, IdFilter

from ..models import (
    ClassKind,
    Component,
    ComponentStatus,
    Department,
    DepartmentLevel,
    Edition,
    MajorClass,
    MinorClass,
    OwnershipRule,
    PatrolClass,
    Region,
    RegionLevel,
    ResponsibilityGrid,
    UnitGrid,
)


class RegionFilter(FilterSet):
    level = filters.ChoiceFilter(choices=RegionLevel.choices, label=_("层级"))
    parent = IdFilter(field_name="parent_id", label=_("上级区域 id"))
    code = filters.CharFilter(label=_("行政区划代码"))
    code_prefix = filters.CharFilter(field_name="code", lookup_expr="startswith", label=_("代码前缀"))

    class Meta:
        model = Region
        fields = ["level", "parent", "code", "code_prefix"]


class UnitGridFilter(FilterSet):
    community = IdFilter(field_name="community_id", label=_("社区 id"))
    street = IdFilter(field_name="street_id", label=_("街道 id"))
    district = IdFilter(field_name="district_id", label=_("区/县 id"))
    responsibility_grid = IdFilter(field_name="responsibility_grid_id", label=_("责任网格 id"))
    code = filters.CharFilter(label=_("网格代码"))
    code_prefix = filters.CharFilter(field_name="code", lookup_expr="startswith", label=_("网格代码前缀"))

    class Meta:
        model = UnitGrid
        fields = ["community", "street", "district", "responsibility_grid", "code", "code_prefix"]


class ResponsibilityGridFilter(FilterSet):
    district = IdFilter(field_name="district_id", label=_("区/县 id"))
    patrol_class = filters.ChoiceFilter(choices=PatrolClass.choices, label=_("巡查等级"))
    code = filters.CharFilter(label=_("责任网格编号"))
    collector = IdFilter(field_name="collectors", label=_("监督员 id"), distinct=True)

    class Meta:
        model = ResponsibilityGrid
        fields = ["district", "patrol_class", "code", "collector"]


class MajorClassFilter(FilterSet):
    edition = filters.ChoiceFilter(choices=Edition.choices, label=_("标准版本"))
    kind = filters.ChoiceFilter(choices=ClassKind.choices, label=_("类型"))
    code = filters.CharFilter(label=_("大类代码"))
    is_local = BooleanFilter(label=_("地方扩展"))

    class Meta:
        model = MajorClass
        fields = ["edition", "kind", "code", "is_local"]


class MinorClassFilter(FilterSet):
    edition = filters.ChoiceFilter(choices=Edition.choices, label=_("标准版本"))
    kind = filters.ChoiceFilter(choices=ClassKind.choices, label=_("类型"))
    major = IdFilter(field_name="major_id", label=_("大类 id"))
    major_code = filters.CharFilter(field_name="major__code", label=_("大类代码"))
    code = filters.CharFilter(label=_("小类代码"))
    is_active = BooleanFilter(label=_("启用"))
    is_local = BooleanFilter(label=_("地方扩展"))
    department_type = filters.CharFilter(field_name="department_type__code", label=_("处置部门类型代码"))

    class Meta:
        model = MinorClass
        fields = ["edition", "kind", "major", "major_code", "code", "is_active", "is_local", "department_type"]


class DepartmentFilter(FilterSet):
    level = filters.ChoiceFilter(choices=DepartmentLevel.choices, label=_("层级"))
    region = IdFilter(field_name="region_id", label=_("所属区域 id"))
    parent = IdFilter(field_name="parent_id", label=_("上级部门 id"))
    type = filters.CharFilter(field_name="department_type__code", label=_("部门类型代码"))
    department_type = IdFilter(field_name="department_type_id", label=_("部门类型 id"))
    is_active = BooleanFilter(label=_("启用"))

    class Meta:
        model = Department
        fields = ["level", "region", "parent", "type", "department_type", "is_active"]


class OwnershipRuleFilter(FilterSet):
    edition = filters.ChoiceFilter(field_name="major__edition", choices=Edition.choices, label=_("标准版本"))
    major = IdFilter(field_name="major_id", label=_("大类 id"))
    minor = IdFilter(field_name="minor_id", label=_("小类 id"))
    region = IdFilter(field_name="region_id", label=_("区域 id"))
    department = IdFilter(field_name="department_id", label=_("责任部门 id"))
    major_only = BooleanFilter(field_name="minor", lookup_expr="isnull", label=_("仅大类规则"))

    class Meta:
        model = OwnershipRule
        fields = ["edition", "major", "minor", "region", "department", "major_only"]


class ComponentFilter(FilterSet):
    minor = IdFilter(field_name="minor_id", label=_("小类 id"))
    minor_code = filters.CharFilter(field_name="minor__code", label=_("小类代码"))
    edition = filters.ChoiceFilter(field_name="minor__edition", choices=Edition.choices, label=_("标准版本"))
    code = filters.CharFilter(label=_("部件标识码"))
    unit_grid = IdFilter(field_name="unit_grid_id", label=_("单元网格 id"))
    district = IdFilter(field_name="unit_grid__district_id", label=_("区/县 id"))
    street = IdFilter(field_name="unit_grid__street_id", label=_("街道 id"))
    community = IdFilter(field_name="unit_grid__community_id", label=_("社区 id"))
    status = filters.ChoiceFilter(choices=ComponentStatus.choices, label=_("状态"))
    in_use = BooleanFilter(label=_("在用"))
    owner_unknown = BooleanFilter(field_name="owner_department", lookup_expr="isnull",
                                          label=_("未登记权属单位"))

    class Meta:
        model = Component
        fields = ["minor", "minor_code", "edition", "code", "unit_grid", "district", "street", "community",
                  "status", "in_use", "owner_unknown"]
