"""Writes on the channels of projects and teams: adding and changing them, the test
message, queueing an event's deliveries (to the project's channels and its team's),
recording each attempt (with retries and, after repeated failures, disabling the
channel and telling the project's owner and lead, or for a team's channel the admins),
and deleting old deliveries."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Min, Q
from django.urls import reverse
from django.utils import timezone

from core.names import display_name
from integrations import policy, signing, transport
from integrations.messages import Outgoing, body_for
from integrations.models import Announcement, Channel, Delivery, DeliveryAttempt
from inventory.selectors import admins
from metrics.enqueue import task_send
from projects.models import (
    ChecklistItem,
    ItemState,
    NotificationKind,
    Project,
    Team,
)
from projects.notifications import (
    ChannelEvent,
    ChannelEventKind,
    announce,
    notify,
    notify_owner_and_lead,
)
from risks.models import AcceptanceStatus, RiskAcceptance
from risks.services import register_url

if TYPE_CHECKING:
    from collections.abc import Iterable

    from portal.models import User

# Registered by integrations.tasks; queued by name so that this module never imports it.
DELIVER = "integrations.deliver"
DAILY_ANNOUNCEMENTS = "integrations.daily_announcements"
SWEEP_STUCK_DELIVERIES = "integrations.sweep_stuck_deliveries"
PRUNE_DELIVERIES = "integrations.prune_deliveries"
# Approved risk acceptances are announced this many days before they expire.
EXPIRY_NOTICE_DAYS = 7
# The columns only a delivery's POST needs: everything else loads without decrypting
# them, so that a key problem never stops an announcement being queued.
SECRET_FIELDS = ("url", "signing_secret")
# Where a test's title and a delivery's note stop (Delivery.title, Delivery.note).
TITLE_LENGTH = 300

logger = logging.getLogger(__name__)


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


def _absolute(path: str) -> str:
    base: str = settings.RUNWAY_BASE_URL
    return base.rstrip("/") + path


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


# --- Queueing deliveries ----------------------------------------------------------


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


# --- Delivering ----------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptOutcome:
    status: str
    retry_in: int | None = None  # seconds until the next attempt, if any
    next_attempt: int | None = None  # that attempt's number


def _claim(delivery: Delivery, number: int) -> bool:
    """Take attempt ``number`` of a pending delivery for this run, with one conditional
    update: after attempt ``number - 1`` was recorded, or from a run of the same attempt
    whose claim ran out (its worker died before recording it). Another run of the same
    delivery (a task redelivered to a second worker) finds the row changed or claimed,
    and does not post."""
    now = timezone.now()
    after_previous = Q(attempts=number - 1) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )
    abandoned = Q(attempts=number, claimed_until__lt=now)
    claimed = Delivery.objects.filter(
        Q(pk=delivery.pk, status=Delivery.Status.PENDING) & (after_previous | abandoned)
    ).update(
        attempts=number,
        claimed_until=now + timedelta(seconds=policy.CLAIM_SECONDS),
    )
    return claimed == 1


def _skip(delivery: Delivery, note: str) -> None:
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SKIPPED,
        note=note[:TITLE_LENGTH],
        claimed_until=None,
        finished_at=timezone.now(),
    )


def delivery_attempt(*, delivery_id: int, attempt: int | None = None) -> AttemptOutcome:
    """Post a pending delivery once, as attempt number ``attempt`` (the next one when
    None), and record the attempt. The attempt is claimed on the delivery's row before
    posting, so two runs of the same task do not both post it. No transaction is held
    while the receiver answers."""
    delivery = (
        Delivery.objects.select_related("channel")
        .defer(*(f"channel__{field}" for field in SECRET_FIELDS))
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        logger.info("delivery %s is gone (its channel was removed)", delivery_id)
        return AttemptOutcome("skipped: the delivery is gone")
    if delivery.status != Delivery.Status.PENDING:
        return AttemptOutcome(f"skipped: already {delivery.status}")
    channel = delivery.channel
    if not channel.enabled and not delivery.is_test:
        _skip(
            delivery,
            f"Not sent: the channel is switched off. {channel.disabled_reason}",
        )
        logger.info("delivery %s skipped: channel %s is off", delivery.pk, channel.pk)
        return AttemptOutcome("skipped: the channel is off")
    number = attempt if attempt is not None else delivery.attempts + 1
    if not _claim(delivery, number):
        logger.info(
            "delivery %s: attempt %s is taken by another run or already made",
            delivery.pk,
            number,
        )
        return AttemptOutcome(f"skipped: attempt {number} is not this run's")
    attempted_at = timezone.now()
    started = time.monotonic()
    try:
        result = _post(delivery, channel)
    except Channel.DoesNotExist:
        result = transport.AttemptResult(None, None, "The channel was removed.")
    except Exception as exc:  # noqa: BLE001  (the worker's time limit included)
        # Whatever goes wrong, the attempt is recorded and retried like no answer.
        logger.exception("delivery %s: attempt %s broke", delivery.pk, number)
        result = transport.AttemptResult(
            None,
            round((time.monotonic() - started) * 1000),
            f"Runway could not send it ({type(exc).__name__}).",
        )
    return _attempt_record(delivery, number, result, attempted_at)


def _post(delivery: Delivery, channel: Channel) -> transport.AttemptResult:
    secrets = Channel.objects.filter(pk=channel.pk).values_list(*SECRET_FIELDS).first()
    if secrets is None:
        raise Channel.DoesNotExist
    url, signing_secret = secrets
    body = delivery.body.encode()
    headers = {}
    if channel.kind == Channel.Kind.WEBHOOK:
        headers = {
            signing.SIGNATURE_HEADER: signing.signature_header(
                signing_secret, int(time.time()), body
            ),
            signing.EVENT_HEADER: delivery.event,
            signing.DELIVERY_HEADER: str(delivery.uuid),
        }
    return transport.post(url, body, headers)


@transaction.atomic
def _attempt_record(
    delivery: Delivery,
    number: int,
    result: transport.AttemptResult,
    attempted_at: datetime,
) -> AttemptOutcome:
    # Locked, and read again: the channel (and with it the delivery) may have been
    # removed, or switched off, while the receiver answered.
    current = (
        Delivery.objects.select_for_update()
        .select_related("channel")
        .defer(*(f"channel__{field}" for field in SECRET_FIELDS))
        .filter(pk=delivery.pk)
        .first()
    )
    if current is None:
        logger.info(
            "delivery %s: attempt %s was sent, but its channel was removed meanwhile",
            delivery.pk,
            number,
        )
        return AttemptOutcome("dropped: the channel was removed while sending")
    ok = policy.succeeded(result.status_code)
    DeliveryAttempt.objects.create(
        delivery=current,
        number=number,
        attempted_at=attempted_at,
        status_code=result.status_code,
        response_ms=result.response_ms,
        succeeded=ok,
        error=result.error,
    )
    retry_in = None
    note = ""
    if ok:
        status = Delivery.Status.DELIVERED
    elif current.is_test or not policy.retryable(
        result.status_code, permanent=result.permanent
    ):
        status = Delivery.Status.FAILED
    else:
        retry_in = policy.next_retry_delay(
            number,
            status_code=result.status_code,
            retry_after=result.retry_after,
            now=timezone.now(),
        )
        status = Delivery.Status.PENDING if retry_in else Delivery.Status.FAILED
    if status == Delivery.Status.PENDING and not current.channel.enabled:
        retry_in = None
        status = Delivery.Status.SKIPPED
        note = "Not tried again: the channel was switched off."
    Delivery.objects.filter(pk=current.pk).update(
        status=status,
        note=note,
        claimed_until=None,
        finished_at=None if status == Delivery.Status.PENDING else timezone.now(),
    )
    # A test says nothing about the events' deliveries: it neither counts as a failure
    # nor clears them; nor does a delivery the channel's switching off cut short.
    if not current.is_test and status in (
        Delivery.Status.DELIVERED,
        Delivery.Status.FAILED,
    ):
        _channel_outcome(current.channel_id, delivered=ok, error=result.error)
    return AttemptOutcome(
        status, retry_in, number + 1 if retry_in is not None else None
    )


def _channel_outcome(channel_id: int, *, delivered: bool, error: str) -> None:
    # Counters move with update(): a history row per delivery would drown the audit
    # trail. Disabling is a change people must see there, so it saves.
    channels = Channel.objects.filter(pk=channel_id)
    if delivered:
        channels.update(consecutive_failures=0, last_delivery_at=timezone.now())
        return
    channels.update(consecutive_failures=F("consecutive_failures") + 1)
    channel = (
        Channel.objects.select_for_update(of=("self",))
        .defer(*SECRET_FIELDS)
        .select_related("project", "team")
        .filter(pk=channel_id)
        .first()
    )
    if (
        channel is not None
        and channel.enabled
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
    """Tell the project's owner and lead; a team's channel has no owner, so the
    admins, who manage it, are told."""
    owner = channel_owner(channel)
    message = (
        f"{owner.name}: the channel “{channel.name}” was disabled: "
        f"{channel.disabled_reason}"
    )
    if isinstance(owner, Team):
        for admin in admins():
            notify(
                user=admin,
                kind=NotificationKind.CHANNEL_DISABLED,
                message=f"The team {message}",
                url=channels_url(owner),
            )
        return
    notify_owner_and_lead(
        project=owner,
        kind=NotificationKind.CHANNEL_DISABLED,
        message=message,
        url=channels_url(owner),
    )


# --- The daily announcements -------------------------------------------------------


def _projects_with_channels() -> list[Project]:
    """The live projects that an enabled channel hears about: their own, or their
    team's."""
    return list(
        Project.objects.filter(
            Q(channels__enabled=True) | Q(team__channels__enabled=True),
            archived_at__isnull=True,
        )
        .distinct()
        .order_by("pk")
    )


