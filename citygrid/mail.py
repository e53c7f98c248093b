"""Mail configuration from the environment (EMAIL_URL, or EMAIL_HOST and its companions) for the
settings, and the backend used where none is configured in production: it sends nothing, logs that
it did not, and never writes a message's body (a password-reset link) to the log."""
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"
UNCONFIGURED_BACKEND = "citygrid.mail.UnconfiguredBackend"

# scheme: (backend, default port, STARTTLS, implicit TLS)
URL_SCHEMES = {
    "smtp": (SMTP_BACKEND, 25, False, False),
    "smtp+tls": (SMTP_BACKEND, 587, True, False),
    "submission": (SMTP_BACKEND, 587, True, False),
    "smtps": (SMTP_BACKEND, 465, False, True),
    "smtp+ssl": (SMTP_BACKEND, 465, False, True),
    "console": (CONSOLE_BACKEND, 0, False, False),
}


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def parse_email_url(url: str) -> dict[str, Any]:
    """EMAIL_URL → Django's EMAIL_* settings: smtp://user:password@host:port (plain),
    smtp+tls:// (STARTTLS, port 587), smtps:// (TLS from the start, port 465), console://.
    User and password are percent-decoded (an "@" in a password is written %40); ?timeout=N
    sets EMAIL_TIMEOUT."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in URL_SCHEMES:
        raise ImproperlyConfigured(
            f"EMAIL_URL: unknown scheme {parts.scheme!r}; use one of {', '.join(sorted(URL_SCHEMES))}.")
    backend, default_port, use_tls, use_ssl = URL_SCHEMES[scheme]
    try:
        port = parts.port
    except ValueError as error:
        raise ImproperlyConfigured(f"EMAIL_URL: {error}") from error
    if backend == SMTP_BACKEND and not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL names no host.")
    config: dict[str, Any] = {
        "EMAIL_BACKEND": backend,
        "EMAIL_HOST": parts.hostname or "",
        "EMAIL_PORT": port or default_port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
    }
    timeout = parse_qs(parts.query).get("timeout")
    if timeout:
        config["EMAIL_TIMEOUT"] = float(timeout[-1])
    return config


def mail_settings(env: Mapping[str, str], *, debug: bool) -> dict[str, Any]:
    """Every mail setting from the environment. EMAIL_URL wins over EMAIL_HOST and the rest; with
    neither, the console backend when debugging (the demo prints mails to its terminal) and the
    UnconfiguredBackend otherwise. MAIL_CONFIGURED tells the pages whether mail reaches anyone."""
    if env.get("EMAIL_URL", "").strip():
        config = parse_email_url(env["EMAIL_URL"])
    elif env.get("EMAIL_HOST", "").strip():
        use_ssl = _bool(env.get("EMAIL_USE_SSL", ""))
        use_tls = _bool(env.get("EMAIL_USE_TLS", ""))
        if use_ssl and use_tls:
            raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: set one of them.")
        config = {
            "EMAIL_BACKEND": SMTP_BACKEND,
            "EMAIL_HOST": env["EMAIL_HOST"].strip(),
            "EMAIL_PORT": int(env.get("EMAIL_PORT") or (465 if use_ssl else 587 if use_tls else 25)),
            "EMAIL_HOST_USER": env.get("EMAIL_HOST_USER", ""),
            "EMAIL_HOST_PASSWORD": env.get("EMAIL_HOST_PASSWORD", ""),
            "EMAIL_USE_TLS": use_tls,
            "EMAIL_USE_SSL": use_ssl,
        }
    else:
        config = {"EMAIL_BACKEND": CONSOLE_BACKEND if debug else UNCONFIGURED_BACKEND}
    if env.get("EMAIL_BACKEND", "").strip():  # a dotted path of one's own (a gateway, a file backend)
        config["EMAIL_BACKEND"] = env["EMAIL_BACKEND"].strip()
    # Django waits forever on a mail server that does not answer; a request should not.
    config.setdefault("EMAIL_TIMEOUT", float(env.get("EMAIL_TIMEOUT") or 10))
    config["DEFAULT_FROM_EMAIL"] = env.get("DEFAULT_FROM_EMAIL") or "citygrid@localhost"
    config["SERVER_EMAIL"] = env.get("SERVER_EMAIL") or config["DEFAULT_FROM_EMAIL"]
    config["MAIL_CONFIGURED"] = config["EMAIL_BACKEND"] != UNCONFIGURED_BACKEND
    return config


class UnconfiguredBackend(BaseEmailBackend):
    """No mail server is configured: each message is dropped with a warning naming its recipients
    and subject only."""

    def send_messages(self, email_messages):
        for message in email_messages:
            logger.warning("Mail not sent (no EMAIL_URL or EMAIL_HOST configured): to %s, subject %r",
                           ", ".join(message.recipients()), message.subject)
        return 0
