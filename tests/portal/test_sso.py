"""Single sign-on through OpenID Connect: invited people get in, strangers only by opt-in.

The browser side runs through allauth's real views (login, the redirect to the
identity provider, the callback). The identity provider's side is served from
recorded payloads in the published OpenID Connect shapes (tests/portal/fixtures/oidc/),
at the one HTTP seam: requests' transport adapter, which refuses any other host.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from portal import services
from portal.models import User
from projects.roles import GlobalRole
from tests.factories import UserFactory

FIXTURES = Path(__file__).parent / "fixtures" / "oidc"
IDP = "https://idp.example.test"
PROVIDER_ID = "sso"
CLIENT_ID = "runway-client"
CLIENT_SECRET = "runway-client-secret"
KEY_ID = "runway-test-key"
AUTHORIZATION_CODE = "recorded-authorization-code"

pytestmark = pytest.mark.django_db


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(scope="module")
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeIdentityProvider:
    """Answers requests' transport calls from recorded payloads; anything else fails the test."""

    def __init__(self, signing_key) -> None:
        self.signing_key = signing_key
        self.discovery = load("openid-configuration.json")
        self.userinfo = load("userinfo.json")
        self.id_token_claims = load("id_token_claims.json")
        self.calls: list[requests.PreparedRequest] = []

    def person(self, email: str, sub: str) -> None:
        """Make the identity provider answer for someone else."""
        for claims in (self.userinfo, self.id_token_claims):
            claims.update(email=email, sub=sub, preferred_username=email)

    def id_token(self) -> str:
        now = int(time.time())
        claims = {**self.id_token_claims, "iat": now, "exp": now + 300}
        return jwt.encode(
            claims, self.signing_key, algorithm="RS256", headers={"kid": KEY_ID}
        )

    def jwks(self) -> dict:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(
            self.signing_key.public_key(), as_dict=True
        )
        return {"keys": [{**public, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}

    def send(self, request: requests.PreparedRequest, **_) -> requests.Response:
        self.calls.append(request)
        url = request.url.split("?", 1)[0]
        assert url.startswith(IDP + "/"), f"a test tried to reach {request.url}"
        routes = {
            ("GET", f"{IDP}/.well-known/openid-configuration"): lambda: self.discovery,
            ("POST", self.discovery["token_endpoint"]): lambda: {
                **load("token.json"),
                "id_token": self.id_token(),
            },
            ("GET", self.discovery["userinfo_endpoint"]): lambda: self.userinfo,
            ("GET", self.discovery["jwks_uri"]): self.jwks,
        }
        payload = routes[(request.method, url)]()
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        response._content = json.dumps(payload).encode()
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        return response

    def token_request(self) -> dict[str, list[str]]:
        [call] = [c for c in self.calls if c.url == self.discovery["token_endpoint"]]
        return parse_qs(call.body)


@pytest.fixture
def idp(monkeypatch, signing_key):
    fake = FakeIdentityProvider(signing_key)
    monkeypatch.setattr(
        requests.adapters.HTTPAdapter,
        "send",
        lambda adapter, request, **kwargs: fake.send(request, **kwargs),
    )
    return fake


@pytest.fixture(autouse=True)
def sso(settings):
    # settings.py builds this block from OIDC_SERVER_URL at import time; allauth
    # reads SOCIALACCOUNT_PROVIDERS on every lookup, so overriding it is enough.
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": PROVIDER_ID,
                    "name": "Single sign-on",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": IDP},
                }
            ],
        }
    }
    settings.OIDC_AUTO_PROVISION = False


