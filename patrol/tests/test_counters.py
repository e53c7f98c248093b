"""The patrol counters against a hand-built day: collector_a patrols responsibility grid R1 (two
unit grids, patrol times 08:30-12:00 and 14:00-18:00 = 27,000 s) and has one post due at 09:00
and 15:00. On Wednesday 2025-03-05 they are on duty 08:00-12:00 and 14:30-17:00, walk only in the
first unit grid (and once into a grid that is not theirs), and check in at 09:10 and 09:20."""
from datetime import timedelta

import pytest

from citygrid.testing import at, point_in
from patrol import services
from patrol.counters import checkin_slots, patrol_figures
from patrol.models import GridVisit, Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(city, collector_a, clock, settings):
    settings.PATROL_CHECKIN_WINDOW_MINUTES = 30
    lon, lat = point_in(1)
    post = Post.objects.create(name="一号岗", lon=lon, lat=lat, radius_m=50, checkin_times="09:00,15:00",
                               responsibility_grid=city.responsibility_grids[0])
    post.collectors.add(collector_a)

    def duty(on: bool, when: str):
        clock.set(when)
        services.duty_set(actor=collector_a, on_duty=on)

    duty(True, "2025-03-05 08:00")
    # 20 points a minute apart in unit grid 0, south to north: 0.0008° of latitude, about 89 m.
    track = [{"at": at("2025-03-05 08:10") + timedelta(minutes=n), "lon": point_in(0)[0],
              "lat": point_in(0, 0.5, 0.1 + 0.04 * n)[1], "accuracy": 5.0} for n in range(21)]
    # One point in grid 2 (responsibility grid R2: not theirs), and one too inaccurate to walk.
    track.append({"at": at("2025-03-05 08:40"), "lon": point_in(2)[0], "lat": point_in(2)[1], "accuracy": 500.0})
    clock.set("2025-03-05 09:10")
    services.points_record(actor=collector_a, points=track)
    services.checkin_record(actor=collector_a, post_id=post.pk, lon=lon, lat=lat)
    clock.set("2025-03-05 09:20")
    services.checkin_record(actor=collector_a, post_id=post.pk, lon=lon, lat=lat + 0.0001)
    duty(False, "2025-03-05 12:00")
    duty(True, "2025-03-05 14:30")
    duty(False, "2025-03-05 17:00")
    clock.set("2025-03-07 09:00")
    return collector_a


def test_the_hand_built_day(day):
    figures = patrol_figures([day.pk], at("2025-03-05 00:00").date(), at("2025-03-05 00:00").date())[day.pk]
    assert figures.scheduled_seconds == 27_000
    assert figures.on_duty_seconds == 4 * 3600 + int(2.5 * 3600)
    # In the patrol times: 08:30-12:00 (12,600 s) and 14:30-17:00 (9,000 s).
    assert figures.on_duty_scheduled_seconds == 21_600
    assert figures.on_duty_rate == pytest.approx(0.8)
    # 09:10 meets 09:00; 09:20 is the same slot's second check-in and 15:00 is missed.
    assert (figures.checkins_due, figures.checkins_made, figures.checkins_missed) == (2, 1, 1)
    # Both grids visited are recorded; only unit grid 0 is of their area (2 unit grids).
    assert GridVisit.objects.filter(collector=day).count() == 2
    assert (figures.grid_days_walked, figures.grid_days_due) == (1, 2)
    assert figures.coverage_rate == pytest.approx(0.5)
    # The inaccurate point is left out of the walk: 20 steps of 0.00004° of latitude.
    assert figures.distance_m == pytest.approx(89.0, abs=0.5)


def test_two_days_the_second_without_patrol(day):
    first, second = at("2025-03-05 00:00").date(), at("2025-03-06 00:00").date()
    figures = patrol_figures([day.pk], first, second)[day.pk]
    assert figures.scheduled_seconds == 54_000
    assert figures.on_duty_scheduled_seconds == 21_600
    assert (figures.checkins_due, figures.checkins_made) == (4, 1)
    assert (figures.grid_days_walked, figures.grid_days_due) == (1, 4)


def test_a_rest_day_is_not_scheduled(day, collector_a):
    saturday = at("2025-03-08 00:00").date()
    figures = patrol_figures([collector_a.pk], saturday, saturday)[collector_a.pk]
    assert (figures.scheduled_seconds, figures.checkins_due, figures.grid_days_due) == (0, 0, 0)
    assert figures.on_duty_rate is None and figures.coverage_rate is None


def test_a_collector_without_anything(city, collector_b, clock):
    day = at("2025-03-05 00:00").date()
    figures = patrol_figures([collector_b.pk], day, day)[collector_b.pk]
    assert (figures.on_duty_seconds, figures.checkins_due, figures.grid_days_due) == (0, 0, 2)
    assert figures.on_duty_rate == 0 and figures.coverage_rate == 0


def test_checkin_slots_parse():
    assert checkin_slots("15:00, 09:00，09:00") == [32_400, 54_000]
    assert checkin_slots("nonsense,25:00") == []


def test_the_pages_show_the_day(day, client):
    client.force_login(day.__class__.objects.get(username="operator"))
    page = client.get(f"/patrol/collectors/{day.pk}/?day=2025-03-05")
    assert page.status_code == 200
    text = page.content.decode()
    assert "patrol-track-data" in text and "一号岗" in text
    table = client.get("/patrol/table/?day=2025-03-05").content.decode()
    assert "80.00%" in table and "50.00%" in table  # the one rate format: the `percent` filter
    month = client.get("/patrol/table/?month=2025-03")
    assert month.status_code == 200
    assert client.get("/patrol/").status_code == 200
    assert client.get("/patrol/table/?month=2025-13").status_code == 400  # a bad month is told, not guessed


@pytest.mark.parametrize("username", ["handler_a", "collector_a", "hotline_agent"])
def test_the_pages_are_for_the_command_center(city, client, username):
    client.force_login(city.users[username])
    assert client.get("/patrol/").status_code == 403
    assert client.get("/patrol/table/").status_code == 403


def test_the_admin_lists_posts_shifts_and_checkins(day, client):
    from grids.models import User

    admin = User.objects.create_superuser("root", "root@example.com", "x")
    client.force_login(admin)
    for url in ("/admin/patrol/post/", "/admin/patrol/dutyshift/", "/admin/patrol/checkin/"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "一号岗" in client.get("/admin/patrol/post/").content.decode()


@pytest.mark.parametrize("query", ["day=9999-12-31", "day=0001-01-01", "day=2025-02-30", "month=9999-12",
                                   "month=0001-01", "month=2026-13"])
def test_the_table_refuses_a_day_out_of_range_with_a_message(city, query):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(city.users["operator"])
    response = client.get(f"/patrol/table/?{query}")
    assert response.status_code == 400
    page = response.content.decode()
    assert "日期须在 1900-01-01 至 2999-12-31 之间" in page or "日期格式应为 YYYY-MM-DD" in page


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_the_day_replay_and_track_api_refuse_a_day_out_of_range(city, client_as, day):
    from django.test import Client

    collector = city.users["collector_a"]
    client = Client(raise_request_exception=False)
    client.force_login(city.users["operator"])
    assert client.get(f"/patrol/collectors/{collector.pk}/?day={day}").status_code == 400
    api = client_as("operator").get(f"/api/patrol/collectors/{collector.pk}/track/?day={day}")
    assert api.status_code == 400 and "日期须在" in api.json()["detail"]
