"""The patrol API as the field app uses it: duty, track points (on duty only, once per key),
posts and check-ins within the radius, the work log, and who may call what."""
from datetime import timedelta

import pytest

from citygrid.testing import point_in
from patrol.models import CheckIn, DutyShift, PatrolPoint, Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(city, collector_a):
    lon, lat = point_in(0)
    post = Post.objects.create(name="东区一号岗", lon=lon, lat=lat, radius_m=50,
                               responsibility_grid=city.responsibility_grids[0], checkin_times="09:00,15:00")
    post.collectors.add(collector_a)
    return post


def _points(start, count, *, x=0, step_seconds=15):
    points = []
    for n in range(count):
        lon, lat = point_in(x, 0.5, 0.1 + 0.8 * n / max(count - 1, 1))
        points.append({"at": (start + timedelta(seconds=step_seconds * n)).isoformat(), "lon": lon, "lat": lat,
                       "accuracy": 8})
    return points


def test_duty_on_then_off_and_a_retry_answers_the_first_result(client_as, collector_a, clock):
    api = client_as("collector_a")
    first = api.post("/api/patrol/duty/", {"on_duty": True}, format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    assert first.status_code == 201, first.json()
    assert first.json()["on_duty"] is True and first.json()["ended_at"] is None
    retry = api.post("/api/patrol/duty/", {"on_duty": True}, format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    assert retry.status_code == 200 and retry.json() == first.json()
    assert DutyShift.objects.filter(collector=collector_a).count() == 1
    assert api.get("/api/patrol/duty/").json()["on_duty"] is True

    clock.advance(hours=2)
    off = api.post("/api/patrol/duty/", {"on_duty": False}, format="json", HTTP_IDEMPOTENCY_KEY="d-2")
    assert off.status_code == 201 and off.json()["on_duty"] is False
    assert off.json()["shift_id"] == first.json()["shift_id"]
    shift = DutyShift.objects.get(collector=collector_a)
    assert shift.ended_at - shift.started_at == timedelta(hours=2)


def test_a_key_reused_for_different_content_is_refused(client_as, clock):
    api = client_as("collector_a")
    api.post("/api/patrol/duty/", {"on_duty": True}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    response = api.post("/api/patrol/duty/", {"on_duty": False}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert response.status_code == 422
    assert DutyShift.objects.get().ended_at is None


def test_points_are_kept_only_on_duty_and_stored_once_per_key(client_as, collector_a, clock):
    api = client_as("collector_a")
    start = clock.now
    api.post("/api/patrol/duty/", {"on_duty": True}, format="json")
    before = _points(start - timedelta(minutes=10), 4)  # before going on duty: dropped
    during = _points(start, 6)
    clock.advance(minutes=5)
    response = api.post("/api/patrol/points/", {"points": before + during}, format="json",
                        HTTP_IDEMPOTENCY_KEY="batch-1")
    assert response.status_code == 201 and response.json() == {"stored": 6}
    again = api.post("/api/patrol/points/", {"points": before + during}, format="json",
                     HTTP_IDEMPOTENCY_KEY="batch-1")
    assert again.status_code == 200 and again.json() == {"stored": 6}
    assert PatrolPoint.objects.filter(collector=collector_a).count() == 6
    # Placed in their unit grid by the locator.
    assert set(PatrolPoint.objects.values_list("unit_grid__code", flat=True)) == {"439901001001001"}


def test_points_sent_after_going_off_duty_still_count_and_the_walk_is_summed_again(client_as, collector_a, clock):
    api = client_as("collector_a")
    start = clock.now
    api.post("/api/patrol/duty/", {"on_duty": True}, format="json")
    clock.advance(minutes=10)
    api.post("/api/patrol/duty/", {"on_duty": False}, format="json")
    assert DutyShift.objects.get().distance_m == 0
    # The phone was offline: its points arrive after 下岗, and belong to the shift.
    response = api.post("/api/patrol/points/", {"points": _points(start, 10)}, format="json")
    assert response.json() == {"stored": 10}
    # Ten points from 10 % to 90 % of a 0.001° square's height: 0.0008° of latitude ≈ 89 m.
    assert DutyShift.objects.get().distance_m == pytest.approx(89, abs=1)


def test_no_points_without_a_shift(client_as, clock):
    response = client_as("collector_a").post("/api/patrol/points/", {"points": _points(clock.now, 3)}, format="json")
    assert response.status_code == 201 and response.json() == {"stored": 0}
    assert not PatrolPoint.objects.exists()


def test_more_than_500_points_are_refused(client_as, clock):
    api = client_as("collector_a")
    api.post("/api/patrol/duty/", {"on_duty": True}, format="json")
    response = api.post("/api/patrol/points/", {"points": _points(clock.now, 501, step_seconds=1)}, format="json")
    assert response.status_code == 400


def test_check_in_within_the_radius_and_refused_beyond_it_with_the_distance(client_as, collector_a, post, clock):
    api = client_as("collector_a")
    assert api.post("/api/patrol/checkins/", {"post_id": post.pk, "lon": post.lon, "lat": post.lat},
                    format="json").status_code == 409  # not on duty yet
    api.post("/api/patrol/duty/", {"on_duty": True}, format="json")
    far = api.post("/api/patrol/checkins/", {"post_id": post.pk, "lon": post.lon, "lat": post.lat + 0.001},
                   format="json")
    assert far.status_code == 400
    assert "111 米" in far.json()["detail"] and far.json()["distance_m"] == pytest.approx(111.2, abs=0.5)
    near = api.post("/api/patrol/checkins/", {"post_id": post.pk, "lon": post.lon, "lat": post.lat + 0.0002,
                                              "accuracy": 5}, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert near.status_code == 201
    assert near.json()["post_id"] == post.pk and near.json()["distance_m"] == pytest.approx(22.2, abs=0.5)
    retry = api.post("/api/patrol/checkins/", {"post_id": post.pk, "lon": post.lon, "lat": post.lat + 0.0002,
                                               "accuracy": 5}, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert retry.status_code == 200 and retry.json() == near.json()
    assert CheckIn.objects.count() == 1
    posts = api.get("/api/patrol/posts/").json()
    assert [(p["id"], p["checked_in_today"]) for p in posts] == [(post.pk, True)]


def test_another_collectors_post_is_not_found(client_as, post, clock):
    api = client_as("collector_b")
    api.post("/api/patrol/duty/", {"on_duty": True}, format="json")
    response = api.post("/api/patrol/checkins/", {"post_id": post.pk, "lon": post.lon, "lat": post.lat}, format="json")
    assert response.status_code == 404
    assert api.get("/api/patrol/posts/").json() == []


def test_today_work_log(client_as, collector_a, post, clock):
    api = client_as("collector_a")
    clock.set("2025-03-05 08:00")
    api.post("/api/patrol/duty/", {"on_duty": True}, format="json")
    api.post("/api/patrol/points/", {"points": _points(clock.now, 10)}, format="json")
    clock.set("2025-03-05 09:00")
    api.post("/api/patrol/checkins/", {"post_id": post.pk, "lon": post.lon, "lat": post.lat}, format="json")
    clock.set("2025-03-05 09:30")
    log = api.get("/api/patrol/today/").json()
    assert log == {"on_duty_seconds": 5400, "distance_m": pytest.approx(89, abs=1), "reports": 0,
                   "tasks_done": 0, "checkins": 1, "checkins_due": 2}


@pytest.mark.parametrize("username", ["handler_a", "operator", "hotline_agent"])
def test_only_collectors_use_the_collector_endpoints(client_as, username):
    api = client_as(username)
    assert api.get("/api/patrol/duty/").status_code == 403
    assert api.post("/api/patrol/points/", {"points": []}, format="json").status_code == 403
    assert api.get("/api/patrol/today/").status_code == 403


def test_positions_are_seen_by_the_command_center_in_scope_only(client_as, collector_a, collector_b, clock):
    for name in ("collector_a", "collector_b"):
        api = client_as(name)
        api.post("/api/patrol/duty/", {"on_duty": True}, format="json")
        api.post("/api/patrol/points/", {"points": _points(clock.now, 3)}, format="json")
    clock.advance(minutes=1)
    everyone = client_as("operator").get("/api/patrol/collectors/").json()
    assert {row["username"]: row["on_duty"] for row in everyone} == {"collector_a": True, "collector_b": True}
    assert all(row["lat"] is not None for row in everyone)
    west = client_as("operator_b").get("/api/patrol/collectors/").json()
    assert [row["username"] for row in west] == ["collector_b"]
    track = client_as("operator_b").get(f"/api/patrol/collectors/{collector_a.pk}/track/")
    assert track.status_code == 404
    track = client_as("operator").get(f"/api/patrol/collectors/{collector_a.pk}/track/?day=2025-03-05")
    assert [point["lat"] for point in track.json()] == sorted(point["lat"] for point in track.json())
    assert len(track.json()) == 3
    for name in ("handler_a", "collector_b", "hotline_agent"):
        assert client_as(name).get("/api/patrol/collectors/").status_code == 403
    assert client_as("operator").get(f"/api/patrol/collectors/{collector_a.pk}/track/?day=3.5.").status_code == 400
