"""Who sees a caller's phone number and name: hotline agents and administrators in full, other
command-center staff masked (138****5678, 张*), departments and collectors not at all; in the API,
the pages and the admin."""
import pytest
from django.urls import reverse

from grids.models import Role, User
from hotline.masking import can_see_personal_data, mask_name, mask_phone, redact_digits

from .helpers import MASKED, PHONE, call


def test_mask_phone_and_name():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("073188123456") == "073*****3456"
    assert mask_phone("12345") == "***45"
    assert mask_phone("") == ""
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("") == ""
    assert redact_digits("我的电话13812345678，楼下") == "我的电话*******5678，楼下"
    assert redact_digits("3栋2单元") == "3栋2单元"


@pytest.fixture
def admin_user(city):
    return User.objects.create_user(username="admin_role", password="x", role=Role.ADMIN)


def test_privileged_roles(city, admin_user):
    assert can_see_personal_data(city.users["hotline_agent"])
    assert can_see_personal_data(admin_user)
    for username in ("operator", "manager", "shift_leader", "dispatcher", "handler_a", "collector_a"):
        assert not can_see_personal_data(city.users[username])


FULL, MASK, DENIED = "full", "masked", "denied"
API_MATRIX = [
    ("hotline_agent", FULL),
    ("operator", MASK),
    ("shift_leader", MASK),
    ("dispatcher", MASK),
    ("manager", MASK),
    ("operator_b", MASK),  # a district operator sees calls about cases of the district
    ("handler_a", DENIED),
    ("collector_a", DENIED),
]


@pytest.mark.parametrize(("username", "expected"), API_MATRIX)
def test_call_api_masks_for_everyone_but_hotline_staff(city, client_as, username, expected):
    call(city, grid=2, name="张三")  # a case in the west district: in operator_b's scope too
    response = client_as(username).get("/api/hotline/calls/")
    if expected == DENIED:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    row = response.json()["results"][0]
    if expected == FULL:
        assert (row["caller_phone"], row["caller_name"]) == (PHONE, "张三")
    else:
        assert (row["caller_phone"], row["caller_name"]) == (MASKED, "张*")
        assert PHONE not in response.content.decode()


def test_admin_role_sees_the_phone(city, admin_user, client_as):
    call(city)
    city.users["admin_role"] = admin_user
    row = client_as("admin_role").get("/api/hotline/calls/").json()["results"][0]
    assert row["caller_phone"] == PHONE


def test_district_staff_do_not_see_calls_about_other_districts(city, client_as):
    call(city, grid=0)
    assert client_as("operator_b").get("/api/hotline/calls/").json()["count"] == 0


def test_only_hotline_staff_may_search_by_phone_or_read_a_caller(city, client_as):
    call(city)
    assert client_as("hotline_agent").get("/api/hotline/calls/", {"phone": PHONE}).json()["count"] == 1
    assert client_as("manager").get("/api/hotline/calls/", {"phone": PHONE}).status_code == 403
    assert client_as("manager").get("/api/hotline/callers/", {"phone": PHONE}).status_code == 403
    body = client_as("hotline_agent").get("/api/hotline/callers/", {"phone": PHONE}).json()
    assert body["phone"] == PHONE and len(body["calls"]) == 1


def test_the_case_api_does_not_carry_the_reporter_phone(city, client_as):
    case = call(city).case
    body = client_as("operator").get(f"/api/cases/{case.pk}/").content.decode()
    assert PHONE not in body


def test_desk_page_shows_the_phone_to_agents_only(city, page_as):
    case = call(city, name="张三").case
    agent_html = page_as("hotline_agent").get(reverse("hotline:home"), {"phone": PHONE}).content.decode()
    assert PHONE in agent_html and "张三" in agent_html

    for username in ("operator", "manager"):
        html = page_as(username).get(reverse("hotline:home"), {"case": case.number}).content.decode()
        assert PHONE not in html and "张三" not in html
        assert MASKED in html and "张*" in html


def test_desk_page_is_closed_to_departments_and_collectors(city, page_as):
    assert page_as("handler_a").get(reverse("hotline:home")).status_code == 403
    assert page_as("collector_a").get(reverse("hotline:home")).status_code == 403


def test_admin_lists_are_masked(city, client, django_user_model):
    call(city)
    staff = django_user_model.objects.create_user(username="staff_op", password="x", role=Role.OPERATOR,
                                                  is_staff=True, is_superuser=False)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="hotline",
                                                          codename__startswith="view_"))
    client.force_login(staff)
    html = client.get("/admin/hotline/call/").content.decode()
    assert MASKED in html and PHONE not in html
    caller_id = city.users["hotline_agent"].hotline_calls.get().caller_id
    html = client.get(f"/admin/hotline/caller/{caller_id}/change/").content.decode()
    assert PHONE not in html


def test_lists_cost_a_constant_number_of_queries(city, clock, client_as, page_as, django_assert_max_num_queries):
    from hotline import services

    from .helpers import close

    for n in range(6):
        result = call(city, grid=n % 4, dx=0.1 + 0.15 * (n // 4), phone=f"1390000000{n}")
        if n < 3:
            close(city, result.case, clock)
    services.closure_followups_create()
    agent = client_as("hotline_agent")
    with django_assert_max_num_queries(3):
        assert agent.get("/api/hotline/calls/").json()["count"] == 6
    with django_assert_max_num_queries(3):
        assert agent.get("/api/hotline/callbacks/").json()["count"] == 3
    with django_assert_max_num_queries(4):
        assert client_as("operator_b").get("/api/hotline/calls/").json()["count"] == 2  # grids 2 and 3
    desk = page_as("hotline_agent")
    desk.get(reverse("hotline:callbacks"))  # warm the session
    with django_assert_max_num_queries(8):
        assert desk.get(reverse("hotline:callbacks")).status_code == 200
    with django_assert_max_num_queries(14):
        assert desk.get(reverse("hotline:home"), {"phone": "13900000001"}).status_code == 200
