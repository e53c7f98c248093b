"""Mail: the EMAIL_* settings read from the environment (citygrid.mail), the password reset by mail
end to end through Django's outbox (the person's API tokens revoked with the old password), and the
reset page that says to ask an administrator where no mail is configured."""
import json
import logging
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.test import Client
from rest_framework.test import APIClient

from citygrid.mail import (
    CONSOLE_BACKEND,
    SMTP_BACKEND,
    UNCONFIGURED_BACKEND,
    UnconfiguredBackend,
    mail_settings,
    parse_email_url,
)
from citygrid.models import ApiToken
from citygrid.services import token_issue
from citygrid.testing import PASSWORD

RESET = "/accounts/password_reset/"
NEW_PASSWORD = "Reset-by-mail-2026"


# --- settings from the environment -----------------------------------------------------------

@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.city.gov.cn", ("mail.city.gov.cn", 25, "", "", False, False)),
    ("smtp://relay:p%40ss%3Aword@mail.city.gov.cn:2525", ("mail.city.gov.cn", 2525, "relay", "p@ss:word", False, False)),
    ("smtp+tls://u:p@mail.city.gov.cn", ("mail.city.gov.cn", 587, "u", "p", True, False)),
    ("smtps://u:p@mail.city.gov.cn", ("mail.city.gov.cn", 465, "u", "p", False, True)),
    ("SMTP+SSL://u:p@mail.city.gov.cn:1465", ("mail.city.gov.cn", 1465, "u", "p", False, True)),
])
def test_email_url_is_parsed(url, expected):
    config = parse_email_url(url)
    assert config["EMAIL_BACKEND"] == SMTP_BACKEND
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"], config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"],
            config["EMAIL_USE_TLS"], config["EMAIL_USE_SSL"]) == expected


def test_email_url_timeout_and_console():
    assert parse_email_url("smtp://mail.city.gov.cn?timeout=3")["EMAIL_TIMEOUT"] == 3.0
    assert parse_email_url("console://")["EMAIL_BACKEND"] == CONSOLE_BACKEND


@pytest.mark.parametrize("url", ["http://mail.city.gov.cn", "smtp://", "smtp://mail.city.gov.cn:notaport"])
def test_a_wrong_email_url_stops_the_start(url):
    with pytest.raises(ImproperlyConfigured):
        parse_email_url(url)


def test_email_host_and_its_companions():
    config = mail_settings({"EMAIL_HOST": "mail.city.gov.cn", "EMAIL_USE_TLS": "1", "EMAIL_HOST_USER": "relay",
                            "EMAIL_HOST_PASSWORD": "secret", "DEFAULT_FROM_EMAIL": "citygrid@city.gov.cn"},
                           debug=False)
    assert config["EMAIL_BACKEND"] == SMTP_BACKEND and config["MAIL_CONFIGURED"]
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"], config["EMAIL_USE_TLS"]) == ("mail.city.gov.cn", 587, True)
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == ("relay", "secret")
    assert config["DEFAULT_FROM_EMAIL"] == config["SERVER_EMAIL"] == "citygrid@city.gov.cn"
    assert config["EMAIL_TIMEOUT"] == 10
    assert mail_settings({"EMAIL_HOST": "h", "EMAIL_USE_SSL": "yes"}, debug=False)["EMAIL_PORT"] == 465
    with pytest.raises(ImproperlyConfigured):
        mail_settings({"EMAIL_HOST": "h", "EMAIL_USE_SSL": "1", "EMAIL_USE_TLS": "1"}, debug=False)


def test_email_url_wins_over_email_host():
    config = mail_settings({"EMAIL_URL": "smtps://a:b@url.example", "EMAIL_HOST": "host.example"}, debug=False)
    assert config["EMAIL_HOST"] == "url.example"


