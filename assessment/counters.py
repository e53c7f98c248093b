"""The counters (计数项) of every object type, counted in the database.

A counter is a condition (a Q) on one source table — cases, case events, clocked steps or collector
tasks — counted per object with conditional aggregation: one GROUP BY query per source table, object
type (and region level) and period, whatever the number of cases. A derived counter is a sum or
difference of counted ones (应核实数 = 核实完成数 + 超时未核实数). The same conditions give the
drill-down: the cases behind any number.

Period semantics (window [start, end), as_of = min(end, now)):
- 上报/立案/处置/结案/作废 count the milestone's time in the window (Case.reported_at, filed_at, …);
- 应处置数 = handled in the window, or handling deadline passed in [start, as_of) and not handled by
  the window's end; a case suspended (挂账) right now is not due. 应结案数 likewise with closed_at;
- 返工/延期/挂账/督办 count the distinct cases with such an event in the window; 回退 the distinct
  cases whose handling step ended in a return (completed without an on-time verdict) in the window,
  charged to that step's department (the case itself has left the department by then); a step
  ended by the dispatcher's redispatch (改派) or withdrawal (撤回) is no return;
- a dispatch is counted once: a redispatch opens no dispatch step, and the dispatch made again after
  a withdrawal completes its step without a verdict; a dispatch whose handling ended in a return, a
  redispatch or a withdrawal, or whose case was reworked, is not accurate (准确派遣);
- people are credited through CaseStep.completed_by (受理, 立案, 派遣, 结案), Task.completed_by
  (核实, 核查) and Task.created_by (下发任务); tasks not done by the window's end are charged to the
  collectors of the task's responsibility grid.
"""
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as DbCase
from django.db.models.expressions import Col
from django.db.models.fields.tuple_lookups import Tuple, TupleIn
from django.db.models.lookups import LessThan
from django.db.models.sql.datastructures import Join
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseEvent, CaseStep, Source, State, StepKind, Task, TaskKind
from cases.months import month_ids, reported_before_q, reported_between_q
from cases.transitions import Action
from core.partitions import case_id_range
from grids.models import Role, User
from hotline.models import (
    INTAKE_LINKS,
    SATISFIED_VALUES,
    Call,
    Callback,
    CallbackStatus,
    CaseLink,
    Channel,
    DeliveryStatus,
    Feedback,
    FeedbackKind,
)

from .models import ObjectType, RegionLevelKey
from .periods import Window, city_tz

PUBLIC_SOURCES = [Source.HOTLINE_12319, Source.HOTLINE_12345, Source.PUBLIC, Source.MEDIA, Source.LEADER,
                  Source.TRANSFER_110]
REWORK_ACTIONS = [Action.CHECK_FAIL, Action.REOPEN]
# The dispatcher's own corrections before the department acted: they end the department's handling
# step without a verdict, as a return does, but are not the department's return (CaseStep.ended_by).
# A joint review's decision (会审定责, 会审作废) that takes a case from its department ends the step
# the same way, and is no return of the department's either.
CORRECTION_ACTIONS = [Action.REDISPATCH, Action.WITHDRAW, Action.REVIEW_ASSIGN, Action.REVIEW_VOID]
REVIEW_ACTIONS = [Action.REVIEW_ASSIGN, Action.REVIEW_VOID]
EVENT_ACTIONS = [*REWORK_ACTIONS, Action.APPROVE_EXTENSION, Action.APPROVE_SUSPENSION, Action.URGE, "self_handle",
                 *REVIEW_ACTIONS]


def _in(field: str, w: Window) -> Q:
    return Q(**{f"{field}__gte": w.start, f"{field}__lt": w.end})


def _passed(field: str, w: Window) -> Q:
    """A deadline that passed inside the window (up to now for the running period)."""
    return Q(**{f"{field}__gte": w.start, f"{field}__lt": w.as_of})


# --- conditions on Case ------------------------------------------------------------------------
# Each carries the bound on the case's id (cases.months) that its window implies, so that the
# drill-down's and the passes' reads of the case table (partitioned by the month in the id on
# PostgreSQL) skip the other months: reported in the window, the window's months' ids; anything
# else in the window (filed, handled, closed, voided, a deadline passed), ids of months up to the
# window's end (a case is reported before anything happens to it, and its deadlines come after).
# Every row the condition matched satisfies its bound: the counts are the same. Nothing on SQLite.

def _reported_in(w: Window) -> Q:
    return _in("reported_at", w) & reported_between_q(w.start, w.end)


def _case_in(field: str, w: Window) -> Q:
    """A case milestone after the report (filed_at, handled_at, …) in the window."""
    return _in(field, w) & reported_before_q(w.end)


