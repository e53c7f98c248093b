"""Writes of the project's own tables: staff API tokens issued, revoked one by one or all of a
person's at once, and the person's deactivation that revokes them."""
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from knox.settings import knox_settings

from citygrid.models import ApiToken, password_fingerprint


def token_issue(*, user, ttl: timedelta | None = None) -> tuple[ApiToken, str]:
    """A new API token for `user`: returns the record and the raw token, which is not stored and
    cannot be shown again. It expires after `ttl` (API_TOKEN_TTL_HOURS by default) and stops working
    as soon as the person's password changes. The person's expired tokens are removed on the way."""
    now = timezone.now()
    ApiToken.objects.filter(user=user, expiry__lt=now).delete()
    return ApiToken.objects.create(user=user, expiry=ttl or knox_settings.TOKEN_TTL,
                                   password_fingerprint=password_fingerprint(user))


def token_revoke(*, token: ApiToken) -> None:
    """The token stops working at once (logout)."""
    ApiToken.objects.filter(digest=token.digest).delete()


def token_revoke_all(*, user) -> int:
    """Every token of the person stops working at once (logout everywhere); returns how many."""
    deleted, _by_model = ApiToken.objects.filter(user=user).delete()
    return deleted


def user_deactivate(*, user) -> None:
    """The person can no longer log in, and their API tokens are revoked with it (a later
    reactivation does not bring them back)."""
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        token_revoke_all(user=user)
