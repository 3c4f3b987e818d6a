"""Listing an organisation's OpenAI projects and Anthropic workspaces, the choices the
mapping form offers (test_org_mapping.py): every page is read, archived ones are left
out, a list that loops or never ends is an error, and the list has a deadline. The
HTTP transport is the only thing replaced, with pages in the providers' published
shapes."""

from __future__ import annotations

import time

import httpx
import pytest

from metrics import scopes
from metrics.connectors import ConnectorError
from metrics.connectors import anthropic as anthropic_module
from metrics.connectors import openai as openai_module
from metrics.connectors.anthropic import AnthropicConnector
from metrics.connectors.openai import OpenAIConnector
from tests.metrics import org_providers
from tests.metrics.org_providers import (
    ANTHROPIC_KEY,
    OPENAI_KEY,
    PROJECTS,
    WORKSPACES,
    load,
    org_account,
    recorded,
)

# Fixtures shared with test_org_mapping.py.
provider_lists, admin, org_openai = (
    org_providers.provider_lists,
    org_providers.admin,
    org_providers.org_openai,
)


def openai(handler, base_url: str = "") -> OpenAIConnector:
    return OpenAIConnector(
        base_url=base_url,
        credentials={"admin_key": OPENAI_KEY},
        config={},
        client=httpx.Client(transport=httpx.MockTransport(handler)),
    )


def anthropic(handler) -> AnthropicConnector:
    return AnthropicConnector(
        base_url="",
        credentials={"admin_key": ANTHROPIC_KEY},
        config={},
        client=httpx.Client(transport=httpx.MockTransport(handler)),
    )


def test_openai_lists_the_projects_of_every_page():
    seen: list[httpx.Request] = []

    def handler(request):
        seen.append(request)
        return recorded(request)

    projects = openai(handler, base_url="https://api.openai.com/v1").projects()

    assert projects == {
        "proj_default": "Default project",
        "proj_support": "Support assistant",
        "proj_claims": "Claims triage",
    }
    first, second = seen
    assert str(first.url).startswith("https://api.openai.com/v1/organization/projects?")
    assert first.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert first.url.params["include_archived"] == "false"
    assert first.url.params["limit"] == "100"
    assert "after" not in first.url.params
    assert second.url.params["after"] == "proj_support"


def test_anthropic_lists_the_workspaces_of_every_page():
    seen: list[httpx.Request] = []

    def handler(request):
        seen.append(request)
        return recorded(request)

    workspaces = anthropic(handler).workspaces()

    assert workspaces == {
        "wrkspc_support": "Support assistant",
        "wrkspc_claims": "Claims triage",
    }
    first, second = seen
    assert first.url.path == WORKSPACES and first.url.host == "api.anthropic.com"
    assert first.headers["x-api-key"] == ANTHROPIC_KEY
    assert first.headers["anthropic-version"] == "2023-06-01"
    assert first.url.params["include_archived"] == "false"
    assert "after_id" not in first.url.params
    assert second.url.params["after_id"] == "wrkspc_support"


def test_archived_projects_and_workspaces_are_left_out():
    def with_archived(request):
        body = recorded(request).json()
        archived = dict(body["data"][0])
        if request.url.path == PROJECTS:
            archived.update(id="proj_old", status="archived", archived_at=1767225600)
        else:
            archived.update(id="wrkspc_old", archived_at="2026-01-01T00:00:00Z")
        body["data"].append(archived)
        return httpx.Response(200, json=body)

    assert "proj_old" not in openai(with_archived).projects()
    assert "wrkspc_old" not in anthropic(with_archived).workspaces()


def test_a_list_that_never_moves_on_is_an_error_not_a_loop():
    def stuck(request):
        return httpx.Response(200, json=load("openai", "projects_page1.json"))

    with pytest.raises(ConnectorError, match="no new place to continue"):
        openai(stuck).projects()


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_a_list_longer_than_the_bound_is_refused_rather_than_cut_short(
    monkeypatch, kind
):
    monkeypatch.setattr(openai_module, "MAX_PROJECT_PAGES", 3)
    monkeypatch.setattr(anthropic_module, "MAX_WORKSPACE_PAGES", 3)
    calls = iter(range(100))

    def endless(request):
        n = next(calls)
        return httpx.Response(
            200,
            json={
                "data": [{"id": f"id_{n}", "name": f"Project {n}"}],
                "has_more": True,
                "last_id": f"id_{n}",
            },
        )

    with pytest.raises(ConnectorError, match="Runway stops there"):
        if kind == "openai":
            openai(endless).projects()
        else:
            anthropic(endless).workspaces()


def test_a_rejected_key_is_a_permanent_error():
    def rejected(request):
        return httpx.Response(401, json={"error": {"message": "Invalid admin key"}})

    with pytest.raises(ConnectorError, match="credentials were rejected") as caught:
        openai(rejected).projects()
    assert caught.value.permanent


def test_the_list_has_a_hard_deadline(monkeypatch, org_openai, provider_lists):
    def slow(request):
        time.sleep(1.0)
        return recorded(request)

    provider_lists.answer = slow
    monkeypatch.setattr(scopes, "SCOPES_SECONDS", 0.2)
    with pytest.raises(ConnectorError, match="did not list its projects within"):
        scopes.provider_scopes(org_openai)


def test_the_list_is_read_with_the_org_accounts_key_and_address(
    admin, django_capture_on_commit_callbacks, provider_lists
):
    org = org_account(
        "openai",
        admin,
        django_capture_on_commit_callbacks,
        base_url="https://eu.api.openai.com",
    )
    assert "proj_claims" in scopes.provider_scopes(org)
    assert provider_lists.seen[0].url.host == "eu.api.openai.com"
    assert provider_lists.seen[0].headers["authorization"] == f"Bearer {OPENAI_KEY}"
