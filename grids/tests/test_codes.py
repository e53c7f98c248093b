"""Code formats: unit grid codes (15, legacy 14) and component identity codes (16, 17)."""
import pytest
from django.core.exceptions import ValidationError

from grids.codes import component_code_validate, unit_grid_code_validate
from grids.models import Component, MinorClass


@pytest.mark.parametrize("code", ["430102001001001", "43010200100101"])
def test_grid_code_15_and_legacy_14_are_accepted(code):
    unit_grid_code_validate(code, community_code="430102001001")


@pytest.mark.parametrize("code", ["4301020010010", "4301020010010011", "43010200100100A", "", "４３０１０２００１００１００１"])
def test_grid_code_malformed(code):
    with pytest.raises(ValidationError) as exc:
        unit_grid_code_validate(code)
    assert "格式错误" in exc.value.messages[0]


def test_grid_code_must_start_with_its_community():
    with pytest.raises(ValidationError) as exc:
        unit_grid_code_validate("430102001002001", community_code="430102001001")
    assert "430102001002" in exc.value.messages[0] and "430102001001" in exc.value.messages[0]


def test_component_code_16_digits_with_legacy_class():
    component_code_validate("4301020101000001", minor="0101", district_code="430102")


def test_component_code_17_digits_with_2026_class():
    component_code_validate("43010201001000001", minor="01001", district_code="430102")


@pytest.mark.parametrize(
    ("code", "minor", "needle"),
    [
        ("430102010100001", "0101", "格式错误"),  # 15 digits
        ("430102010100000A", "0101", "格式错误"),
        ("43010201010000001", "0101", "应为16位"),  # 17 digits with a 4-digit class
        ("4301020100100001", "01001", "应为17位"),  # 16 digits with a 5-digit class
        ("4301020102000001", "0101", "分类部分“0102”"),  # wrong class
        ("4301030101000001", "0101", "县级代码“430103”"),  # wrong county
    ],
)
def test_component_code_errors(code, minor, needle):
    with pytest.raises(ValidationError) as exc:
        component_code_validate(code, minor=minor, district_code="430102")
    assert needle in exc.value.messages[0]
    assert code in exc.value.messages[0]


def test_component_clean_checks_the_county_of_its_grid(classes, grid_block):
    grid = grid_block["430102001001001"]
    minor = MinorClass.objects.get(edition="legacy4", kind="component", code="0101")
    good = Component(code="4301020101000001", minor=minor, lon=112.0005, lat=28.0015, unit_grid=grid)
    good.full_clean()
    bad = Component(code="4301030101000001", minor=minor, lon=112.0005, lat=28.0015, unit_grid=grid)
    with pytest.raises(ValidationError) as exc:
        bad.full_clean()
    assert "430103" in exc.value.message_dict["code"][0]