def q_reports(w: Window) -> Q:
    return _reported_in(w) & ~Q(state=State.MERGED)


def q_overdue_unhandled(w: Window) -> Q:
    return (_passed("handle_deadline", w) & (Q(handled_at__isnull=True) | Q(handled_at__gte=w.end))
            & ~Q(state=State.SUSPENDED) & reported_before_q(w.end))


def q_overdue_unclosed(w: Window) -> Q:
    return (_passed("handle_deadline", w) & (Q(closed_at__isnull=True) | Q(closed_at__gte=w.end))
            & ~Q(state__in=[State.SUSPENDED, State.VOIDED, State.MERGED]) & reported_before_q(w.end))


def q_public_confirmed() -> Q:
    """A report from outside the collectors (hotline, public, media, leader, 110, video) that proved
    true: verified, or filed without a verification."""
    return ~Q(source=Source.COLLECTOR) & (Q(verified=True) | Q(verified__isnull=True, filed_at__isnull=False))


def q_event(actions: list[str], w: Window) -> Q:
    return Q(action__in=actions) & _in("created_at", w)


# --- sources -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SourceTable:
    model: type[Model]
    count: str  # the column counted
    distinct: bool  # count distinct values of `count` (events: distinct cases)
    prefilter: Callable[[Window], Q]  # a superset of every counter's rows, for the indexes
    # Its rows in a window are things done to cases reported before the window's end: a query that
    # joins their cases may bound the case table's ids (case_bounded). Not the hotline's calls: a
    # call may be answered a moment before the case it creates is reported.
    after_report: bool = False


def _case_prefilter(w: Window) -> Q:
    # The bound exact for the OR: every branch is a case reported before the window's end.
    return ((_in("reported_at", w) | _in("filed_at", w) | _in("handled_at", w) | _in("closed_at", w)
             | _in("voided_at", w) | _passed("handle_deadline", w)) & reported_before_q(w.end))


def case_bounded(queryset: QuerySet, end) -> QuerySet:
    """The queryset with `id < the first id after end's month` on the case table it joins (INNER)
    through its `case` key: a step, event or task done before `end` belongs to a case reported
    before it, so no row is lost, and PostgreSQL skips the case partitions of the later months.
    The bound must be on the joined table's column: Django writes `case__id` as the row's own
    `case_id`, and PostgreSQL carries no range across a join (the hash join then reads every case
    partition). Unchanged without such a join, for the case table itself, and on SQLite."""
    if not month_ids(queryset.db) or queryset.model is Case:
        return queryset
    query = queryset.query
    alias = next((alias for alias, join in query.alias_map.items()
                  if isinstance(join, Join) and query.alias_refcount[alias] and join.table_name == Case._meta.db_table
                  and join.parent_alias == query.base_table and join.join_type == "INNER JOIN"
                  and getattr(join.join_field, "name", None) == "case"), None)
    if alias is None:
        return queryset
    high = case_id_range(end - timedelta(microseconds=1), end)[1]  # as cases.months.reported_before_q
    return queryset.filter(LessThan(Col(alias, Case._meta.pk), high))


def _completed_in(w: Window) -> Q:
    """Steps completed in the window. A step starts before it completes, so `started_at < end` (the
    partition key of cases_casestep) is exact and lets PostgreSQL skip the months after the window;
    no lower bound on `started_at` is exact (a suspended case's step may run for years)."""
    return _in("completed_at", w) & Q(started_at__lt=w.end)


SOURCES: dict[str, SourceTable] = {
    "case": SourceTable(Case, "id", False, _case_prefilter),
    "case_grid": SourceTable(Case, "id", False, _reported_in),
    "event": SourceTable(CaseEvent, "case_id", True, lambda w: q_event(EVENT_ACTIONS, w), after_report=True),
    # Only the returned handlings (no on-time verdict): about 5 % of the month's, which PostgreSQL
    # then joins to their cases by key instead of joining every handling step to every case.
    "handle_step": SourceTable(CaseStep, "case_id", True,
                               lambda w: Q(kind=StepKind.HANDLE, on_time__isnull=True) & _completed_in(w),
                               after_report=True),
    "step": SourceTable(CaseStep, "id", False, lambda w: _completed_in(w), after_report=True),
    "task_done": SourceTable(Task, "id", False, lambda w: _in("completed_at", w), after_report=True),
    "task_grid": SourceTable(Task, "id", False, lambda w: _passed("deadline", w), after_report=True),
    "task_sent": SourceTable(Task, "id", False, lambda w: _in("created_at", w), after_report=True),
    "call": SourceTable(Call, "id", False, lambda w: _in("called_at", w)),
    "hotline_intake": SourceTable(Call, "case_id", True, lambda w: q_first_intake(w)),
}


