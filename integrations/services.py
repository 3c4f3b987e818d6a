"""Writes on the channels of projects and teams: adding, changing, switching on and
off and removing them, and rotating a signed webhook's secret. Queueing deliveries is
integrations.queue_services; sending them, integrations.delivery_services; the daily
announcements, integrations.announcement_services."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.db import transaction
from django.urls import reverse

from integrations import signing
from integrations.models import Channel
from projects.models import Project, Team

if TYPE_CHECKING:
    from collections.abc import Iterable

    from portal.models import User

# The columns only a delivery's POST needs: everything else loads without decrypting
# them, so that a key problem never stops an announcement being queued.
SECRET_FIELDS = ("url", "signing_secret")
# Where a test's title and a delivery's note stop (Delivery.title, Delivery.note).
TITLE_LENGTH = 300


def url_hint(url: str) -> str:
    """The host and the address's last characters: enough to tell channels apart,
    too little to post to one."""
    parts = urlsplit(url)
    tail = (parts.path + (f"?{parts.query}" if parts.query else ""))[-4:]
    return f"{parts.hostname or ''}/…{tail}"[:120]


def channels_url(owner: Project | Team) -> str:
    """The page listing the channels of a project, or of a team (admins only)."""
    if isinstance(owner, Team):
        return reverse("integrations:team_channels", kwargs={"team_pk": owner.pk})
    return reverse("integrations:channels", kwargs={"slug": owner.slug})


def channel_owner(channel: Channel) -> Project | Team:
    """The project or the team a channel belongs to."""
    owner = channel.project if channel.project_id is not None else channel.team
    assert owner is not None  # the constraint channel_has_one_owner
    return owner


# --- Managing channels ------------------------------------------------------------


@transaction.atomic
def channel_create(
    *,
    project: Project | None = None,
    team: Team | None = None,
    kind: str,
    name: str,
    url: str,
    events: Iterable[str],
    include_spend: bool = False,
    created_by: User,
) -> tuple[Channel, str]:
    """Add a channel to a project or to a team (then it gets the events of all the
    team's projects, never with spend figures); for a signed webhook, also its signing
    secret, returned here and never again."""
    if (project is None) == (team is None):
        raise ValueError("A channel belongs to a project or to a team.")
    secret = signing.new_secret() if kind == Channel.Kind.WEBHOOK else ""
    channel = Channel.objects.create(
        project=project,
        team=team,
        kind=kind,
        name=name,
        url=url,
        url_hint=url_hint(url),
        signing_secret=secret,
        events=list(events),
        include_spend=include_spend and project is not None,
        created_by=created_by,
    )
    return channel, secret


@transaction.atomic
def channel_settings_update(
    *, channel: Channel, name: str, events: Iterable[str], include_spend: bool
) -> Channel:
    """Rename a channel and choose what it receives; the view lets only the
    project's owner change ``include_spend`` (others send back the stored value). A
    team's channel never carries spend figures."""
    channel.name = name
    channel.events = list(events)
    channel.include_spend = include_spend and channel.project_id is not None
    channel.save(update_fields=["name", "events", "include_spend"])
    return channel


@transaction.atomic
def channel_enable(*, channel: Channel) -> Channel:
    """Switch a channel on again, with a clean count of failures."""
    channel.enabled = True
    channel.disabled_reason = ""
    channel.consecutive_failures = 0
    channel.save(update_fields=["enabled", "disabled_reason", "consecutive_failures"])
    return channel


@transaction.atomic
def channel_disable(*, channel: Channel, reason: str) -> Channel:
    """Stop posting to a channel; deliveries still waiting for a retry are dropped."""
    channel.enabled = False
    channel.disabled_reason = reason[:300]
    channel.save(update_fields=["enabled", "disabled_reason"])
    return channel


@transaction.atomic
def channel_delete(*, channel: Channel) -> None:
    """Remove a channel and its delivery log; its history (who added, changed and
    removed it) stays."""
    channel.delete()


@transaction.atomic
def signing_secret_rotate(*, channel: Channel) -> str:
    """Replace a signed webhook's secret at once, returning the new one (shown once).
    Retries still waiting are signed with the new secret when they go."""
    if channel.kind != Channel.Kind.WEBHOOK:
        raise ValueError("Only a signed webhook has a signing secret.")
    secret = signing.new_secret()
    channel.signing_secret = secret
    channel.save(update_fields=["signing_secret"])
    return secret
