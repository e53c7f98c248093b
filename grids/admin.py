"""Django admin of the registry. Every changelist joins what it shows (list_select_related or an
annotation), so it costs the same few queries whatever the page size; big foreign keys use
autocomplete or raw-id widgets instead of drop-downs of thousands of rows."""
import hashlib
import secrets
import tempfile
from pathlib import Path

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from core.errors import ApplicationError

from .importers.census import census_apply, census_plan
from .importers.tabular import format_from_name
from .locator import grid_index_bump
from .models import (
    BasemapFeature,
    Component,
    ComponentHistory,
    Department,
    DepartmentType,
    GridIndexVersion,
    MajorClass,
    MinorClass,
    OwnershipRule,
    Place,
    Region,
    RegionLevel,
    ResponsibilityGrid,
    Road,
    Role,
    UnitGrid,
    User,
)


class RegionOfLevelFilter(admin.SimpleListFilter):
    """A filter over the regions of one level only (a plain related filter would list every
    community of the city). `field` is the lookup to filter on."""

    level: int = RegionLevel.DISTRICT
    field = "district"

    def lookups(self, request, model_admin):
        return [(str(pk), f"{name}（{code}）")
                for pk, code, name in Region.objects.filter(level=self.level).values_list("pk", "code", "name")]

    def queryset(self, request, queryset):
        if self.value():
            if not self.value().isdigit():
                return queryset.none()
            return queryset.filter(**{f"{self.field}_id": self.value()})
        return queryset


class DistrictFilter(RegionOfLevelFilter):
    title = _("区/县")
    parameter_name = "district"


class StreetFilter(RegionOfLevelFilter):
    title = _("街道")
    parameter_name = "street"
    level = RegionLevel.STREET
    field = "street"


class ComponentDistrictFilter(DistrictFilter):
    field = "unit_grid__district"


class DepartmentDistrictFilter(DistrictFilter):
    """A district-level department's region is the district itself."""

    field = "region"


class RegionLevelParentFilter(RegionOfLevelFilter):
    """Regions under one district (the district's streets, or its communities via the street)."""

    title = _("所属区/县")
    parameter_name = "in_district"

    def queryset(self, request, queryset):
        if self.value():
            if not self.value().isdigit():
                return queryset.none()
            code = Region.objects.filter(pk=self.value()).values_list("code", flat=True).first()
            return queryset.filter(code__startswith=code, level__gt=RegionLevel.DISTRICT) if code else queryset.none()
        return queryset


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level", RegionLevelParentFilter)
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    ordering = ("code",)


@admin.register(UnitGrid)
class UnitGridAdmin(admin.ModelAdmin):
    """Grid geometry comes from the importer or the demo generator (they also fill the bounding box
    and centre); here it is read-only, and saving bumps the locator's index version so every
    process picks up a changed responsibility grid."""

    list_display = ("code", "community", "street", "district", "responsibility_grid", "area_m2")
    list_filter = (DistrictFilter, StreetFilter)
    search_fields = ("code", "community__name", "community__code")
    list_select_related = ("community", "street", "district", "responsibility_grid")
    autocomplete_fields = ("community", "street", "district", "responsibility_grid")
    readonly_fields = ("geometry", "area_m2", "min_lon", "min_lat", "max_lon", "max_lat", "center_lon",
                       "center_lat", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "community", "street", "district", "responsibility_grid")}),
        (_("空间信息"), {"fields": ("area_m2", ("center_lon", "center_lat"), ("min_lon", "min_lat"),
                                    ("max_lon", "max_lat"), "geometry", "updated_at")}),
    )
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        grid_index_bump()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        grid_index_bump()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        grid_index_bump()


@admin.register(ResponsibilityGrid)
class ResponsibilityGridAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "district", "patrol_class", "patrol_times", "unit_grid_count",
                    "collector_count")
    list_filter = ("patrol_class", DistrictFilter)
    search_fields = ("code", "name")
    list_select_related = ("district",)
    autocomplete_fields = ("district",)
    filter_horizontal = ("collectors",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            unit_grid_total=Count("unit_grids", distinct=True),
            collector_total=Count("collectors", distinct=True),
        )

    @admin.display(description=_("单元网格数"), ordering="unit_grid_total")
    def unit_grid_count(self, obj):
        return obj.unit_grid_total

    @admin.display(description=_("监督员数"), ordering="collector_total")
    def collector_count(self, obj):
        return obj.collector_total

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "collectors":
            kwargs["queryset"] = User.objects.filter(role=Role.COLLECTOR).order_by("username")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(MajorClass)
class MajorClassAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "edition", "kind", "is_local", "minor_count")
    list_filter = ("edition", "kind", "is_local")
    search_fields = ("code", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(minor_total=Count("minors"))

    @admin.display(description=_("小类数"), ordering="minor_total")
    def minor_count(self, obj):
        return obj.minor_total


@admin.register(MinorClass)
class MinorClassAdmin(admin.ModelAdmin):
    """Limits are edited in the list itself; once a city sets its own figures they are no longer the
    shipped defaults, so `limits_are_default` is cleared whenever a limit changes."""

    LIMIT_FIELDS = ("limit_unit", "limit_normal", "limit_urgent", "limit_engineering")

    list_display = ("code", "name", "edition", "kind", "major", "department_type", "limit_unit",
                    "limit_normal", "limit_urgent", "limit_engineering", "limits_are_default", "is_active")
    list_editable = ("limit_unit", "limit_normal", "limit_urgent", "limit_engineering", "is_active")
    list_filter = ("edition", "kind", "is_active", "is_local", "limits_are_default", "department_type")
    search_fields = ("code", "name", "major__name")
    list_select_related = ("major", "department_type")
    autocomplete_fields = ("major", "department_type")
    readonly_fields = ("limits_are_default",)
    list_per_page = 50
    fieldsets = (
        (None, {"fields": ("major", "edition", "kind", "code", "name", "is_local", "is_active",
                           "department_type")}),
        (_("立案与结案条件"), {"fields": ("filing_conditions", "closure_condition")}),
        (_("处置时限"), {"fields": ("limit_unit", ("limit_normal", "limit_urgent", "limit_engineering"),
                                   "limits_are_default")}),
    )

    def save_model(self, request, obj, form, change):
        if change and set(self.LIMIT_FIELDS) & set(form.changed_data):
            obj.limits_are_default = False
        super().save_model(request, obj, form, change)


@admin.register(DepartmentType)
class DepartmentTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "department_count", "class_count")
    search_fields = ("code", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            department_total=Count("departments", distinct=True), class_total=Count("classes", distinct=True)
        )

    @admin.display(description=_("部门数"), ordering="department_total")
    def department_count(self, obj):
        return obj.department_total

    @admin.display(description=_("小类数"), ordering="class_total")
    def class_count(self, obj):
        return obj.class_total


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "region", "department_type", "parent", "is_active")
    list_filter = ("level", "department_type", "is_active", DepartmentDistrictFilter)
    search_fields = ("code", "name")
    list_select_related = ("region", "department_type", "parent")
    autocomplete_fields = ("parent", "region", "department_type")


