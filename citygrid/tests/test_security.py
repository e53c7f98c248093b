"""Security settings that a regression would silently undo: login lock-out, refusing the default
secret key, and password validators."""
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from grids.models import User


@pytest.mark.django_db
def test_login_locks_out_after_repeated_failures(client):
    User.objects.create_user(username="seat7", password="a-Long-pass-2026")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "seat7", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    # The failure that reaches the limit locks the account for this address at once.
    assert client.post(reverse("login"), {"username": "seat7", "password": "wrong"}).status_code == 429
    locked = client.post(reverse("login"), {"username": "seat7", "password": "a-Long-pass-2026"})
    assert locked.status_code == 429
    assert "已被暂时锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_correct_login_passes(client):
    User.objects.create_user(username="seat8", password="a-Long-pass-2026")
    response = client.post(reverse("login"), {"username": "seat8", "password": "a-Long-pass-2026"})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_refuses_to_start_on_the_default_secret_key_with_debug_off():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update(DEBUG="0", DJANGO_SETTINGS_MODULE="citygrid.settings")
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env,
                            capture_output=True, text=True, cwd=settings.BASE_DIR)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_password_validators_are_on():
    names = {validator["NAME"].rsplit(".", 1)[1] for validator in settings.AUTH_PASSWORD_VALIDATORS}
    assert {"MinimumLengthValidator", "CommonPasswordValidator", "NumericPasswordValidator"} <= names
