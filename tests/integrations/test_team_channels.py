"""A team's channels: they get the events of every project of the team (never with
spend figures), admins manage them from the team's admin page with the same pages as a
project's channels, and nobody else reaches those pages. A team channel switched off
after repeated failures is reported to the admins."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from integrations import (
    announcement_services,
    delivery_services,
    policy,
    queue_services,
    services,
)
from integrations.models import Channel, Delivery
from projects.models import (
    ChecklistItem,
    ItemState,
    Notification,
    NotificationKind,
    Step,
)
from projects.notifications import ChannelEventKind, announce
from tests.factories import ProjectFactory, TeamFactory, UserFactory
from tests.integrations.conftest import ALL_EVENTS


def team_channel(team, url, created_by, *, kind="webhook", name="team hook", **kw):
    channel, secret = services.channel_create(
        team=team,
        kind=kind,
        name=name,
        url=url,
        events=kw.pop("events", ALL_EVENTS),
        created_by=created_by,
        **kw,
    )
    return channel


def turl(name, team, **kwargs):
    return reverse(f"integrations:team_{name}", kwargs={"team_pk": team.pk, **kwargs})


@pytest.fixture
def slack_dns(fake_dns):
    fake_dns["hooks.slack.com"] = ["34.200.1.1"]
    fake_dns["hooks.example.com"] = ["34.200.1.2"]


# --- Where events go -----------------------------------------------------------------


def test_a_project_event_reaches_its_channel_and_its_teams_not_another_teams(
    project, make_channel, receiver, admin_user, django_capture_on_commit_callbacks
):
    own = make_channel("webhook", include_spend=True)
    teams = team_channel(project.team, receiver.url, admin_user, include_spend=True)
    other = team_channel(TeamFactory(), receiver.url, admin_user)
    assert not teams.include_spend  # a team's channel never carries spend figures

    with django_capture_on_commit_callbacks(execute=True):
        announce(
            project=project,
            kind=ChannelEventKind.ALERT_OPENED,
            title="Support Copilot: Budget forecast alert opened",
            url=f"/projects/{project.slug}/dashboard/",
            spend_detail="Forecast $1,200 over the $1,000 budget.",
        )

    (mine,) = Delivery.objects.filter(channel=own)
    (team_delivery,) = Delivery.objects.filter(channel=teams)
    assert not Delivery.objects.filter(channel=other).exists()
    assert {mine.status, team_delivery.status} == {Delivery.Status.DELIVERED}
    assert len(receiver.requests) == 2
    document = json.loads(team_delivery.body)
    assert document["team"] == {"name": project.team.name}
    assert document["project"]["name"] == "Support Copilot"
    assert "$" not in team_delivery.body
    assert "$1,200" in mine.body  # the project's owner allowed it on its own channel


def test_a_channel_has_exactly_one_owner_and_a_teams_carries_no_spend(project, owner):
    with pytest.raises(ValueError):
        services.channel_create(
            project=project,
            team=project.team,
            kind="slack",
            name="both",
            url="https://hooks.slack.com/x",
            events=ALL_EVENTS,
            created_by=owner,
        )
    channel = team_channel(project.team, "https://hooks.example.com/x", owner)
    for change in (
        {"project": project},
        {"team": None},
        {"include_spend": True},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Channel.objects.filter(pk=channel.pk).update(**change)
    services.channel_settings_update(
        channel=channel, name="renamed", events=ALL_EVENTS, include_spend=True
    )
    channel.refresh_from_db()
    assert channel.name == "renamed" and not channel.include_spend
    # The message builder leaves the figures out even if the flag were set.
    channel.include_spend = True
    delivery = queue_services._delivery_create(
        channel,
        project=project,
        event="alert.opened",
        title="t",
        url="/",
        spend_detail="Forecast $1,200.",
    )
    assert "$" not in delivery.body


def test_overdue_items_are_told_to_a_team_channel_of_a_project_with_none_of_its_own(
    project, owner
):
    channel = team_channel(
        project.team,
        "https://hooks.example.com/runway",
        owner,
        events=[ChannelEventKind.ITEMS_OVERDUE],
    )
    today = timezone.localdate()
    ChecklistItem.objects.create(
        project=project,
        step=Step.objects.order_by("number").first(),
        title="Threat model",
        state=ItemState.OPEN,
        applicable=True,
        due_date=today - timedelta(days=2),
    )
    assert announcement_services.overdue_items_announce(today=today) == 1
    (delivery,) = Delivery.objects.filter(channel=channel)
    assert "1 checklist item is overdue" in delivery.title


def test_a_team_channel_that_keeps_failing_is_switched_off_and_the_admins_told(
    project, owner, lead, admin_user
):
    channel = team_channel(project.team, "https://hooks.example.com/x", owner)
    for _ in range(policy.DISABLE_AFTER_FAILED_DELIVERIES):
        delivery_services._channel_outcome(
            channel.pk, delivered=False, error="HTTP 500"
        )
    channel.refresh_from_db()
    assert not channel.enabled and "5 deliveries in a row failed" in (
        channel.disabled_reason
    )
    (told,) = Notification.objects.filter(kind=NotificationKind.CHANNEL_DISABLED)
    assert told.user == admin_user
    assert told.url == turl("channels", project.team)
    assert f"The team {project.team.name}: the channel “team hook”" in told.message
    assert Channel.history.filter(id=channel.pk, enabled=False).exists()


# --- The admins' pages -----------------------------------------------------------------


def test_an_admin_manages_a_teams_channels_from_its_admin_page(
    as_, project, admin_user, slack_dns, receiver, django_capture_on_commit_callbacks
):
    team = project.team
    client = as_(admin_user)
    admin_page = client.get(reverse("portal:team_edit", args=[team.pk]))
    assert turl("channels", team) in admin_page.content.decode()

    page = client.get(turl("channels", team)).content.decode()
    assert "No channel yet" in page and "Include spend figures" not in page
    response = client.post(
        turl("add", team),
        {
            "kind": "slack",
            "name": "#claims-ops",
            "url": "https://hooks.slack.com/services/T0/B0/abcd1234",
            "events": ALL_EVENTS,
            "include_spend": "on",
        },
    )
    channel = Channel.objects.get(team=team)
    assert response["Location"] == turl("channel", team, pk=channel.pk)
    assert channel.project is None and not channel.include_spend
    assert (
        "#claims-ops"
        in client.get(reverse("portal:team_edit", args=[team.pk])).content.decode()
    )
    # The project's own page says where else its events go.
    lead_view = client.get(
        reverse("integrations:channels", kwargs={"slug": project.slug})
    )
    assert "#claims-ops" in lead_view.content.decode()

    detail = client.get(turl("channel", team, pk=channel.pk)).content.decode()
    assert "abcd1234" not in detail and "Include spend figures" not in detail
    client.post(
        turl("settings", team, pk=channel.pk),
        {"name": "#claims", "events": ALL_EVENTS, "include_spend": "on"},
    )
    channel.refresh_from_db()
    assert channel.name == "#claims" and not channel.include_spend

    client.post(turl("switch", team, pk=channel.pk))
    channel.refresh_from_db()
    assert not channel.enabled
    client.post(turl("switch", team, pk=channel.pk), {"enabled": "1"})
    channel.refresh_from_db()
    assert channel.enabled

    response = client.post(turl("delete", team, pk=channel.pk))
    assert response["Location"] == turl("channels", team)
    assert not Channel.objects.filter(pk=channel.pk).exists()
    changes = Channel.history.filter(id=channel.pk).order_by("history_date")
    assert [h.history_type for h in changes] == ["+", "~", "~", "~", "-"]
    assert {h.history_user for h in changes} == {admin_user}


def test_a_teams_webhook_secret_test_message_and_log(
    as_, project, admin_user, receiver, django_capture_on_commit_callbacks
):
    team = project.team
    client = as_(admin_user)
    response = client.post(
        turl("add", team),
        {"kind": "webhook", "name": "ops", "url": receiver.url, "events": ALL_EVENTS},
    )
    channel = Channel.objects.get(team=team)
    assert channel.signing_secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    rotated = client.post(turl("rotate_secret", team, pk=channel.pk))
    channel.refresh_from_db()
    assert channel.signing_secret in rotated.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            turl("test", team, pk=channel.pk),
            headers={"HX-Request": "true", "HX-Target": "delivery-log"},
        )
    assert 'id="delivery-log"' in response.content.decode()
    (request,) = receiver.requests
    document = json.loads(request.body)
    assert document["team"] == {"name": team.name} and "project" not in document
    assert "the events of the team's projects" in document["title"]
    log = client.get(turl("channel", team, pk=channel.pk)).content.decode()
    assert "Delivered" in log and "HTTP 200" in log


NAMES = [
    "channels",
    "add",
    "channel",
    "settings",
    "test",
    "switch",
    "rotate_secret",
    "delete",
]


@pytest.mark.parametrize("name", NAMES)
def test_only_admins_reach_a_teams_channels(
    as_, project, owner, lead, outsider, admin_user, name
):
    team = project.team
    channel = team_channel(team, "https://hooks.example.com/x", admin_user)
    target = turl(
        name, team, **({} if name in {"channels", "add"} else {"pk": channel.pk})
    )
    method = "get" if name in {"channels", "channel"} else "post"
    member = UserFactory()
    team.members.add(member)
    for person in (owner, lead, outsider, member):
        assert getattr(as_(person), method)(target).status_code == 403
    channel.refresh_from_db()
    assert channel.enabled and channel.name == "team hook"


@pytest.mark.parametrize("name", [n for n in NAMES if n not in {"channels", "add"}])
def test_a_channel_is_found_only_under_its_own_team(
    as_, project, owner, admin_user, make_channel, name
):
    other = team_channel(TeamFactory(), "https://hooks.example.com/x", admin_user)
    projects = make_channel("webhook")
    method = "get" if name == "channel" else "post"
    client = as_(admin_user)
    for channel in (other, projects):
        response = getattr(client, method)(turl(name, project.team, pk=channel.pk))
        assert response.status_code == 404
    assert (
        getattr(client, method)(
            reverse("integrations:team_channels", kwargs={"team_pk": 999999})
            if method == "get"
            else turl(name, project.team, pk=999999)
        ).status_code
        == 404
    )
    assert Channel.objects.filter(pk__in=[other.pk, projects.pk]).count() == 2


def test_a_project_channels_page_does_not_list_another_teams_channels(
    as_, project, lead, admin_user
):
    team_channel(ProjectFactory().team, "https://hooks.example.com/x", admin_user)
    page = as_(lead).get(
        reverse("integrations:channels", kwargs={"slug": project.slug})
    )
    assert "team hook" not in page.content.decode()
