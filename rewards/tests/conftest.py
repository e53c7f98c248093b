"""Fixtures of the rewards tests: a scheme, and public reports of one citizen."""
from decimal import Decimal

import pytest

from citygrid.testing import point_in
from hotline.services import public_report
from rewards.models import RewardRate, RewardScheme, Unit

PHONE = "13812341234"


@pytest.fixture
def scheme(city):
    scheme = RewardScheme.objects.create(name="有奖举报2026", unit=Unit.POINTS, sources=["public"],
                                         default_amount=Decimal("10"), daily_cap=Decimal("25"),
                                         monthly_cap=Decimal("100"))
    RewardRate.objects.create(scheme=scheme, minor=city.classes["manhole"], amount=Decimal("20"))
    RewardRate.objects.create(scheme=scheme, major=city.classes["vending"].major, amount=Decimal("5"))
    return scheme


@pytest.fixture
def public_case(city):
    """public_case(cls="garbage", phone=PHONE): a report from the public channel, not yet filed."""

    def make(cls: str = "garbage", phone: str = PHONE, grid: int = 0):
        lon, lat = point_in(grid, dx=0.3)
        return public_report(channel="web", minor_id=city.classes[cls].pk, lon=lon, lat=lat,
                             description="人行道上有问题", contact_name="张三", contact_phone=phone).report.case

    return make


@pytest.fixture
def file_case(city):
    from cases import workflow

    def file(case):
        return workflow.case_file(actor=city.users["shift_leader"], case_id=case.pk)

    return file
