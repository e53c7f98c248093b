"""Settings for the test suite: the same as production settings, with a throwaway secret key."""
import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405
LOCATOR_VERSION_CHECK_SECONDS = 0
# The test client and pytest-django's live server speak plain HTTP on loopback: no redirect to
# HTTPS and no Secure-only cookies there, whatever DEBUG is (DEBUG is off with DATABASE_URL set).
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Tasks run in-process in the suite even when CELERY_BROKER_URL names a real broker: the tests
# assert their effects synchronously. The real-broker tests (marker `broker`) use send_task, which
# always goes to the broker, and a worker subprocess of their own.
CELERY_TASK_ALWAYS_EAGER = True
# The suite renders pages without running collectstatic: plain static storage, no manifest. The
# production pass of CI (tests/production) runs the real one behind gunicorn.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Nor is there a STATIC_ROOT to index: WhiteNoise looks files up per request, as under runserver
# (without this it warns "No directory at: staticfiles/" once per middleware instance, ~1,300 times).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
