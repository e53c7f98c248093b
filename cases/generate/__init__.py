"""Synthetic case history for demos and benchmarks (`manage.py generate_cases`), written in bulk batch
by batch so that memory stays flat in N; and the consistency rules any history must pass."""

# How it works. Every case follows one *path* (mix.PATHS): a fixed list of workflow actions (report,
# propose_file, file, dispatch, report_handled, …), e.g. "public report, verified true, filed,
# dispatched, extension approved, handled, check failed, handled again, checked, closed". The cases
# of a batch (generator.Generator) are grouped by path and replayed column-wise with numpy
# (replay.PathRun): each action's time is the previous one plus a random working time on the
# actor's calendar (clocks: the city default or the department's), so deadlines, on-time verdicts
# and overdue marks come from the same clock arithmetic as cases.calendar; the state each move goes
# to and the role that makes it are read from the lifecycle table (cases.transitions). A case
# reported shortly before `until` has only done the actions that fall before `until`: that is how
# open cases in every state (and pending requests, open tasks) arise. The replay records exactly
# the rows cases.workflow and cases.services would have written (steps, tasks, requests, events with
# their payloads, the milestone columns), so counting from milestones or from events gives the same
# answer. The rows become COPY text (text) and are written on PostgreSQL by COPY, elsewhere by
# bulk_create (writer). Ids are handed out before (ids): on PostgreSQL a case's carries the month it
# was reported in (cases.months), as the intake's does.
#
# Not generated: merges, reopen after a dissatisfied callback, attachments and hotline calls.

from .checks import CONSISTENCY_CHECKS, history_check
from .run import GenerateResult, cases_generate

__all__ = ["CONSISTENCY_CHECKS", "GenerateResult", "cases_generate", "history_check"]
