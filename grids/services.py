"""Writes of the registry other than file imports (those are in grids.importers): a city's local
extension classes. Each write is one transaction and fails with a Chinese message (ApplicationError).
"""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from grids.models import (
    EDITION_KINDS,
    EDITION_MINOR_LENGTH,
    LOCAL_MAJOR_FROM,
    DepartmentType,
    LimitUnit,
    MajorClass,
    MinorClass,
)


def classification_add_local(
    *,
    edition: str,
    kind: str,
    major_code: str,
    minor_code: str,
    minor_name: str,
    major_name: str | None = None,
    department_type: str | None = None,
    limit_unit: str | None = None,
    limit_normal: int | None = None,
    limit_urgent: int | None = None,
    limit_engineering: int | None = None,
    filing_conditions: str = "",
    closure_condition: str = "",
) -> MinorClass:
    """Add a local extension class: under a local major (code 21 and up, created here with
    `major_name` if new), or an "other" class (minor code ending in 99) under a standard major.
    Limits not given take the model's defaults; giving any marks the class as city-set
    (limits_are_default=False)."""
    if edition not in EDITION_KINDS:
        raise ApplicationError(_("未知的标准版本“%(edition)s”") % {"edition": edition})
    if kind not in EDITION_KINDS[edition]:
        raise ApplicationError(_("标准版本 %(edition)s 没有“%(kind)s”类型的分类") % {"edition": edition, "kind": kind})
    minor_length = EDITION_MINOR_LENGTH[edition]
    if not (isinstance(major_code, str) and len(major_code) == 2 and major_code.isdigit()):
        raise ApplicationError(_("大类代码“%(code)s”应为2位数字") % {"code": major_code})
    if not (isinstance(minor_code, str) and len(minor_code) == minor_length and minor_code.isdigit()):
        raise ApplicationError(_("小类代码“%(code)s”应为%(length)d位数字") % {"code": minor_code, "length": minor_length})
    if not minor_code.startswith(major_code):
        raise ApplicationError(_("小类代码“%(minor)s”应以大类代码“%(major)s”开头") % {"minor": minor_code, "major": major_code})
    is_local_major = int(major_code) >= LOCAL_MAJOR_FROM
    if not is_local_major and not minor_code.endswith("99"):
        raise ApplicationError(
            _("地方扩展分类应使用21及以上的大类代码，或在标准大类下使用以99结尾的“其他”小类代码（“%(code)s”不符合）")
            % {"code": minor_code}
        )
    if not (minor_name or "").strip():
        raise ApplicationError(_("小类名称不能为空"))
    if limit_unit is not None and limit_unit not in LimitUnit.values:
        raise ApplicationError(_("时限单位“%(unit)s”未知") % {"unit": limit_unit})
    limits = {"limit_normal": limit_normal, "limit_urgent": limit_urgent, "limit_engineering": limit_engineering}
    for field, value in limits.items():
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise ApplicationError(_("时限“%(field)s”应为正整数") % {"field": field})
    if limit_normal is not None and limit_urgent is not None and limit_urgent > limit_normal:
        raise ApplicationError(_("紧急时限不应长于一般时限"))
    dept_type = None
    if department_type:
        dept_type = DepartmentType.objects.filter(code=department_type).first()
        if dept_type is None:
            raise ApplicationError(_("部门类型“%(type)s”不存在") % {"type": department_type})

    with transaction.atomic():
        major = MajorClass.objects.filter(edition=edition, kind=kind, code=major_code).first()
        if major is None:
            if not is_local_major:
                raise ApplicationError(_("标准大类“%(code)s”尚未导入，请先导入分类标准") % {"code": major_code})
            if not (major_name or "").strip():
                raise ApplicationError(_("新建地方扩展大类“%(code)s”需要大类名称") % {"code": major_code})
            major = MajorClass.objects.create(edition=edition, kind=kind, code=major_code,
                                              name=major_name.strip(), is_local=True)
        if MinorClass.objects.filter(edition=edition, kind=kind, code=minor_code).exists():
            raise ApplicationError(_("小类代码“%(code)s”已存在") % {"code": minor_code})
        given = {f: v for f, v in limits.items() if v is not None}
        minor = MinorClass(
            major=major, edition=edition, kind=kind, code=minor_code, name=minor_name.strip(), is_local=True,
            department_type=dept_type, filing_conditions=filing_conditions, closure_condition=closure_condition,
            limits_are_default=not given and limit_unit is None, **given,
        )
        if limit_unit is not None:
            minor.limit_unit = limit_unit
        minor.save()
    return minor

