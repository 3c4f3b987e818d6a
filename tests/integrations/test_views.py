"""The channels pages: the owner and lead manage them, outsiders get 404, other members
403; secrets are shown once; only the owner lets spend figures out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations import delivery_services, queue_services, services
from integrations.models import Channel, Delivery
from tests.integrations.conftest import ALL_EVENTS


def url(name, project, **kwargs):
    return reverse(f"integrations:{name}", kwargs={"slug": project.slug, **kwargs})


def add(client, project, **fields):
    data = {
        "kind": "slack",
        "name": "#copilot",
        "url": "https://hooks.slack.com/services/T0/B0/abcd1234",
        "events": ALL_EVENTS,
        **fields,
    }
    return client.post(url("add", project), data)


@pytest.fixture
def slack_dns(fake_dns):
    fake_dns["hooks.slack.com"] = ["34.200.1.1"]
    fake_dns["hooks.example.com"] = ["34.200.1.2"]


def test_the_lead_adds_a_slack_channel_and_never_sees_its_address_again(
    as_, project, lead, slack_dns
):
    client = as_(lead)
    response = add(client, project)
    channel = Channel.objects.get(project=project)
    assert response.status_code == 302
    assert response["Location"] == url("channel", project, pk=channel.pk)
    assert channel.url == "https://hooks.slack.com/services/T0/B0/abcd1234"
    assert channel.url_hint == "hooks.slack.com/…1234"
    assert not channel.include_spend
    page = client.get(url("channels", project)).content.decode()
    assert "#copilot" in page and "hooks.slack.com/…1234" in page
    assert "abcd1234" not in page
    detail = client.get(url("channel", project, pk=channel.pk)).content.decode()
    assert "abcd1234" not in detail


def test_a_signed_webhooks_secret_is_shown_once_and_not_cached(
    as_, project, owner, slack_dns
):
    client = as_(owner)
    response = add(
        client, project, kind="webhook", url="https://hooks.example.com/runway"
    )
    channel = Channel.objects.get(project=project)
    assert response.status_code == 200
    assert channel.signing_secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    again = client.get(url("channel", project, pk=channel.pk))
    assert channel.signing_secret not in again.content.decode()
    rotated = client.post(url("rotate_secret", project, pk=channel.pk))
    channel.refresh_from_db()
    assert channel.signing_secret in rotated.content.decode()
    assert "no-store" in rotated["Cache-Control"]


def test_private_and_plain_addresses_are_refused_with_a_reason(
    as_, project, owner, fake_dns, settings
):
    settings.IS_DEVELOPMENT = False
    fake_dns["internal.example"] = ["10.1.2.3"]
    client = as_(owner)
    response = add(client, project, url="https://internal.example/hook")
    assert response.status_code == 200
    assert "private address" in response.content.decode()
    response = add(client, project, url="http://hooks.slack.com/services/x")
    assert "Use https" in response.content.decode()
    response = add(client, project, url="https://127.0.0.1/hook")
    assert "loopback" in response.content.decode()
    assert not Channel.objects.exists()


def test_only_the_owner_turns_spend_figures_on(as_, project, owner, lead, slack_dns):
    add(as_(lead), project, include_spend="on")
    channel = Channel.objects.get()
    assert not channel.include_spend
    settings_url = url("settings", project, pk=channel.pk)
    as_(lead).post(
        settings_url, {"name": "#copilot", "events": ALL_EVENTS, "include_spend": "on"}
    )
    channel.refresh_from_db()
    assert not channel.include_spend
    as_(owner).post(
        settings_url, {"name": "#copilot", "events": ALL_EVENTS, "include_spend": "on"}
    )
    channel.refresh_from_db()
    assert channel.include_spend


def test_send_test_answers_htmx_with_the_delivery_log(
    as_, project, lead, make_channel, receiver, django_capture_on_commit_callbacks
):
    channel = make_channel("slack")
    client = as_(lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("test", project, pk=channel.pk),
            headers={"HX-Request": "true", "HX-Target": "delivery-log"},
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="delivery-log"' in html and "<html" not in html
    delivery = Delivery.objects.get(channel=channel)
    assert delivery.is_test and len(receiver.requests) == 1
    log = client.get(url("channel", project, pk=channel.pk)).content.decode()
    assert "Delivered" in log and "HTTP 200" in log and " ms" in log


def test_switching_off_and_on_and_removing(as_, project, owner, make_channel):
    channel = make_channel("teams")
    client = as_(owner)
    client.post(url("switch", project, pk=channel.pk))
    channel.refresh_from_db()
    assert not channel.enabled and "Switched off by" in channel.disabled_reason
    client.post(url("switch", project, pk=channel.pk), {"enabled": "1"})
    channel.refresh_from_db()
    assert channel.enabled and channel.disabled_reason == ""
    response = client.post(url("delete", project, pk=channel.pk))
    assert response["Location"] == url("channels", project)
    assert not Channel.objects.exists()
    assert Channel.history.filter(history_type="-").count() == 1


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("channels", {}),
        ("add", {}),
        ("channel", {"pk": True}),
        ("settings", {"pk": True}),
        ("test", {"pk": True}),
        ("switch", {"pk": True}),
        ("rotate_secret", {"pk": True}),
        ("delete", {"pk": True}),
    ],
)
def test_outsiders_get_404_and_other_members_403(
    as_, project, outsider, contributor, viewer, make_channel, name, kwargs
):
    channel = make_channel("webhook")
    target = url(name, project, **({"pk": channel.pk} if kwargs else {}))
    method = "get" if name in {"channels", "channel"} else "post"
    assert getattr(as_(outsider), method)(target).status_code == 404
    for member in (contributor, viewer):
        assert getattr(as_(member), method)(target).status_code == 403
    assert Channel.objects.filter(pk=channel.pk, enabled=True).exists()


def test_another_projects_channel_is_not_found(as_, project, owner, make_channel):
    from tests.factories import ProjectFactory

    other = ProjectFactory()
    channel = make_channel("webhook")
    response = as_(owner).get(
        reverse("integrations:channel", kwargs={"slug": other.slug, "pk": channel.pk})
    )
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["add", "settings", "test", "switch", "delete"])
def test_writes_refuse_get(as_, project, owner, make_channel, name):
    channel = make_channel("webhook")
    kwargs = {} if name == "add" else {"pk": channel.pk}
    assert as_(owner).get(url(name, project, **kwargs)).status_code == 405


def test_the_metrics_page_links_to_the_channels(as_, project, lead):
    page = as_(lead).get(reverse("metrics:project", kwargs={"slug": project.slug}))
    assert url("channels", project) in page.content.decode()


def test_an_admin_who_is_not_the_owner_cannot_turn_spend_figures_on(
    as_, project, owner, slack_dns
):
    from projects.roles import GlobalRole
    from tests.factories import UserFactory

    admin = UserFactory(roles=[GlobalRole.ADMIN])
    add(as_(admin), project, include_spend="on")
    channel = Channel.objects.get()
    assert not channel.include_spend
    as_(admin).post(
        url("settings", project, pk=channel.pk),
        {"name": "#copilot", "events": ALL_EVENTS, "include_spend": "on"},
    )
    channel.refresh_from_db()
    assert not channel.include_spend


def test_a_form_sent_back_with_errors_does_not_show_the_address_again(
    as_, project, lead, slack_dns
):
    secret_url = "https://hooks.slack.com/services/T0/B0/very-secret-part"
    response = add(as_(lead), project, url=secret_url, name="")
    page = response.content.decode()
    assert response.status_code == 200 and not Channel.objects.exists()
    assert "very-secret-part" not in page
    assert "Paste the webhook address again" in page


def test_a_delivery_dropped_because_the_channel_is_off_says_so(
    as_, project, lead, make_channel
):
    channel = make_channel("slack")
    delivery = queue_services._delivery_create(
        channel, event="alert.opened", title="t", url="/"
    )
    services.channel_disable(channel=channel, reason="Switched off by Leo.")
    delivery_services.delivery_attempt(delivery_id=delivery.pk)
    page = as_(lead).get(url("channel", project, pk=channel.pk)).content.decode()
    assert "Skipped" in page and "the channel is switched off" in page
    assert "waiting for the worker" not in page
