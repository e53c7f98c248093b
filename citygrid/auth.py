"""Login lock-out: django-axes checks every login attempt that comes with a request (the login
page, the API's token endpoint). Programmatic logins without a request (management commands,
Django's test client) are not a network attack surface and pass through."""
from axes.backends import AxesStandaloneBackend


class LoginRateLimitBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
