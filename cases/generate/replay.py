"""The replay of one path for many cases at once: each action's time on the actor's work clock and the
rows cases.workflow and cases.services would have written for it (steps, tasks, requests, events with
their payloads, the milestone columns), kept against action numbers and cut at each case's `until`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings

from core.pgcopy import copy_escaped_bytes

from ..models import State, StepKind
from ..transitions import TRANSITIONS
from .mix import ACTOR_COLUMN, NOTES, NULL, QUICK_GAPS, K, S

if TYPE_CHECKING:  # the generator drives the replay: imported for annotations only
    from .generator import Generator

class Var:
    """A value that actions overwrite: its value after the first k actions of each case."""

    def __init__(self, initial):
        self.initial = initial
        self.writes: list[tuple[int, object]] = []

    def set(self, j: int, value) -> None:
        self.writes.append((j, value))

    def at(self, k: np.ndarray) -> np.ndarray:
        value = np.broadcast_to(np.asarray(self.initial, dtype=np.int64), k.shape)
        for j, written in self.writes:
            value = np.where(k > j, written, value)
        return np.asarray(value, dtype=np.int64)

    def last(self):
        return self.writes[-1][1] if self.writes else self.initial


@dataclass
class StepSpec:
    kind: str
    opened: int
    department: np.ndarray | int
    deadline: Var
    closed: int | None = None
    on_time: str = "compare"  # compare | none | true
    closed_by: np.ndarray | int = NULL
    clock: np.ndarray | int = 0  # the work clock its time is counted on (Clocks: 0 = the city's)
    paused: np.ndarray | int = 0  # working seconds spent suspended, left out of its work_minutes


@dataclass
class TaskSpec:
    kind: str
    opened: int
    created_by: np.ndarray
    deadline: np.ndarray
    local_id: np.ndarray
    closed: int | None = None
    closed_by: np.ndarray | int = NULL
    result: int = NULL
    note: bytes = b""


@dataclass
class RequestSpec:
    kind: str
    opened: int
    requested_by: np.ndarray
    reason: bytes
    requested_deadline: np.ndarray | int
    local_id: np.ndarray
    decided: int | None = None
    approved: bool = False
    decided_by: np.ndarray | int = NULL
    note: bytes = b""


@dataclass
class EventSpec:
    j: int
    action: str
    from_state: int
    to_state: int
    actor: np.ndarray | int
    note: bytes
    payload: list  # bytes, or (kind, array) pieces: int, iso, bool, task, request, raw


def _lognormal(rng, n, median, sigma):
    return median * np.exp(sigma * rng.standard_normal(n))


class PathRun:
    """The cases of one batch that follow one path: their action times, and the rows the workflow
    would have written, recorded against action numbers and cut at each case's `done` count."""

    def __init__(self, gen: Generator, actions: list[str], cases: dict[str, np.ndarray], rng: np.random.Generator):
        self.gen, self.actions, self.c, self.rng = gen, actions, cases, rng
        self.n = n = len(cases["id"])
        self.T = np.zeros((n, len(actions)), dtype=np.int64)
        self.steps: list[StepSpec] = []
        self.tasks: list[TaskSpec] = []
        self.requests: list[RequestSpec] = []
        self.events: list[EventSpec] = []
        self.state_after: list[int] = []
        v = self.v = {name: Var(NULL) for name in (
            "department", "current_step", "current_deadline", "current_started", "filed_at", "dispatched_at",
            "handle_deadline", "handled_at", "handled_on_time", "closed_at", "closed_on_time", "voided_at",
            "verified")}
        for name in ("rework_count", "return_count", "extension_count", "suspension_count", "urge_count"):
            v[name] = Var(0)
        v["state"] = Var(S[State.REPORTED])
        self.state = S[State.REPORTED]
        self.open_step: StepSpec | None = None
        self.open_task: TaskSpec | None = None
        self.open_request: RequestSpec | None = None
        self.dispatches = 0
        self.handle_context = "first"
        self.counters = dict.fromkeys(("rework_count", "return_count", "extension_count", "suspension_count",
                                       "urge_count"), 0)

    # -- helpers ---------------------------------------------------------------------------------

    def _gap(self, j: int, clock, seconds) -> None:
        seconds = np.maximum(np.asarray(seconds), 1).astype(np.int64)
        self.T[:, j] = self.gen.clocks.add(clock, self.T[:, j - 1], seconds)

    def _step_open(self, j: int, kind: str, *, department=NULL, deadline=None, clock=0) -> StepSpec:
        t = self.T[:, j]
        if deadline is None:
            hours = settings.STEP_LIMITS_HOURS[kind]
            deadline = self.gen.clocks.add(0, t, np.full(self.n, int(round(hours * 3600))))
        step = StepSpec(kind, j, department, Var(deadline), clock=clock)
        self.steps.append(step)
        self.open_step = step
        self.v["current_step"].set(j, K[kind])
        self.v["current_deadline"].set(j, deadline)
        self.v["current_started"].set(j, t)
        return step

    def _step_complete(self, j: int, actor, *, on_time: str = "compare") -> StepSpec:
        step = self.open_step
        step.closed, step.closed_by, step.on_time = j, actor, on_time
        self.open_step = None
        return step

    def _clock_clear(self, j: int) -> None:
        for name in ("current_step", "current_deadline", "current_started"):
            self.v[name].set(j, NULL)

    def _event(self, j, action, actor, payload=(), note=b"") -> None:
        """Record the event of a move; a move of the lifecycle table goes to the table's target."""
        self.events.append(EventSpec(j, action, self.state, self.state, actor, note, list(payload)))
        transition = TRANSITIONS.get(action)
        if transition is not None and transition.target is not None:
            self._move(j, transition.target)

    def _move(self, j: int, state: str) -> None:
        self.state = S[state]
        self.events[-1].to_state = self.state
        self.v["state"].set(j, self.state)

    def _actor(self, action: str) -> np.ndarray:
        """Who makes the move, per case: the case's actor in the move's role (mix.ACTOR_COLUMN)."""
        column = ACTOR_COLUMN[action]
        return self.handler if column == "handler" else self.c[column]

    def _count(self, j: int, name: str) -> None:
        self.counters[name] += 1
        self.v[name].set(j, self.counters[name])

    def _handle_open(self, j: int) -> None:
        department = self.department
        clock = self.gen.clocks.of_department[department]
        limit = self.limit_seconds(clock)
        deadline = self.gen.clocks.add(clock, self.T[:, j], limit)
        self._step_open(j, StepKind.HANDLE, department=self.gen.reg.department_id[department], deadline=deadline,
                        clock=clock)
        self.v["handle_deadline"].set(j, deadline)
        self.v["handled_at"].set(j, NULL)
        self.v["handled_on_time"].set(j, NULL)

    def limit_seconds(self, clock: np.ndarray) -> np.ndarray:
        c = self.c
        amount = self.gen.reg.minor_limits[c["minor"], c["urgency"]]
        unit = np.where(self.gen.reg.minor_days[c["minor"]], self.gen.clocks.day_seconds(clock), 3600)
        return amount * unit

    @property
    def handler(self) -> np.ndarray:
        return self.c["handler"][:, self.dispatches - 1]

    # -- the run ---------------------------------------------------------------------------------

    def run(self) -> None:
        for j, action in enumerate(self.actions):
            getattr(self, f"a_{action}")(j)
            self.state_after.append(self.state)
        until = self.gen.until_epoch
        self.done = np.maximum((self.T <= until).sum(axis=1), 1)

    def quick(self, j: int, action: str) -> None:
        median, sigma = QUICK_GAPS[action]
        self._gap(j, 0, _lognormal(self.rng, self.n, median * 60, sigma))

    def a_report(self, j):
        c = self.c
        self.T[:, 0] = c["reported_at"]
        self._step_open(0, StepKind.ACCEPT)
        self._event(0, "report", c["reporter"], [b'{"source": "', ("bytes", c["source_bytes"]),
                                                  b'", "duplicate_of": null}'])
        self._move(0, State.REPORTED)
        self.events[-1].from_state = NULL  # blank: the report has no from-state

    def a_self_handle(self, j):
        c = self.c
        self.T[:, j] = self.T[:, j - 1]
        self._step_complete(j, c["reporter"], on_time="true")
        self._clock_clear(j)
        for name in ("filed_at", "dispatched_at", "handled_at", "closed_at"):
            self.v[name].set(j, self.T[:, j])
        self.v["handled_on_time"].set(j, 1)
        self.v["closed_on_time"].set(j, 1)
        self.v["verified"].set(j, 1)
        self._event(j, "self_handle", c["reporter"], [b"{}"])
        self._move(j, State.CLOSED)

    def a_propose_file(self, j):
        self.quick(j, "propose_file")
        actor = self._actor("propose_file")
        self._step_complete(j, actor)
        self._step_open(j, StepKind.FILE)
        self._event(j, "propose_file", actor, [b"{}"])

    def a_send_verify(self, j):
        self.quick(j, "send_verify")
        actor = self._actor("send_verify")
        self._step_complete(j, actor)
        step = self._step_open(j, StepKind.VERIFY)
        self.open_task = task = self.gen.task(self, "verify", j, actor, step.deadline.initial)
        self._event(j, "send_verify", actor, [b'{"task_id": ', ("task", task.local_id), b', "deadline": "',
                                               ("iso", step.deadline.initial), b'"}'])

    def _verify(self, j, result: bool):
        self.quick(j, "verify_true" if result else "verify_false")
        actor = self._actor("verify_true" if result else "verify_false")
        task = self.open_task
        task.closed, task.closed_by, task.result = j, actor, int(result)
        self.open_task = None
        self._step_complete(j, actor)
        self.v["verified"].set(j, int(result))
        self._step_open(j, StepKind.FILE)
        self._event(j, "verify", actor, [b'{"task_id": ', ("task", task.local_id),
                                         b', "is_true": true}' if result else b', "is_true": false}'])

    def a_verify_true(self, j):
        self._verify(j, True)

    def a_verify_false(self, j):
        self._verify(j, False)

    def a_file(self, j):
        self.quick(j, "file")
        actor = self._actor("file")
        self._step_complete(j, actor)
        self.v["filed_at"].set(j, self.T[:, j])
        self._step_open(j, StepKind.DISPATCH)
        self._event(j, "file", actor, [b'{"changes": {}, "filing_condition": ""}'])

    def a_void(self, j):
        self.quick(j, "void")
        actor = self._actor("void")
        if self.open_task is not None:
            task = self.open_task
            task.closed, task.closed_by = j, actor
            self.open_task = None
        self._step_complete(j, NULL, on_time="none")
        self._clock_clear(j)
        self.v["voided_at"].set(j, self.T[:, j])
        self._event(j, "void", actor, [b"{}"], note=copy_escaped_bytes(NOTES["void"]))

    def a_dispatch(self, j):
        self.quick(j, "dispatch")
        c = self.c
        actor = self._actor("dispatch")
        self._step_complete(j, actor)
        self.dispatches += 1
        self.department = c["department"][:, self.dispatches - 1]
        department_id = self.gen.reg.department_id[self.department]
        self.v["department"].set(j, department_id)
        self.v["dispatched_at"].set(j, self.T[:, j])
        self._handle_open(j)
        follows = department_id == c["suggested_id"]
        self._event(j, "dispatch", actor, [
            b'{"department": ', ("bytes", self.gen.department_names[self.department]), b', "suggested": ',
            ("json_int", c["suggested_id"]), b', "follows_suggestion": ', ("json_bool", follows.astype(np.int64)),
            b', "deadline": "', ("iso", self.open_step.deadline.initial), b'"}'])
        self.handle_context = "first"

    def a_return(self, j):
        clock = self.gen.clocks.of_department[self.department]
        self._gap(j, clock, _lognormal(self.rng, self.n, 3600, 0.8))
        actor = self._actor("return")
        self._step_complete(j, actor, on_time="none")
        self.v["department"].set(j, NULL)
        self.v["handle_deadline"].set(j, NULL)
        self._count(j, "return_count")
        self._step_open(j, StepKind.DISPATCH)
        self._event(j, "return", actor, [b'{"department": ', ("bytes", self.gen.department_names[self.department]),
                                         b"}"], note=copy_escaped_bytes(NOTES["return"]))

    def _request(self, j, kind, share_low, share_high):
        clock = self.gen.clocks.of_department[self.department]
        limit = self.limit_seconds(clock)
        started = self.open_step.opened
        self.T[:, j] = self.gen.clocks.add(clock, self.T[:, started],
                                           np.maximum(limit * self.rng.uniform(share_low, share_high, self.n), 1))
        self.T[:, j] = np.maximum(self.T[:, j], self.T[:, j - 1] + 1)
        handler = self._actor(f"request_{kind}")
        actor = np.where(handler == NULL, self.c["dispatcher"], handler)  # requested_by is required
        actor = np.where(actor == NULL, self.gen.reg.any_user, actor)
        requested = NULL
        if kind == "extension":
            deadline = self.open_step.deadline.last()
            requested = self.gen.clocks.add(clock, deadline, limit * self.rng.uniform(0.5, 1.5, self.n))
            requested = np.maximum(requested, self.T[:, j] + 3600)
        note = copy_escaped_bytes(NOTES[f"request_{kind}"])
        self.open_request = request = self.gen.request(self, kind, j, actor, note, requested)
        payload = [b'{"request_id": ', ("request", request.local_id)]
        payload += [b', "requested_deadline": "', ("iso", requested), b'"}'] if kind == "extension" else [b"}"]
        self._event(j, f"request_{kind}", actor, payload, note=note)

    def _decide(self, j, action, approved: bool):
        self.quick(j, action)
        actor = self._actor(action)
        request = self.open_request
        request.decided, request.approved, request.decided_by = j, approved, actor
        request.note = b"" if approved else copy_escaped_bytes(NOTES[action])
        self.open_request = None
        return request

    def a_request_extension(self, j):
        self._request(j, "extension", 0.4, 0.85)

    def a_approve_extension(self, j):
        request = self._decide(j, "approve_extension", True)
        step = self.open_step
        old = step.deadline.last()
        step.deadline.set(j, request.requested_deadline)
        self.v["handle_deadline"].set(j, request.requested_deadline)
        self.v["current_deadline"].set(j, request.requested_deadline)
        self._count(j, "extension_count")
        self._event(j, "approve_extension", request.decided_by, [
            b'{"request_id": ', ("request", request.local_id), b', "old_deadline": "', ("iso", old),
            b'", "deadline": "', ("iso", request.requested_deadline), b'"}'])
        self.handle_context = "extended"

    def a_deny_extension(self, j):
        request = self._decide(j, "deny_extension", False)
        self._event(j, "deny_extension", request.decided_by, [b'{"request_id": ', ("request", request.local_id),
                                                              b"}"], note=request.note)
        self.handle_context = "denied"

    def a_request_suspension(self, j):
        self._request(j, "suspension", 0.2, 0.6)

    def a_approve_suspension(self, j):
        request = self._decide(j, "approve_suspension", True)
        self._count(j, "suspension_count")
        self._event(j, "approve_suspension", request.decided_by, [b'{"request_id": ', ("request", request.local_id),
                                                                  b"}"])
        self.approved_at = j

    def a_deny_suspension(self, j):
        request = self._decide(j, "deny_suspension", False)
        self._event(j, "deny_suspension", request.decided_by, [b'{"request_id": ', ("request", request.local_id),
                                                               b"}"], note=request.note)
        self.handle_context = "denied"

    def a_resume(self, j):
        day = self.gen.clocks.clocks[0].seconds_per_day
        self._gap(j, 0, day * self.rng.uniform(3, 30, self.n))
        clock = self.gen.clocks.of_department[self.department]
        paused = self.gen.clocks.between(clock, self.T[:, self.approved_at], self.T[:, j])
        step = self.open_step
        step.paused = step.paused + paused
        old = step.deadline.last()
        new = self.gen.clocks.add(clock, old, paused)
        new = np.where(paused > 0, new, old)
        step.deadline.set(j, new)
        self.v["handle_deadline"].set(j, new)
        self.v["current_deadline"].set(j, new)
        actor = self._actor("resume")
        self._event(j, "resume", actor, [b'{"paused_work_seconds": ', ("json_int", paused), b', "old_deadline": "',
                                         ("iso", old), b'", "deadline": "', ("iso", new), b'"}'])
        self.handle_context = "extended"

    def a_urge(self, j):
        clock = self.gen.clocks.of_department[self.department]
        limit = self.limit_seconds(clock)
        started = self.open_step.opened
        self.T[:, j] = np.maximum(self.gen.clocks.add(clock, self.T[:, started],
                                                      limit * self.rng.uniform(0.95, 1.3, self.n)),
                                  self.T[:, j - 1] + 1)
        self._count(j, "urge_count")
        self._event(j, "urge", self._actor("urge"), [b'{"step": "handle", "deadline": "',
                                                      ("iso", self.open_step.deadline.last()), b'"}'],
                    note=copy_escaped_bytes(NOTES["urge"]))
        self.handle_context = "urged"

    def a_report_handled(self, j):
        clock = self.gen.clocks.of_department[self.department]
        limit = self.limit_seconds(clock)
        rng, n = self.rng, self.n
        step = self.open_step
        deadline = step.deadline.last()
        previous = self.T[:, j - 1]
        if self.handle_context == "first":
            gap = limit * _lognormal(rng, n, 0.45, 0.65)
        elif self.handle_context == "rework":
            gap = limit * _lognormal(rng, n, 0.35, 0.6)
        elif self.handle_context == "urged":
            gap = limit * _lognormal(rng, n, 0.25, 0.6)
        else:
            remaining = self.gen.clocks.between(clock, previous, deadline)
            if self.handle_context == "extended":
                gap = np.maximum(remaining, 600) * _lognormal(rng, n, 0.6, 0.5)
            else:  # denied: they needed the time they asked for
                gap = remaining * 0.8 + _lognormal(rng, n, 3 * 3600, 0.8)
        self._gap(j, clock, gap)
        actor = self._actor("report_handled")
        self._step_complete(j, actor)
        self.handled_on_time = (self.T[:, j] <= deadline).astype(np.int64)
        self.v["handled_at"].set(j, self.T[:, j])
        self.v["handled_on_time"].set(j, self.handled_on_time)
        self._step_open(j, StepKind.CHECK)
        self._event(j, "report_handled", actor, [b'{"on_time": ', ("json_bool", self.handled_on_time), b"}"])

    def a_send_check(self, j):
        self.quick(j, "send_check")
        actor = self._actor("send_check")
        deadline = self.open_step.deadline.initial
        self.open_task = task = self.gen.task(self, "check", j, actor, deadline)
        self._event(j, "send_check", actor, [b'{"task_id": ', ("task", task.local_id), b', "deadline": "',
                                             ("iso", deadline), b'"}'])

    def _check(self, j, passed: bool):
        self.quick(j, "check_pass" if passed else "check_fail")
        actor = self._actor("check_pass" if passed else "check_fail")
        task = self.open_task
        task.closed, task.closed_by, task.result = j, actor, int(passed)
        task.note = b"" if passed else copy_escaped_bytes(NOTES["check_fail"])
        self.open_task = None
        self._step_complete(j, actor)
        return task

    def a_check_pass(self, j):
        task = self._check(j, True)
        self._step_open(j, StepKind.CLOSE)
        self._event(j, "check_pass", task.closed_by, [b'{"task_id": ', ("task", task.local_id), b"}"])

    def a_check_fail(self, j):
        task = self._check(j, False)
        self._count(j, "rework_count")
        self._handle_open(j)
        self._event(j, "check_fail", task.closed_by, [b'{"task_id": ', ("task", task.local_id),
                                                      b', "deadline": "', ("iso", self.open_step.deadline.initial),
                                                      b'"}'], note=task.note)
        self.handle_context = "rework"

    def a_close(self, j):
        self.quick(j, "close")
        actor = self._actor("close")
        step = self._step_complete(j, actor)
        on_time = self.handled_on_time & (self.T[:, j] <= step.deadline.last())
        self.v["closed_at"].set(j, self.T[:, j])
        self.v["closed_on_time"].set(j, on_time)
        self._clock_clear(j)
        self._event(j, "close", actor, [b'{"on_time": ', ("json_bool", on_time), b"}"])
