"""Writes on a project's channels: adding and changing them, the test message, queueing
an event's deliveries, and recording each attempt (with retries and, after repeated
failures, disabling the channel and telling the project's owner)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Min
from django.urls import reverse
from django.utils import timezone

from integrations import policy, signing, transport
from integrations.messages import Outgoing, body_for
from integrations.models import Channel, Delivery, DeliveryAttempt
from metrics.enqueue import task_send_on_commit
from projects.models import (
    ChecklistItem,
    ItemState,
    Membership,
    NotificationKind,
    Project,
    ProjectRole,
)
from projects.notifications import ChannelEvent, ChannelEventKind, announce, notify
from risks.models import AcceptanceStatus, RiskAcceptance
from risks.services import register_url

if TYPE_CHECKING:
    from collections.abc import Iterable

    from portal.models import User

# Registered by integrations.tasks; queued by name so that this module never imports it.
DELIVER = "integrations.deliver"
DAILY_ANNOUNCEMENTS = "integrations.daily_announcements"
# Approved risk acceptances are announced this many days before they expire.
EXPIRY_NOTICE_DAYS = 7


def url_hint(url: str) -> str:
    """The host and the address's last characters: enough to tell channels apart,
    too little to post to one."""
    parts = urlsplit(url)
    tail = (parts.path + (f"?{parts.query}" if parts.query else ""))[-4:]
    return f"{parts.hostname or ''}/…{tail}"[:120]


def channels_url(project: Project) -> str:
    return reverse("integrations:channels", kwargs={"slug": project.slug})


def _absolute(path: str) -> str:
    base: str = settings.RUNWAY_BASE_URL
    return base.rstrip("/") + path


# --- Managing channels ------------------------------------------------------------


@transaction.atomic
def channel_create(
    *,
    project: Project,
    kind: str,
    name: str,
    url: str,
    events: Iterable[str],
    include_spend: bool = False,
    created_by: User,
) -> tuple[Channel, str]:
    """Add a channel; for a signed webhook, also its signing secret, returned here
    and never again."""
    secret = signing.new_secret() if kind == Channel.Kind.WEBHOOK else ""
    channel = Channel.objects.create(
        project=project,
        kind=kind,
        name=name,
        url=url,
        url_hint=url_hint(url),
        signing_secret=secret,
        events=list(events),
        include_spend=include_spend,
        created_by=created_by,
    )
    return channel, secret


@transaction.atomic
def channel_settings_update(
    *, channel: Channel, name: str, events: Iterable[str], include_spend: bool
) -> Channel:
    """Rename a channel and choose what it receives; the view lets only the
    project's owner change ``include_spend`` (others send back the stored value)."""
    channel.name = name
    channel.events = list(events)
    channel.include_spend = include_spend
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


# --- Queueing deliveries ----------------------------------------------------------


def _delivery_create(
    channel: Channel,
    *,
    event: str,
    title: str,
    url: str,
    spend_detail: str = "",
    is_test: bool = False,
) -> Delivery:
    delivery = Delivery(channel=channel, event=event, title=title, is_test=is_test)
    message = Outgoing(
        delivery_id=str(delivery.uuid),
        event=event,
        occurred_at=timezone.now(),
        project_name=channel.project.name,
        project_url=_absolute(channel.project.get_absolute_url()),
        title=title,
        url=_absolute(url),
        spend_detail=spend_detail if channel.include_spend else "",
    )
    delivery.body = body_for(channel.kind, message)
    delivery.save()
    # Sent by the worker once the event's transaction commits; a rollback sends nothing.
    task_send_on_commit(DELIVER, delivery.pk)
    return delivery


def deliveries_queue(event: ChannelEvent) -> list[Delivery]:
    """A delivery for every enabled channel of the event's project that wants it."""
    channels = Channel.objects.filter(
        project=event.project, enabled=True
    ).select_related("project")
    return [
        _delivery_create(
            channel,
            event=event.kind,
            title=event.title,
            url=event.url,
            spend_detail=event.spend_detail,
        )
        for channel in channels
        if event.kind in (channel.events or [])
    ]


def deliveries_queue_for(sender: Any, *, event: ChannelEvent, **_: Any) -> None:
    """The receiver of ``projects.notifications.channel_event``."""
    deliveries_queue(event)


TEST_EVENT = "test"


@transaction.atomic
def channel_test(*, channel: Channel, actor: User) -> Delivery:
    """Queue a test message (one attempt, no retries), also to a disabled channel, so
    that a fixed address can be checked before switching the channel on again."""
    return _delivery_create(
        channel,
        event=TEST_EVENT,
        title=f"{channel.project.name}: a test message from Runway, sent by {actor}. "
        "This channel will receive the project's events.",
        url=channels_url(channel.project),
        is_test=True,
    )


# --- Delivering ----------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptOutcome:
    status: str
    retry_in: int | None = None  # seconds until the next attempt, if any


def delivery_attempt(*, delivery_id: int) -> AttemptOutcome:
    """Post a pending delivery once and record the attempt. No transaction is held
    while the receiver answers."""
    delivery = (
        Delivery.objects.select_related("channel__project")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.status != Delivery.Status.PENDING:
        return AttemptOutcome("skipped")
    channel = delivery.channel
    if not channel.enabled and not delivery.is_test:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.FAILED, finished_at=timezone.now()
        )
        return AttemptOutcome("skipped: the channel is disabled")
    body = delivery.body.encode()
    headers = {}
    if channel.kind == Channel.Kind.WEBHOOK:
        headers = {
            signing.SIGNATURE_HEADER: signing.signature_header(
                channel.signing_secret, int(time.time()), body
            ),
            signing.EVENT_HEADER: delivery.event,
            signing.DELIVERY_HEADER: str(delivery.uuid),
        }
    attempted_at = timezone.now()
    result = transport.post(channel.url, body, headers)
    return _attempt_record(delivery, result, attempted_at)


