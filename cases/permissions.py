"""Who may do what to which case: role (from the transition table) and scope (two-level supervision
and command). Used alike by the workflow, the API, the pages and the admin.

A department sees the cases sent to it as lead (主办) and those it assists on (协办, joint dispatch);
it makes the lead's moves only on its own cases, and an assisting move only on an open task of its own."""
from django.db.models import F, Q
from django.utils.translation import gettext as _

from core.errors import ConflictError, NotFoundError, PermissionDeniedError
from core.queries import InSubquery
from grids.models import RegionLevel, ResponsibilityGrid, Role, User

from .models import Case, CaseAssist
from .transitions import TRANSITIONS, allowed_actions


def scope_filter(user: User) -> Q | None:
    """The Q that limits cases to the user's scope; None means the whole city."""
    if user.role == Role.HANDLER:
        if not user.department_id:
            return Q(pk__in=[])
        # Its own cases or those it assists on: the assisted ids as an indexable IN under the OR
        # (core.queries.InSubquery), not an EXISTS, which PostgreSQL estimated at half the table.
        assisted = CaseAssist.objects.filter(department_id=user.department_id).values("case_id")
        return Q(department_id=user.department_id) | Q(InSubquery(F("pk"), assisted))
    if user.role == Role.COLLECTOR:
        # A subquery, not a join through the collectors table: no row can repeat, so the lists
        # need no SELECT DISTINCT (which sorted every visible case before the page was cut).
        patrolled = ResponsibilityGrid.collectors.through.objects.filter(user_id=user.pk)
        return Q(reporter_id=user.pk) | Q(responsibility_grid_id__in=patrolled.values("responsibilitygrid_id"))
    if user.region_id is None:
        return None
    level = user.region.level
    if level == RegionLevel.CITY:
        return None
    if level == RegionLevel.DISTRICT:
        return Q(district_id=user.region_id)
    if level == RegionLevel.STREET:
        return Q(street_id=user.region_id)
    return Q(community_id=user.region_id)


def case_in_scope(user: User, case: Case) -> bool:
    if not user.is_active:
        return False
    if user.role == Role.HANDLER:
        return bool(user.department_id) and (
            case.department_id == user.department_id
            or bool(getattr(case, "assist_open", False))  # annotated by the inbox: no query per row
            or CaseAssist.objects.filter(case_id=case.pk, department_id=user.department_id).exists()
        )
    if user.role == Role.COLLECTOR:
        return case.reporter_id == user.pk or _patrols(user, case)
    if user.region_id is None:
        return True
    level = user.region.level
    if level == RegionLevel.CITY:
        return True
    field = {RegionLevel.DISTRICT: "district_id", RegionLevel.STREET: "street_id"}.get(level, "community_id")
    return getattr(case, field) == user.region_id


def case_actionable(user: User, case: Case) -> bool:
    """The scope for moving a case: the read scope, except that a collector answers only the tasks
    of the grids they patrol, not every case they reported elsewhere."""
    if user.role == Role.COLLECTOR:
        return user.is_active and _patrols(user, case)
    return case_in_scope(user, case)


def _patrols(user: User, case: Case) -> bool:
    """The collector patrols the case's responsibility grid (one look-up in the link table)."""
    return case.responsibility_grid_id is not None and ResponsibilityGrid.collectors.through.objects.filter(
        user_id=user.pk, responsibilitygrid_id=case.responsibility_grid_id).exists()


def department_party_ok(actor: User, case: Case, action: str) -> bool:
    """A department's move is the lead's (the case's department) or, for an `assisting` move, an
    assisting department's with an open task on the case. `case.assist_open` (annotated by the
    inbox) spares the query."""
    if actor.role != Role.HANDLER:
        return True
    if not TRANSITIONS[action].assisting:
        return case.department_id == actor.department_id
    if case.department_id == actor.department_id:
        return False
    known = getattr(case, "assist_open", None)
    if known is not None:
        return bool(known)
    return CaseAssist.objects.filter(case_id=case.pk, department_id=actor.department_id,
                                     completed_at__isnull=True).exists()


def can_apply(actor: User, case: Case, action: str) -> bool:
    """True when the table allows `action` from the case's state for the actor's role, in scope."""
    transition = TRANSITIONS[action]
    return (
        actor.role in transition.roles
        and case.state in transition.sources
        and case_actionable(actor, case)
        and department_party_ok(actor, case, action)
    )


def available_actions(actor: User, case: Case) -> list[str]:
    """The moves this person may make on this case now (what the pages and the API offer). A move
    made only through another page (`through`: a joint review's decision) is not offered."""
    if not case_actionable(actor, case):
        return []
    return [name for name in allowed_actions(case.state) if actor.role in TRANSITIONS[name].roles
            and not TRANSITIONS[name].through and department_party_ok(actor, case, name)]


def case_not_found() -> NotFoundError:
    """The one answer for a case that does not exist and for one the person may not see: alike, so
    that nobody learns from it which ids exist or which number another scope's case has."""
    return NotFoundError(_("案件不存在或不在您的管辖范围内。"))


def check_can_apply(actor: User, case: Case, action: str) -> None:
    """Raise 404 for a case out of the actor's read scope (as if it did not exist), 403 for a wrong
    role or a case they may read but not move, 409 (naming the allowed moves) for a move the
    case's state does not allow."""
    transition = TRANSITIONS[action]
    if actor.role == Role.COLLECTOR:
        # A collector's read scope and moving scope both ask whether they patrol the case's grid:
        # asked once (a check_pass made two identical queries).
        actionable = actor.is_active and _patrols(actor, case)
        in_scope = actionable or (actor.is_active and case.reporter_id == actor.pk)
    else:
        in_scope = case_in_scope(actor, case)
        actionable = None
    if not in_scope:
        raise case_not_found()
    if actor.role not in transition.roles:
        raise PermissionDeniedError(
            _("角色“%(role)s”不能执行“%(action)s”。") % {"role": actor.get_role_display(), "action": transition.label}
        )
    if not (case_actionable(actor, case) if actionable is None else actionable):
        raise PermissionDeniedError(_("案件 %(number)s 不在您的管辖范围内。") % {"number": case.number})
    if not department_party_ok(actor, case, action):
        raise PermissionDeniedError(
            _("本部门没有该案件待完成的协办任务。") if transition.assisting
            else _("本部门是案件 %(number)s 的协办部门，只能报告协办完成。") % {"number": case.number}
        )
    check_state_allows(case, action)


def check_state_allows(case: Case, action: str) -> None:
    """Raise 409 (naming the allowed moves) for a move the case's state does not allow: the check
    the system's own moves (Transition.by_system) pass through, having no role or scope."""
    transition = TRANSITIONS[action]
    if case.state not in transition.sources:
        allowed = allowed_actions(case.state)
        raise ConflictError(
            _("案件 %(number)s 当前状态为“%(state)s”，不能执行“%(action)s”。当前允许的操作：%(allowed)s。")
            % {
                "number": case.number,
                "state": case.get_state_display(),
                "action": transition.label,
                "allowed": "、".join(str(TRANSITIONS[name].label) for name in allowed) or _("无"),
            },
            extra={"state": case.state, "allowed_actions": allowed},
        )
