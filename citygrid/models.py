"""The project's own tables: the staff's API tokens (django-rest-knox's token model, swapped in by
KNOX_TOKEN_MODEL, with the fingerprint of the password it was issued under)."""
import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken


def password_fingerprint(user) -> str:
    """A digest of the person's stored password hash. Every way a password changes (admin form,
    reset by mail, set_password in code, even a raw UPDATE) changes the salted hash and with it
    this value, so a token issued under the old password no longer matches (citygrid.auth). Not a
    keyed hash: token validity does not depend on SECRET_KEY, and the value reveals nothing that
    the password hash beside it in the database would not."""
    return hashlib.sha256(b"core.api-token.password:" + user.password.encode()).hexdigest()


class ApiToken(AbstractAuthToken):
    """A staff API token. Knox stores the SHA-512 digest of the token (the primary key) and its
    first 15 characters (`token_key`, to tell tokens apart in the admin); the token itself is shown
    once, when it is issued (citygrid.services.token_issue), and never stored."""

    password_fingerprint = models.CharField(_("密码指纹"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.token_key}…（{self.user}）"
