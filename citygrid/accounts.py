"""Account pages that differ from Django's: the password reset by mail, which where no mail server
is configured (MAIL_CONFIGURED false) says to ask an administrator instead of claiming a mail was
sent."""
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import render


class PasswordResetView(auth_views.PasswordResetView):
    def dispatch(self, request, *args, **kwargs):
        if not settings.MAIL_CONFIGURED:
            return render(request, "registration/password_reset_unavailable.html")
        return super().dispatch(request, *args, **kwargs)