@dataclass(frozen=True)
class Counter:
    key: str
    label: Promise
    source: str = ""
    condition: Callable[[Window], Q] | None = None
    parts: tuple[tuple[str, int], ...] = ()  # derived: (key, +1 / -1)
    help: Promise | str = ""

    @property
    def derived(self) -> bool:
        return bool(self.parts)


PATROL = "patrol"  # counters computed by patrol.counters, not by a Count over a source table


def _c(key, label, source, condition, help_text="") -> Counter:
    return Counter(key, label, source, condition, help=help_text)


def _d(key, label, parts, help_text="") -> Counter:
    return Counter(key, label, parts=tuple(parts), help=help_text)


# Regions and departments count the same facts of the cases located in / sent to them.
AREA_COUNTERS = [
    _c("reports", _("上报数"), "case", q_reports, _("上报时间在周期内的案件（合并的重复案件不计）")),
    _c("collector_reports", _("监督员上报数"), "case", lambda w: q_reports(w) & Q(source=Source.COLLECTOR)),
    _c("valid_reports", _("有效上报数"), "case",
       lambda w: q_reports(w) & Q(source=Source.COLLECTOR, filed_at__isnull=False), _("监督员上报且已立案")),
    _c("public_reports", _("监督举报数"), "case", lambda w: q_reports(w) & Q(source__in=PUBLIC_SOURCES),
       _("热线、12345、公众、媒体、领导交办、110 来源的上报")),
    _c("filed", _("立案数"), "case", lambda w: _case_in("filed_at", w)),
    _c("voided", _("作废数"), "case", lambda w: _case_in("voided_at", w) & Q(filed_at__isnull=False),
       _("立案后作废")),
    _c("refused", _("不予立案数"), "case", lambda w: _case_in("voided_at", w) & Q(filed_at__isnull=True)),
    _c("due_handle", _("应处置数"), "case", lambda w: _case_in("handled_at", w) | q_overdue_unhandled(w),
       _("周期内处置的，加上处置时限在周期内届满而周期末仍未处置的（挂账中除外）")),
    _c("handled", _("处置数"), "case", lambda w: _case_in("handled_at", w)),
    _c("handled_on_time", _("按期处置数"), "case", lambda w: _case_in("handled_at", w) & Q(handled_on_time=True)),
    _c("overdue_unhandled", _("超期未处置数"), "case", q_overdue_unhandled),
    _c("due_close", _("应结案数"), "case", lambda w: _case_in("closed_at", w) | q_overdue_unclosed(w),
       _("周期内结案的，加上处置时限在周期内届满而周期末仍未结案的")),
    _c("closed", _("结案数"), "case", lambda w: _case_in("closed_at", w)),
    _c("closed_on_time", _("按期结案数"), "case", lambda w: _case_in("closed_at", w) & Q(closed_on_time=True)),
    _c("overdue_unclosed", _("超期未结案数"), "case", q_overdue_unclosed),
    _c("reworked", _("返工数"), "event", lambda w: q_event(REWORK_ACTIONS, w), _("核查未通过或回访不满意而返工的案件")),
    _c("returned", _("回退数"), "handle_step",
       lambda w: Q(kind=StepKind.HANDLE, on_time__isnull=True) & ~Q(ended_by__in=CORRECTION_ACTIONS)
       & _in("completed_at", w),
       _("处置环节以回退结束的案件（计入回退的部门；派遣员改派、撤回不计）")),
    _c("extended", _("延期数"), "event", lambda w: q_event([Action.APPROVE_EXTENSION], w), _("批准延期的案件")),
    _c("suspended", _("挂账数"), "event", lambda w: q_event([Action.APPROVE_SUSPENSION], w), _("批准挂账的案件")),
    _c("urged", _("督办数"), "event", lambda w: q_event([Action.URGE], w)),
    _c("self_handled", _("自行处置数"), "event", lambda w: q_event(["self_handle"], w)),
    # Joint review (supervision.reviews): its decisions are moves of the table, so they are events.
    _c("reviewed", _("会审案件数"), "event", lambda w: q_event(REVIEW_ACTIONS, w),
       _("联合会审作出决定（定责或作废）的案件")),
    _c("review_decided", _("会审定责数"), "event", lambda w: q_event([Action.REVIEW_ASSIGN], w),
       _("联合会审确定责任部门和办结日期的案件")),
    _c("review_closed_on_time", _("会审后按期结案数"), "case",
       lambda w: _reviewed_case() & Q(closed_at__lte=F("handle_deadline")) & _case_in("closed_at", w),
       _("经联合会审定责、在处置时限（会审确定的日期）前结案的案件")),
]


