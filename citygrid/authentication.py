"""API token authentication that loads the person's region with the person: every case list and
case page is scoped by it (cases.permissions.scope_filter), so this saves a query per request."""
from rest_framework import authentication


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        token = self.get_model().objects.select_related("user", "user__region").filter(key=key).first()
        if token is None or not token.user.is_active:
            return super().authenticate_credentials(key)  # refuses, with DRF's own translated message
        return token.user, token
