"""Delivering through the worker: retries with backoff against a real local server,
the delivery log, the address rules, and disabling a channel that keeps failing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations import delivery_services, policy, queue_services, services
from integrations.models import Channel, Delivery
from projects.models import Notification, NotificationKind
from projects.notifications import ChannelEventKind, announce


def send_event(project, django_capture_on_commit_callbacks, title="Latency alert"):
    with django_capture_on_commit_callbacks(execute=True):
        announce(
            project=project,
            kind=ChannelEventKind.ALERT_OPENED,
            title=title,
            url=f"/projects/{project.slug}/dashboard/",
        )


def test_a_delivery_is_retried_until_the_receiver_recovers(
    project, make_channel, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [500, 500, 200]
    channel = make_channel("slack")
    send_event(project, django_capture_on_commit_callbacks)

    delivery = Delivery.objects.get(channel=channel)
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.attempts == 3
    attempts = list(delivery.attempt_log.order_by("number"))
    assert [a.status_code for a in attempts] == [500, 500, 200]
    assert [a.succeeded for a in attempts] == [False, False, True]
    assert all(a.response_ms is not None and a.response_ms >= 0 for a in attempts)
    assert "HTTP 500" in attempts[0].error
    # The same body every time, so the receiver can drop a repeat.
    assert len({r.body for r in receiver.requests}) == 1
    channel.refresh_from_db()
    assert channel.consecutive_failures == 0
    assert channel.last_delivery_at is not None


def test_the_retries_wait_longer_each_time_and_end():
    assert [policy.retry_delay(n) for n in range(1, 5)] == [30, 120, 600, None]
    assert policy.retryable(503) and policy.retryable(429) and policy.retryable(None)
    assert not policy.retryable(404) and not policy.retryable(410)
    assert not policy.retryable(None, permanent=True)


def test_the_worker_asks_celery_to_retry_with_the_policys_delay(
    project, make_channel, receiver, monkeypatch
):
    from integrations.tasks import deliver

    class Retrying(Exception):
        pass

    asked: list[int] = []
    numbers: list[int] = []

    def retry(*, args, countdown):
        asked.append(countdown)
        numbers.append(args[1])
        return Retrying()

    receiver.statuses = [500]
    channel = make_channel("teams")
    delivery = queue_services._delivery_create(
        channel, event="alert.opened", title="t", url="/"
    )
    monkeypatch.setattr(deliver, "retry", retry)
    for _ in range(policy.MAX_ATTEMPTS - 1):
        with pytest.raises(Retrying):
            deliver.run(delivery.pk)
    assert deliver.run(delivery.pk) == "failed"
    assert asked == [30, 120, 600]
    assert numbers == [2, 3, 4]  # each retry carries the attempt it is to make


def test_a_refusal_that_waiting_cannot_change_is_not_retried(
    project, make_channel, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [410]
    channel = make_channel("slack")
    send_event(project, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(channel=channel)
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 1
    assert len(receiver.requests) == 1


def test_a_loopback_address_is_refused_unless_allow_listed(
    project, make_channel, receiver, settings, django_capture_on_commit_callbacks
):
    channel = make_channel("webhook")
    settings.RUNWAY_CONNECTOR_ALLOWED_HOSTS = []
    send_event(project, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(channel=channel)
    assert delivery.status == Delivery.Status.FAILED
    (attempt,) = delivery.attempt_log.all()
    assert attempt.status_code is None
    assert "loopback" in attempt.error
    assert receiver.requests == []
    # The address is the credential: the log never quotes it.
    assert "secret-part" not in attempt.error


def test_a_channel_that_keeps_failing_is_disabled_and_its_owner_told(
    project, owner, lead, make_channel, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [500]
    channel = make_channel("slack")
    for n in range(policy.DISABLE_AFTER_FAILED_DELIVERIES):
        channel.refresh_from_db()
        assert channel.enabled, f"disabled too early, after {n} failed deliveries"
        send_event(project, django_capture_on_commit_callbacks, title=f"alert {n}")

    channel.refresh_from_db()
    assert not channel.enabled
    assert "5 deliveries in a row failed" in channel.disabled_reason
    assert "HTTP 500" in channel.disabled_reason
    assert len(receiver.requests) == 5 * policy.MAX_ATTEMPTS
    told = Notification.objects.filter(kind=NotificationKind.CHANNEL_DISABLED)
    assert {n.user for n in told} == {owner, lead}
    assert all(n.url == f"/projects/{project.slug}/channels/" for n in told)
    assert channel.history.filter(enabled=False).exists()

    # Nothing more goes to it, until it is switched on again.
    send_event(project, django_capture_on_commit_callbacks)
    assert Delivery.objects.filter(channel=channel).count() == 5
    services.channel_enable(channel=channel)
    receiver.statuses = [200]
    send_event(project, django_capture_on_commit_callbacks)
    assert Delivery.objects.filter(channel=channel).first().status == "delivered"


def test_a_success_clears_the_count_and_a_test_does_not_count(
    project, owner, make_channel, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [500]
    channel = make_channel("slack")
    send_event(project, django_capture_on_commit_callbacks)
    channel.refresh_from_db()
    assert channel.consecutive_failures == 1
    with django_capture_on_commit_callbacks(execute=True):
        queue_services.channel_test(channel=channel, actor=owner)
    channel.refresh_from_db()
    assert channel.consecutive_failures == 1
    test = Delivery.objects.get(channel=channel, is_test=True)
    assert test.status == "failed" and test.attempts == 1  # a test is tried once
    receiver.statuses = [200]
    send_event(project, django_capture_on_commit_callbacks)
    channel.refresh_from_db()
    assert channel.consecutive_failures == 0


def test_a_channel_gets_only_the_events_it_chose(
    project, make_channel, receiver, django_capture_on_commit_callbacks
):
    chosen = make_channel("slack", events=[ChannelEventKind.SIGNOFF_REQUESTED])
    send_event(project, django_capture_on_commit_callbacks)
    assert not Delivery.objects.filter(channel=chosen).exists()


def test_nothing_is_sent_when_the_event_is_rolled_back(
    project, make_channel, receiver, django_capture_on_commit_callbacks
):
    from django.db import transaction

    make_channel("slack")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        announce(
            project=project,
            kind=ChannelEventKind.ALERT_OPENED,
            title="never",
            url="/",
        )
        raise RuntimeError
    assert not Delivery.objects.exists()
    assert receiver.requests == []


def test_a_disabled_channels_waiting_retry_is_dropped(project, make_channel, receiver):
    channel = make_channel("slack")
    delivery = queue_services._delivery_create(
        channel, event="alert.opened", title="t", url="/"
    )
    services.channel_disable(channel=channel, reason="off")
    outcome = delivery_services.delivery_attempt(delivery_id=delivery.pk)
    assert outcome.retry_in is None
    delivery.refresh_from_db()
    # Said as it is: never sent because the channel is off, not a failed delivery.
    assert delivery.status == "skipped" and receiver.requests == []
    assert "switched off" in delivery.note
    assert not delivery.attempt_log.exists()
    assert Channel.objects.get(pk=channel.pk).consecutive_failures == 0


def test_no_log_line_quotes_a_channels_address(
    project, make_channel, receiver, caplog, django_capture_on_commit_callbacks
):
    import logging

    make_channel("slack")
    with caplog.at_level(logging.DEBUG):
        send_event(project, django_capture_on_commit_callbacks)
    assert receiver.requests
    assert "secret-part" not in caplog.text


# --- A receiver's Retry-After ----------------------------------------------------------

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value,seconds",
    [
        ("120", 120),
        (" 45 ", 45),
        ("0", 0),
        # The three date formats HTTP allows, 5 minutes ahead.
        ("Mon, 02 Mar 2026 12:05:00 GMT", 300),
        ("Monday, 02-Mar-26 12:05:00 GMT", 300),
        ("Mon Mar  2 12:05:00 2026", 300),
        ("Mon, 02 Mar 2026 11:00:00 GMT", 0),  # already past
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("٣", None),  # a digit, but not an ASCII one
        ("9" * 5000, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date(value, seconds):
    assert policy.retry_after_seconds(value, now=NOW) == seconds


@pytest.mark.parametrize(
    "status,value,delay",
    [
        (429, "120", 120),  # longer than the policy's 30 s: honoured
        (503, "Mon, 02 Mar 2026 12:10:00 GMT", 600),
        (429, "5", 30),  # shorter: the policy's delay stands
        (503, "86400", 30 * 60),  # a day: cut to half an hour
        (429, "nonsense", 30),
        (500, "120", 30),  # only 429 and 503 are believed
        (None, "120", 30),
    ],
)
def test_the_first_retry_waits_as_long_as_the_receiver_asks_within_half_an_hour(
    status, value, delay
):
    assert (
        policy.next_retry_delay(1, status_code=status, retry_after=value, now=NOW)
        == delay
    )


def test_retry_after_does_not_add_attempts():
    last = policy.MAX_ATTEMPTS
    assert (
        policy.next_retry_delay(last, status_code=429, retry_after="60", now=NOW)
        is None
    )
    # The sweep waits for the longest retries a receiver may ask for.
    longest_waits = len(policy.RETRY_DELAYS) * policy.MAX_RETRY_AFTER_SECONDS
    assert longest_waits < policy.GIVE_UP_AFTER_SECONDS


def test_a_429_with_retry_after_is_retried_that_much_later(
    project, make_channel, receiver
):
    receiver.statuses = [429]
    receiver.headers = {"Retry-After": "240"}
    channel = make_channel("slack")
    delivery = queue_services._delivery_create(
        channel, event="alert.opened", title="t", url="/"
    )
    outcome = delivery_services.delivery_attempt(delivery_id=delivery.pk)
    assert outcome.status == Delivery.Status.PENDING
    assert outcome.retry_in == 240 and outcome.next_attempt == 2
