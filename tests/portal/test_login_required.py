"""Every URL in the URLconf needs a signed-in user, except an explicit allow-list.

New URLs are covered automatically: this walks the resolver, fills each pattern's
parameters with plausible values, and requests it as an anonymous user.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# URL names anyone may open: signing in, recovering a password, accepting an
# invitation, single sign-on callbacks, the health check.
PUBLIC = {
    "healthz",
    # No session: a scraper's token or address; everyone else gets a 404.
    "telemetry_metrics",
    "account_login",
    "account_signup",  # answers "sign-up is closed"
    "account_logout",  # shows the sign-in page when nobody is signed in
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_confirm_login_code",
    "account_request_login_code",
    "account_confirm_password_reset_code",
    "account_request_password_reset_code",
    "account_email_verification_sent",
    "account_confirm_email",
    "account_inactive",
    "account_reauthenticate",
    "mfa_authenticate",
    "mfa_trust",
    "mfa_login_webauthn",
    "mfa_signup_webauthn",
    "socialaccount_login_cancelled",
    "socialaccount_login_error",
    "socialaccount_signup",
    "portal:invitation_accept",
    # allauth's OpenID Connect provider views
    "openid_connect_login",
    "openid_connect_callback",
}
# URL names that authenticate by bearer token rather than by session (the push API,
# the read-only API): anonymous requests answer 401 themselves (405 to a method they
# do not take), never a redirect to the sign-in page, which a script could not follow.
TOKEN_AUTHENTICATED = {
    "api:ingest",
    "api:portfolio",
    "api:project",
    "api:otlp-traces",
    "api:evaluation-runs",
}
PARAM_VALUES = {
    "slug": "some-project",
    "pk": "1",
    "team_pk": "1",
    "number": "1",
    "uidb64": "MQ",
    "token": "abc-123",
    "key": "abc",
    "provider_id": "sso",
    "object_id": "1",
    "content_type_id": "1",
    "app_label": "projects",
    "url": "x",
}


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            yield from _walk(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield prefix + str(entry.pattern), name


def _concrete(pattern: str) -> str:
    path = re.sub(
        r"<(?:\w+:)?(\w+)>", lambda m: PARAM_VALUES.get(m.group(1), "x"), pattern
    )
    # Regex patterns (the Django admin's) are simplified to a representative path.
    path = re.sub(
        r"\(\?P<(\w+)>[^)]*\)", lambda m: PARAM_VALUES.get(m.group(1), "x"), path
    )
    return "/" + path.replace("^", "").replace("$", "").replace("\\", "")


def _all_urls():
    seen = set()
    for pattern, name in _walk(get_resolver()):
        path = _concrete(pattern)
        if "(" in path or path in seen:
            continue
        seen.add(path)
        yield pytest.param(path, name, id=f"{name or 'unnamed'} {path}")


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "name"), list(_all_urls()))
def test_anonymous_users_are_sent_to_sign_in(client, path, name):
    if name in TOKEN_AUTHENTICATED:
        answers = {client.post(path).status_code, client.get(path).status_code}
        assert 401 in answers
        assert answers <= {401, 405}
        return
    response = client.get(path)
    if name in PUBLIC:
        assert response.status_code != 500
        return
    assert response.status_code == 302, (
        f"{path} ({name}) answered {response.status_code}"
    )
    # The Django admin hands over to its own login URL, which sends people on to
    # allauth's sign-in (same rate limits and MFA); follow that hop.
    final = client.get(path, follow=True).redirect_chain[-1][0]
    assert final.startswith("/accounts/login/"), final


def test_the_allow_list_names_only_real_urls():
    names = {name for _, name in _walk(get_resolver()) if name}
    stale = {n for n in PUBLIC | TOKEN_AUTHENTICATED if n not in names}
    # A few allauth names only exist with features we leave off; they may be absent.
    optional = {
        "account_confirm_login_code",
        "account_request_login_code",
        "account_confirm_password_reset_code",
        "account_request_password_reset_code",
        "mfa_login_webauthn",
        "mfa_signup_webauthn",
        "mfa_trust",
        "openid_connect_login",
        "openid_connect_callback",
        "account_confirm_email",
        "account_email_verification_sent",
    }
    assert stale <= optional, stale
