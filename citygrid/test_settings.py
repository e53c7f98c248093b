"""Settings for the test suite: the same as production settings, with a throwaway secret key."""
import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405
LOCATOR_VERSION_CHECK_SECONDS = 0
