"""The consistency rules a generated (or any) history must pass: each query counts the cases breaking
one rule tying the milestone columns to the steps and events."""
from django.db import connections

# Each query counts the cases that break one rule tying the milestone columns to the steps and
# events; all must be zero. Plain SQL, for SQLite and PostgreSQL alike.
CONSISTENCY_CHECKS = {
    "closed milestones out of order": """
        SELECT count(*) FROM cases_case WHERE state = 'closed' AND NOT (
            closed_at >= handled_at AND handled_at >= dispatched_at AND dispatched_at >= filed_at
            AND filed_at >= reported_at)""",
    "closed without on-time verdicts": """
        SELECT count(*) FROM cases_case WHERE state = 'closed' AND (handled_on_time IS NULL OR closed_on_time IS NULL)""",
    "closed on time but handled late": """
        SELECT count(*) FROM cases_case WHERE closed_on_time AND NOT handled_on_time""",
    "voided without voided_at or with filing": """
        SELECT count(*) FROM cases_case WHERE state = 'voided' AND (voided_at IS NULL OR filed_at IS NOT NULL)""",
    "rework_count != check_fail events": """
        SELECT count(*) FROM cases_case c WHERE rework_count != (
            SELECT count(*) FROM cases_caseevent e WHERE e.case_id = c.id AND e.action = 'check_fail')""",
    "return_count != return events": """
        SELECT count(*) FROM cases_case c WHERE return_count != (
            SELECT count(*) FROM cases_caseevent e WHERE e.case_id = c.id AND e.action = 'return')""",
    "extension_count != approved extensions": """
        SELECT count(*) FROM cases_case c WHERE extension_count != (
            SELECT count(*) FROM cases_caserequest r WHERE r.case_id = c.id AND r.kind = 'extension'
            AND r.status = 'approved')""",
    "suspension_count != approve_suspension events": """
        SELECT count(*) FROM cases_case c WHERE suspension_count != (
            SELECT count(*) FROM cases_caseevent e WHERE e.case_id = c.id AND e.action = 'approve_suspension')""",
    "state != last move's to_state": """
        SELECT count(*) FROM cases_case c WHERE c.state != (
            SELECT e.to_state FROM cases_caseevent e WHERE e.case_id = c.id AND e.action != 'overdue'
            ORDER BY e.created_at DESC, e.id DESC LIMIT 1)""",
    "open case without exactly one open step": """
        SELECT count(*) FROM cases_case c WHERE c.state NOT IN ('closed', 'voided', 'merged') AND 1 != (
            SELECT count(*) FROM cases_casestep s WHERE s.case_id = c.id AND s.completed_at IS NULL)""",
    "finished case with an open step": """
        SELECT count(*) FROM cases_case c WHERE c.state IN ('closed', 'voided') AND EXISTS (
            SELECT 1 FROM cases_casestep s WHERE s.case_id = c.id AND s.completed_at IS NULL)""",
    "current step/deadline != the open step": """
        SELECT count(*) FROM cases_case c JOIN cases_casestep s ON s.case_id = c.id AND s.completed_at IS NULL
        WHERE c.current_step != s.kind OR c.current_deadline != s.deadline
            OR c.current_step_started_at != s.started_at""",
    "handle_deadline != the last handle step's deadline": """
        SELECT count(*) FROM cases_case c WHERE c.department_id IS NOT NULL AND c.handle_deadline != (
            SELECT s.deadline FROM cases_casestep s WHERE s.case_id = c.id AND s.kind = 'handle'
            ORDER BY s.started_at DESC, s.id DESC LIMIT 1)""",
    "handled_on_time != the last handle step's verdict": """
        SELECT count(*) FROM cases_case c WHERE c.handled_at IS NOT NULL AND c.handled_on_time != (
            SELECT s.on_time FROM cases_casestep s WHERE s.case_id = c.id AND s.kind = 'handle'
            ORDER BY s.started_at DESC, s.id DESC LIMIT 1)""",
    "step on_time != completed within deadline": """
        SELECT count(*) FROM cases_casestep WHERE on_time IS NOT NULL AND completed_at IS NOT NULL
            AND on_time != (completed_at <= deadline) AND kind != 'accept'""",
    "events after the case's last update": """
        SELECT count(*) FROM cases_case c WHERE EXISTS (
            SELECT 1 FROM cases_caseevent e WHERE e.case_id = c.id AND e.action != 'overdue'
            AND e.created_at > c.updated_at)""",
    "more than one open task of a kind": """
        SELECT count(*) FROM (SELECT case_id, kind FROM cases_task WHERE completed_at IS NULL
            GROUP BY case_id, kind HAVING count(*) > 1) t""",
}


def history_check(*, using: str = "default") -> dict[str, int]:
    """The number of cases breaking each consistency rule (all zero for a sound history)."""
    results = {}
    with connections[using].cursor() as cursor:
        for name, sql in CONSISTENCY_CHECKS.items():
            cursor.execute(sql)
            results[name] = cursor.fetchone()[0]
    return results