def _reviewed_case() -> Q:
    """The case was assigned to a department by a joint review (its handling then runs to the
    review's date). An uncorrelated IN (the few reviewed cases, hashed once by PostgreSQL): a
    correlated EXISTS inside the aggregate's FILTER is refused by SQLite."""
    return Q(pk__in=CaseEvent.objects.filter(action=Action.REVIEW_ASSIGN).values("case_id"))


def _task_done(kind: str) -> Callable[[Window], Q]:
    return lambda w: Q(kind=kind, result__isnull=False) & _in("completed_at", w)


def _task_missed(kind: str) -> Callable[[Window], Q]:
    return lambda w: Q(kind=kind) & _passed("deadline", w) & (Q(completed_at__isnull=True) | Q(completed_at__gte=w.end))


COLLECTOR_COUNTERS = [
    _c("reports", _("上报数"), "case", q_reports),
    _c("valid_reports", _("有效上报数"), "case", lambda w: q_reports(w) & Q(filed_at__isnull=False), _("已立案")),
    _c("grid_valid", _("应报数"), "case_grid",
       lambda w: q_reports(w) & (Q(source=Source.COLLECTOR, filed_at__isnull=False) | q_public_confirmed()),
       _("所巡查责任网格内属实的问题：监督员上报已立案的，加上其他渠道上报经核实属实的")),
    _c("missed", _("漏报数"), "case_grid", lambda w: q_reports(w) & q_public_confirmed(),
       _("所巡查责任网格内由其他渠道上报并经核实属实的问题")),
    _c("verify_done", _("核实完成数"), "task_done", _task_done(TaskKind.VERIFY)),
    _c("verify_on_time", _("按时核实数"), "task_done",
       lambda w: _task_done(TaskKind.VERIFY)(w) & Q(completed_at__lte=F("deadline"))),
    _c("verify_missed", _("超时未核实数"), "task_grid", _task_missed(TaskKind.VERIFY),
       _("时限在周期内届满、周期末仍未完成的核实任务（计入该责任网格的监督员）")),
    _d("verify_due", _("应核实数"), [("verify_done", 1), ("verify_missed", 1)]),
    _c("check_done", _("核查完成数"), "task_done", _task_done(TaskKind.CHECK)),
    _c("check_on_time", _("按时核查数"), "task_done",
       lambda w: _task_done(TaskKind.CHECK)(w) & Q(completed_at__lte=F("deadline"))),
    _c("check_missed", _("超时未核查数"), "task_grid", _task_missed(TaskKind.CHECK)),
    _d("check_due", _("应核查数"), [("check_done", 1), ("check_missed", 1)]),
    # Patrol (issue 20): figures of the patrol app's duty shifts, check-ins and grid visits, not a
    # count of rows of one table; they have no drill-down list (the patrol table shows them).
    _c("patrol_scheduled_minutes", _("应在岗分钟"), PATROL, None, _("规定巡查时段（责任网格的巡查时段 × 工作日）的分钟数")),
    _c("patrol_on_duty_minutes", _("在岗分钟"), PATROL, None, _("规定巡查时段内上岗的分钟数")),
    _c("patrol_checkins_due", _("应签到数"), PATROL, None),
    _c("patrol_checkins_made", _("签到数"), PATROL, None, _("在应签到时间前后规定分钟内的签到")),
    _c("patrol_grid_days_due", _("应巡查网格数"), PATROL, None, _("责任区单元网格数 × 工作日")),
    _c("patrol_grid_days_walked", _("已巡查网格数"), PATROL, None, _("当天轨迹经过的责任区单元网格（按日累计）")),
]


def _accept_step_on_time() -> Exists:
    """The verify task was sent within the accept limit: the accept step it completed was on time."""
    return Exists(CaseStep.objects.filter(case_id=OuterRef("case_id"), kind=StepKind.ACCEPT,
                                          completed_at=OuterRef("created_at"), on_time=True))


OPERATOR_COUNTERS = [
    _c("accepted", _("受理数"), "step",
       lambda w: Q(kind=StepKind.ACCEPT, on_time__isnull=False) & _in("completed_at", w)),
    _c("accepted_on_time", _("按时受理数"), "step",
       lambda w: Q(kind=StepKind.ACCEPT, on_time=True) & _in("completed_at", w)),
    _c("verify_sent", _("下发核实数"), "task_sent", lambda w: Q(kind=TaskKind.VERIFY) & _in("created_at", w)),
    _c("verify_sent_on_time", _("按时下发核实数"), "task_sent",
       lambda w: Q(kind=TaskKind.VERIFY) & _in("created_at", w) & Q(_accept_step_on_time()),
       _("在受理时限内下发的核实任务")),
    _c("check_sent", _("下发核查数"), "task_sent", lambda w: Q(kind=TaskKind.CHECK) & _in("created_at", w)),
    _c("check_sent_on_time", _("按时下发核查数"), "task_sent",
       lambda w: Q(kind=TaskKind.CHECK, created_at__lte=F("deadline")) & _in("created_at", w),
       _("在核查环节时限内下发的核查任务")),
]


