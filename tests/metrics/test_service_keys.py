"""Replacing a service's key, and organisation-wide provider accounts that projects map
to: who may do it, where the key lives, and that no page ever shows it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from metrics import services
from metrics.connectors import ConnectorError
from metrics.connectors.base import Connector
from metrics.models import ConnectedService, MetricSample, SyncRun
from metrics.vocabulary import Bucket, Metric, Sample
from projects.models import Notification, NotificationKind
from projects.roles import GlobalRole
from tests.factories import UserFactory
from tests.metrics.test_org_mapping import provider_lists  # noqa: F401  (the providers' lists)

pytestmark = pytest.mark.django_db

OLD_SECRET = "sk-lf-old-secret-1111"
NEW_SECRET = "sk-lf-new-secret-2222"
ORG_KEY = "sk-admin-organisation-key-7777"
DAY = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def admin():
    return UserFactory(roles=[GlobalRole.ADMIN])


def url(name, project, **kwargs):
    return reverse(f"metrics:{name}", kwargs={"slug": project.slug, **kwargs})


def raw_credentials(service):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials FROM metrics_connectedservice WHERE id = %s",
            [service.pk],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def langfuse(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return services.service_create(
            project=people["project"],
            kind="langfuse",
            name="Langfuse EU",
            created_by=people["lead"],
            credentials={"public_key": "pk-lf-public-0000", "secret_key": OLD_SECRET},
        )


NEW_KEYS = {"public_key": "pk-lf-public-3333", "secret_key": NEW_SECRET}


# Replace a key ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["lead", "owner"])
def test_the_lead_or_owner_replaces_a_key_which_is_stored_encrypted(
    as_, people, langfuse, persona
):
    page = as_(people[persona]).get(url("project", people["project"]))
    body = page.content.decode()
    assert "Replace key" in body and 'type="password"' in body
    assert OLD_SECRET not in body and "pk-lf-public-0000" not in body

    response = as_(people[persona]).post(
        url("replace_key", people["project"], pk=langfuse.pk), NEW_KEYS, follow=True
    )
    assert response.status_code == 200
    assert "is replaced" in response.content.decode()
    langfuse.refresh_from_db()
    assert json.loads(langfuse.credentials) == NEW_KEYS
    assert langfuse.credentials_hint == "…2222"
    stored = raw_credentials(langfuse)
    assert NEW_SECRET not in stored and OLD_SECRET not in stored
    page = as_(people[persona]).get(url("project", people["project"])).content.decode()
    assert NEW_SECRET not in page and "…2222" in page


def test_replacing_the_key_enables_a_service_a_rejected_key_disabled(
    as_, people, langfuse
):
    ConnectedService.objects.filter(pk=langfuse.pk).update(
        enabled=False, disabled_reason="401: rejected", consecutive_failures=3
    )
    as_(people["lead"]).post(
        url("replace_key", people["project"], pk=langfuse.pk), NEW_KEYS
    )
    langfuse.refresh_from_db()
    assert langfuse.enabled and not langfuse.disabled_reason
    assert langfuse.consecutive_failures == 0


def test_an_incomplete_replacement_keeps_the_old_key(as_, people, langfuse):
    response = as_(people["lead"]).post(
        url("replace_key", people["project"], pk=langfuse.pk),
        {"secret_key": NEW_SECRET},
        follow=True,
    )
    assert "was not replaced" in response.content.decode()
    langfuse.refresh_from_db()
    assert json.loads(langfuse.credentials)["secret_key"] == OLD_SECRET


def test_replacing_a_key_needs_post_the_right_and_membership(as_, people, langfuse):
    target = url("replace_key", people["project"], pk=langfuse.pk)
    assert as_(people["lead"]).get(target).status_code == 405
    assert as_(people["viewer"]).post(target, NEW_KEYS).status_code == 403
    assert as_(people["outsider"]).post(target, NEW_KEYS).status_code == 404
    viewer_page = (
        as_(people["viewer"]).get(url("project", people["project"])).content.decode()
    )
    assert "Replace key" not in viewer_page
    langfuse.refresh_from_db()
    assert json.loads(langfuse.credentials)["secret_key"] == OLD_SECRET


# Organisation-wide services -----------------------------------------------------------


@pytest.fixture
def org_openai(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return services.service_create(
            project=None,
            kind="openai",
            name="Acme OpenAI",
            created_by=admin,
            base_url="https://eu.api.openai.com",
            credentials={"admin_key": ORG_KEY},
        )


def test_an_admin_adds_an_org_account_which_is_not_synced_itself(
    as_, admin, django_capture_on_commit_callbacks
):
    client = as_(admin)
    index = client.get(reverse("metrics:index")).content.decode()
    assert "Organisation-wide services" in index
    form = client.get(reverse("metrics:org_add", kwargs={"kind": "openai"}))
    assert form.status_code == 200
    assert 'name="project_id"' not in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("metrics:org_add", kwargs={"kind": "openai"}),
            {"action": "save", "name": "Acme OpenAI", "admin_key": ORG_KEY},
        )
    assert response.status_code == 302
    service = ConnectedService.objects.get()
    assert service.project is None and service.kind == "openai"
    assert json.loads(service.credentials) == {"admin_key": ORG_KEY}
    assert ORG_KEY not in raw_credentials(service)
    assert not SyncRun.objects.exists()  # no first sync, though tasks run inline
    from django_celery_beat.models import PeriodicTask

    assert not PeriodicTask.objects.filter(name=f"sync service {service.pk}").exists()
    index = client.get(reverse("metrics:index")).content.decode()
    assert "Acme OpenAI" in index and "…7777" in index and ORG_KEY not in index


def test_the_org_pages_are_for_admins(as_, people, org_openai):
    lead = as_(people["lead"])
    assert "Organisation-wide services" not in (
        lead.get(reverse("metrics:index")).content.decode()
    )
    add = reverse("metrics:org_add", kwargs={"kind": "openai"})
    assert lead.get(add).status_code == 403
    assert lead.post(add, {"name": "x", "admin_key": "k"}).status_code == 403
    for name in ("org_remove", "org_replace_key"):
        target = reverse(f"metrics:{name}", kwargs={"pk": org_openai.pk})
        assert lead.post(target, {"admin_key": "sk-admin-x"}).status_code == 403
    org_openai.refresh_from_db()
    assert org_openai.deleted_at is None
    assert json.loads(org_openai.credentials) == {"admin_key": ORG_KEY}


@pytest.mark.usefixtures("provider_lists")
def test_the_lead_maps_the_project_without_copying_the_key(
    as_, people, org_openai, django_capture_on_commit_callbacks
):
    client = as_(people["lead"])
    page = client.get(url("project", people["project"])).content.decode()
    assert "Use the organisation's OpenAI account" in page
    form = client.get(url("map", people["project"], kind="openai"))
    assert form.status_code == 200 and ORG_KEY not in form.content.decode()
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            url("map", people["project"], kind="openai"),
            {
                "org_service": org_openai.pk,
                "scope_id": "proj_claims",
                "name": "OpenAI (claims)",
                "environment": "production",
                "interval_minutes": 60,
            },
        )
    assert response.status_code == 302
    mapped = ConnectedService.objects.get(project=people["project"])
    assert mapped.kind == "openai"
    assert mapped.config == {"org_service": org_openai.pk, "project_id": "proj_claims"}
    assert mapped.credentials == "" and mapped.credentials_hint == ""
    assert mapped.base_url == ""
    page = client.get(url("project", people["project"])).content.decode()
    assert "The organisation's key" in page and "proj_claims" in page
    assert ORG_KEY not in page
    # The project row has no key of its own to replace.
    assert f'action="{url("replace_key", people["project"], pk=mapped.pk)}"' not in page


@pytest.mark.usefixtures("provider_lists")
def test_an_openai_mapping_needs_the_provider_project(as_, people, org_openai):
    response = as_(people["owner"]).post(
        url("map", people["project"], kind="openai"),
        {
            "org_service": org_openai.pk,
            "scope_id": "",
            "name": "OpenAI",
            "environment": "production",
            "interval_minutes": 60,
        },
    )
    assert response.status_code == 200
    assert not ConnectedService.objects.filter(project=people["project"]).exists()


@pytest.mark.usefixtures("provider_lists")
def test_anthropic_maps_a_workspace(
    as_, people, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        org = services.service_create(
            project=None,
            kind="anthropic",
            name="Acme Anthropic",
            created_by=admin,
            credentials={"admin_key": "sk-ant-admin-secret-5555"},
        )
        as_(people["owner"]).post(
            url("map", people["project"], kind="anthropic"),
            {
                "org_service": org.pk,
                "scope_id": "wrkspc_claims",
                "name": "Anthropic",
                "environment": "production",
                "interval_minutes": 60,
            },
        )
    mapped = ConnectedService.objects.get(project=people["project"])
    assert mapped.config == {"org_service": org.pk, "workspace_id": "wrkspc_claims"}


@pytest.mark.parametrize("persona", ["viewer", "contributor", "reviewer"])
def test_the_mapping_form_is_forbidden_to_members_without_the_right(
    as_, people, org_openai, persona
):
    target = url("map", people["project"], kind="openai")
    assert as_(people[persona]).get(target).status_code == 403
    assert (
        as_(people[persona])
        .post(target, {"org_service": org_openai.pk, "scope_id": "proj_x"})
        .status_code
        == 403
    )
    assert as_(people["outsider"]).get(target).status_code == 404
    assert not ConnectedService.objects.filter(project=people["project"]).exists()


class RecordingConnector(Connector):
    kind = "recording"
    seen: list[dict[str, object]] = []

    def test(self) -> str:
        return "ok"

    def fetch(self, *, start, end):
        type(self).seen.append(
            {
                "credentials": dict(self.credentials),
                "config": dict(self.config),
                "base_url": self.base_url,
            }
        )
        return [Sample(Metric.COST_BILLED_USD, DAY, Bucket.DAY, Decimal("4.20"))]


@pytest.fixture
def recording(monkeypatch):
    RecordingConnector.seen = []
    monkeypatch.setattr(services, "connector_class", lambda kind: RecordingConnector)
    return RecordingConnector


@pytest.fixture
def mapped(people, org_openai, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return services.service_map_to_org(
            project=people["project"],
            org_service=org_openai,
            scope_id="proj_claims",
            name="OpenAI (claims)",
            created_by=people["lead"],
        )


def test_a_mapped_service_syncs_with_the_org_key_read_at_sync_time(
    people, org_openai, mapped, recording
):
    services.service_replace_credentials(
        service=org_openai, credentials={"admin_key": "sk-admin-rotated-8888"}
    )
    run = services.service_sync(service=mapped, now=DAY)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    (seen,) = recording.seen
    assert seen["credentials"] == {"admin_key": "sk-admin-rotated-8888"}
    assert seen["base_url"] == "https://eu.api.openai.com"
    assert seen["config"]["project_id"] == "proj_claims"
    assert MetricSample.objects.get(service=mapped).project == people["project"]
    mapped.refresh_from_db()
    assert mapped.credentials == ""  # never copied


def test_replacing_the_org_key_re_enables_the_mappings_it_disabled(
    org_openai, mapped, recording, monkeypatch
):
    def rejected(self, *, start, end):
        raise ConnectorError("401 from OpenAI: the key was rejected", permanent=True)

    monkeypatch.setattr(RecordingConnector, "fetch", rejected)
    services.service_sync(service=mapped, now=DAY)
    mapped.refresh_from_db()
    assert not mapped.enabled
    services.service_replace_credentials(
        service=org_openai, credentials={"admin_key": "sk-admin-fixed-9999"}
    )
    mapped.refresh_from_db()
    assert mapped.enabled and mapped.consecutive_failures == 0


def test_removing_the_org_account_disables_the_mappings_with_a_reason(
    as_, people, admin, org_openai, mapped, recording
):
    response = as_(admin).post(
        reverse("metrics:org_remove", kwargs={"pk": org_openai.pk}), follow=True
    )
    assert "is removed" in response.content.decode()
    org_openai.refresh_from_db()
    mapped.refresh_from_db()
    assert org_openai.deleted_at is not None
    assert not mapped.enabled and "Acme OpenAI" in mapped.disabled_reason
    assert "was removed" in mapped.disabled_reason
    assert Notification.objects.filter(
        kind=NotificationKind.SERVICE_DISABLED, user=people["lead"]
    ).exists()
    # Even if something syncs it anyway, it cannot reach the removed account's key.
    run = services.service_sync(service=mapped, now=DAY)
    assert run.status == SyncRun.Status.FAILED and not recording.seen
    page = as_(people["lead"]).get(url("project", people["project"])).content.decode()
    assert "was removed" in page and ORG_KEY not in page


def test_the_org_remove_button_asks_for_confirmation(as_, admin, org_openai):
    index = as_(admin).get(reverse("metrics:index")).content.decode()
    assert "data-confirm=" in index and "csrfmiddlewaretoken" in index


def test_an_admin_replaces_the_org_key_without_seeing_it(as_, admin, org_openai):
    target = reverse("metrics:org_replace_key", kwargs={"pk": org_openai.pk})
    assert as_(admin).get(target).status_code == 405
    as_(admin).post(target, {"admin_key": "sk-admin-brand-new-4444"})
    org_openai.refresh_from_db()
    assert json.loads(org_openai.credentials) == {
        "admin_key": "sk-admin-brand-new-4444"
    }
    assert org_openai.credentials_hint == "…4444"
    assert "sk-admin-brand-new-4444" not in raw_credentials(org_openai)
    index = as_(admin).get(reverse("metrics:index")).content.decode()
    assert "sk-admin-brand-new-4444" not in index and ORG_KEY not in index


def test_no_page_shows_the_org_key(as_, people, admin, org_openai, mapped):
    pages = [
        as_(admin).get(reverse("metrics:index")),
        as_(admin).get(reverse("metrics:org_add", kwargs={"kind": "openai"})),
        as_(admin).get(url("project", people["project"])),
        as_(admin).get(url("map", people["project"], kind="openai")),
        as_(people["lead"]).get(url("project", people["project"])),
        as_(people["lead"]).get(reverse("metrics:index")),
    ]
    for page in pages:
        assert page.status_code == 200
        body = page.content.decode()
        assert ORG_KEY not in body and ORG_KEY[-8:] not in body