def sign_in_through_sso(client, idp) -> tuple[object, dict[str, list[str]]]:
    """Start at Runway's SSO button, go to the identity provider, come back with a code."""
    login_url = reverse("openid_connect_login", kwargs={"provider_id": PROVIDER_ID})
    # GET only shows a confirmation page: no redirect to the provider without a POST.
    assert client.get(login_url).status_code == 200

    response = client.post(login_url)

    assert response.status_code == 302
    authorize = urlsplit(response["Location"])
    assert (
        f"{authorize.scheme}://{authorize.netloc}{authorize.path}"
        == (idp.discovery["authorization_endpoint"])
    )
    query = parse_qs(authorize.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["response_type"] == ["code"]
    assert "openid" in query["scope"][0].split()
    assert query["code_challenge_method"] == ["S256"]
    callback = reverse("openid_connect_callback", kwargs={"provider_id": PROVIDER_ID})
    assert query["redirect_uri"] == [f"http://testserver{callback}"]

    response = client.get(
        f"{callback}?{urlencode({'code': AUTHORIZATION_CODE, 'state': query['state'][0]})}"
    )
    return response, query


def signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def test_it_signs_an_invited_person_in_as_their_existing_account(client, idp):
    invited = UserFactory(email="ada.lovelace@example.com")
    EmailAddress.objects.create(
        user=invited, email=invited.email, verified=True, primary=True
    )

    response, authorize_query = sign_in_through_sso(client, idp)

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert signed_in_user_id(client) == str(invited.pk)
    assert User.objects.count() == 1
    account = SocialAccount.objects.get(user=invited)
    assert (account.provider, account.uid) == (PROVIDER_ID, "00u1a2b3c4d5e6f7g8h9")
    # The code went back to the token endpoint with the PKCE verifier of this login.
    token_request = idp.token_request()
    assert token_request["code"] == [AUTHORIZATION_CODE]
    verifier = token_request["code_verifier"][0].encode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
    assert authorize_query["code_challenge"] == [challenge.decode()]
    assert client.get(reverse("portal:home")).status_code == 200


def test_it_signs_an_invited_person_in_again_by_their_linked_account(client, idp):
    invited = UserFactory(email="ada.lovelace@example.com")
    EmailAddress.objects.create(
        user=invited, email=invited.email, verified=True, primary=True
    )
    sign_in_through_sso(client, idp)
    client.logout()

    response, _ = sign_in_through_sso(client, idp)

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(invited.pk)
    assert SocialAccount.objects.filter(user=invited).count() == 1


def test_it_keeps_the_password_of_a_person_who_accepted_their_invitation(client, idp):
    admin = UserFactory(roles=[GlobalRole.ADMIN])
    invited = services.user_invite(
        email="ada.lovelace@example.com",
        first_name="Ada",
        last_name="Lovelace",
        roles=[GlobalRole.PRODUCT_MANAGER],
        teams=[],
        invited_by=admin,
        base_url="http://testserver",
    )
    # Following the emailed one-time link proves the invitee controls the address.
    services.invitation_accept(user=invited, password="a-long-enough-passphrase-1")

    response, _ = sign_in_through_sso(client, idp)

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(invited.pk)
    invited.refresh_from_db()
    assert invited.check_password("a-long-enough-passphrase-1")


def test_it_refuses_an_unknown_email_when_auto_provisioning_is_off(client, idp):
    colleague = UserFactory()
    idp.person(email="stranger@elsewhere.example", sub="00u-stranger")

    response, _ = sign_in_through_sso(client, idp)

    assert response.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert signed_in_user_id(client) is None
    assert list(User.objects.all()) == [colleague]
    assert not SocialAccount.objects.exists()
    assert client.get(reverse("portal:home"))["Location"].startswith(
        reverse("account_login")
    )


def test_it_creates_the_account_when_auto_provisioning_is_on(client, idp, settings):
    settings.OIDC_AUTO_PROVISION = True
    idp.person(email="newcomer@example.com", sub="00u-newcomer")

    response, _ = sign_in_through_sso(client, idp)

    assert response.status_code == 302
    created = User.objects.get(email="newcomer@example.com")
    assert (created.first_name, created.last_name) == ("Ada", "Lovelace")
    assert not created.has_usable_password()
    assert signed_in_user_id(client) == str(created.pk)
    assert SocialAccount.objects.filter(user=created, uid="00u-newcomer").exists()


def test_it_does_not_let_single_sign_on_skip_totp(client, idp):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    invited = UserFactory(email="ada.lovelace@example.com")
    EmailAddress.objects.create(
        user=invited, email=invited.email, verified=True, primary=True
    )
    TOTP.activate(invited, generate_totp_secret())

    response, _ = sign_in_through_sso(client, idp)

    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in_user_id(client) is None


def test_it_refuses_a_callback_whose_state_it_did_not_issue(client, idp):
    UserFactory(email="ada.lovelace@example.com")
    callback = reverse("openid_connect_callback", kwargs={"provider_id": PROVIDER_ID})

    response = client.get(callback, {"code": AUTHORIZATION_CODE, "state": "forged"})

    assert response.status_code == 401
    assert "socialaccount/authentication_error.html" in [
        t.name for t in response.templates
    ]
    assert signed_in_user_id(client) is None
    assert not any(c.url == idp.discovery["token_endpoint"] for c in idp.calls)