def _filing_steps(w: Window) -> Q:
    return (Q(kind__in=[StepKind.ACCEPT, StepKind.FILE], on_time__isnull=False, case__filed_at__isnull=False)
            & _in("completed_at", w))


def _close_steps(w: Window) -> Q:
    return Q(kind=StepKind.CLOSE, on_time__isnull=False) & _in("completed_at", w)


SHIFT_LEADER_COUNTERS = [
    _c("filed", _("立案数"), "step", _filing_steps),
    _c("filed_on_time", _("按时立案数"), "step", lambda w: _filing_steps(w) & Q(on_time=True)),
    _c("voided", _("作废数"), "step", lambda w: _filing_steps(w) & Q(case__voided_at__isnull=False),
       _("本人立案后被作废的案件")),
    _d("accurate_filed", _("准确立案数"), [("filed", 1), ("voided", -1)], _("立案数 − 作废数")),
    _c("closed", _("结案数"), "step", _close_steps),
    _c("closed_on_time", _("按时结案数"), "step", lambda w: _close_steps(w) & Q(on_time=True)),
]


def _dispatch_steps(w: Window) -> Q:
    return Q(kind=StepKind.DISPATCH, on_time__isnull=False) & _in("completed_at", w)


def _dispatch_returned(w: Window, *, corrected: bool = False) -> Q:
    """The handling this dispatch started ended in a return (completed without an on-time verdict),
    or with `corrected` in the dispatcher's redispatch or withdrawal.

    Only used together with _dispatch_steps(w), so the handling started inside the window. Query
    shape: `(case_id, completed_at) IN (the returned handlings' (case_id, started_at))`, a
    subquery PostgreSQL runs once and hashes (about 50,000 rows at a million cases a month; it must
    fit work_mem to be hashed). A correlated EXISTS ran an index look-up for each dispatch of a case
    with a returned handling, twice (two counters): 1 of its 2 s."""
    returned = CaseStep.objects.filter(_in("started_at", w), kind=StepKind.HANDLE, completed_at__isnull=False,
                                       on_time__isnull=True)
    returned = (returned.filter(ended_by__in=CORRECTION_ACTIONS) if corrected
                else returned.exclude(ended_by__in=CORRECTION_ACTIONS))
    pairs = Subquery(returned.order_by().values("case_id", "started_at"))  # no ORDER BY (steps have one)
    return Q(TupleIn(Tuple(F("case_id"), F("completed_at")), pairs))


DISPATCHER_COUNTERS = [
    _c("dispatched", _("派遣数"), "step", _dispatch_steps),
    _d("due_dispatch", _("应派遣数"), [("dispatched", 1)],
       _("由本人完成的派遣环节；未派遣的案件无法归属到个人，计入全市应派遣")),
    _c("dispatched_on_time", _("按时派遣数"), "step", lambda w: _dispatch_steps(w) & Q(on_time=True)),
    _c("dispatch_returned", _("派遣后回退数"), "step", lambda w: _dispatch_steps(w) & _dispatch_returned(w)),
    _c("dispatch_reworked", _("派遣后返工数"), "step", lambda w: _dispatch_steps(w) & Q(case__rework_count__gt=0)),
    _c("dispatch_corrected", _("派遣后改派、撤回数"), "step",
       lambda w: _dispatch_steps(w) & _dispatch_returned(w, corrected=True),
       _("部门办理前由派遣员改派或撤回的派遣（不计为部门回退，也不计为第二次派遣）")),
    _c("accurate_dispatched", _("准确派遣数"), "step",
       lambda w: _dispatch_steps(w) & ~_dispatch_returned(w) & ~_dispatch_returned(w, corrected=True)
       & Q(case__rework_count=0),
       _("派遣数 − 返工数 − 回退数 − 改派撤回数：派出后既未回退、改派、撤回，也未返工")),
]

# --- the hotline (hotline.models): its lines and agents -------------------------------------------
# Two sources: the calls received (one row a call), and the cases the hotline took (受理): the
# first call that brought each case in (created or joined), when it falls in the window; the case
# is the line's and the agent's of that call, and counts once, in the period of that call. Every
# figure is a fact that happened before the window's end, so a month computed later is unchanged.

