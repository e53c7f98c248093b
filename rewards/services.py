"""Writes of rewards: awarding a filed case from a reward source (at most once, cut to the caps),
taking the award back when the case is voided or merged, catching up with moves the outbox may
have missed, and the payout register (made for a month, marked paid by a manager)."""
import logging
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.calendar import local_midnight
from cases.models import Case, State
from core.errors import ApplicationError, ConflictError, PermissionDeniedError
from grids.models import User

from . import selectors
from .models import Citizen, EntryKind, RewardEntry, RewardPayout

logger = logging.getLogger(__name__)

# A case in one of these states is no valid report (any more): it earns nothing, and an award it
# had is taken back.
WITHDRAWN_STATES = {State.VOIDED, State.MERGED}
# A case in one of these states has not been filed (again): nothing to award yet.
UNFILED_STATES = {State.REPORTED, State.VERIFYING}
RECONCILE_DAYS = 35


def _citizen_locked(phone: str) -> Citizen:
    """The citizen's row, created if new, locked until the caller's transaction ends: the awards
    and reversals of one person are weighed one after the other."""
    Citizen.objects.get_or_create(phone=phone)  # its own savepoint: a concurrent insert just wins
    return Citizen.objects.select_for_update().get(phone=phone)


def reward_case_moved(*, case_id: int, action: str) -> RewardEntry | None:
    """The outbox's call after a move of a case from a reward source: filing earns, voiding or
    merging takes back. Safe to run twice and in any order."""
    if action == "file":
        return reward_award(case_id=case_id)
    return reward_reverse(case_id=case_id)


def reward_award(*, case_id: int, now: datetime | None = None) -> RewardEntry | None:
    """Award the reporter of a filed case what the active scheme gives its class, cut to what the
    day's and the month's caps leave (the award is recorded even at 0, marked capped, so the case
    is settled). None when nothing is due: no active scheme, a source the scheme does not reward,
    no phone, the case not filed or withdrawn. A second call returns the first award."""
    now = now or timezone.now()
    case = Case.objects.select_related("minor").filter(pk=case_id).first()
    scheme = selectors.scheme_active()
    if case is None or scheme is None or case.source not in scheme.sources or not case.reporter_phone:
        return None
    with transaction.atomic():
        citizen = _citizen_locked(case.reporter_phone)
        existing = RewardEntry.objects.filter(case_id=case_id, kind=EntryKind.AWARD).first()
        if existing is not None:
            return existing
        # Read again under the citizen's lock: a void committed since our first read is seen here,
        # and a reversal waiting for the lock finds this award once we commit.
        state, filed_at = Case.objects.filter(pk=case_id).values_list("state", "filed_at").get()
        if filed_at is None or state in WITHDRAWN_STATES | UNFILED_STATES:
            return None
        rule_amount = selectors.scheme_amount(scheme, case.minor)
        earned = selectors.citizen_earned(citizen, scheme.unit, now)
        amount = rule_amount
        if scheme.daily_cap is not None:
            amount = min(amount, max(scheme.daily_cap - earned["day"], Decimal(0)))
        if scheme.monthly_cap is not None:
            amount = min(amount, max(scheme.monthly_cap - earned["month"], Decimal(0)))
        capped = amount < rule_amount
        return RewardEntry.objects.create(
            citizen=citizen, case=case, kind=EntryKind.AWARD, unit=scheme.unit, amount=amount,
            rule_amount=rule_amount, capped=capped, created_at=now,
            note=_("已达奖励上限") if capped else "")


def reward_reverse(*, case_id: int, now: datetime | None = None) -> RewardEntry | None:
    """Take back the award of a case now voided or merged: a reversal of the same amount, negative,
    counted in the citizen's next payout if the award was already paid. None when the case had no
    award or is not withdrawn; a second call returns the first reversal."""
    now = now or timezone.now()
    case = Case.objects.filter(pk=case_id).only("state", "reporter_phone").first()
    if case is None or case.state not in WITHDRAWN_STATES or not case.reporter_phone:
        return None
    with transaction.atomic():
        citizen = Citizen.objects.select_for_update().filter(phone=case.reporter_phone).first()
        if citizen is None:
            return None
        award = RewardEntry.objects.filter(case_id=case_id, kind=EntryKind.AWARD).first()
        if award is None:
            return None
        existing = RewardEntry.objects.filter(case_id=case_id, kind=EntryKind.REVERSAL).first()
        if existing is not None:
            return existing
        return RewardEntry.objects.create(
            citizen=citizen, case_id=case_id, kind=EntryKind.REVERSAL, unit=award.unit, amount=-award.amount,
            rule_amount=-award.rule_amount, created_at=now,
            note=_("案件已作废") if case.state == State.VOIDED else _("案件已合并为重复案件"))


