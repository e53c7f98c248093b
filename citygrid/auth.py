"""Authentication. Login lock-out: django-axes checks every login attempt that comes with a request
(the login page, the API's login, citygrid.api_auth); programmatic logins without a request
(management commands, Django's test client) are not a network attack surface and pass through. The
person of a session or an API token is loaded with their region, since every case list and case
page is scoped by it (cases.permissions.scope_filter): a query fewer per request."""
from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from knox import auth as knox_auth
from knox.crypto import hash_token
from rest_framework import exceptions

from citygrid.models import ApiToken, password_fingerprint
from core.queries import row_by_key


class LoginRateLimitBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class PasswordBackend(ModelBackend):
    """Django's username-and-password backend; the session's person comes with their region."""

    def get_user(self, user_id):
        user = row_by_key(get_user_model()._default_manager.select_related("region").filter(pk=user_id))
        return user if user is not None and self.user_can_authenticate(user) else None


class TokenAuthentication(knox_auth.TokenAuthentication):
    """Knox's hashed API tokens ("Authorization: Token cgt_…"), found by their digest in one query
    with the person and their region. A token that expired, whose person was deactivated or whose
    password changed since it was issued is refused and deleted: it never works again."""

    def authenticate_credentials(self, token: bytes):
        # The header is bytes as sent; knox decodes it as UTF-8 strictly (a 500 on stray bytes).
        raw = token.decode("utf-8", errors="replace")
        auth_token = row_by_key(ApiToken.objects.select_related("user", "user__region")
                                .filter(digest=hash_token(raw)))
        if auth_token is None:
            raise exceptions.AuthenticationFailed(_("令牌无效，请重新登录。"))
        refusal = self._refusal(auth_token)
        if refusal:
            auth_token.delete()
            raise exceptions.AuthenticationFailed(refusal)
        return auth_token.user, auth_token

    @staticmethod
    def _refusal(auth_token: ApiToken) -> str:
        user = auth_token.user
        if auth_token.expiry is not None and auth_token.expiry <= timezone.now():
            return _("令牌已过期，请重新登录。")
        if not user.is_active:
            return _("账号已停用。")
        if not constant_time_compare(auth_token.password_fingerprint, password_fingerprint(user)):
            return _("密码已更改，请重新登录。")
        return ""