@transaction.atomic
def _attempt_record(
    delivery: Delivery, result: transport.AttemptResult, attempted_at: Any
) -> AttemptOutcome:
    number = delivery.attempts + 1
    ok = policy.succeeded(result.status_code)
    DeliveryAttempt.objects.create(
        delivery=delivery,
        number=number,
        attempted_at=attempted_at,
        status_code=result.status_code,
        response_ms=result.response_ms,
        succeeded=ok,
        error=result.error,
    )
    retry_in = None
    if ok:
        status = Delivery.Status.DELIVERED
    elif delivery.is_test or not policy.retryable(
        result.status_code, permanent=result.permanent
    ):
        status = Delivery.Status.FAILED
    else:
        retry_in = policy.retry_delay(number)
        status = Delivery.Status.PENDING if retry_in else Delivery.Status.FAILED
    Delivery.objects.filter(pk=delivery.pk).update(
        attempts=number,
        status=status,
        finished_at=None if status == Delivery.Status.PENDING else timezone.now(),
    )
    # A test says nothing about the events' deliveries: it neither counts as a failure
    # nor clears them.
    if not delivery.is_test and status != Delivery.Status.PENDING:
        _channel_outcome(delivery.channel_id, delivered=ok, error=result.error)
    return AttemptOutcome(status, retry_in)


def _channel_outcome(channel_id: int, *, delivered: bool, error: str) -> None:
    # Counters move with update(): a history row per delivery would drown the audit
    # trail. Disabling is a change people must see there, so it saves.
    channels = Channel.objects.filter(pk=channel_id)
    if delivered:
        channels.update(consecutive_failures=0, last_delivery_at=timezone.now())
        return
    channels.update(consecutive_failures=F("consecutive_failures") + 1)
    channel = (
        Channel.objects.select_for_update().select_related("project").get(pk=channel_id)
    )
    if (
        channel.enabled
        and channel.consecutive_failures >= policy.DISABLE_AFTER_FAILED_DELIVERIES
    ):
        reason = (
            f"{channel.consecutive_failures} deliveries in a row failed"
            + (f"; the last: {error}" if error else "")
            + "."
        )
        channel_disable(channel=channel, reason=reason)
        _notify_disabled(channel)


def _notify_disabled(channel: Channel) -> None:
    for membership in Membership.objects.filter(
        project=channel.project, role__in=[ProjectRole.OWNER, ProjectRole.LEAD]
    ).select_related("user"):
        notify(
            user=membership.user,
            kind=NotificationKind.CHANNEL_DISABLED,
            message=f"{channel.project.name}: the channel “{channel.name}” was "
            f"disabled: {channel.disabled_reason}",
            url=channels_url(channel.project),
            project=channel.project,
        )


# --- The daily announcements -------------------------------------------------------


def _projects_with_channels() -> list[Project]:
    return list(
        Project.objects.filter(archived_at__isnull=True, channels__enabled=True)
        .distinct()
        .order_by("pk")
    )


@transaction.atomic
def overdue_items_announce(*, today: date | None = None) -> int:
    """Tell each project's channels how many of its checklist items are overdue (open,
    applicable, due before today). Returns how many projects had any."""
    today = today or timezone.localdate()
    projects = {p.pk: p for p in _projects_with_channels()}
    overdue = (
        ChecklistItem.objects.filter(
            project__in=list(projects),
            state=ItemState.OPEN,
            applicable=True,
            due_date__lt=today,
        )
        .values("project")
        .annotate(count=Count("pk"), oldest=Min("due_date"))
        .order_by("project")
    )
    for row in overdue:
        project = projects[row["project"]]
        count = row["count"]
        announce(
            project=project,
            kind=ChannelEventKind.ITEMS_OVERDUE,
            title=f"{project.name}: {count} checklist item{'s are' if count != 1 else ' is'} "
            f"overdue, the oldest due {row['oldest']:%Y-%m-%d}",
            url=reverse("projects:steps", kwargs={"slug": project.slug}),
        )
    return len(overdue)


@transaction.atomic
def expiring_acceptances_announce(*, today: date | None = None) -> int:
    """Tell the channels of approved risk acceptances that expire in
    EXPIRY_NOTICE_DAYS days. Returns how many were announced."""
    today = today or timezone.localdate()
    acceptances = list(
        RiskAcceptance.objects.filter(
            status=AcceptanceStatus.APPROVED,
            expires_on=today + timedelta(days=EXPIRY_NOTICE_DAYS),
            risk__project__in=_projects_with_channels(),
        ).select_related("risk__project")
    )
    for acceptance in acceptances:
        risk = acceptance.risk
        announce(
            project=risk.project,
            kind=ChannelEventKind.RISK_ACCEPTANCE_EXPIRING,
            title=f"{risk.project.name}: the acceptance of the risk “{risk.title}” "
            f"expires on {acceptance.expires_on:%Y-%m-%d}",
            url=register_url(risk.project, risk),
        )
    return len(acceptances)
