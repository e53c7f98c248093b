"""The statement (staff and citizen), the payout register (made, exported, marked paid), who may
do what, and constant query counts."""
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rewards import services
from rewards.models import RewardEntry, RewardPayout

from .conftest import PHONE

pytestmark = pytest.mark.django_db


@pytest.fixture
def awarded(city, scheme, public_case, file_case, clock):
    cases = []
    for cls, grid in (("garbage", 0), ("manhole", 1)):
        case = public_case(cls, grid=grid)
        file_case(case)
        services.reward_award(case_id=case.pk)
        cases.append(case)
    return cases


def _client(city, username):
    client = Client()
    client.force_login(city.users[username])
    return client


def test_staff_statement_masks_the_phone_but_for_hotline_agents(city, awarded, client_as):
    body = client_as("manager").get("/api/rewards/statement/", {"phone": PHONE}).json()
    assert body["phone"] == "138****1234"
    assert [row["balance"] for row in body["totals"]] == ["25.00"]
    assert {row["case_number"] for row in body["entries"]} == {case.number for case in awarded}
    assert client_as("hotline_agent").get("/api/rewards/statement/", {"phone": PHONE}).json()["phone"] == PHONE
    assert client_as("collector_a").get("/api/rewards/statement/", {"phone": PHONE}).status_code == 403
    assert client_as("manager").get("/api/rewards/statement/", {"phone": "12"}).status_code == 400


def test_the_citizen_reads_their_statement_with_a_case_number(city, awarded, settings):
    settings.PUBLIC_LOOKUP_RATE_LIMIT = "1000/h"
    cache.clear()
    client = Client()
    page = client.post("/rewards/my/", {"phone": "+86 138-1234-1234", "case_number": awarded[0].number})
    text = page.content.decode()
    assert page.status_code == 200 and "138****1234" in text and PHONE not in text and awarded[1].number in text
    wrong = client.post("/rewards/my/", {"phone": "13900000000", "case_number": awarded[0].number})
    assert wrong.status_code == 404 and "没有找到" in wrong.content.decode()
    api = client.post("/api/rewards/public/statement/", {"phone": PHONE, "case_number": awarded[0].number},
                      content_type="application/json")
    assert api.status_code == 200 and api.json()["phone"] == "138****1234"
    settings.PUBLIC_LOOKUP_RATE_LIMIT = "1/h"
    cache.clear()
    client.post("/rewards/my/", {"phone": PHONE, "case_number": awarded[0].number})
    assert client.post("/rewards/my/", {"phone": PHONE, "case_number": awarded[0].number}).status_code == 429


def test_the_payout_register_of_a_month(city, awarded, clock, client_as):
    manager = city.users["manager"]
    month = services.month_parse(f"{clock():%Y-%m}")
    (payout,) = services.payout_register_create(actor=manager, month=month)
    assert (payout.amount, payout.entry_count) == (Decimal("25"), 2)
    assert RewardEntry.objects.filter(payout=payout).count() == 2
    with pytest.raises(services.ConflictError):
        services.payout_register_create(actor=manager, month=month)
    # A reversal after payment is carried into the next register, negative.
    from cases import workflow

    workflow.case_review_void(actor=city.users["shift_leader"], case_id=awarded[0].pk, note="会审作废")
    reversal = services.reward_reverse(case_id=awarded[0].pk)
    assert reversal.payout is None and reversal.amount == Decimal("-10")
    # Marked paid by a manager, once.
    assert services.payout_mark_paid(actor=manager, payout_ids=[payout.pk]) == 1
    assert services.payout_mark_paid(actor=manager, payout_ids=[payout.pk]) == 0
    with pytest.raises(services.PermissionDeniedError):
        services.payout_mark_paid(actor=city.users["operator"], payout_ids=[payout.pk])
    api = client_as("manager").get("/api/rewards/payouts/", {"month": f"{month:%Y-%m}"}).json()
    assert [(row["phone"], row["amount"]) for row in api] == [("138****1234", "25.00")] and api[0]["paid_at"]
    assert client_as("manager").get("/api/rewards/payouts/", {"month": "2026/13"}).status_code == 400
    assert client_as("hotline_agent").get("/api/rewards/payouts/", {"month": "2026-01"}).status_code == 403


