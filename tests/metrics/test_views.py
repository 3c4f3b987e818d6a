"""A project's Metrics tab and the Metrics page, as each persona uses them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from metrics import services
from metrics.models import ConnectedService, SyncRun
from projects.roles import GlobalRole
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, project, **kwargs):
    return reverse(f"metrics:{name}", kwargs={"slug": project.slug, **kwargs})


@pytest.fixture
def demo(people):
    return services.service_create(
        project=people["project"],
        kind="demo",
        name="Demo generator",
        created_by=people["lead"],
        config={"requests_per_day": 1000},
    )


@pytest.mark.parametrize(
    "persona", ["owner", "lead", "contributor", "reviewer", "viewer"]
)
def test_members_see_the_metrics_tab(as_, people, persona, demo):
    response = as_(people[persona]).get(url("project", people["project"]))
    assert response.status_code == 200
    assert "Demo generator" in response.content.decode()


def test_outsiders_get_404(as_, people):
    assert (
        as_(people["outsider"]).get(url("project", people["project"])).status_code
        == 404
    )


def test_only_the_lead_and_owner_are_offered_connecting(as_, people):
    lead_page = (
        as_(people["lead"]).get(url("project", people["project"])).content.decode()
    )
    assert "Connect a service" in lead_page
    viewer_page = (
        as_(people["viewer"]).get(url("project", people["project"])).content.decode()
    )
    assert "Connect a service" not in viewer_page


@pytest.mark.parametrize("persona", ["contributor", "reviewer", "viewer"])
def test_members_without_the_right_cannot_connect(as_, people, persona):
    response = as_(people[persona]).post(
        url("connect", people["project"], kind="demo"), {"name": "x"}
    )
    assert response.status_code == 403
    assert not ConnectedService.objects.exists()


def test_test_connection_saves_nothing_and_says_what_it_found(as_, people):
    response = as_(people["lead"]).post(
        url("connect", people["project"], kind="demo"),
        {
            "action": "test",
            "name": "Demo",
            "environment": "production",
            "interval_minutes": 60,
            "requests_per_day": 500,
        },
    )
    assert response.status_code == 200
    assert "Connected: the demo generator" in response.content.decode()
    assert not ConnectedService.objects.exists()


def test_connecting_stores_the_key_encrypted_and_never_shows_it_back(
    as_, people, django_capture_on_commit_callbacks
):
    secret = "sk-lf-supersecret-9876"
    with django_capture_on_commit_callbacks(execute=False):
        response = as_(people["lead"]).post(
            url("connect", people["project"], kind="langfuse"),
            {
                "action": "save",
                "name": "Langfuse EU",
                "environment": "production",
                "interval_minutes": 60,
                "public_key": "pk-lf-public-1234",
                "secret_key": secret,
            },
        )
    assert response.status_code == 302
    service = ConnectedService.objects.get()
    assert service.credentials_hint == "…9876"
    page = as_(people["lead"]).get(url("project", people["project"])).content.decode()
    assert secret not in page and "…9876" in page
    form = (
        as_(people["lead"])
        .get(url("connect", people["project"], kind="langfuse"))
        .content.decode()
    )
    assert secret not in form


def test_a_base_url_cannot_reach_into_the_internal_network(as_, people, settings):
    settings.IS_DEVELOPMENT = False
    data = {
        "action": "save",
        "name": "Prom",
        "environment": "production",
        "interval_minutes": 60,
        "queries": "requests = sum(rate(http_requests_total[5m]))",
    }
    for address in (
        "http://prometheus.example.com:9090",
        "https://127.0.0.1:9090",
        "https://10.1.2.3",
        "https://localhost",
    ):
        response = as_(people["lead"]).post(
            url("connect", people["project"], kind="prometheus"),
            {**data, "base_url": address},
        )
        assert response.status_code == 200, address
        assert not ConnectedService.objects.exists(), address
    settings.RUNWAY_CONNECTOR_ALLOWED_HOSTS = ["10.1.2.3"]
    as_(people["lead"]).post(
        url("connect", people["project"], kind="prometheus"),
        {**data, "base_url": "http://10.1.2.3:9090"},
    )
    assert ConnectedService.objects.filter(base_url="http://10.1.2.3:9090").exists()


def test_bad_prometheus_queries_are_refused(as_, people):
    data = {
        "action": "save",
        "name": "Prom",
        "environment": "production",
        "interval_minutes": 60,
        "base_url": "https://prometheus.example.com",
        "queries": "not_a_metric = up",
    }
    response = as_(people["lead"]).post(
        url("connect", people["project"], kind="prometheus"), data
    )
    assert "is not a Runway metric" in response.content.decode()
    assert not ConnectedService.objects.exists()


def test_provider_organisation_keys_are_for_admins(as_, people):
    assert (
        as_(people["lead"])
        .get(url("connect", people["project"], kind="openai"))
        .status_code
        == 403
    )


def test_sync_now_queues_a_sync_and_the_status_polls_until_it_ends(
    as_, people, demo, django_capture_on_commit_callbacks
):
    client = as_(people["lead"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("sync", people["project"], pk=demo.pk), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in body
    # The task ran at commit (inline in tests): the status now reports the finished run.
    assert SyncRun.objects.filter(
        service=demo, status=SyncRun.Status.SUCCEEDED
    ).exists()
    status = client.get(url("status", people["project"], pk=demo.pk), **HTMX)
    assert status.status_code == 286  # htmx: stop polling
    assert "OK" in status.content.decode()


def test_sync_now_and_remove_need_post_and_the_right(as_, people, demo):
    assert (
        as_(people["lead"]).get(url("sync", people["project"], pk=demo.pk)).status_code
        == 405
    )
    assert (
        as_(people["viewer"])
        .post(url("sync", people["project"], pk=demo.pk))
        .status_code
        == 403
    )
    assert (
        as_(people["viewer"])
        .post(url("remove", people["project"], pk=demo.pk))
        .status_code
        == 403
    )
    as_(people["owner"]).post(url("remove", people["project"], pk=demo.pk))
    demo.refresh_from_db()
    assert demo.deleted_at is not None and demo.enabled is False


def test_the_metrics_page_lists_only_sources_of_visible_projects(as_, people, demo):
    other = UserFactory(roles=[GlobalRole.PRODUCT_MANAGER])
    assert (
        "Demo generator"
        not in as_(other).get(reverse("metrics:index")).content.decode()
    )
    assert (
        "Demo generator"
        in as_(people["viewer"]).get(reverse("metrics:index")).content.decode()
    )


def test_the_week_summary_shows_synced_numbers(as_, people, demo):
    services.service_sync(service=demo)
    page = as_(people["viewer"]).get(url("project", people["project"])).content.decode()
    assert "Cost (observed)" in page and "Latency p95" in page


# A connected source's settings (feedback names and kind among them) change after
# connecting, without its address or keys.


@pytest.fixture
def langfuse(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return services.service_create(
            project=people["project"],
            kind="langfuse",
            name="Langfuse",
            created_by=people["lead"],
            base_url="https://cloud.langfuse.com",
            credentials={
                "public_key": "pk-lf-settings",
                "secret_key": "sk-lf-settings-9",
            },
            config={"feedback_names": ["thumbs"]},
        )


def test_the_lead_changes_a_sources_feedback_settings_and_keeps_its_keys(
    as_, people, langfuse
):
    target = url("service_settings", people["project"], pk=langfuse.pk)
    form = as_(people["lead"]).get(target).content.decode()
    assert 'value="thumbs"' in form and "sk-lf-settings" not in form
    response = as_(people["lead"]).post(
        target,
        {
            "name": "Langfuse EU",
            "environment": "production",
            "interval_minutes": 360,
            "feedback_names": "user-feedback, rating",
            "feedback_kind": "CATEGORICAL",
            "feedback_positive_labels": "",
            "feedback_negative_labels": "",
        },
    )
    assert response.status_code == 302
    langfuse.refresh_from_db()
    assert langfuse.name == "Langfuse EU" and langfuse.interval_minutes == 360
    assert langfuse.config == {
        "feedback_names": ["user-feedback", "rating"],
        "feedback_kind": "CATEGORICAL",
    }
    assert langfuse.base_url == "https://cloud.langfuse.com"
    assert "sk-lf-settings-9" in langfuse.credentials
    assert langfuse.history.count() == 2  # created, then changed: audited


def test_settings_are_for_the_lead_and_owner_and_not_for_every_kind(
    as_, people, langfuse, demo
):
    target = url("service_settings", people["project"], pk=langfuse.pk)
    assert as_(people["viewer"]).get(target).status_code == 403
    assert as_(people["outsider"]).get(target).status_code == 404
    assert as_(people["lead"]).put(target).status_code == 405
    demo_target = url("service_settings", people["project"], pk=demo.pk)
    assert as_(people["lead"]).get(demo_target).status_code == 404


@pytest.mark.parametrize(
    "since",
    [
        "2026-12-01T10:00:00",
        "2026-02-30T10:00:00Z",
        "x",
        # Moments no datetime holds in UTC: they were an OverflowError.
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
    ],
)
def test_the_status_partial_refuses_a_time_without_a_zone_or_impossible(
    as_, people, demo, since
):
    target = url("status", people["project"], pk=demo.pk)
    response = as_(people["lead"]).get(target, {"since": since}, **HTMX)
    assert response.status_code == 400
    # With its zone it is read: the run has ended, so polling stops (286).
    answer = as_(people["lead"]).get(
        target, {"since": "2026-12-01T10:00:00+00:00"}, **HTMX
    )
    assert answer.status_code in (200, 286)