@admin.register(OwnershipRule)
class OwnershipRuleAdmin(admin.ModelAdmin):
    list_display = ("major", "minor", "edition", "region", "department", "note")
    list_filter = ("major__edition", "major__kind", "region__level", "department__level")
    search_fields = ("major__name", "major__code", "minor__name", "minor__code", "region__name",
                     "department__name")
    list_select_related = ("major", "minor", "region", "department")
    autocomplete_fields = ("major", "minor", "region", "department")

    @admin.display(description=_("标准版本"), ordering="major__edition")
    def edition(self, obj):
        return obj.major.get_edition_display()


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ("code", "minor", "name", "unit_grid", "status", "in_use", "competent_department",
                    "owner_department")
    list_filter = ("status", "in_use", "minor__edition", ComponentDistrictFilter, "minor__major")
    search_fields = ("code", "name", "minor__name")
    list_select_related = ("minor", "unit_grid", "competent_department", "owner_department")
    raw_id_fields = ("unit_grid",)
    autocomplete_fields = ("minor", "competent_department", "owner_department", "maintainer_department")
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("code", "minor", "name", "status", "in_use")}),
        (_("位置"), {"fields": (("lon", "lat"), "unit_grid")}),
        (_("权属"), {"fields": ("competent_department", "owner_department", "maintainer_department")}),
        (_("普查"), {"fields": ("surveyed_on", "changed_on", "data_source", "photo")}),
    )
    change_list_template = "admin/grids/component/change_list.html"

    def get_urls(self):
        return [path("census-update/", self.admin_site.admin_view(self.census_view), name="grids_component_census"),
                *super().get_urls()]

    def census_view(self, request):
        """普查更新: upload a census file, see every change (预览), then save it all (确认保存). The
        file waits between the two in a private temporary folder, named by a token kept in the
        session; the plan is made again on saving and must be the one that was shown."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        plan = error = None
        status = 200
        pending = request.session.get("census_update")
        try:
            if request.method == "POST" and "confirm" in request.POST and pending:
                path_ = _census_folder() / pending["token"]
                plan = census_plan(file=path_, format=pending["format"])
                if _plan_digest(plan) != pending["digest"]:
                    raise ApplicationError(_("部件登记在预览后已有变化，请重新预览。"))
                census_apply(plan=plan, source=pending["name"])
                path_.unlink(missing_ok=True)
                del request.session["census_update"]
                messages.success(request, plan.lines()[0])
                return redirect("admin:grids_component_changelist")
            if request.method == "POST":
                upload = request.FILES.get("file")
                if upload is None:
                    raise ApplicationError(_("请选择普查文件（csv、xlsx 或 GeoJSON）。"))
                fmt = format_from_name(upload.name)
                token = secrets.token_hex(16)
                folder = _census_folder()
                with open(folder / token, "wb") as stored:
                    for chunk in upload.chunks():
                        stored.write(chunk)
                plan = census_plan(file=folder / token, format=fmt)
                request.session["census_update"] = {"token": token, "format": fmt, "name": upload.name[:200],
                                                    "digest": _plan_digest(plan)}
        except ApplicationError as problem:
            error, plan, status = problem, None, 400
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": _("部件普查更新"),
                   "plan": plan, "error": error}
        return TemplateResponse(request, "admin/grids/component/census.html", context, status=status)


def _census_folder() -> Path:
    folder = Path(tempfile.gettempdir()) / "citygrid-census"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _plan_digest(plan) -> str:
    return hashlib.sha256("\n".join(plan.lines()).encode()).hexdigest()


@admin.register(ComponentHistory)
class ComponentHistoryAdmin(ReadOnlyAdmin):
    """The previous values of components changed or retired by a census update: read-only."""

    list_display = ("component", "action", "changed_at", "source", "update_id")
    list_filter = ("action",)
    search_fields = ("component__code", "=update_id")
    list_select_related = ("component",)
    show_full_result_count = False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "last_name", "first_name", "role", "region", "department", "phone",
                    "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff", "is_superuser", "region__level")
    search_fields = ("username", "first_name", "last_name", "email", "phone")
    list_select_related = ("region", "department")
    autocomplete_fields = ("region", "department")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("城管角色与范围"), {"fields": ("role", "region", "department", "phone")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("城管角色与范围"), {"fields": ("role", "region", "department", "phone")}),
    )


@admin.register(GridIndexVersion)
class GridIndexVersionAdmin(admin.ModelAdmin):
    list_display = ("pk", "version", "changed_at")
    readonly_fields = ("version", "changed_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- The map's registry data: loaded with manage.py import_map; here to look up and correct names.
# Geometry is read-only (its bounding box is kept beside it by the importer).

@admin.register(Road)
class RoadAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "district")
    list_filter = ("kind", DistrictFilter)
    search_fields = ("name",)
    list_select_related = ("district",)
    readonly_fields = ("geometry", "min_lon", "min_lat", "max_lon", "max_lat")
    raw_id_fields = ("district",)


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "aliases", "district", "lon", "lat")
    list_filter = ("kind", DistrictFilter)
    search_fields = ("name", "aliases")
    list_select_related = ("district",)
    raw_id_fields = ("district",)


@admin.register(BasemapFeature)
class BasemapFeatureAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "name")
    list_filter = ("kind",)
    search_fields = ("name",)
    readonly_fields = ("geometry", "min_lon", "min_lat", "max_lon", "max_lat")
