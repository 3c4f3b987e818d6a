"""The API tokens page: everyone makes, lists and revokes their own personal tokens."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from portal import tokens
from portal.models import PersonalAccessToken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = "portal:api_tokens"
CREATE = "portal:api_token_create"


def revoke_url(token):
    return reverse("portal:api_token_revoke", args=[token.pk])


def test_the_user_menu_links_to_the_tokens_page(client, pm):
    client.force_login(pm)
    response = client.get(reverse("portal:home"))
    assert reverse(PAGE).encode() in response.content


def test_creating_a_token_shows_its_secret_once(client, pm):
    client.force_login(pm)
    response = client.post(reverse(CREATE), {"name": "BI refresh", "expires": "90"})
    assert response.status_code == 200
    token = PersonalAccessToken.objects.get()
    secret = response.context["new_secret"]
    assert secret.startswith("rwp_")
    assert secret in response.content.decode()
    assert "no-store" in response.headers["Cache-Control"]
    assert token.user == pm
    assert token.name == "BI refresh"
    assert token.prefix == secret[:8]
    assert token.expires_at is not None
    # Only the fingerprint is kept, the same way as push tokens.
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in client.get(reverse(PAGE)).content.decode()


def test_the_list_shows_names_and_prefixes_never_secrets(client, pm):
    _, secret = tokens.api_token_create(user=pm, name="Nightly export", lifetime=None)
    client.force_login(pm)
    page = client.get(reverse(PAGE)).content.decode()
    assert "Nightly export" in page
    assert secret[:8] in page
    assert secret not in page


def test_a_token_may_never_expire(client, pm):
    client.force_login(pm)
    client.post(reverse(CREATE), {"name": "Forever", "expires": "never"})
    assert PersonalAccessToken.objects.get().expires_at is None


def test_a_token_needs_a_name(client, pm):
    client.force_login(pm)
    response = client.post(reverse(CREATE), {"name": "", "expires": "90"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not PersonalAccessToken.objects.exists()


def test_creating_over_htmx_answers_with_the_section(client, pm):
    client.force_login(pm)
    response = client.post(
        reverse(CREATE),
        {"name": "BI", "expires": "30"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="api-tokens",
    )
    body = response.content.decode()
    assert 'id="api-tokens"' in body
    assert "<html" not in body
    assert response.context["new_secret"] in body


def test_people_see_only_their_own_tokens(client, pm):
    tokens.api_token_create(user=UserFactory(), name="Someone else's", lifetime=None)
    client.force_login(pm)
    assert "Someone else" not in client.get(reverse(PAGE)).content.decode()


def test_revoking_asks_first_and_needs_a_post(client, pm):
    token, secret = tokens.api_token_create(user=pm, name="BI", lifetime=None)
    client.force_login(pm)
    page = client.get(reverse(PAGE)).content.decode()
    assert f'action="{revoke_url(token)}"' in page
    assert 'data-confirm="Revoke the token' in page
    assert client.get(revoke_url(token)).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None
    response = client.post(revoke_url(token))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert tokens.api_token_authenticate(secret) is None
    assert "Revoked" in client.get(reverse(PAGE)).content.decode()


def test_someone_elses_token_cannot_be_revoked(client, pm):
    theirs, _ = tokens.api_token_create(user=UserFactory(), name="BI", lifetime=None)
    client.force_login(pm)
    assert client.post(revoke_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_mutations_need_the_csrf_token(pm):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(pm)
    assert (
        client.post(reverse(CREATE), {"name": "BI", "expires": "90"}).status_code == 403
    )
    token, _ = tokens.api_token_create(user=pm, name="BI", lifetime=None)
    assert client.post(revoke_url(token)).status_code == 403


def test_the_page_takes_no_other_methods(client, pm):
    client.force_login(pm)
    assert client.post(reverse(PAGE)).status_code == 405
    assert client.get(reverse(CREATE)).status_code == 405


def test_making_and_revoking_is_audited_without_the_hash(client, pm):
    client.force_login(pm)
    client.post(reverse(CREATE), {"name": "BI", "expires": "90"})
    token = PersonalAccessToken.objects.get()
    client.post(revoke_url(token))
    history = list(token.history.order_by("history_date"))
    assert [h.history_type for h in history] == ["+", "~"]
    assert {h.history_user for h in history} == {pm}
    assert history[-1].revoked_at is not None
    assert not hasattr(history[0], "token_hash")
