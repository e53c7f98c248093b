"""Reads of rewards: who may read and pay, the active scheme and the amount a case's class earns,
a citizen's statement (entries with their cases, totals), the citizens' balances, the payout
register of a month. Each in a constant number of queries."""
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from cases.calendar import local_midnight
from core.phones import mask_phone
from grids.models import MinorClass, Role, User
from grids.selectors import can_see_personal_data

from .models import Citizen, EntryKind, RewardEntry, RewardPayout, RewardScheme

VIEW_ROLES = {Role.HOTLINE_AGENT, Role.SHIFT_LEADER, Role.MANAGER, Role.ADMIN}
PAY_ROLES = {Role.MANAGER, Role.ADMIN}
STATEMENT_MAX = 500
CITIZENS_PAGE = 100


def can_view_rewards(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in VIEW_ROLES)


def can_pay(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in PAY_ROLES)


def phone_masked(phone: str) -> str:
    return mask_phone(phone)


def phone_for(user: User | None, phone: str) -> str:
    """The phone in full for hotline agents and administrators, masked for everyone else."""
    return phone if can_see_personal_data(user) else mask_phone(phone)


def citizen_by_id(citizen_id: int) -> Citizen | None:
    return Citizen.objects.filter(pk=citizen_id).first()


def scheme_active() -> RewardScheme | None:
    return RewardScheme.objects.filter(is_active=True).prefetch_related("rates").first()


def scheme_amount(scheme: RewardScheme, minor: MinorClass) -> Decimal:
    """The minor class's rate, else its major class's, else the scheme's default (rates prefetched)."""
    by_minor = {rate.minor_id: rate.amount for rate in scheme.rates.all() if rate.minor_id}
    by_major = {rate.major_id: rate.amount for rate in scheme.rates.all() if rate.major_id}
    if minor.pk in by_minor:
        return by_minor[minor.pk]
    return by_major.get(minor.major_id, scheme.default_amount)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def period_bounds(moment: datetime) -> dict[str, tuple[datetime, datetime]]:
    """The city day and city month holding `moment`, as instants [start, end)."""
    today = timezone.localdate(moment)
    first = month_start(today)
    return {"day": (local_midnight(today), local_midnight(date.fromordinal(today.toordinal() + 1))),
            "month": (local_midnight(first), local_midnight(next_month(first)))}


def citizen_earned(citizen: Citizen, unit: str, moment: datetime) -> dict[str, Decimal]:
    """What the citizen was awarded in the city day and month of `moment` (awards only: a reversal
    does not give back room under a cap), in one query."""
    bounds = period_bounds(moment)
    totals = RewardEntry.objects.filter(citizen=citizen, kind=EntryKind.AWARD, unit=unit,
                                        created_at__gte=bounds["month"][0], created_at__lt=bounds["month"][1]) \
        .aggregate(month=Sum("amount"), day=Sum("amount", filter=Q(created_at__gte=bounds["day"][0],
                                                                   created_at__lt=bounds["day"][1])))
    return {"day": totals["day"] or Decimal(0), "month": totals["month"] or Decimal(0)}


@dataclass
class Statement:
    citizen: Citizen | None
    phone_shown: str
    entries: list[RewardEntry]
    totals: list[dict]  # per unit: earned, reversed, balance, paid, unpaid


def statement(phone: str, *, viewer: User | None = None) -> Statement:
    """A citizen's statement by phone: the entries with case, class and payout (one query) and
    the totals per unit (one query)."""
    citizen = Citizen.objects.filter(phone=phone).first()
    if citizen is None:
        return Statement(None, phone_for(viewer, phone), [], [])
    return citizen_statement(citizen, viewer=viewer)


def citizen_statement(citizen: Citizen, *, viewer: User | None = None) -> Statement:
    """The statement of a citizen already read: two queries."""
    phone = citizen.phone
    entries = list(RewardEntry.objects.filter(citizen=citizen)
                   .select_related("case", "case__minor", "payout")[:STATEMENT_MAX])
    totals = list(RewardEntry.objects.filter(citizen=citizen).order_by().values("unit").annotate(
        earned=Sum("amount", filter=Q(kind=EntryKind.AWARD)),
        reversed=Sum("amount", filter=Q(kind=EntryKind.REVERSAL)),
        balance=Sum("amount"),
        paid=Sum("amount", filter=Q(payout__paid_at__isnull=False)),
        unpaid=Sum("amount", filter=Q(payout__paid_at__isnull=True)),
    ).order_by("unit"))
    for row in totals:
        for name in ("earned", "reversed", "balance", "paid", "unpaid"):
            row[name] = row[name] or Decimal(0)
    return Statement(citizen, phone_for(viewer, phone), entries, totals)


def citizen_balances(*, phone: str = "") -> QuerySet:
    """Citizens with their awards, reversals and balance, the largest balance first (one query)."""
    rows = Citizen.objects.all()
    if phone:
        rows = rows.filter(phone__contains=phone)
    return rows.annotate(
        awards=Count("entries", filter=Q(entries__kind=EntryKind.AWARD)),
        balance=Sum("entries__amount"),
        unpaid=Sum("entries__amount", filter=Q(entries__payout__isnull=True)),
    ).order_by("-balance", "pk")[:CITIZENS_PAGE]


def unpaid_balances(month: date) -> QuerySet:
    """What a payout register for `month` would hold: per citizen and unit, the entries not yet in
    a register up to the month's end, where their sum is positive (one query)."""
    end = local_midnight(next_month(month))
    return (RewardEntry.objects.filter(payout__isnull=True, created_at__lt=end).order_by()
            .values("citizen_id", "citizen__phone", "unit")
            .annotate(amount=Sum("amount"), entry_count=Count("pk"))
            .filter(amount__gt=0).order_by("citizen__phone", "unit"))


def payouts_of_month(month: date) -> QuerySet[RewardPayout]:
    return (RewardPayout.objects.filter(month=month).select_related("citizen", "created_by", "paid_by")
            .order_by("citizen__phone", "unit"))


def payout_totals(month: date) -> list[dict]:
    return list(RewardPayout.objects.filter(month=month).order_by().values("unit").annotate(
        total=Sum("amount"), lines=Count("pk"), paid=Sum("amount", filter=Q(paid_at__isnull=False)),
    ).order_by("unit"))
