"""The generator of one history: the period and its report intensity, each batch's cases sampled
(when, what, where, who) and replayed path by path, and the replays turned into the tables' rows."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from django.conf import settings

from ..calendar import WorkCalendar
from ..models import Case, CaseEvent, CaseRequest, CaseStep, Source, State, Task
from .clocks import Clocks
from .ids import Ids
from .mix import (
    BODIES,
    COLLECTOR_SELF_HANDLED,
    COMPONENT_REFERENCE_SHARE,
    DAY_OFF_FACTOR,
    DESCRIPTION_SUFFIXES,
    EVENT_ACTION,
    HOUR_WEIGHTS,
    NULL,
    OVERDUE_MARK_DELAY,
    OWNERSHIP_OVERRIDE_SHARE,
    PATH_INDEX,
    PATHS,
    SOURCE_MIX,
    SURNAMES,
    URGENCY_MIX,
    VOID_SHARE,
    K,
    S,
)
from .registry import Registry, pool_pick
from .replay import PathRun, RequestSpec, TaskSpec
from .text import TABLES, TextFormat, const_matrix


def _months_back(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, 28)
    return moment.replace(year=year, month=month + 1, day=day)


class Generator:
    def __init__(self, *, count: int, months: int, seed: int, until: datetime, batch: int,
                 edition: str | None = None):
        self.count, self.months, self.seed, self.batch = count, months, seed, batch
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.until = until.astimezone(UTC).replace(microsecond=0)
        self.start = _months_back(self.until.astimezone(self.tz), months).astimezone(UTC)
        self.until_epoch = int(self.until.timestamp())
        self.start_epoch = int(self.start.timestamp())
        first = self.start.astimezone(self.tz).date() - timedelta(days=3)
        last = self.until.astimezone(self.tz).date() + timedelta(days=800)
        self.reg = Registry.load(seed=seed, edition=edition)
        self.clocks = Clocks(self.reg.department_id.tolist(), first, last)
        self.text = TextFormat(first - timedelta(days=1), last)
        self.department_names = np.array(self.reg.department_name_json, dtype="S")
        self.ids = Ids()
        self._hour_cdf()
        self.sources = list(SOURCE_MIX)
        self.source_cum = np.cumsum(list(SOURCE_MIX.values())) / sum(SOURCE_MIX.values())
        self.source_bytes = np.array([s.encode() for s in self.sources], dtype="S")
        self.urgencies = list(URGENCY_MIX)
        self.urgency_cum = np.cumsum(list(URGENCY_MIX.values()))
        self.urgency_bytes = np.array([u.encode() for u in self.urgencies], dtype="S")
        self.kind_bytes = np.array([k.encode() for k in self.reg.minor_kind], dtype="S")
        body_names = list(BODIES)
        self.body_paths = {prefix: np.array([PATH_INDEX[f"{prefix}:{b}"] for b in body_names])
                           for prefix in ("direct", "verified")}
        shares = np.array([BODIES[b][0] for b in body_names])
        self.body_cum = np.cumsum(shares) / shares.sum()

    def _hour_cdf(self) -> None:
        """Report intensity per hour of the period (hour of day, days off quieter)."""
        hours = np.arange(self.start_epoch - self.start_epoch % 3600, self.until_epoch, 3600, dtype=np.int64)
        calendar = WorkCalendar.for_department(None)
        local = [datetime.fromtimestamp(int(h), self.tz) for h in hours]
        workdays = {}
        weights = np.empty(len(hours))
        for i, moment in enumerate(local):
            day = moment.date()
            if day not in workdays:
                workdays[day] = calendar.is_workday(day)
            weights[i] = HOUR_WEIGHTS[moment.hour] * (1.0 if workdays[day] else DAY_OFF_FACTOR)
        # The first and last hour are partial.
        weights[0] *= 1 - (self.start_epoch - hours[0]) / 3600
        weights[-1] *= min((self.until_epoch - hours[-1]) / 3600, 1.0)
        self.hours = hours
        self.hour_cdf = np.r_[0.0, np.cumsum(weights) / weights.sum()]

    # -- one batch -----------------------------------------------------------------------------

    def cases_sample(self, first: int, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        reg = self.reg
        # Case k of N sits at quantile (k + u) / N of the period's intensity: ordered by id, and the
        # same history whatever the batch size.
        q = (np.arange(first, first + n) + rng.random(n)) / self.count
        hour = np.clip(np.searchsorted(self.hour_cdf, q, side="right") - 1, 0, len(self.hours) - 1)
        within = (q - self.hour_cdf[hour]) / np.maximum(self.hour_cdf[hour + 1] - self.hour_cdf[hour], 1e-300)
        reported = self.hours[hour] + (np.clip(within, 0, 0.9999) * 3600).astype(np.int64)
        reported = np.clip(reported, self.start_epoch, self.until_epoch - 60)

        source = np.searchsorted(self.source_cum, rng.random(n), side="right").clip(0, len(self.sources) - 1)
        minor = np.searchsorted(reg.minor_cum_weight, rng.random(n), side="right").clip(0, len(reg.minor_id) - 1)
        urgency = np.searchsorted(self.urgency_cum, rng.random(n), side="right").clip(0, 2)

        # Where: a component-class report usually names a component, at its place; anything else
        # lands in a grid (hot spots weighted) at a random point inside its polygon.
        component = np.full(n, NULL, dtype=np.int64)
        grid = np.searchsorted(reg.grid_cum_weight, rng.random(n), side="right").clip(0, len(reg.grid_id) - 1)
        lon, lat = self._points_in(grid, rng)
        has = (reg.minor_component_count[minor] > 0) & (rng.random(n) < COMPONENT_REFERENCE_SHARE)
        has &= np.array([k == "component" for k in reg.minor_kind])[minor]
        if has.any():
            pick = reg.minor_component_start[minor[has]] + (
                rng.random(has.sum()) * reg.minor_component_count[minor[has]]).astype(np.int64)
            component[has] = reg.component_id[pick]
            grid[has] = reg.component_grid[pick]
            lon[has], lat[has] = reg.component_lon[pick], reg.component_lat[pick]

        district = reg.grid_district[grid]
        rgrid = reg.grid_rgrid[grid]
        collector = pool_pick(rng, *reg.collectors_by_rgrid, np.where(rgrid == NULL, 0, reg.rgrid_position[rgrid]))
        collector = np.where((rgrid == NULL) | (collector == NULL), pool_pick(rng, *reg.staff["collector"], district),
                             collector)
        operator = pool_pick(rng, *reg.staff["operator"], district)
        hotline = pool_pick(rng, *reg.staff["hotline"], district)
        source_name = np.array(self.sources)[source]
        reporter = np.select(
            [source_name == Source.COLLECTOR, np.isin(source_name, [Source.HOTLINE_12319, Source.HOTLINE_12345]),
             np.isin(source_name, [Source.MEDIA, Source.LEADER, Source.TRANSFER_110, Source.OTHER])],
            [collector, np.where(hotline == NULL, operator, hotline), operator], NULL)

        # Paths.
        u = rng.random(n)
        body = self.body_paths["direct"][np.searchsorted(self.body_cum, rng.random(n), side="right").clip(
            0, len(self.body_cum) - 1)]
        verified_body = body - self.body_paths["direct"][0] + self.body_paths["verified"][0]
        is_collector = source_name == Source.COLLECTOR
        is_video = source_name == Source.VIDEO
        path = np.where(is_collector | is_video, body, verified_body)
        path = np.where(is_collector & (u < COLLECTOR_SELF_HANDLED), PATH_INDEX["self_handled"], path)
        path = np.where(is_collector & (u >= COLLECTOR_SELF_HANDLED) & (u < COLLECTOR_SELF_HANDLED + VOID_SHARE["direct"]),
                        PATH_INDEX["void"], path)
        path = np.where(is_video & (u < VOID_SHARE["video"]), PATH_INDEX["void"], path)
        other = ~(is_collector | is_video)
        path = np.where(other & (u < VOID_SHARE["verify_false"]), PATH_INDEX["verify_false"], path)
        path = np.where(other & (u >= VOID_SHARE["verify_false"])
                        & (u < VOID_SHARE["verify_false"] + VOID_SHARE["verify_void_at_once"]), PATH_INDEX["void"],
                        path)

        # Departments: the ownership rule's answer, else one of the class's type nearby; a return
        # path first goes to a wrong one.
        suggested = reg.ownership(minor, grid)
        fallback_key = reg.minor_department_type[minor] * len(reg.district_ids) + district
        fallback = pool_pick(rng, *reg.fallback_departments, fallback_key)
        main = np.where((suggested != NULL) & (rng.random(n) >= OWNERSHIP_OVERRIDE_SHARE), suggested, fallback)
        main = np.where(main == NULL, 0, main)
        wrong = rng.integers(0, len(reg.department_id), n)
        wrong = np.where(wrong == main, (wrong + 1) % len(reg.department_id), wrong)
        returns = np.isin(path, [PATH_INDEX[f"{p}:{b}"] for p in ("direct", "verified")
                                 for b in ("return", "return_rework")])
        department = np.stack([np.where(returns, wrong, main), main], axis=1)
        handler = np.stack([pool_pick(rng, *reg.handlers, department[:, 0]), pool_pick(rng, *reg.handlers, department[:, 1])],
                           axis=1)

        calls = np.isin(source_name, [Source.HOTLINE_12319, Source.HOTLINE_12345, Source.PUBLIC])
        surname = np.array([s.encode() for s in SURNAMES], dtype="S")[rng.integers(0, len(SURNAMES), n)]
        title = np.array(["先生".encode(), "女士".encode()], dtype="S")[rng.integers(0, 2, n)]
        phone = np.strings.add(b"1", np.strings.zfill(rng.integers(3_000_000_000, 9_999_999_999, n).astype("S10"), 10))
        ids = self.ids.case_ids(reported)
        year = np.array([datetime.fromtimestamp(int(t), self.tz).year for t in reported[[0, -1]]])
        numbers = np.empty(n, dtype="S12")
        if year[0] == year[-1]:
            numbers[:] = self.ids.numbers(int(year[0]), n)
        else:
            years = np.array([datetime.fromtimestamp(int(t), self.tz).year for t in reported])
            for y in np.unique(years):
                numbers[years == y] = self.ids.numbers(int(y), int((years == y).sum()))
        return {
            "id": ids, "number": numbers, "source": source, "source_bytes": self.source_bytes[source],
            "minor": minor, "urgency": urgency, "component": component, "grid": grid, "lon": lon, "lat": lat,
            "reported_at": reported, "path": path, "operator": operator,
            "leader": pool_pick(rng, *reg.staff["leader"], district),
            "dispatcher": pool_pick(rng, *reg.staff["dispatcher"], district), "collector": collector,
            "reporter": reporter, "department": department, "handler": handler,
            "suggested_id": np.where(suggested == NULL, NULL, reg.department_id[np.maximum(suggested, 0)]),
            "description": reg.minor_descriptions[minor, rng.integers(0, len(DESCRIPTION_SUFFIXES), n)],
            "reporter_name": np.where(calls, np.strings.add(surname, title), b""),
            "reporter_phone": np.where(calls, phone, b""),
        }

    def _points_in(self, grid: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        bounds = self.reg.grid_bounds[grid]
        lon = np.empty(len(grid))
        lat = np.empty(len(grid))
        todo = np.arange(len(grid))
        for _attempt in range(12):
            if not len(todo):
                break
            b = bounds[todo]
            x = b[:, 0] + rng.random(len(todo)) * (b[:, 2] - b[:, 0])
            y = b[:, 1] + rng.random(len(todo)) * (b[:, 3] - b[:, 1])
            inside = shapely.contains_xy(self.reg.grid_geometry[grid[todo]], x, y)
            lon[todo[inside]], lat[todo[inside]] = x[inside], y[inside]
            todo = todo[~inside]
        if len(todo):  # thin slivers: the polygon's representative point is always inside
            points = shapely.point_on_surface(self.reg.grid_geometry[grid[todo]])
            lon[todo], lat[todo] = shapely.get_x(points), shapely.get_y(points)
        return lon, lat

    def task(self, run: PathRun, kind, j, actor, deadline) -> TaskSpec:
        spec = TaskSpec(kind, j, actor, deadline, np.full(run.n, NULL, dtype=np.int64))
        run.tasks.append(spec)
        return spec

    def request(self, run: PathRun, kind, j, actor, note, requested) -> RequestSpec:
        spec = RequestSpec(kind, j, actor, note, requested, np.full(run.n, NULL, dtype=np.int64))
        run.requests.append(spec)
        return spec

    def batch_frames(self, number: int, first: int, n: int):
        """The rows of one batch: {table: [frame, …]} and the ids of its tasks and requests (the
        frames hold batch-local numbers for them, resolved when the rows are written)."""
        rng = np.random.default_rng([self.seed, 2, number])
        cases = self.cases_sample(first, n, rng)
        chunks: dict[str, list[dict]] = {m._meta.db_table: [] for m, _c in TABLES}
        self.local = {"task": 0, "request": 0}
        for path in np.unique(cases["path"]):
            rows = np.flatnonzero(cases["path"] == path)
            group = {key: value[rows] for key, value in cases.items()}
            run = PathRun(self, PATHS[path][1], group, rng)
            run.run()
            self._materialize(run, chunks)
        ids = {"task": self.ids.take(Task, self.local["task"]),
               "request": self.ids.take(CaseRequest, self.local["request"])}
        for table, kind in ((Task._meta.db_table, "task"), (CaseRequest._meta.db_table, "request")):
            for frame in chunks[table]:
                frame["id"] = ids[kind][frame["id"]]
        for frame in chunks[CaseEvent._meta.db_table]:
            frame["payload"] = self._payload_text(frame["payload"], len(frame["case_id"]), ids)
        return {table: _concat(frames) for table, frames in chunks.items() if frames}

    def _payload_text(self, pieces: list, n: int, ids: dict[str, np.ndarray]) -> np.ndarray:
        """The pieces of a JSON payload (bytes, or (kind, column)) as one byte matrix, NUL-padded
        within and at the end of each row."""
        cells = []
        for piece in pieces:
            if isinstance(piece, bytes):
                cells.append(const_matrix(piece, n))
                continue
            kind, values = piece
            if kind in ("task", "request"):
                kind, values = "json_int", ids[kind][values]
            cells.append(self.text.cell(kind, values, n))
        # NULs inside a row are squeezed out with the rest when the rows are written.
        return np.hstack(cells)

    def _local_ids(self, kind: str, count: int) -> np.ndarray:
        start = self.local[kind]
        self.local[kind] += count
        return np.arange(start, start + count, dtype=np.int64)

    def _materialize(self, run: PathRun, frames) -> None:
        c, done, T, reg = run.c, run.done, run.T, self.reg
        n = run.n
        value = {name: var.at(done) for name, var in run.v.items()}
        last = T[np.arange(n), done - 1]
        frames[Case._meta.db_table].append({
            "id": c["id"], "number": c["number"], "source": c["source_bytes"], "kind": self.kind_bytes[c["minor"]],
            "minor_id": reg.minor_id[c["minor"]], "component_id": c["component"], "lon": c["lon"], "lat": c["lat"],
            "address": reg.grid_address[c["grid"]], "unit_grid_id": reg.grid_id[c["grid"]],
            "community_id": reg.grid_community[c["grid"]], "street_id": reg.grid_street[c["grid"]],
            "district_id": reg.grid_district_id[c["grid"]], "responsibility_grid_id": reg.grid_rgrid[c["grid"]],
            "description": c["description"], "urgency": self.urgency_bytes[c["urgency"]], "reporter_id": c["reporter"],
            "reporter_name": c["reporter_name"], "reporter_phone": c["reporter_phone"], "state": value["state"],
            "department_id": value["department"], "suggested_department_id": c["suggested_id"],
            "ownership_unknown": (c["suggested_id"] == NULL).astype(np.int64), "verified": value["verified"],
            "current_step": value["current_step"], "current_deadline": value["current_deadline"],
            "current_step_started_at": value["current_started"], "reported_at": c["reported_at"],
            "filed_at": value["filed_at"], "dispatched_at": value["dispatched_at"],
            "handle_deadline": value["handle_deadline"], "handled_at": value["handled_at"],
            "handled_on_time": value["handled_on_time"], "closed_at": value["closed_at"],
            "closed_on_time": value["closed_on_time"], "voided_at": value["voided_at"],
            "rework_count": value["rework_count"], "return_count": value["return_count"],
            "extension_count": value["extension_count"], "suspension_count": value["suspension_count"],
            "urge_count": value["urge_count"], "updated_at": last,
        })
        # Tasks and requests first: their ids go into the events' payloads.
        for spec in run.tasks:
            exists = done > spec.opened
            spec.local_id[exists] = self._local_ids("task", int(exists.sum()))
            closed = done > spec.closed if spec.closed is not None else np.zeros(n, dtype=bool)
            frames[Task._meta.db_table].append(_rows(exists, {
                "id": spec.local_id, "case_id": c["id"], "kind": np.full(n, spec.kind.encode(), dtype="S8"),
                "responsibility_grid_id": reg.grid_rgrid[c["grid"]], "created_by_id": spec.created_by,
                "created_at": T[:, spec.opened], "deadline": spec.deadline,
                "completed_at": np.where(closed, T[:, spec.closed] if spec.closed is not None else NULL, NULL),
                "completed_by_id": np.where(closed, spec.closed_by, NULL),
                "result": np.where(closed, spec.result, NULL),
                "note": np.where(closed, spec.note, b""),
            }))
        for spec in run.requests:
            exists = done > spec.opened
            spec.local_id[exists] = self._local_ids("request", int(exists.sum()))
            decided = done > spec.decided if spec.decided is not None else np.zeros(n, dtype=bool)
            status = b"approved" if spec.approved else b"denied"
            frames[CaseRequest._meta.db_table].append(_rows(exists, {
                "id": spec.local_id, "case_id": c["id"], "kind": np.full(n, spec.kind.encode(), dtype="S12"),
                "status": np.where(decided, status, b"pending"), "reason": np.full(n, spec.reason),
                "requested_deadline": np.broadcast_to(spec.requested_deadline, (n,)),
                "requested_by_id": spec.requested_by, "requested_at": T[:, spec.opened],
                "decided_by_id": np.where(decided, spec.decided_by, NULL),
                "decided_at": np.where(decided, T[:, spec.decided] if spec.decided is not None else NULL, NULL),
                "decision_note": np.where(decided, spec.note, b""),
            }))
        state_after = np.array(run.state_after, dtype=np.int64)
        for spec in run.steps:
            exists = done > spec.opened
            if not exists.any():
                continue
            closed = done > spec.closed if spec.closed is not None else np.zeros(n, dtype=bool)
            completed = np.where(closed, T[:, spec.closed] if spec.closed is not None else NULL, NULL)
            # Working minutes as cases.steps.step_work_minutes writes them: on the step's clock, less
            # the suspended span, rounded down; only for the closed steps (the open ones' are NULL).
            minutes = np.full(n, NULL)
            if closed.any():
                started, ended = T[closed, spec.opened], T[closed, spec.closed]
                clock = np.broadcast_to(np.asarray(spec.clock), (n,))[closed]
                paused = np.broadcast_to(np.asarray(spec.paused), (n,))[closed]
                minutes[closed] = np.maximum(self.clocks.between(clock, started, ended) - paused, 0) // 60
            deadline = spec.deadline.at(done)
            if spec.on_time == "compare":
                on_time = np.where(closed, (completed <= deadline).astype(np.int64), NULL)
            else:
                on_time = np.where(closed, 1 if spec.on_time == "true" else NULL, NULL)
            # The minutely beat (cases.services.steps_mark_overdue) marked every step still open
            # past its deadline, and logged it; never while the case was suspended (clock paused).
            mark = deadline + OVERDUE_MARK_DELAY
            marked = exists & (mark <= self.until_epoch) & (~closed | (mark < completed))
            state_at_mark = np.full(n, NULL)
            if marked.any():
                state_at_mark[marked] = state_after[(T[marked] <= mark[marked, None]).sum(axis=1) - 1]
                marked &= state_at_mark != S[State.SUSPENDED]
            frames[CaseStep._meta.db_table].append(_rows(exists, {
                "case_id": c["id"], "kind": np.full(n, K[spec.kind]),
                "department_id": np.broadcast_to(spec.department, (n,)), "started_at": T[:, spec.opened],
                "deadline": deadline, "completed_at": completed, "on_time": on_time,
                "overdue_marked_at": np.where(marked, mark, NULL),
                "completed_by_id": np.where(closed, spec.closed_by, NULL), "work_minutes": minutes,
            }))
            if marked.any():
                state = state_at_mark[marked]
                m = int(marked.sum())
                frames[CaseEvent._meta.db_table].append({
                    "case_id": c["id"][marked], "action": np.full(m, b"overdue"), "from_state": state,
                    "to_state": state, "actor_id": np.full(m, NULL), "created_at": mark[marked],
                    "note": np.full(m, b""), "payload": [b'{"step": "' + spec.kind.encode() + b'", "deadline": "',
                                                         ("iso", deadline[marked]), b'"}'],
                })
        for spec in run.events:
            exists = done > spec.j
            m = int(exists.sum())
            if not m:
                continue
            frames[CaseEvent._meta.db_table].append({
                "case_id": c["id"][exists], "action": np.full(m, EVENT_ACTION.get(spec.action, spec.action).encode()),
                "from_state": np.full(m, spec.from_state), "to_state": np.full(m, spec.to_state),
                "actor_id": np.broadcast_to(spec.actor, (n,))[exists], "created_at": T[exists, spec.j],
                "note": np.full(m, spec.note), "payload": self._payload(spec.payload, exists),
            })

    @staticmethod
    def _payload(pieces, mask) -> list:
        return [piece if isinstance(piece, bytes) else (piece[0], np.broadcast_to(piece[1], mask.shape)[mask])
                for piece in pieces]


def _rows(mask: np.ndarray, frame: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: np.broadcast_to(values, mask.shape)[mask] for name, values in frame.items()}


def _concat(frames: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    out = {}
    for name in frames[0]:
        parts = [f[name] for f in frames]
        if parts[0].ndim == 2:  # byte matrices (payloads): pad to the widest
            width = max(p.shape[1] for p in parts)
            parts = [np.pad(p, ((0, 0), (0, width - p.shape[1]))) for p in parts]
        out[name] = np.concatenate(parts)
    return out