def rewards_reconcile(*, days: int = RECONCILE_DAYS) -> dict[str, int]:
    """Catch up with moves whose outbox message was lost or raced: award the filed cases of the
    last `days` days from the scheme's sources that have no award, and take back the awards of
    cases voided or merged since. Two queries to find them, then one service call per case."""
    scheme = selectors.scheme_active()
    since = timezone.now() - timedelta(days=days)
    awarded = reversed_ = 0
    if scheme is not None:
        awarded_cases = RewardEntry.objects.filter(kind=EntryKind.AWARD).values("case_id")
        due = (Case.objects.filter(filed_at__gte=since, source__in=scheme.sources).exclude(reporter_phone="")
               .exclude(state__in=WITHDRAWN_STATES | UNFILED_STATES).exclude(pk__in=awarded_cases)
               .values_list("pk", flat=True))
        for case_id in due:
            awarded += reward_award(case_id=case_id) is not None
    withdrawn = (RewardEntry.objects.filter(kind=EntryKind.AWARD, case__state__in=WITHDRAWN_STATES)
                 .exclude(case_id__in=RewardEntry.objects.filter(kind=EntryKind.REVERSAL).values("case_id"))
                 .values_list("case_id", flat=True))
    for case_id in withdrawn:
        reversed_ += reward_reverse(case_id=case_id) is not None
    return {"awarded": awarded, "reversed": reversed_}


def _require_payer(actor: User) -> None:
    if not selectors.can_pay(actor):
        raise PermissionDeniedError(_("只有管理人员可以生成和确认奖励发放。"))


def payout_register_create(*, actor: User, month: date) -> list[RewardPayout]:
    """Make the payout register of `month`: one line per citizen and unit whose entries not yet in
    a register (up to the month's end, earlier months' left-overs and reversals included) add up to
    more than zero. A citizen who has a line that month already keeps the rest for next month."""
    _require_payer(actor)
    month = selectors.month_start(month)
    if local_midnight(month) > timezone.now():
        raise ApplicationError(_("不能为尚未开始的月份生成发放登记。"), extra={"field": "month"})
    now = timezone.now()
    with transaction.atomic():
        end = local_midnight(selectors.next_month(month))
        # Lock the entries the register takes (a second manager at the same time waits, then finds none).
        open_entries = RewardEntry.objects.select_for_update().filter(payout__isnull=True, created_at__lt=end)
        list(open_entries.values_list("pk", flat=True))
        already = set(RewardPayout.objects.filter(month=month).values_list("citizen_id", "unit"))
        lines = [row for row in selectors.unpaid_balances(month) if (row["citizen_id"], row["unit"]) not in already]
        if not lines:
            raise ConflictError(_("%(month)s 没有待发放的奖励。") % {"month": f"{month:%Y-%m}"})
        try:
            payouts = RewardPayout.objects.bulk_create([
                RewardPayout(citizen_id=row["citizen_id"], month=month, unit=row["unit"], amount=row["amount"],
                             entry_count=row["entry_count"], created_at=now, created_by=actor)
                for row in lines])
        except IntegrityError:
            raise ConflictError(_("该月的发放登记正由他人生成，请刷新后再试。")) from None
        citizens = [row["citizen_id"] for row in lines]
        open_entries.filter(citizen_id__in=citizens).update(payout=Subquery(
            RewardPayout.objects.filter(citizen_id=OuterRef("citizen_id"), month=month, unit=OuterRef("unit"),
                                        created_at=now).values("pk")[:1]))
    return payouts


def payout_mark_paid(*, actor: User, payout_ids: list[int]) -> int:
    """Mark register lines paid (the finance office paid them): who and when; lines already paid
    keep their first mark. Returns how many were marked now."""
    _require_payer(actor)
    if not payout_ids:
        raise ApplicationError(_("请选择要确认发放的记录。"), extra={"field": "payout_ids"})
    with transaction.atomic():
        marked = RewardPayout.objects.filter(pk__in=payout_ids, paid_at__isnull=True).update(
            paid_at=timezone.now(), paid_by=actor)
    if not marked and not RewardPayout.objects.filter(pk__in=payout_ids).exists():
        raise ApplicationError(_("发放记录不存在。"), status_code=404)
    return marked


def month_parse(text: str) -> date:
    """'2026-12' → date(2026, 12, 1); a clear message otherwise."""
    try:
        year, month = (int(part) for part in (text or "").strip().split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise ApplicationError(_("月份格式应为 年-月，例如 2026-12。"), extra={"field": "month"}) from None

