"""Output serializers of the registry's read API, and the query serializers of the locate and
ownership endpoints. Every field reads from columns the view's queryset has already joined."""
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import ModelSerializer

from ..models import (
    Component,
    Department,
    DepartmentType,
    MajorClass,
    MinorClass,
    OwnershipRule,
    Region,
    ResponsibilityGrid,
    UnitGrid,
    User,
)

GEOJSON_POLYGON_SCHEMA = {
    "type": "object",
    "description": "GeoJSON Polygon / MultiPolygon（WGS-84 经纬度）",
    "properties": {
        "type": {"type": "string", "enum": ["Polygon", "MultiPolygon"]},
        "coordinates": {"type": "array", "items": {"type": "array"}},
    },
    "required": ["type", "coordinates"],
}


@extend_schema_field(GEOJSON_POLYGON_SCHEMA)
class GeoJSONField(serializers.JSONField):
    """A stored GeoJSON geometry, passed through as an object."""


class ErrorOutput(serializers.Serializer):
    detail = serializers.CharField()


class RegionBriefOutput(ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name"]


class RegionOutput(ModelSerializer):
    level_display = serializers.CharField(source="get_level_display")
    parent_code = serializers.CharField(source="parent.code", default=None)

    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "level_display", "parent", "parent_code"]


class UnitGridOutput(ModelSerializer):
    community_code = serializers.CharField(source="community.code")
    community_name = serializers.CharField(source="community.name")
    street_code = serializers.CharField(source="street.code")
    district_code = serializers.CharField(source="district.code")
    responsibility_grid_code = serializers.CharField(source="responsibility_grid.code", default=None)
    geometry = GeoJSONField()
    bbox = serializers.SerializerMethodField(help_text=_("[最小经度, 最小纬度, 最大经度, 最大纬度]"))
    center = serializers.SerializerMethodField(help_text=_("[经度, 纬度]，位于网格内"))

    class Meta:
        model = UnitGrid
        fields = ["id", "code", "community", "community_code", "community_name", "street", "street_code",
                  "district", "district_code", "responsibility_grid", "responsibility_grid_code", "area_m2",
                  "bbox", "center", "geometry", "updated_at"]

    @extend_schema_field(serializers.ListField(child=serializers.FloatField(), min_length=4, max_length=4))
    def get_bbox(self, obj: UnitGrid) -> list[float]:
        return [obj.min_lon, obj.min_lat, obj.max_lon, obj.max_lat]

    @extend_schema_field(serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2))
    def get_center(self, obj: UnitGrid) -> list[float]:
        return [obj.center_lon, obj.center_lat]


class CollectorOutput(ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name", "phone"]

    def get_name(self, obj: User) -> str:
        return obj.display_name


class ResponsibilityGridOutput(ModelSerializer):
    district_code = serializers.CharField(source="district.code")
    district_name = serializers.CharField(source="district.name")
    patrol_class_display = serializers.CharField(source="get_patrol_class_display")
    collectors = CollectorOutput(many=True)
    unit_grid_codes = serializers.SerializerMethodField()

    class Meta:
        model = ResponsibilityGrid
        fields = ["id", "code", "name", "district", "district_code", "district_name", "patrol_class",
                  "patrol_class_display", "patrol_times", "collectors", "unit_grid_codes"]

    def get_unit_grid_codes(self, obj: ResponsibilityGrid) -> list[str]:
        return [grid.code for grid in obj.unit_grids.all()]


class MajorClassOutput(ModelSerializer):
    minor_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = MajorClass
        fields = ["id", "edition", "kind", "code", "name", "is_local", "minor_count"]


class MinorClassOutput(ModelSerializer):
    major_code = serializers.CharField(source="major.code")
    major_name = serializers.CharField(source="major.name")
    department_type_code = serializers.CharField(source="department_type.code", default=None)
    department_type_name = serializers.CharField(source="department_type.name", default=None)

    class Meta:
        model = MinorClass
        fields = ["id", "edition", "kind", "code", "name", "major", "major_code", "major_name", "is_local",
                  "is_active", "filing_conditions", "closure_condition", "limit_unit", "limit_normal",
                  "limit_urgent", "limit_engineering", "limits_are_default", "department_type",
                  "department_type_code", "department_type_name"]


class DepartmentTypeOutput(ModelSerializer):
    class Meta:
        model = DepartmentType
        fields = ["id", "code", "name"]


class DepartmentOutput(ModelSerializer):
    level_display = serializers.CharField(source="get_level_display")
    region_code = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    department_type_code = serializers.CharField(source="department_type.code", default=None)
    department_type_name = serializers.CharField(source="department_type.name", default=None)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "level", "level_display", "parent", "region", "region_code",
                  "region_name", "department_type", "department_type_code", "department_type_name", "is_active"]


