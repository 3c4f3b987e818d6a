"""Two-factor authentication: admins must set up TOTP, and nothing signs a TOTP user in without it.

Sign-ins go through allauth's real views, so the login stages (MFA among them)
run exactly as they do in production.
"""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.core import mail
from django.urls import reverse

from tests.factories import TEST_PASSWORD

NEW_PASSWORD = "a-fresh-and-long-passphrase-42"
HOME = "/"


def current_code(secret: str) -> str:
    """The code an authenticator app would show right now."""
    return format_hotp_value(
        hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD)
    )


def activate_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def sign_in(client, email: str, password: str = TEST_PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


@pytest.fixture
def mfa_required(settings):
    settings.RUNWAY_MFA_REQUIRED_FOR_ADMINS = True


@pytest.mark.usefixtures("mfa_required")
class TestAdminsMustUseTotp:
    def test_it_sends_admins_without_totp_to_set_it_up(self, client, admin_user):
        client.force_login(admin_user)

        response = client.get(HOME)

        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")

    def test_it_explains_why_the_admin_was_sent_to_set_up_totp(
        self, client, admin_user
    ):
        client.force_login(admin_user)

        response = client.get(HOME, follow=True)

        messages = [str(m) for m in response.context["messages"]]
        assert any("two-factor authentication" in m for m in messages)

    def test_it_lets_admins_without_totp_reach_the_setup_page(self, client, admin_user):
        client.force_login(admin_user)
        setup = reverse("mfa_activate_totp")

        # allauth asks for the password again before an authenticator is added.
        response = client.get(setup)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        assert client.get(response["Location"]).status_code == 200
        response = client.post(response["Location"], {"password": TEST_PASSWORD})
        assert response["Location"] == setup

        response = client.get(setup)

        assert response.status_code == 200
        assert "issuer=Runway" in response.context["totp_url"]

    def test_it_lets_admins_without_totp_activate_it_from_the_setup_page(
        self, client, admin_user
    ):
        client.force_login(admin_user)
        setup = reverse("mfa_activate_totp")
        client.post(
            reverse("account_reauthenticate") + f"?next={setup}",
            {"password": TEST_PASSWORD},
        )
        secret = client.get(setup).context["form"].secret

        response = client.post(setup, {"code": current_code(secret)})

        assert response.status_code == 302
        assert client.get(HOME).status_code == 200

    def test_it_lets_admins_without_totp_sign_out(self, client, admin_user):
        client.force_login(admin_user)

        response = client.post(reverse("account_logout"))

        assert response.status_code == 302
        assert response["Location"] == reverse("account_login")
        assert signed_in_user_id(client) is None

    def test_it_lets_admins_with_totp_in(self, client, admin_user):
        activate_totp(admin_user)
        client.force_login(admin_user)

        assert client.get(HOME).status_code == 200

    def test_it_does_not_send_other_people_to_set_up_totp(self, client, pm):
        client.force_login(pm)

        assert client.get(HOME).status_code == 200


def test_it_does_not_send_admins_to_set_up_totp_when_the_rule_is_off(
    client, admin_user, settings
):
    settings.RUNWAY_MFA_REQUIRED_FOR_ADMINS = False
    client.force_login(admin_user)

    assert client.get(HOME).status_code == 200


class TestSigningInWithTotp:
    def test_it_stops_a_correct_password_at_the_totp_step(self, client, pm):
        activate_totp(pm)

        response = sign_in(client, pm.email)

        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_authenticate")
        assert signed_in_user_id(client) is None
        assert client.get(HOME)["Location"].startswith(reverse("account_login"))

    def test_it_signs_in_after_a_correct_totp_code(self, client, pm):
        secret = activate_totp(pm)
        sign_in(client, pm.email)

        response = client.post(
            reverse("mfa_authenticate"), {"code": current_code(secret)}
        )

        assert response.status_code == 302
        assert signed_in_user_id(client) == str(pm.pk)
        assert client.get(HOME).status_code == 200

    def test_it_refuses_a_wrong_totp_code(self, client, pm):
        secret = activate_totp(pm)
        sign_in(client, pm.email)
        wrong = format_hotp_value(
            (int(current_code(secret)) + 1) % 10**mfa_settings.TOTP_DIGITS
        )

        response = client.post(reverse("mfa_authenticate"), {"code": wrong})

        assert response.status_code == 200
        assert response.context["form"].errors
        assert signed_in_user_id(client) is None


def reset_password_by_email(client, user) -> None:
    """Walk allauth's reset flow: request the email, follow its link, choose a new password."""
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    [email] = mail.outbox
    link = re.search(r"http://testserver(/\S+)", email.body)
    assert link, email.body

    # allauth swaps the key in the link for a session-held one before showing the form.
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    [(form_url, _)] = form_page.redirect_chain
    response = client.post(
        form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_from_key_done")


class TestPasswordResetDoesNotBypassTotp:
    def test_it_does_not_sign_in_after_a_password_reset(self, client, pm):
        activate_totp(pm)

        reset_password_by_email(client, pm)

        pm.refresh_from_db()
        assert pm.check_password(NEW_PASSWORD)
        assert signed_in_user_id(client) is None
        assert client.get(HOME)["Location"].startswith(reverse("account_login"))

    def test_it_still_asks_for_totp_after_a_password_reset(self, client, pm):
        secret = activate_totp(pm)
        reset_password_by_email(client, pm)

        response = sign_in(client, pm.email, NEW_PASSWORD)

        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_authenticate")
        assert signed_in_user_id(client) is None
        client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
        assert signed_in_user_id(client) == str(pm.pk)

    def test_it_refuses_the_old_password_after_a_reset(self, client, pm):
        activate_totp(pm)
        reset_password_by_email(client, pm)

        response = sign_in(client, pm.email, TEST_PASSWORD)

        assert response.status_code == 200
        assert response.context["form"].errors
        assert signed_in_user_id(client) is None
