"""Reads of supervision, already scoped: who may read and write reviews and letters, the pending
reviews with their agendas, a letter register filtered as the page asks, each in a constant
number of queries."""
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from grids.models import RegionLevel, Role, User

from .models import Letter, LetterKind, LetterStatus, Review, ReviewItem, ReviewStatus

# The command center reads reviews and letters; shift leaders and managers convene and decide
# reviews (the roles of the REVIEW_* moves); who may urge writes letters, and shift leaders too
# (a 督办函's urges still need the URGE move's roles). Departments read and answer their letters.
VIEW_ROLES = {Role.OPERATOR, Role.SHIFT_LEADER, Role.DISPATCHER, Role.MANAGER, Role.ADMIN}
REVIEW_ROLES = {Role.SHIFT_LEADER, Role.MANAGER}
LETTER_ROLES = {Role.SHIFT_LEADER, Role.DISPATCHER, Role.MANAGER}
# The register's state filter: the stored states, and "overdue" (sent, not answered by its deadline).
OVERDUE = "overdue"


def can_view(user: User) -> bool:
    return user.is_active and user.role in VIEW_ROLES


def can_review(user: User) -> bool:
    return user.is_active and user.role in REVIEW_ROLES


def can_write_letters(user: User) -> bool:
    return user.is_active and user.role in LETTER_ROLES


def can_read_letters(user: User) -> bool:
    return can_view(user) or (user.is_active and user.role == Role.HANDLER)


def region_of(user: User):
    """The region a review or letter of this person belongs to: None (the city) for the city level."""
    if user.region_id is None or user.region.level == RegionLevel.CITY:
        return None
    return user.region


def _region_filter(user: User) -> Q:
    region = region_of(user)
    return Q() if region is None else Q(region_id=region.pk)


def reviews_visible(user: User) -> QuerySet[Review]:
    if not can_view(user):
        return Review.objects.none()
    return Review.objects.filter(_region_filter(user))


def _items() -> Prefetch:
    return Prefetch("items", queryset=ReviewItem.objects.select_related(
        "case", "case__minor", "department", "confirmed_by").order_by("pk"))


def reviews_pending(user: User) -> QuerySet[Review]:
    """Reviews still to decide, soonest first, with their agendas and attendees (three queries
    for any number of reviews)."""
    return (reviews_visible(user).filter(status=ReviewStatus.PENDING).order_by("held_on", "pk")
            .prefetch_related(_items(), "attendees"))


def reviews_concluded(user: User) -> QuerySet[Review]:
    return (reviews_visible(user).filter(status=ReviewStatus.CONCLUDED).order_by("-held_on", "-pk")
            .annotate(item_count=Count("items")))


def review_detail(user: User, review_id: int) -> Review | None:
    return reviews_visible(user).filter(pk=review_id).prefetch_related(_items(), "attendees").first()


def letters_visible(user: User) -> QuerySet[Letter]:
    """A department sees the letters sent to it (never a draft); the command center those of its
    region (the city level: all)."""
    if not user.is_active:
        return Letter.objects.none()
    if user.role == Role.HANDLER:
        if not user.department_id:
            return Letter.objects.none()
        return Letter.objects.filter(department_id=user.department_id).exclude(status=LetterStatus.DRAFT)
    if not can_view(user):
        return Letter.objects.none()
    return Letter.objects.filter(_region_filter(user))


def letters_register(user: User, *, kind: str = "", state: str = "", department_id: int | None = None,
                     year: int | None = None, now=None) -> QuerySet[Letter]:
    """The register: the person's letters filtered, newest first, with their department and cases
    (two queries for any page size)."""
    now = now or timezone.now()
    letters = letters_visible(user).select_related("department")
    if kind in LetterKind.values:
        letters = letters.filter(kind=kind)
    if state == OVERDUE:
        letters = letters.filter(status=LetterStatus.SENT, reply_deadline__lt=now)
    elif state in LetterStatus.values:
        letters = letters.filter(status=state)
    if department_id:
        letters = letters.filter(department_id=department_id)
    if year:
        letters = letters.filter(Q(year=year) | Q(year__isnull=True, created_at__year=year))
    return letters.prefetch_related("cases").order_by("-created_at", "-pk")


def letter_detail(user: User, letter_id: int) -> Letter | None:
    return (letters_visible(user).filter(pk=letter_id).select_related("department", "created_by", "sent_by",
                                                                        "answered_by", "signed_off_by")
            .prefetch_related("cases", "cases__minor").first())


def letters_awaiting_answer(user: User) -> int:
    """How many letters wait for this department's answer (the nav's badge)."""
    if user.role != Role.HANDLER:
        return 0
    return letters_visible(user).filter(status=LetterStatus.SENT).count()


def letter_years(today: date | None = None) -> list[int]:
    year = (today or timezone.localdate()).year
    return list(range(year, year - 5, -1))


def review_item(user: User, item_id: int) -> ReviewItem | None:
    return ReviewItem.objects.filter(pk=item_id, review__in=reviews_visible(user)).first()
