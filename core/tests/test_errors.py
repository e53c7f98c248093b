"""core.errors.page_refusal_raise: what a page does with a service's error."""
import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from core.errors import (
    ApplicationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    page_refusal_raise,
)


def test_not_found_and_refused_become_djangos_own_with_the_message():
    with pytest.raises(Http404, match="函件不存在"):
        page_refusal_raise(NotFoundError("函件不存在。"))
    with pytest.raises(PermissionDenied, match="无权"):
        page_refusal_raise(PermissionDeniedError("您无权查看。"))
    with pytest.raises(PermissionDenied):
        page_refusal_raise(ApplicationError("只有主送部门可以答复函件。", status_code=403))


@pytest.mark.parametrize("error", [ApplicationError("请填写名称。"), ConflictError("该会审已结束。")])
def test_other_errors_are_left_to_the_form(error):
    assert page_refusal_raise(error) is None