def q_first_intake(w: Window) -> Q:
    """A call that brought its case in, in the window, and the case's first such call (ties broken
    by id). "Not first" is an uncorrelated IN over the window's intake calls, hashed once by
    PostgreSQL; a correlated EXISTS inside an aggregate's FILTER is refused by SQLite."""
    earlier = Call.objects.filter(case_id=OuterRef("case_id"), case_link__in=INTAKE_LINKS).filter(
        Q(called_at__lt=OuterRef("called_at")) | Q(called_at=OuterRef("called_at"), pk__lt=OuterRef("pk")))
    not_first = Call.objects.filter(_in("called_at", w), case_link__in=INTAKE_LINKS).filter(Exists(earlier))
    return (Q(case_link__in=INTAKE_LINKS, case_id__isnull=False) & _in("called_at", w)
            & ~Q(pk__in=not_first.values("pk")))


def _hotline_closed(w: Window) -> Q:
    return q_first_intake(w) & Q(case__closed_at__lt=w.end)


def _replied_on_time(w: Window) -> Q:
    """A result reply (办结答复) to the case's closure, on time, made before the window's end, not failed."""
    replies = Feedback.objects.filter(kind=FeedbackKind.RESULT, case_closed_at=F("case__closed_at"), on_time=True,
                                      created_at__lt=w.end).exclude(status=DeliveryStatus.FAILED)
    return Q(case_id__in=replies.values("case_id"))


def _called_back(w: Window, satisfied: bool = False) -> Q:
    """The callback (回访) of the case's closure, done before the window's end (满意 or 基本满意)."""
    done = Callback.objects.filter(case_closed_at=F("case__closed_at"), status=CallbackStatus.DONE,
                                   done_at__lt=w.end)
    if satisfied:
        done = done.filter(satisfaction__in=SATISFIED_VALUES)
    return Q(case_id__in=done.values("case_id"))


HOTLINE_COUNTERS = [
    _c("calls", _("来电量"), "call", lambda w: _in("called_at", w), _("周期内接听的来电")),
    _c("cases_created", _("新建案件数"), "call", lambda w: _in("called_at", w) & Q(case_link=CaseLink.CREATED),
       _("来电新建案件的来电")),
    _c("taken", _("受理数"), "hotline_intake", q_first_intake,
       _("首次来电（新建或并入）在周期内的案件，按该来电的线路、坐席计")),
    _c("closed", _("办结数"), "hotline_intake", _hotline_closed, _("受理的案件中在周期末前结案的")),
    _c("fed_back_on_time", _("按时反馈数"), "hotline_intake", lambda w: _hotline_closed(w) & _replied_on_time(w),
       _("办结的案件中按时答复市民（办结答复）的")),
    _c("called_back", _("回访数"), "hotline_intake", lambda w: _hotline_closed(w) & _called_back(w),
       _("办结的案件中已回访的")),
    _c("satisfied", _("满意数"), "hotline_intake", lambda w: _hotline_closed(w) & _called_back(w, satisfied=True),
       _("回访结果为满意或基本满意的")),
]

COUNTERS: dict[str, list[Counter]] = {
    ObjectType.REGION: AREA_COUNTERS,
    ObjectType.DEPARTMENT: AREA_COUNTERS,
    ObjectType.COLLECTOR: COLLECTOR_COUNTERS,
    ObjectType.OPERATOR: OPERATOR_COUNTERS,
    ObjectType.SHIFT_LEADER: SHIFT_LEADER_COUNTERS,
    ObjectType.DISPATCHER: DISPATCHER_COUNTERS,
    ObjectType.HOTLINE_LINE: HOTLINE_COUNTERS,
    ObjectType.HOTLINE_AGENT: HOTLINE_COUNTERS,
}


def counters_for(object_type: str) -> list[Counter]:
    return COUNTERS[object_type]


def counter_keys(object_type: str) -> set[str]:
    return {counter.key for counter in COUNTERS.get(object_type, [])}


def counter_get(object_type: str, key: str) -> Counter | None:
    """The counter of that key: a base counter, or a filtered one (`base?filter=…`, see
    assessment.filters) built from its base: same source, the base condition AND the filters."""
    if "?" in key:
        return _filtered_counter(object_type, key)
    return next((c for c in COUNTERS.get(object_type, []) if c.key == key), None)


def _filtered_counter(object_type: str, key: str) -> Counter | None:
    from .filters import FILTER_KINDS, filter_labels, filters_q, key_parse

    base_key, filters = key_parse(key)
    base = counter_get(object_type, base_key)
    if base is None or base.derived or base.source == PATROL or not filters or set(filters) - set(FILTER_KINDS):
        return None
    model = SOURCES[base.source].model
    prefix = "" if model is Case else "case__"
    # The hotline's rows are calls: their line is their own channel, not their case's calls'.
    condition = filters_q(filters, prefix, line_field="channel" if model is Call else "")
    labels = filter_labels()
    described = "；".join(f"{labels[kind]}：{'、'.join(values)}" for kind, values in filters.items())
    return Counter(key, f"{base.label}（{described}）", base.source,
                   lambda w, base=base: base.condition(w) & condition, help=base.help)


