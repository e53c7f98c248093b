"""Authentication. Login lock-out: django-axes checks every login attempt that comes with a request
(the login page, the API's token endpoint); programmatic logins without a request (management
commands, Django's test client) are not a network attack surface and pass through. The person of
a session or an API token is loaded with their region, since every case list and case page is
scoped by it (cases.permissions.scope_filter): a query fewer per request."""
from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from rest_framework import authentication

from citygrid.queries import row_by_key


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


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        token = row_by_key(self.get_model().objects.select_related("user", "user__region").filter(key=key))
        if token is None or not token.user.is_active:
            return super().authenticate_credentials(key)  # refuses, with DRF's own translated message
        return token.user, token