def _first_time(kind: str, key: str) -> bool:
    """Record that ``kind`` was announced for ``key``; False when it already was (by
    an earlier or a concurrent run, which then holds the row until it commits)."""
    try:
        with transaction.atomic():
            Announcement.objects.create(kind=kind, key=key)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def overdue_items_announce(*, today: date | None = None) -> int:
    """Tell each project's channels how many of its checklist items are overdue (open,
    applicable, due before today), at most once a day per project, however often this
    runs. Returns how many projects were told."""
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
    told = 0
    for row in overdue:
        project = projects[row["project"]]
        if not _first_time(ChannelEventKind.ITEMS_OVERDUE, f"{project.pk}:{today}"):
            continue
        count = row["count"]
        announce(
            project=project,
            kind=ChannelEventKind.ITEMS_OVERDUE,
            title=f"{project.name}: {count} checklist item{'s are' if count != 1 else ' is'} "
            f"overdue, the oldest due {row['oldest']:%Y-%m-%d}",
            url=reverse("projects:steps", kwargs={"slug": project.slug}),
        )
        told += 1
    return told


@transaction.atomic
def expiring_acceptances_announce(*, today: date | None = None) -> int:
    """Tell the channels of approved risk acceptances that expire within
    EXPIRY_NOTICE_DAYS days, once per acceptance and expiry date: a run that came late
    (or not at all on a day) still tells them, a repeated one does not tell them twice.
    Returns how many were announced."""
    today = today or timezone.localdate()
    acceptances = list(
        RiskAcceptance.objects.filter(
            status=AcceptanceStatus.APPROVED,
            expires_on__gt=today,
            expires_on__lte=today + timedelta(days=EXPIRY_NOTICE_DAYS),
            risk__project__in=_projects_with_channels(),
        )
        .select_related("risk__project")
        .order_by("expires_on", "pk")
    )
    told = 0
    for acceptance in acceptances:
        key = f"{acceptance.pk}:{acceptance.expires_on}"
        if not _first_time(ChannelEventKind.RISK_ACCEPTANCE_EXPIRING, key):
            continue
        risk = acceptance.risk
        announce(
            project=risk.project,
            kind=ChannelEventKind.RISK_ACCEPTANCE_EXPIRING,
            title=f"{risk.project.name}: the acceptance of the risk “{risk.title}” "
            f"expires on {acceptance.expires_on:%Y-%m-%d}",
            url=register_url(risk.project, risk),
        )
        told += 1
    return told


