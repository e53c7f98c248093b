"""The read router's lag cutoff (core.db_router) with a fake lag: a replica behind by more than
REPLICA_MAX_LAG_SECONDS gets no read, its lag is looked up at most every REPLICA_LAG_CHECK_SECONDS,
and with every replica lagging the reads go to the primary. The real replica: citygrid/tests/
test_replica.py (.ci/replica)."""
import pytest

from cases.models import Case
from core import db_router
from core.db_router import ReplicaRouter, replica_lag_acceptable, replica_reads

REPLICAS = ["replica_1", "replica_2"]


@pytest.fixture
def lags(monkeypatch, settings):
    """Two replicas that answer, whose lag is what the test puts in the dict; counts the look-ups."""
    settings.REPLICA_MAX_LAG_SECONDS = 30
    settings.REPLICA_LAG_CHECK_SECONDS = 5
    current = {"replica_1": 0.0, "replica_2": 0.0}
    looked_up = []

    def lag(alias):
        looked_up.append(alias)
        return current[alias]

    monkeypatch.setattr(db_router, "replica_aliases", lambda: REPLICAS)
    monkeypatch.setattr(db_router, "_replica_answers", lambda alias: True)
    monkeypatch.setattr(db_router, "replica_lag_seconds", lag)
    db_router.replica_marks_clear()
    yield current, looked_up
    db_router.replica_marks_clear()


def routed() -> str | None:
    with replica_reads():
        return ReplicaRouter().db_for_read(Case)


def test_a_replica_within_the_cutoff_gets_reads_and_one_past_it_none(lags):
    current, _looked_up = lags
    current.update(replica_1=45.0, replica_2=2.0)
    assert {routed() for _ in range(4)} == {"replica_2"}
    assert replica_lag_acceptable("replica_1") is False
    assert replica_lag_acceptable("replica_2") is True


def test_with_every_replica_lagging_the_reads_go_to_the_primary(lags):
    current, _looked_up = lags
    current.update(replica_1=31.0, replica_2=120.0)
    assert routed() is None


def test_the_lag_is_looked_up_at_most_every_check_interval(lags, settings):
    current, looked_up = lags
    assert replica_lag_acceptable("replica_1") is True
    current["replica_1"] = 90.0  # starts lagging: the verdict seen 0 s ago still holds
    assert replica_lag_acceptable("replica_1") is True
    assert looked_up == ["replica_1"]
    settings.REPLICA_LAG_CHECK_SECONDS = 0  # the interval is over
    assert replica_lag_acceptable("replica_1") is False
    assert looked_up == ["replica_1", "replica_1"]
    current["replica_1"] = 1.0  # caught up: back in service at the next look-up
    assert replica_lag_acceptable("replica_1") is True


def test_no_cutoff_means_no_look_up(lags, settings):
    current, looked_up = lags
    settings.REPLICA_MAX_LAG_SECONDS = 0
    current.update(replica_1=1e6, replica_2=1e6)
    assert routed() in REPLICAS and looked_up == []


def test_a_standby_whose_lag_cannot_be_told_still_gets_reads(lags):
    current, _looked_up = lags
    current.update(replica_1=None, replica_2=None)  # not in recovery (a test mirror), say
    assert routed() in REPLICAS
