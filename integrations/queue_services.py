"""Queueing deliveries: an event's deliveries to every enabled channel that wants it
(the project's own channels and its team's), and a channel's test message. Each is sent
by the worker once the transaction commits (integrations.delivery_services)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.names import display_name
from integrations.messages import Outgoing, body_for
from integrations.models import Channel, Delivery
from integrations.services import (
    SECRET_FIELDS,
    TITLE_LENGTH,
    channel_owner,
    channels_url,
)
from metrics.enqueue import task_send
from projects.models import Project, Team
from projects.notifications import ChannelEvent

if TYPE_CHECKING:
    from portal.models import User

# Registered by integrations.tasks; queued by name so that this module never imports it.
DELIVER = "integrations.deliver"


def _absolute(path: str) -> str:
    base: str = settings.RUNWAY_BASE_URL
    return base.rstrip("/") + path


def _delivery_create(
    channel: Channel,
    *,
    event: str,
    title: str,
    url: str,
    project: Project | None = None,
    spend_detail: str = "",
    is_test: bool = False,
) -> Delivery:
    """A delivery of an event of ``project`` (by default the channel's own) to
    ``channel``; a team's channel's test names no project."""
    project = project or channel.project
    team = channel.team if channel.team_id is not None else None
    delivery = Delivery(channel=channel, event=event, title=title, is_test=is_test)
    message = Outgoing(
        delivery_id=str(delivery.uuid),
        event=event,
        occurred_at=timezone.now(),
        project_name=project.name if project is not None else "",
        project_url="" if project is None else _absolute(project.get_absolute_url()),
        title=title,
        url=_absolute(url),
        # Spend figures go only where the project's owner let them: never to a
        # team's channel, whatever its stored flag says.
        spend_detail=spend_detail if channel.include_spend and team is None else "",
        team_name=team.name if team is not None else "",
    )
    delivery.body = body_for(channel.kind, message)
    delivery.save()
    # Sent by the worker once the event's transaction commits; a rollback sends nothing.
    # Robust: a broker that is down must not fail the request whose change committed
    # (the sweep gives up on a delivery that was never queued).
    transaction.on_commit(partial(_queue, delivery.pk), robust=True)
    return delivery


def _queue(delivery_id: int) -> None:
    task_send(DELIVER, delivery_id, 1)


def deliveries_queue(event: ChannelEvent) -> list[Delivery]:
    """A delivery for every enabled channel that wants the event: the project's own
    channels and those of the project's team."""
    channels = (
        Channel.objects.filter(
            Q(project=event.project) | Q(team=event.project.team_id), enabled=True
        )
        .defer(*SECRET_FIELDS)
        .select_related("team")
    )
    return [
        _delivery_create(
            channel,
            project=event.project,
            event=event.kind,
            title=event.title,
            url=event.url,
            spend_detail=event.spend_detail,
        )
        for channel in channels
        if event.kind in (channel.events or [])
    ]


def deliveries_queue_for(sender: Any, *, event: ChannelEvent, **_: Any) -> None:
    """The receiver of ``projects.notifications.channel_event``. In a savepoint: should
    it fail, the change that announced the event still commits (``announce`` logs the
    failure)."""
    with transaction.atomic():
        deliveries_queue(event)


TEST_EVENT = "test"


@transaction.atomic
def channel_test(*, channel: Channel, actor: User) -> Delivery:
    """Queue a test message (one attempt, no retries), also to a disabled channel, so
    that a fixed address can be checked before switching the channel on again."""
    owner = channel_owner(channel)
    receives = (
        "the events of the team's projects"
        if isinstance(owner, Team)
        else "the project's events"
    )
    title = (
        f"{owner.name}: a test message from Runway, sent by "
        # The name, never the email address: a channel's audience may be wide.
        f"{display_name(actor.first_name, actor.last_name, 'a project member')}. "
        f"This channel will receive {receives}."
    )
    if len(title) > TITLE_LENGTH:
        title = title[: TITLE_LENGTH - 1] + "…"
    return _delivery_create(
        channel,
        event=TEST_EVENT,
        title=title,
        url=channels_url(owner),
        is_test=True,
    )