class DepartmentBriefOutput(ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name", "level", "region"]


class OwnershipRuleOutput(ModelSerializer):
    edition = serializers.CharField(source="major.edition")
    kind = serializers.CharField(source="major.kind")
    major_code = serializers.CharField(source="major.code")
    major_name = serializers.CharField(source="major.name")
    minor_code = serializers.CharField(source="minor.code", default=None)
    minor_name = serializers.CharField(source="minor.name", default=None)
    region_code = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    department_code = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.name")

    class Meta:
        model = OwnershipRule
        fields = ["id", "edition", "kind", "major", "major_code", "major_name", "minor", "minor_code",
                  "minor_name", "region", "region_code", "region_name", "department", "department_code",
                  "department_name", "note"]


class ComponentOutput(ModelSerializer):
    edition = serializers.CharField(source="minor.edition")
    minor_code = serializers.CharField(source="minor.code")
    minor_name = serializers.CharField(source="minor.name")
    unit_grid_code = serializers.CharField(source="unit_grid.code")
    district = serializers.IntegerField(source="unit_grid.district_id")
    status_display = serializers.CharField(source="get_status_display")
    competent_department_name = serializers.CharField(source="competent_department.name", default=None)
    owner_department_name = serializers.CharField(source="owner_department.name", default=None)
    maintainer_department_name = serializers.CharField(source="maintainer_department.name", default=None)

    class Meta:
        model = Component
        fields = ["id", "code", "name", "edition", "minor", "minor_code", "minor_name", "lon", "lat", "unit_grid",
                  "unit_grid_code", "district", "status", "status_display", "in_use", "competent_department",
                  "competent_department_name", "owner_department", "owner_department_name",
                  "maintainer_department", "maintainer_department_name", "surveyed_on", "changed_on",
                  "data_source", "photo"]


# --- locate and ownership ---------------------------------------------------------------------------

def _with_label(message, label):
    """`message % label`, formatted when the error is shown, so that it is in the request's language
    (formatting a lazy string at import time would fix the language of the import)."""
    return lazy(lambda: str(message) % {"label": label}, str)()


def _coordinate(label, low: float, high: float, **kwargs) -> serializers.FloatField:
    return serializers.FloatField(
        label=label, min_value=low, max_value=high,
        error_messages={
            "required": _with_label(_("请提供%(label)s。"), label),
            "invalid": _with_label(_("%(label)s应为数字。"), label),
            "min_value": _with_label(_("%(label)s不能小于 {min_value}。"), label),
            "max_value": _with_label(_("%(label)s不能大于 {max_value}。"), label),
        },
        **kwargs,
    )


class LocateQuery(serializers.Serializer):
    lon = _coordinate(_("经度"), -180, 180, help_text=_("WGS-84 经度"))
    lat = _coordinate(_("纬度"), -90, 90, help_text=_("WGS-84 纬度"))


class ResponsibilityGridBriefOutput(ModelSerializer):
    class Meta:
        model = ResponsibilityGrid
        fields = ["id", "code", "name", "patrol_class", "patrol_times"]


class LocationOutput(serializers.Serializer):
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    unit_grid_id = serializers.IntegerField()
    unit_grid_code = serializers.CharField()
    community_id = serializers.IntegerField()
    street_id = serializers.IntegerField()
    district_id = serializers.IntegerField()
    responsibility_grid_id = serializers.IntegerField(allow_null=True)
    community = RegionBriefOutput()
    street = RegionBriefOutput()
    district = RegionBriefOutput()
    responsibility_grid = ResponsibilityGridBriefOutput(allow_null=True)
    collectors = CollectorOutput(many=True, help_text=_("该责任网格的在岗监督员（建议派发核实、核查任务的对象）"))


class OwnershipQuery(serializers.Serializer):
    minor = serializers.IntegerField(label=_("小类"), help_text=_("小类 id"), error_messages={
        "required": _("请提供小类 minor。"), "invalid": _("小类 minor 应为整数 id。")})
    lon = _coordinate(_("经度"), -180, 180, required=False, help_text=_("WGS-84 经度；给出部件时可省略"))
    lat = _coordinate(_("纬度"), -90, 90, required=False, help_text=_("WGS-84 纬度；给出部件时可省略"))
    component = serializers.CharField(label=_("部件标识码"), required=False, max_length=17,
                                      help_text=_("部件标识码（16 或 17 位）；先看部件登记的权属单位和主管部门"))

    def validate(self, attrs):
        if "component" not in attrs and ("lon" not in attrs or "lat" not in attrs):
            raise serializers.ValidationError(_("请提供经纬度 lon、lat，或部件标识码 component。"))
        if ("lon" in attrs) != ("lat" in attrs):
            raise serializers.ValidationError(_("经度 lon 和纬度 lat 须同时提供。"))
        return attrs


class MinorBriefOutput(ModelSerializer):
    class Meta:
        model = MinorClass
        fields = ["id", "edition", "kind", "code", "name"]


class UnitGridBriefOutput(ModelSerializer):
    class Meta:
        model = UnitGrid
        fields = ["id", "code"]


class OwnershipOutput(serializers.Serializer):
    unknown = serializers.BooleanField(help_text=_("为 true 时权属不明：须由派遣员确认责任单位，系统不作猜测"))
    basis = serializers.ChoiceField(
        choices=["component_owner", "component_competent", "rule_minor", "rule_major", "unknown"],
        help_text=_("依据：部件权属单位、部件主管部门、小类规则、大类规则或不明"))
    explanation = serializers.CharField()
    department = DepartmentBriefOutput(allow_null=True)
    minor = MinorBriefOutput()
    unit_grid = UnitGridBriefOutput()
    component = serializers.CharField(allow_null=True)

