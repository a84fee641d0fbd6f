"""Sign-up and sign-in by e-mail (allauth), TOTP second factor, password reset, throttling,
preferred language."""

import re

import pytest
from django.core import mail
from django.test import Client

from reproduce.accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "Brussels-Maker-2026"


def _signup(client: Client, email: str, lang: str = "fr"):
    return client.post(
        f"/{lang}/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


def test_sign_up_by_email_remembers_the_language():
    client = Client()
    response = _signup(client, "nieuw@maker.test", lang="nl")
    assert response.status_code == 302
    user = User.objects.get(email="nieuw@maker.test")
    assert user.preferred_language == "nl"
    # a confirmation e-mail is sent (verification is optional in the demo)
    assert any("nieuw@maker.test" in m.to for m in mail.outbox)


def test_sign_in_by_email_and_wrong_password_message_is_translated():
    User.objects.create_user(email="maker@brucycle.test", password=PASSWORD)
    client = Client()
    bad = client.post("/fr/accounts/login/", {"login": "maker@brucycle.test", "password": "nope"})
    assert bad.status_code == 200
    assert (
        "adresse e-mail" in bad.content.decode().lower()
        or "incorrect" in bad.content.decode().lower()
    )
    good = client.post(
        "/fr/accounts/login/", {"login": "maker@brucycle.test", "password": PASSWORD}
    )
    assert good.status_code == 302


def test_login_is_throttled_after_repeated_failures(settings):
    settings.AXES_FAILURE_LIMIT = 3
    User.objects.create_user(email="target@brucycle.test", password=PASSWORD)
    client = Client(REMOTE_ADDR="10.0.0.9")
    for _ in range(3):
        client.post("/fr/accounts/login/", {"login": "target@brucycle.test", "password": "wrong"})
    locked = client.post(
        "/fr/accounts/login/", {"login": "target@brucycle.test", "password": PASSWORD}
    )
    assert locked.status_code in (403, 429)
    assert not locked.wsgi_request.user.is_authenticated


def test_password_reset_sends_a_link_that_works():
    User.objects.create_user(
        email="forgetful@maker.test", password=PASSWORD, preferred_language="fr"
    )
    client = Client()
    client.post("/fr/accounts/password/reset/", {"email": "forgetful@maker.test"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^\s]+/accounts/password/reset/key/[^\s]+", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    path = "/" + link.group(0).split("/", 3)[3]
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    done = client.post(form_url, {"password1": "A-new-Passw0rd!", "password2": "A-new-Passw0rd!"})
    assert done.status_code == 302
    assert User.objects.get(email="forgetful@maker.test").check_password("A-new-Passw0rd!")


def test_totp_second_factor_can_be_enabled_and_is_then_required():
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import (
        SECRET_SESSION_KEY,
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    User.objects.create_user(email="secure@maker.test", password=PASSWORD)
    client = Client()
    client.post("/fr/accounts/login/", {"login": "secure@maker.test", "password": PASSWORD})
    # Enabling a second factor asks for the password again (recent authentication).
    page = client.get("/fr/accounts/2fa/totp/activate/")
    if page.status_code == 302 and "reauthenticate" in page["Location"]:
        client.post(page["Location"], {"password": PASSWORD})
        page = client.get("/fr/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]

    def code() -> str:
        return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))

    activated = client.post("/fr/accounts/2fa/totp/activate/", {"code": code()})
    assert activated.status_code == 302
    assert Authenticator.objects.filter(user__email="secure@maker.test", type="totp").exists()
    client.post("/fr/accounts/logout/")
    step1 = client.post("/fr/accounts/login/", {"login": "secure@maker.test", "password": PASSWORD})
    assert step1.status_code == 302 and "2fa/authenticate" in step1["Location"]
    assert not client.get("/healthz").wsgi_request.user.is_authenticated
    step2 = client.post(step1["Location"], {"code": code()})
    assert step2.status_code == 302
    assert client.get("/healthz").wsgi_request.user.email == "secure@maker.test"


def test_signed_in_person_is_sent_to_their_language():
    user = User.objects.create_user(
        email="nl@maker.test", password=PASSWORD, preferred_language="nl"
    )
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.get("/fr/map/")  # any page sets the language cookie from the profile
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/nl/")
