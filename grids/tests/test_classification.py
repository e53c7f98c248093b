"""Loading the two classification editions with the project's defaults; local extension classes."""
import pytest

from core.errors import ApplicationError
from grids.importers.classification import classification_load
from grids.models import ClassKind, DepartmentType, Edition, MajorClass, MinorClass
from grids.services import classification_add_local


def counts(edition):
    return {kind: MinorClass.objects.filter(edition=edition, kind=kind).count() for kind in ClassKind.values}


@pytest.mark.django_db
def test_loads_both_editions_with_their_counts():
    assert classification_load() == 85 + 54 + 153 + 250
    assert counts(Edition.LEGACY) == {"component": 85, "event": 54, "matter": 0}
    assert counts(Edition.STD2026) == {"component": 153, "event": 0, "matter": 250}
    assert MajorClass.objects.filter(edition=Edition.LEGACY, kind="component").count() == 6
    assert MajorClass.objects.filter(edition=Edition.LEGACY, kind="event").count() == 5
    assert MajorClass.objects.filter(edition=Edition.STD2026, kind="component").count() == 5
    assert MajorClass.objects.filter(edition=Edition.STD2026, kind="matter").count() == 10


@pytest.mark.django_db
def test_every_loaded_class_carries_default_limits_and_a_department_type():
    classification_load()
    assert not MinorClass.objects.filter(limits_are_default=False).exists()
    assert not MinorClass.objects.filter(department_type__isnull=True).exists()
    assert not MinorClass.objects.filter(filing_conditions="").exists()
    assert not MinorClass.objects.filter(closure_condition="").exists()
    manhole = MinorClass.objects.get(edition=Edition.LEGACY, kind="component", code="0101")
    assert (manhole.limit_unit, manhole.limit_normal, manhole.limit_urgent, manhole.limit_engineering) == (
        "work_hours", 24, 2, 80)
    assert manhole.department_type.code == "water_supply"
    assert "井盖" in manhole.filing_conditions
    vending = MinorClass.objects.get(edition=Edition.STD2026, kind="matter", code="09001")
    assert (vending.limit_normal, vending.department_type.code) == (2, "enforcement")
    legacy_vending = MinorClass.objects.get(edition=Edition.LEGACY, kind="event", code="0501")
    assert legacy_vending.limit_normal == 2


@pytest.mark.django_db
def test_load_is_idempotent_and_keeps_a_citys_own_limits():
    classification_load()
    own = MinorClass.objects.get(edition=Edition.LEGACY, kind="component", code="0102")
    own.limit_normal, own.limits_are_default = 12, False
    own.save()
    renamed = MinorClass.objects.get(edition=Edition.LEGACY, kind="component", code="0103")
    renamed.name = "改过的名字"
    renamed.save()
    before = (MajorClass.objects.count(), MinorClass.objects.count(), DepartmentType.objects.count())

    assert classification_load() == 542
    assert (MajorClass.objects.count(), MinorClass.objects.count(), DepartmentType.objects.count()) == before
    own.refresh_from_db()
    renamed.refresh_from_db()
    assert (own.limit_normal, own.limits_are_default) == (12, False)
    assert renamed.name == "雨水井盖"


@pytest.mark.django_db
def test_load_one_edition():
    assert classification_load(edition=Edition.STD2026) == 403
    assert not MinorClass.objects.filter(edition=Edition.LEGACY).exists()
    with pytest.raises(ApplicationError, match="未知的标准版本"):
        classification_load(edition="gb1999")


@pytest.mark.django_db
def test_local_class_under_a_local_major(classes):
    minor = classification_add_local(edition="legacy4", kind="event", major_code="21", major_name="城市家具",
                                     minor_code="2101", minor_name="共享充电宝柜乱放", department_type="enforcement",
                                     limit_normal=8)
    assert minor.is_local and minor.major.is_local and minor.major.name == "城市家具"
    assert (minor.limit_normal, minor.limits_are_default) == (8, False)
    second = classification_add_local(edition="legacy4", kind="event", major_code="21", minor_code="2102",
                                      minor_name="其他城市家具问题")
    assert second.major == minor.major and second.limits_are_default


@pytest.mark.django_db
def test_local_other_class_under_a_standard_major(classes):
    minor = classification_add_local(edition="std2026", kind="matter", major_code="06", minor_code="06099",
                                     minor_name="其他市容环境问题")
    assert minor.major.code == "06" and not minor.major.is_local


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arguments", "needle"),
    [
        ({"major_code": "05", "minor_code": "0514"}, "21及以上"),
        ({"major_code": "21", "minor_code": "21001"}, "应为4位数字"),
        ({"major_code": "21", "minor_code": "2201"}, "应以大类代码“21”开头"),
        ({"major_code": "22", "minor_code": "2201"}, "需要大类名称"),
        ({"major_code": "01", "minor_code": "0199"}, "已存在"),
        ({"major_code": "21", "minor_code": "2101", "kind": "matter"}, "没有“matter”类型"),
        ({"major_code": "21", "minor_code": "2101", "major_name": "x", "department_type": "nope"}, "部门类型"),
        ({"major_code": "21", "minor_code": "2101", "major_name": "x", "limit_normal": 0}, "正整数"),
    ],
)
def test_local_class_errors(classes, arguments, needle):
    arguments = {"edition": "legacy4", "kind": "event", "minor_name": "测试", **arguments}
    before = MinorClass.objects.count()
    with pytest.raises(ApplicationError) as exc:
        classification_add_local(**arguments)
    assert needle in exc.value.message
    assert MinorClass.objects.count() == before
