"""Push tokens on a project's Metrics tab, as each persona uses them."""

from __future__ import annotations

import hashlib
import html
import json
import re

import pytest
from django.urls import reverse

from metrics import ingest
from metrics.models import IngestToken

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "push-api"}


def url(name, project, **kwargs):
    return reverse(f"metrics:{name}", kwargs={"slug": project.slug, **kwargs})


def secret_in(page):
    found = re.search(r"rwy_[A-Za-z0-9_-]{20,}", page)
    return found.group(0) if found else None


def ingest_status(client, secret):
    return client.post(
        "/api/v1/ingest",
        data=json.dumps({}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    ).status_code


@pytest.mark.parametrize("persona", ["lead", "owner"])
def test_the_lead_and_owner_create_a_token_and_see_its_secret_once(
    client, people, persona
):
    client.force_login(people[persona])
    response = client.post(url("token_create", people["project"]), {"name": "prod"})
    assert response.status_code == 200
    # The only page that shows the secret is kept by no cache or browser history.
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    secret = secret_in(page)
    assert secret is not None
    assert "shown only once" in page
    assert "curl -X POST" in page
    token = IngestToken.objects.get()
    assert token.name == "prod"
    assert token.created_by == people[persona]
    assert token.prefix == secret[:8]
    # Only the fingerprint is kept: the secret is in no column of the row.
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    row = IngestToken.objects.filter(pk=token.pk).values().get()
    assert not any(secret in str(value) for value in row.values())
    # Shown once: the Metrics tab lists the token by its prefix, never the secret.
    again = client.get(url("project", people["project"])).content.decode()
    assert secret not in again
    assert f"{token.prefix}…" in again
    assert ingest_status(client, secret) == 202


def test_the_example_curl_on_the_page_works(client, people):
    client.force_login(people["lead"])
    page = html.unescape(
        client.post(
            url("token_create", people["project"]), {"name": "p"}
        ).content.decode()
    )
    body = re.search(r"-d '(\{.*?\})'", page, re.S).group(1)
    client.logout()
    response = client.post(
        "/api/v1/ingest",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret_in(page)}",
    )
    assert response.status_code == 202, response.content
    assert response.json()["accepted_events"] == 1


def test_creating_with_htmx_answers_with_the_push_api_section_only(client, people):
    client.force_login(people["lead"])
    response = client.post(
        url("token_create", people["project"]), {"name": "prod"}, **HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section class="card" id="push-api"')
    assert secret_in(page)


def test_a_token_needs_a_name(client, people):
    client.force_login(people["lead"])
    response = client.post(url("token_create", people["project"]), {"name": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not IngestToken.objects.exists()


@pytest.mark.parametrize("persona", ["contributor", "reviewer", "viewer"])
def test_members_without_the_right_cannot_create_tokens(client, people, persona):
    client.force_login(people[persona])
    response = client.post(url("token_create", people["project"]), {"name": "x"})
    assert response.status_code == 403
    assert not IngestToken.objects.exists()


def test_outsiders_get_404(client, people):
    token, _ = ingest.token_create(
        project=people["project"], name="prod", created_by=people["lead"]
    )
    client.force_login(people["outsider"])
    project = people["project"]
    assert client.post(url("token_create", project), {"name": "x"}).status_code == 404
    assert client.post(url("token_revoke", project, pk=token.pk)).status_code == 404
    assert IngestToken.objects.count() == 1


def test_wrong_methods_get_405(client, people):
    token, _ = ingest.token_create(
        project=people["project"], name="prod", created_by=people["lead"]
    )
    client.force_login(people["lead"])
    project = people["project"]
    assert client.get(url("token_create", project)).status_code == 405
    assert client.get(url("token_revoke", project, pk=token.pk)).status_code == 405


def test_viewers_see_the_push_api_but_no_tokens_and_no_form(client, people):
    ingest.token_create(
        project=people["project"], name="prod-server", created_by=people["lead"]
    )
    client.force_login(people["viewer"])
    page = client.get(url("project", people["project"])).content.decode()
    assert "Push API" in page
    assert "prod-server" not in page
    assert "Create token" not in page
    client.force_login(people["lead"])
    lead_page = client.get(url("project", people["project"])).content.decode()
    assert "prod-server" in lead_page
    assert "Create token" in lead_page
    assert "data-confirm" in lead_page


@pytest.mark.parametrize("persona", ["lead", "owner"])
def test_a_revoked_token_stops_working(client, people, persona):
    token, secret = ingest.token_create(
        project=people["project"], name="prod", created_by=people["lead"]
    )
    assert ingest_status(client, secret) == 202
    client.force_login(people[persona])
    response = client.post(url("token_revoke", people["project"], pk=token.pk))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ingest_status(client, secret) == 401
    page = client.get(url("project", people["project"])).content.decode()
    assert "Revoked" in page


@pytest.mark.parametrize("persona", ["contributor", "reviewer", "viewer"])
def test_members_without_the_right_cannot_revoke(client, people, persona):
    token, secret = ingest.token_create(
        project=people["project"], name="prod", created_by=people["lead"]
    )
    client.force_login(people[persona])
    response = client.post(url("token_revoke", people["project"], pk=token.pk))
    assert response.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
    assert ingest_status(client, secret) == 202


def test_a_token_of_another_project_cannot_be_revoked_through_this_one(
    client, people, project
):
    other, _ = ingest.token_create(project=project, name="other", created_by=None)
    client.force_login(people["lead"])
    response = client.post(url("token_revoke", people["project"], pk=other.pk))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None