def test_the_register_pages_and_export(city, awarded, clock):
    month = f"{clock():%Y-%m}"
    client = _client(city, "manager")
    page = client.get("/rewards/payouts/", {"month": month})
    assert page.status_code == 200 and "138****1234" in page.content.decode()
    assert client.post("/rewards/payouts/create/", {"month": month}).status_code == 302
    payout = RewardPayout.objects.get()
    assert client.post("/rewards/payouts/paid/", {"month": month, "payout_ids": [payout.pk]}).status_code == 302
    payout.refresh_from_db()
    assert payout.paid_by == city.users["manager"]
    export = client.get("/rewards/payouts/export/", {"month": month})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(values) if row[0] == "序号")
    assert values[header + 1][2:6] == ["138****1234", "积分", 25, 2]
    admin_export = _client(city, "hotline_agent").get("/rewards/payouts/export/", {"month": month})
    assert admin_export.status_code == 403


def _queries(client, url, **params) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_pages_make_the_same_queries_whatever_the_rows(city, clock, scheme, public_case, file_case):
    def award(count, offset):
        for index in range(offset, offset + count):
            case = public_case(grid=index % 4, phone=f"1381234{index:04d}")
            file_case(case)
            services.reward_award(case_id=case.pk)

    client = _client(city, "manager")
    month = f"{clock():%Y-%m}"
    award(1, 0)
    citizen_id = RewardEntry.objects.first().citizen_id
    pages = [("/rewards/", {}), ("/rewards/payouts/", {"month": month}), (f"/rewards/citizens/{citizen_id}/", {})]
    before = [len(_queries(client, url, **params)) for url, params in pages]
    award(6, 1)
    services.payout_register_create(actor=city.users["manager"], month=services.month_parse(month))
    after = [len(_queries(client, url, **params)) for url, params in pages]
    # session and user, then: citizens 3 (scheme, its rates, balances); register 3 (pending,
    # payouts, totals); statement 3 (citizen, entries, totals).
    assert before == after == [5, 5, 5]


def test_the_city_sets_its_rules_in_the_admin(city):
    from grids.models import Role, User
    from rewards.models import RewardScheme

    admin = User.objects.create_user(username="root", password="x", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/rewards/rewardscheme/add/").status_code == 200
    answer = client.post("/admin/rewards/rewardscheme/add/", {
        "name": "话费奖励", "is_active": "on", "unit": "yuan", "sources": '["public", "hotline_12345"]',
        "default_amount": "5", "daily_cap": "", "monthly_cap": "50",
        "rates-TOTAL_FORMS": "1", "rates-INITIAL_FORMS": "0", "rates-MIN_NUM_FORMS": "0", "rates-MAX_NUM_FORMS": "1000",
        "rates-0-minor": str(city.classes["manhole"].pk), "rates-0-amount": "20",
    })
    assert answer.status_code == 302, answer.content.decode()[:2000]
    scheme = RewardScheme.objects.get(name="话费奖励")
    refused = client.post(f"/admin/rewards/rewardscheme/{scheme.pk}/change/", {
        "name": "话费奖励", "unit": "yuan", "sources": '["wechat"]', "default_amount": "5",
        "rates-TOTAL_FORMS": "0", "rates-INITIAL_FORMS": "0", "rates-MIN_NUM_FORMS": "0", "rates-MAX_NUM_FORMS": "1000"})
    assert refused.status_code == 200 and "奖励来源须为以下值的列表" in refused.content.decode()
    assert (scheme.sources, scheme.monthly_cap, scheme.rates.get().amount) == (["public", "hotline_12345"], 50, 20)
