"""The end-to-end harness itself: a browser that never answers a context's close does not hang the run."""
import threading

import pytest

from . import conftest as e2e


class _HungContext:
    """Answers close() only once the browser is killed, as Chromium did in the CI run of 2026-12-07."""

    def __init__(self, killed: threading.Event):
        self.killed = killed

    def close(self):
        from playwright.sync_api import Error

        assert self.killed.wait(10), "the watchdog never fired"
        raise Error("Target page, context or browser has been closed")


class _Context:
    def __init__(self):
        self.closed = False

    def close(self):
        self.closed = True


def test_a_context_that_never_closes_is_given_up_when_the_browser_is_killed(monkeypatch):
    killed = threading.Event()
    kills = []
    monkeypatch.setattr(e2e, "CLOSE_SECONDS", 0.2)
    monkeypatch.setattr(e2e.subprocess, "run", lambda command: (kills.append(command), killed.set()))
    e2e.contexts_close([_HungContext(killed), _Context()])
    assert kills == [["pkill", "-f", "--", e2e.BROWSER_MARK]]


def test_a_closing_error_before_the_watchdog_is_not_swallowed(monkeypatch):
    from playwright.sync_api import Error

    class Broken:
        def close(self):
            raise Error("something else")

    monkeypatch.setattr(e2e.subprocess, "run", lambda command: pytest.fail("killed a browser that answered"))
    with pytest.raises(Error, match="something else"):
        e2e.contexts_close([Broken()])
    normal = _Context()
    e2e.contexts_close([normal])
    assert normal.closed
