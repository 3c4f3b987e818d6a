"""Mapping a project to an organisation's OpenAI project or Anthropic workspace: the id is
picked from the list the provider's admin API returns and checked against it on save, and
the whole organisation's usage is an admin's choice (reading the list itself:
test_org_listing.py). The HTTP transport is the only thing replaced, with pages in the
providers' published shapes."""

from __future__ import annotations

import httpx
import pytest
from django.urls import reverse

from metrics.models import ConnectedService
from tests.metrics import org_providers
from tests.metrics.org_providers import OPENAI_KEY, org_account

# Fixtures shared with test_org_listing.py (provider_lists with test_service_keys.py).
provider_lists, admin, org_openai, org_anthropic = (
    org_providers.provider_lists,
    org_providers.admin,
    org_providers.org_openai,
    org_providers.org_anthropic,
)


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
