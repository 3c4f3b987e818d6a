"""Mapping a project to an organisation's OpenAI project or Anthropic workspace: the id is
picked from the list the provider's admin API returns and checked against it on save, and
the whole organisation's usage is an admin's choice. The HTTP transport is the only thing
replaced, with pages in the providers' published shapes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import stamina
from django.urls import reverse

from metrics import scopes, services
from metrics.connectors import ConnectorError
from metrics.connectors import anthropic as anthropic_module
from metrics.connectors import openai as openai_module
from metrics.connectors.anthropic import AnthropicConnector
from metrics.connectors.base import ATTEMPTS
from metrics.connectors.openai import OpenAIConnector
from metrics.models import ConnectedService
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


@pytest.fixture
def as_(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


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


def map_url(project, kind):
    return reverse("metrics:map", kwargs={"slug": project.slug, "kind": kind})


def mapping(org, scope_id):
    return {
        "org_service": org.pk,
        "scope_id": scope_id,
        "name": "Provider costs",
        "environment": "production",
        "interval_minutes": 60,
    }


def post(client, project, kind, data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return client.post(map_url(project, kind), data)


def mapped_services(project):
    return ConnectedService.objects.filter(project=project)


# The connectors' list methods ------------------------------------------------------


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


# The mapping form ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_form_offers_the_providers_projects_by_name_and_id(
    as_, people, org_openai, provider_lists
):
    response = as_(people["lead"]).get(map_url(people["project"], "openai"))

    assert response.status_code == 200
    body = response.content.decode()
    assert '<select name="scope_id"' in body
    for project_id, name in [
        ("proj_default", "Default project"),
        ("proj_support", "Support assistant"),
        ("proj_claims", "Claims triage"),  # on the second page
    ]:
        assert f'<option value="{project_id}">{name} ({project_id})</option>' in body
    assert "Choose a project…" in body
    assert "The whole organisation" not in body  # a lead is not offered it
    assert OPENAI_KEY not in body
    assert [r.url.params.get("after") for r in provider_lists.seen] == [
        None,
        "proj_support",
    ]


@pytest.mark.django_db
def test_the_form_offers_the_anthropic_workspaces(
    as_, people, org_anthropic, provider_lists
):
    body = (
        as_(people["owner"])
        .get(map_url(people["project"], "anthropic"))
        .content.decode()
    )
    assert (
        '<option value="wrkspc_claims">Claims triage (wrkspc_claims)</option>' in body
    )
    assert "Choose a workspace…" in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "typo", "message"),
    [
        (
            "openai",
            "proj_typo",
            "OpenAI has no project “proj_typo” in this organisation; pick one from "
            "the list.",
        ),
        (
            "anthropic",
            "wrkspc_typo",
            "Anthropic has no workspace “wrkspc_typo” in this organisation; pick one "
            "from the list.",
        ),
    ],
)
def test_an_id_the_provider_does_not_list_is_refused_and_nothing_is_saved(
    as_,
    people,
    org_openai,
    org_anthropic,
    provider_lists,
    django_capture_on_commit_callbacks,
    kind,
    typo,
    message,
):
    org = org_openai if kind == "openai" else org_anthropic
    response = post(
        as_(people["lead"]),
        people["project"],
        kind,
        mapping(org, typo),
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not mapped_services(people["project"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "scope_id", "config_key"),
    [
        ("openai", "proj_claims", "project_id"),
        ("anthropic", "wrkspc_claims", "workspace_id"),
    ],
)
def test_a_listed_id_maps_the_project(
    as_,
    people,
    org_openai,
    org_anthropic,
    provider_lists,
    django_capture_on_commit_callbacks,
    kind,
    scope_id,
    config_key,
):
    org = org_openai if kind == "openai" else org_anthropic
    response = post(
        as_(people["lead"]),
        people["project"],
        kind,
        mapping(org, scope_id),
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    mapped = mapped_services(people["project"]).get()
    assert mapped.kind == kind
    assert mapped.config == {"org_service": org.pk, config_key: scope_id}
    # The id was on the list's second page: the check followed the cursor too.
    assert len(provider_lists.seen) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["lead", "owner"])
@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_a_lead_or_owner_cannot_map_the_whole_organisation(
    as_,
    people,
    org_openai,
    org_anthropic,
    provider_lists,
    django_capture_on_commit_callbacks,
    persona,
    kind,
):
    org = org_openai if kind == "openai" else org_anthropic
    response = post(
        as_(people[persona]),
        people["project"],
        kind,
        mapping(org, ""),
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "Only an admin can map a project to the whole organisation" in body
    assert "viewers included" in body
    assert not mapped_services(people["project"]).exists()


@pytest.mark.django_db
def test_an_admin_may_map_the_whole_organisation(
    as_, people, admin, org_openai, provider_lists, django_capture_on_commit_callbacks
):
    client = as_(admin)
    form = client.get(map_url(people["project"], "openai")).content.decode()
    assert "The whole organisation (every project)</option>" in form

    response = post(
        client,
        people["project"],
        "openai",
        mapping(org_openai, ""),
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    mapped = mapped_services(people["project"]).get()
    assert mapped.config == {"org_service": org_openai.pk}


@pytest.mark.django_db
def test_an_unreachable_provider_is_said_and_nothing_is_saved(
    as_, people, org_openai, provider_lists, django_capture_on_commit_callbacks
):
    def down(request):
        raise httpx.ConnectError("connection refused", request=request)

    provider_lists.answer = down
    client = as_(people["lead"])

    form = client.get(map_url(people["project"], "openai")).content.decode()
    assert "Runway could not get the list of projects from OpenAI" in form
    assert "Could not reach OpenAI" in form
    assert '<input type="text" name="scope_id"' in form  # typing stays possible

    response = post(
        client,
        people["project"],
        "openai",
        mapping(org_openai, "proj_claims"),
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Runway could not check “proj_claims” with OpenAI" in body
    assert "Nothing was saved" in body
    assert not mapped_services(people["project"]).exists()


@pytest.mark.django_db
def test_a_rejected_org_key_is_said_and_nothing_is_saved(
    as_, people, org_openai, provider_lists, django_capture_on_commit_callbacks
):
    provider_lists.answer = lambda request: httpx.Response(
        401, json={"error": {"message": "Invalid admin key"}}
    )
    response = post(
        as_(people["lead"]),
        people["project"],
        "openai",
        mapping(org_openai, "proj_claims"),
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "credentials were rejected" in body and "ask an admin" in body
    assert not mapped_services(people["project"]).exists()


@pytest.mark.django_db
def test_choosing_another_account_re_renders_only_the_list(
    as_, people, admin, org_openai, provider_lists, django_capture_on_commit_callbacks
):
    other = org_account(
        "openai",
        admin,
        django_capture_on_commit_callbacks,
        base_url="https://eu.api.openai.com",
    )
    response = as_(people["lead"]).get(
        map_url(people["project"], "openai"),
        {"org_service": other.pk},
        headers={"HX-Request": "true", "HX-Target": "scope-field"},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="scope-field"')
    assert "<html" not in body and 'name="name"' not in body
    assert 'value="proj_claims"' in body
    assert {r.url.host for r in provider_lists.seen} == {"eu.api.openai.com"}


@pytest.mark.parametrize("asked", ["²", "9" * 30, "-1"])
def test_an_account_asked_for_by_something_not_an_id_is_ignored(
    as_, people, org_openai, provider_lists, asked
):
    """?org_service= is read as an id or not at all: "²" passes str.isdigit() but
    is no number, and was a server error."""
    response = as_(people["lead"]).get(
        map_url(people["project"], "openai"), {"org_service": asked}
    )

    assert response.status_code == 200
    assert 'value="proj_claims"' in response.content.decode()


@pytest.mark.django_db
def test_the_mapping_form_keeps_outsiders_and_read_only_members_out(
    as_, people, org_openai, provider_lists
):
    target = map_url(people["project"], "openai")
    data = mapping(org_openai, "proj_claims")
    assert as_(people["outsider"]).get(target).status_code == 404
    assert as_(people["outsider"]).post(target, data).status_code == 404
    assert as_(people["viewer"]).get(target).status_code == 403
    assert as_(people["viewer"]).post(target, data).status_code == 403
    assert as_(people["lead"]).put(target).status_code == 405
    assert not mapped_services(people["project"]).exists()
    assert not provider_lists.seen  # nobody was shown, or told, the organisation's list


# An admin connecting a provider straight to a project types the id: it is checked too.


@pytest.mark.parametrize(
    ("kind", "field", "listed"),
    [
        ("openai", "project_id", "proj_claims"),
        ("anthropic", "workspace_id", "wrkspc_claims"),
    ],
)
def test_a_typed_id_on_direct_connect_is_checked_with_the_provider(
    as_,
    admin,
    people,
    provider_lists,
    django_capture_on_commit_callbacks,
    kind,
    field,
    listed,
):
    url = reverse(
        "metrics:connect", kwargs={"slug": people["project"].slug, "kind": kind}
    )
    data = {
        "name": "Provider",
        "environment": "production",
        "interval_minutes": 60,
        "admin_key": OPENAI_KEY,
        field: "typo_0000",
        "action": "save",
    }
    body = as_(admin).post(url, data).content.decode()
    assert "has no" in body and "typo_0000" in body
    assert not ConnectedService.objects.exists()
    with django_capture_on_commit_callbacks(execute=False):
        response = as_(admin).post(url, {**data, field: listed})
    assert response.status_code == 302
    assert ConnectedService.objects.get().config[field] == listed