def counters_with(object_type: str, keys) -> list[Counter]:
    """The type's counters, and after them the filtered counters of these keys (unknown ones left
    out): what a computation counts for a catalogue."""
    counters = list(counters_for(object_type))
    known = {c.key for c in counters}
    for key in dict.fromkeys(keys):
        if key and key not in known and (counter := counter_get(object_type, key)) is not None:
            counters.append(counter)
            known.add(key)
    return counters


def counter_choices() -> list[tuple[str, str]]:
    """(key, "label (object types)") for the admin's pickers."""
    seen: dict[str, list[str]] = defaultdict(list)
    labels: dict[str, str] = {}
    for object_type, counters in COUNTERS.items():
        for counter in counters:
            seen[counter.key].append(str(ObjectType(object_type).label))
            labels.setdefault(counter.key, str(counter.label))
    return [(key, f"{labels[key]} [{key}]（{'、'.join(dict.fromkeys(types))}）") for key, types in seen.items()]


# --- grouping: which column makes an object, per object type (and region level) and source ------

@dataclass(frozen=True)
class Grouping:
    expr: Any  # a field path or an expression giving the object id
    base: Q = Q()  # rows that can belong to this object type at all
    people: frozenset[int] | None = None  # grouped by a person: the ids of the people of the role


REGION_FIELDS = {
    RegionLevelKey.CITY: "district__parent_id",
    RegionLevelKey.DISTRICT: "district_id",
    RegionLevelKey.STREET: "street_id",
    RegionLevelKey.COMMUNITY: "community_id",
    RegionLevelKey.GRID: "unit_grid_id",
}


# A hotline line is an object with a number for its id: the line's own (12319, 12345), 1 for the
# other channels (hotline.models.Channel).
LINE_IDS = {Channel.HOTLINE_12319: 12319, Channel.HOTLINE_12345: 12345, Channel.OTHER: 1}
LINE_ID = DbCase(*(When(channel=channel, then=Value(pk)) for channel, pk in LINE_IDS.items()),
                 output_field=BigIntegerField())


def grouping(object_type: str, level: str | None, source: str) -> Grouping:
    if object_type == ObjectType.REGION:
        field = REGION_FIELDS[level]
        return Grouping(field if source == "case" else f"case__{field}")
    if object_type == ObjectType.DEPARTMENT:
        return Grouping({"case": "department_id", "event": "case__department_id",
                         "handle_step": "department_id"}[source])
    if object_type == ObjectType.COLLECTOR:
        if source in ("case_grid", "task_grid"):
            return Grouping("responsibility_grid__collectors")
        return _by_role({"case": "reporter_id", "task_done": "completed_by_id"}[source], Role.COLLECTOR)
    if object_type == ObjectType.HOTLINE_LINE:
        return Grouping(LINE_ID)
    if object_type == ObjectType.HOTLINE_AGENT:
        return _by_role("agent_id", Role.HOTLINE_AGENT)
    role = {ObjectType.OPERATOR: Role.OPERATOR, ObjectType.SHIFT_LEADER: Role.SHIFT_LEADER,
            ObjectType.DISPATCHER: Role.DISPATCHER}[object_type]
    return _by_role({"step": "completed_by_id", "task_sent": "created_by_id"}[source], role)


def _by_role(column: str, role: str) -> Grouping:
    """Rows done by a person of the role, as `column IN (<the role's user ids>)` rather than a join
    on the user's role: with the join PostgreSQL estimates the rows per user as the average over
    all users (a few hundred), while one dispatcher or shift leader completes hundreds of thousands
    of steps a month, so it picked a nested loop of index look-ups into cases (5–12 s at a million
    cases). A literal list is estimated from the column's statistics and gets a hash join; a
    subquery (`IN (SELECT id …)`) is estimated like the join and gets the nested loop again. The
    price is one small query for the ids."""
    people = list(User.objects.filter(role=role).values_list("pk", flat=True))
    return Grouping(column, Q(**{f"{column}__in": people}), frozenset(people))


def _group_expr(expr: Any):
    return F(expr) if isinstance(expr, str) else expr


# --- counting ------------------------------------------------------------------------------------

