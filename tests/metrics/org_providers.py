"""The providers' admin APIs as the organisation-mapping tests see them: the list pages
OpenAI and Anthropic publish, recorded in tests/metrics/fixtures, served through a
mock HTTP transport; and an organisation account for each provider."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import stamina

from metrics import scopes, services
from metrics.connectors.base import ATTEMPTS
from projects.roles import GlobalRole
from tests.factories import UserFactory

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OPENAI_KEY = "sk-admin-organisation-key-7777"
ANTHROPIC_KEY = "sk-ant-admin-organisation-key-5555"
PROJECTS = "/v1/organization/projects"
WORKSPACES = "/v1/organizations/workspaces"
# The page each cursor leads to (None: the first).
PROJECT_PAGES = {None: "projects_page1.json", "proj_support": "projects_page2.json"}
WORKSPACE_PAGES = {
    None: "workspaces_page1.json",
    "wrkspc_support": "workspaces_page2.json",
}


def load(provider: str, name: str) -> Any:
    return json.loads((FIXTURES / provider / name).read_text())


def recorded(request: httpx.Request) -> httpx.Response:
    """The recorded list pages, by path and cursor."""
    params = request.url.params
    if request.url.path == PROJECTS:
        return httpx.Response(
            200, json=load("openai", PROJECT_PAGES[params.get("after")])
        )
    if request.url.path == WORKSPACES:
        return httpx.Response(
            200, json=load("anthropic", WORKSPACE_PAGES[params.get("after_id")])
        )
    return httpx.Response(404, json={"error": {"message": "Not found"}})


class ProviderLists:
    """The providers' admin APIs as the mapping form sees them: the recorded pages,
    unless a test sets ``answer``; every request is kept in ``seen``."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []
        self.answer: Callable[[httpx.Request], httpx.Response] = recorded

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return self.answer(request)


@pytest.fixture
def provider_lists(monkeypatch) -> Iterator[ProviderLists]:
    lists = ProviderLists()
    monkeypatch.setattr(
        scopes,
        "http_client",
        lambda: httpx.Client(transport=httpx.MockTransport(lists.handle)),
    )
    # Testing mode drops the retry waits but also sets the attempts (default 1): keep
    # the production count.
    with stamina.set_testing(True, attempts=ATTEMPTS):
        yield lists


@pytest.fixture
def admin(db):
    return UserFactory(roles=[GlobalRole.ADMIN])


def org_account(kind, admin, django_capture_on_commit_callbacks, **extra):
    key = OPENAI_KEY if kind == "openai" else ANTHROPIC_KEY
    with django_capture_on_commit_callbacks(execute=False):
        return services.service_create(
            project=None,
            kind=kind,
            name=f"Acme {kind}",
            created_by=admin,
            credentials={"admin_key": key},
            **extra,
        )


@pytest.fixture
def org_openai(admin, django_capture_on_commit_callbacks):
    return org_account("openai", admin, django_capture_on_commit_callbacks)


@pytest.fixture
def org_anthropic(admin, django_capture_on_commit_callbacks):
    return org_account("anthropic", admin, django_capture_on_commit_callbacks)
