"""Pure checks of the registry's code formats: unit grid codes (15 characters, 14 in CJ/T 213 legacy
data) and component identity codes (16 digits, 17 with the 5-digit 2026 classes). No database.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

GRID_CODE_LENGTHS = (15, 14)
COMMUNITY_CODE_LENGTH = 12
COUNTY_CODE_LENGTH = 6
SERIAL_LENGTH = 6


def unit_grid_code_validate(code: str, *, community_code: str | None = None) -> None:
    """A unit grid code is 6 county + 3 street + 3 community + 3 sequence digits (15); legacy data
    has a 2-digit sequence (14). Its first 12 digits are the community's code."""
    if not isinstance(code, str) or not code.isascii() or not code.isdigit() or len(code) not in GRID_CODE_LENGTHS:
        raise ValidationError(
            _("网格代码“%(code)s”格式错误：应为15位数字（县6+街道3+社区3+序号3），旧数据可为14位（序号2位）")
            % {"code": code},
            code="grid_code_format",
        )
    if community_code is not None and code[:COMMUNITY_CODE_LENGTH] != community_code:
        raise ValidationError(
            _("网格代码“%(code)s”的前12位“%(prefix)s”与所属社区代码“%(community)s”不一致")
            % {"code": code, "prefix": code[:COMMUNITY_CODE_LENGTH], "community": community_code},
            code="grid_code_community",
        )


def component_code_validate(code: str, *, minor: object, district_code: str | None) -> None:
    """A component identity code is 6 county + class code + 6 serial digits: 16 digits with a 4-digit
    legacy minor class, 17 with a 5-digit 2026 class. `minor` is a MinorClass or its code; the
    county part must equal `district_code`, the code of the district the component stands in
    (None skips that check). Raises django.core.exceptions.ValidationError."""
    minor_code = str(getattr(minor, "code", minor))
    expected_length = COUNTY_CODE_LENGTH + len(minor_code) + SERIAL_LENGTH
    if not isinstance(code, str) or not code.isascii() or not code.isdigit() or len(code) not in (16, 17):
        raise ValidationError(
            _("部件标识码“%(code)s”格式错误：应为16位数字（县6+大类2+小类2+序号6），5位分类为17位")
            % {"code": code},
            code="component_code_format",
        )
    if len(code) != expected_length:
        raise ValidationError(
            _("部件标识码“%(code)s”为%(length)d位，小类“%(minor)s”的部件标识码应为%(expected)d位")
            % {"code": code, "length": len(code), "minor": minor_code, "expected": expected_length},
            code="component_code_length",
        )
    class_part = code[COUNTY_CODE_LENGTH:COUNTY_CODE_LENGTH + len(minor_code)]
    if class_part != minor_code:
        raise ValidationError(
            _("部件标识码“%(code)s”的分类部分“%(part)s”与小类代码“%(minor)s”不一致")
            % {"code": code, "part": class_part, "minor": minor_code},
            code="component_code_class",
        )
    if district_code is not None and code[:COUNTY_CODE_LENGTH] != district_code:
        raise ValidationError(
            _("部件标识码“%(code)s”的县级代码“%(county)s”与部件所在区县代码“%(district)s”不一致")
            % {"code": code, "county": code[:COUNTY_CODE_LENGTH], "district": district_code},
            code="component_code_county",
        )