def counters_compute(*, object_type: str, level: str | None, window: Window) -> dict[int, dict[str, int]]:
    """Every counter of every object of the type (and region level) for the window:
    {object_id: {counter_key: value}}. One aggregate query per source table."""
    counters = counters_for(object_type)
    by_source: dict[str, list[Counter]] = defaultdict(list)
    for counter in counters:
        if not counter.derived and counter.source != PATROL:
            by_source[counter.source].append(counter)

    values: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys((c.key for c in counters), 0))
    for source_name, source_counters in by_source.items():
        table = SOURCES[source_name]
        group = grouping(object_type, level, source_name)
        aggregates = {
            counter.key: Count(table.count, distinct=table.distinct, filter=counter.condition(window))
            for counter in source_counters
        }
        rows = (
            table.model.objects.filter(group.base, table.prefilter(window))
            .values(object_key=_group_expr(group.expr))
            .filter(object_key__isnull=False)
            .order_by()
            .annotate(**aggregates)
        )
        if table.after_report:
            rows = case_bounded(rows, window.end)
        for row in rows:
            values[row.pop("object_key")].update(row)
    if any(counter.source == PATROL for counter in counters):
        for collector_id, row in patrol_values(window).items():
            values[collector_id].update(row)
    for row in values.values():
        counters_derive(object_type, row)
    return dict(values)


def patrol_values(window: Window) -> dict[int, dict[str, int]]:
    """The patrol counters of every collector for the window's city days up to `as_of`."""
    from patrol.counters import patrol_figures

    first = timezone.localtime(window.start, city_tz()).date()
    last = timezone.localtime(window.as_of - timedelta(microseconds=1), city_tz()).date()
    if window.as_of <= window.start:
        return {}
    ids = list(User.objects.filter(role=Role.COLLECTOR, is_active=True).values_list("pk", flat=True))
    return {pk: {
        "patrol_scheduled_minutes": f.scheduled_seconds // 60, "patrol_on_duty_minutes": f.on_duty_scheduled_seconds // 60,
        "patrol_checkins_due": f.checkins_due, "patrol_checkins_made": f.checkins_made,
        "patrol_grid_days_due": f.grid_days_due, "patrol_grid_days_walked": f.grid_days_walked,
    } for pk, f in patrol_figures(ids, first, last, now=window.as_of).items()}


DERIVED: dict[str, list[Counter]] = {kind: [c for c in counters if c.derived] for kind, counters in COUNTERS.items()}


def counters_derive(object_type: str, row: dict[str, int]) -> dict[str, int]:
    for counter in DERIVED[object_type]:
        row[counter.key] = sum(sign * row.get(key, 0) for key, sign in counter.parts)
    return row


def counters_empty(object_type: str) -> dict[str, int]:
    return counters_derive(object_type, {c.key: 0 for c in counters_for(object_type) if not c.derived})


# --- drill-down -----------------------------------------------------------------------------------

def _rows_of(object_type: str, level: str | None, object_id: int, counter: Counter, window: Window) -> QuerySet:
    table = SOURCES[counter.source]
    group = grouping(object_type, level, counter.source)
    return (
        table.model.objects.filter(group.base)
        .alias(object_key=_group_expr(group.expr))
        .filter(Q(object_key=object_id) & counter.condition(window))
    )


def counter_model(object_type: str, key: str) -> type[Model]:
    """What one counted unit of the counter is: a case (case and event counters count cases), a
    clocked step or a collector task."""
    counter = counter_get(object_type, key)
    if counter is None:
        raise KeyError(key)
    if counter.derived:
        return counter_model(object_type, counter.parts[0][0])
    table = SOURCES[counter.source]
    return Case if table.distinct else table.model  # distinct-case counters list cases


def counter_rows(*, object_type: str, level: str | None, object_id: int, key: str, window: Window) -> QuerySet:
    """Exactly the units the aggregate counted for one object: cases, or the steps or tasks of a
    step or task counter (a case dispatched twice is two dispatches)."""
    counter = counter_get(object_type, key)
    if counter is None:
        raise KeyError(key)
    model = counter_model(object_type, key)
    if counter.derived:
        positive, negative = [], []
        for part_key, sign in counter.parts:
            rows = counter_rows(object_type=object_type, level=level, object_id=object_id, key=part_key,
                                window=window)
            (positive if sign > 0 else negative).append(Q(pk__in=rows.values("pk")))
        condition = positive[0]
        for part in positive[1:]:
            condition |= part
        for part in negative:
            condition &= ~part
        return model.objects.filter(condition)
    rows = _rows_of(object_type, level, object_id, counter, window)
    if SOURCES[counter.source].distinct:
        return Case.objects.filter(pk__in=rows.values("case_id"))
    return model.objects.filter(pk__in=rows.values("pk"))


def counter_case_ids(*, object_type: str, level: str | None, object_id: int, key: str, window: Window) -> Q:
    """A Q on Case selecting the cases behind one counter of one object (for a step or task
    counter, the cases of the counted steps or tasks)."""
    rows = counter_rows(object_type=object_type, level=level, object_id=object_id, key=key, window=window)
    return Q(pk__in=rows.values("pk" if rows.model is Case else "case_id"))
