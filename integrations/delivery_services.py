"""Sending deliveries: each attempt claimed, posted and recorded (with retries and,
after repeated failures, disabling the channel and telling the project's owner and
lead, or for a team's channel the admins); giving up on deliveries stuck sending, and
deleting old ones."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from integrations import policy, signing, transport
from integrations.models import Channel, Delivery, DeliveryAttempt
from integrations.services import (
    SECRET_FIELDS,
    TITLE_LENGTH,
    channel_disable,
    channel_owner,
    channels_url,
)
from inventory.selectors import admins
from projects.models import NotificationKind, Team
from projects.notifications import notify, notify_owner_and_lead

# Registered by integrations.tasks (Beat queues them by name).
SWEEP_STUCK_DELIVERIES = "integrations.sweep_stuck_deliveries"
PRUNE_DELIVERIES = "integrations.prune_deliveries"

logger = logging.getLogger(__name__)


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