# --- Giving up on stuck deliveries --------------------------------------------------

GAVE_UP_NOTE = (
    "Given up: no attempt finished within {hours} hours (the worker was stopped or "
    "the delivery was never queued)."
)


def stuck_deliveries_fail(*, now: datetime | None = None) -> int:
    """Fail the deliveries still sending GIVE_UP_AFTER_SECONDS after they were made
    (every retry would have finished by then), counting them against their channels
    like any failed delivery. Returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=policy.GIVE_UP_AFTER_SECONDS)
    note = GAVE_UP_NOTE.format(hours=round(policy.GIVE_UP_AFTER_SECONDS / 3600, 1))
    failed = 0
    stuck = Delivery.objects.filter(
        status=Delivery.Status.PENDING, created_at__lt=cutoff
    ).values_list("pk", "channel_id", "is_test")
    for pk, channel_id, is_test in stuck:
        with transaction.atomic():
            changed = Delivery.objects.filter(
                Q(pk=pk, status=Delivery.Status.PENDING)
                & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            ).update(
                status=Delivery.Status.FAILED,
                note=note,
                claimed_until=None,
                finished_at=now,
            )
            if changed and not is_test:
                _channel_outcome(channel_id, delivered=False, error=note)
            failed += changed
    if failed:
        logger.warning("gave up on %s delivery(ies) stuck sending", failed)
    return failed


# --- Forgetting old deliveries ------------------------------------------------------

PRUNE_BATCH = 1000


def deliveries_prune(*, now: datetime | None = None) -> int:
    """Delete the deliveries (with their attempts) that finished more than
    INTEGRATIONS_DELIVERY_RETENTION_DAYS ago, a batch per transaction so that no
    lock is held long; one still sending is kept whatever its age. Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(
        days=settings.INTEGRATIONS_DELIVERY_RETENTION_DAYS
    )
    old = Delivery.objects.filter(finished_at__lt=cutoff).order_by("pk")
    deleted = 0
    while batch := list(old.values_list("pk", flat=True)[:PRUNE_BATCH]):
        with transaction.atomic():
            _, per_model = Delivery.objects.filter(pk__in=batch).delete()
        deleted += per_model.get(Delivery._meta.label, 0)
    if deleted:
        logger.info("deleted %s delivery(ies) finished before %s", deleted, cutoff)
    return deleted