def test_nothing_configured_is_the_console_in_the_demo_and_nothing_sent_in_production():
    assert mail_settings({}, debug=True) == {
        "EMAIL_BACKEND": CONSOLE_BACKEND, "EMAIL_TIMEOUT": 10.0, "DEFAULT_FROM_EMAIL": "citygrid@localhost",
        "SERVER_EMAIL": "citygrid@localhost", "MAIL_CONFIGURED": True}
    production = mail_settings({}, debug=False)
    assert production["EMAIL_BACKEND"] == UNCONFIGURED_BACKEND and not production["MAIL_CONFIGURED"]
    own = mail_settings({"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}, debug=False)
    assert own["MAIL_CONFIGURED"]


def test_the_settings_module_reads_the_environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    env.update(DJANGO_SETTINGS_MODULE="citygrid.test_settings", EMAIL_URL="smtp+tls://relay:pw@mail.city.gov.cn",
               DEFAULT_FROM_EMAIL="noreply@city.gov.cn")
    script = ("import django, json; django.setup(); from django.conf import settings as s; print(json.dumps("
              "[s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_HOST_USER, "
              "s.DEFAULT_FROM_EMAIL, s.SERVER_EMAIL, s.MAIL_CONFIGURED]))")
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=django_settings.BASE_DIR,
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out.splitlines()[-1]) == [SMTP_BACKEND, "mail.city.gov.cn", 587, True, "relay",
                                                "noreply@city.gov.cn", "noreply@city.gov.cn", True]


def test_the_unconfigured_backend_sends_nothing_and_logs_no_body(caplog):
    message = EmailMessage("重置密码", "https://citygrid/reset/secret-link/", "from@x", ["to@city.gov.cn"])
    with caplog.at_level(logging.WARNING, logger="citygrid.mail"):
        assert UnconfiguredBackend().send_messages([message]) == 0
    assert "to@city.gov.cn" in caplog.text and "重置密码" in caplog.text
    assert "secret-link" not in caplog.text


# --- the password reset by mail ----------------------------------------------------------------

@pytest.fixture
def person(collector_a):
    collector_a.email = "collector.a@city.gov.cn"
    collector_a.save(update_fields=["email"])
    return collector_a


def test_password_reset_by_mail_end_to_end(person, settings):
    settings.MAIL_CONFIGURED = True
    settings.DEFAULT_FROM_EMAIL = "citygrid@city.gov.cn"
    _token, old_api_token = token_issue(user=person)
    browser = Client()

    response = browser.post(RESET, {"email": person.email})
    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [person.email] and message.from_email == "citygrid@city.gov.cn"
    link = re.search(r"https?://testserver(/accounts/reset/\S+/\S+/)", message.body).group(1)

    # Django puts the token in the session and redirects to the set-password form.
    form = browser.get(link, follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    done = browser.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"

    assert Client().login(username=person.username, password=NEW_PASSWORD)
    assert not Client().login(username=person.username, password=PASSWORD)
    login = APIClient().post("/api/auth/login/", {"username": person.username, "password": NEW_PASSWORD},
                             format="json")
    assert login.status_code == 200
    # The API token of before the reset is refused (and gone); the one from the new login works.
    old = APIClient(HTTP_AUTHORIZATION=f"Token {old_api_token}").get("/api/cases/")
    assert old.status_code in (401, 403) and old.json()["detail"] == "密码已更改，请重新登录。"
    assert list(ApiToken.objects.filter(user=person)) == [ApiToken.objects.get(token_key=login.json()["token"][:15])]
    # The link is spent.
    assert not browser.get(link, follow=True).context["validlink"]


def test_an_unknown_address_gets_the_same_answer_and_no_mail(person, settings):
    settings.MAIL_CONFIGURED = True
    response = Client().post(RESET, {"email": "nobody@city.gov.cn"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []


def test_without_mail_the_reset_page_says_to_ask_an_administrator(person, settings):
    settings.MAIL_CONFIGURED = False
    page = Client().get(RESET)
    assert page.status_code == 200
    assert "请联系系统管理员为您重置密码" in page.content.decode()
    posted = Client().post(RESET, {"email": person.email})
    assert posted.status_code == 200 and "请联系系统管理员" in posted.content.decode()
    assert mail.outbox == []
    assert 'name="email"' not in page.content.decode()
