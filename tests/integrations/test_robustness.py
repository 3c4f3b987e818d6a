"""What a delivery survives: a receiver that drips its answer or never ends it, a
worker that breaks or is stopped, two runs of the same task, a channel removed or
switched off meanwhile, a name that does not resolve for a moment, a key problem."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import httpcore
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from integrations import (
    delivery_services,
    policy,
    queue_services,
    services,
    transport,
)
from integrations.models import Channel, Delivery
from projects.notifications import ChannelEventKind, announce


def _delivery(channel, title="t"):
    return queue_services._delivery_create(
        channel, event=ChannelEventKind.ALERT_OPENED, title=title, url="/"
    )


# --- The transport: a wall-clock deadline and a bounded read -------------------------


@pytest.fixture
def raw_server() -> Iterator[dict]:
    """A TCP server on 127.0.0.1 that runs ``state["answer"](connection)``."""
    listener = socket.create_server(("127.0.0.1", 0))
    state: dict = {"port": listener.getsockname()[1], "answer": None}
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(
                target=_answer, args=(connection, state, stop), daemon=True
            ).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield state
    stop.set()
    thread.join()
    listener.close()


def _answer(connection: socket.socket, state: dict, stop: threading.Event) -> None:
    with connection:
        connection.settimeout(5)
        connection.recv(65536)
        with contextlib.suppress(OSError):  # the client hung up, as it should
            state["answer"](connection, stop)


def _drip(connection, stop):
    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
        if stop.is_set():
            return
        connection.sendall(bytes([byte]))
        time.sleep(0.2)


def _endless_error(connection, stop):
    connection.sendall(
        b"HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"x" * 8192
    while not stop.is_set():
        connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))


def test_a_receiver_that_drips_its_answer_is_cut_off_at_the_deadline(
    raw_server, settings, monkeypatch
):
    settings.RUNWAY_CONNECTOR_ALLOWED_HOSTS = ["127.0.0.1"]
    monkeypatch.setattr(transport, "DEADLINE_SECONDS", 1.0)
    raw_server["answer"] = _drip
    started = time.monotonic()
    result = transport.post(f"http://127.0.0.1:{raw_server['port']}/hook", b"{}", {})
    assert time.monotonic() - started < 3  # each byte came well within the read timeout
    assert result.status_code is None
    assert result.error == "No answer within the time limit."
    assert policy.retryable(result.status_code, permanent=result.permanent)


def test_an_answer_that_never_ends_is_read_no_further_than_a_few_kilobytes(
    raw_server, settings
):
    settings.RUNWAY_CONNECTOR_ALLOWED_HOSTS = ["127.0.0.1"]
    raw_server["answer"] = _endless_error
    started = time.monotonic()
    result = transport.post(f"http://127.0.0.1:{raw_server['port']}/hook", b"{}", {})
    assert time.monotonic() - started < 5
    assert result.status_code == 500
    assert result.error.startswith("HTTP 500 Internal Server Error: xxx")
    assert len(result.error) <= transport.ERROR_LENGTH


def test_a_resolver_that_does_not_answer_counts_against_the_deadline(
    settings, monkeypatch
):
    """getaddrinfo takes no timeout: the lookup runs in a thread that the POST stops
    waiting for at the deadline."""
    from metrics.connectors import outbound

    settings.RUNWAY_CONNECTOR_ALLOWED_HOSTS = []
    monkeypatch.setattr(transport, "DEADLINE_SECONDS", 0.5)
    release = threading.Event()
    asked = threading.Event()

    def stuck_resolver(host: str, port: int) -> list[str]:
        asked.set()
        release.wait(10)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(outbound, "resolve", stuck_resolver)
    try:
        started = time.monotonic()
        result = transport.post("https://hooks.slow-dns.example/x", b"{}", {})
        took = time.monotonic() - started
    finally:
        release.set()
    assert asked.is_set()
    assert took < 2
    assert result.status_code is None and not result.permanent
    assert result.error == "No answer within the time limit."
    assert policy.retryable(result.status_code, permanent=result.permanent)


def test_a_connection_opened_after_the_deadline_is_closed(monkeypatch):
    """The thread left behind may still open the connection: it is closed at once."""
    deadline = transport._Deadline(0.2)
    release = threading.Event()
    closed = threading.Event()

    class Stream:
        def close(self) -> None:
            closed.set()

    def connect():
        release.wait(5)
        return Stream()

    with pytest.raises(httpcore.ConnectTimeout):
        transport._connect_in_time(connect, deadline)
    release.set()
    assert closed.wait(5)


def test_a_name_that_does_not_resolve_is_tried_again_but_a_refused_range_is_not(
    project, make_channel, fake_dns, settings
):
    settings.RUNWAY_CONNECTOR_ALLOWED_HOSTS = []
    gone = make_channel("slack", url="https://hooks.example.net/services/x")
    outcome = delivery_services.delivery_attempt(delivery_id=_delivery(gone).pk)
    assert outcome.status == Delivery.Status.PENDING
    assert outcome.retry_in == policy.RETRY_DELAYS[0]
    (attempt,) = Delivery.objects.get(channel=gone).attempt_log.all()
    assert "does not resolve" in attempt.error

    fake_dns["hooks.internal-range.net"] = ["10.0.0.8"]
    private = make_channel("slack", url="https://hooks.internal-range.net/services/x")
    outcome = delivery_services.delivery_attempt(delivery_id=_delivery(private).pk)
    assert outcome.status == Delivery.Status.FAILED and outcome.retry_in is None


# --- The worker breaking, being stopped, or running twice ----------------------------


def test_an_attempt_that_breaks_the_worker_is_recorded_and_retried(
    project, make_channel, monkeypatch
):
    from celery.exceptions import SoftTimeLimitExceeded

    channel = make_channel("slack")
    delivery = _delivery(channel)

    def soft_time_limit(*args, **kwargs):
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(transport, "post", soft_time_limit)
    outcome = delivery_services.delivery_attempt(delivery_id=delivery.pk)
    assert outcome.retry_in == policy.RETRY_DELAYS[0]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
    (attempt,) = delivery.attempt_log.all()
    assert not attempt.succeeded
    assert "SoftTimeLimitExceeded" in attempt.error


def test_a_second_run_of_the_same_delivery_does_not_post_it_again(
    project, make_channel, receiver, monkeypatch
):
    channel = make_channel("webhook")
    delivery = _delivery(channel)
    real_post = transport.post
    second: list[delivery_services.AttemptOutcome] = []

    def post_while_redelivered(url, body, headers):
        # The broker hands the same task to another worker while this one posts.
        second.append(delivery_services.delivery_attempt(delivery_id=delivery.pk))
        second.append(
            delivery_services.delivery_attempt(delivery_id=delivery.pk, attempt=1)
        )
        return real_post(url, body, headers)

    monkeypatch.setattr(transport, "post", post_while_redelivered)
    outcome = delivery_services.delivery_attempt(delivery_id=delivery.pk, attempt=1)
    assert outcome.status == Delivery.Status.DELIVERED
    assert [o.status.startswith("skipped") for o in second] == [True, True]
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.attempt_log.count() == 1
    # A late repeat of the task finds the delivery done.
    monkeypatch.setattr(transport, "post", real_post)
    again = delivery_services.delivery_attempt(delivery_id=delivery.pk, attempt=1)
    assert again.status == "skipped: already delivered"
    assert len(receiver.requests) == 1


def test_an_attempt_whose_worker_died_is_taken_over_once_its_claim_ran_out(
    project, make_channel, receiver
):
    channel = make_channel("slack")
    delivery = _delivery(channel)
    # Attempt 1 was claimed, then its worker died before recording it.
    Delivery.objects.filter(pk=delivery.pk).update(
        attempts=1, claimed_until=timezone.now() + timedelta(minutes=5)
    )
    held = delivery_services.delivery_attempt(delivery_id=delivery.pk, attempt=1)
    assert held.status.startswith("skipped") and receiver.requests == []
    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    taken = delivery_services.delivery_attempt(delivery_id=delivery.pk, attempt=1)
    assert taken.status == Delivery.Status.DELIVERED
    assert len(receiver.requests) == 1
    assert list(delivery.attempt_log.values_list("number", flat=True)) == [1]


def test_a_channel_removed_while_posting_drops_the_delivery_quietly(
    project, make_channel, receiver, monkeypatch
):
    channel = make_channel("slack")
    delivery = _delivery(channel)
    real_post = transport.post
    logged: list[str] = []
    monkeypatch.setattr(
        delivery_services.logger,
        "info",
        lambda message, *args, **kwargs: logged.append(message % args),
    )

    def post_and_remove(url, body, headers):
        result = real_post(url, body, headers)
        services.channel_delete(channel=Channel.objects.get(pk=channel.pk))
        return result

    monkeypatch.setattr(transport, "post", post_and_remove)
    outcome = delivery_services.delivery_attempt(delivery_id=delivery.pk)
    assert outcome.status == "dropped: the channel was removed while sending"
    assert any("its channel was removed meanwhile" in line for line in logged)
    assert not Delivery.objects.filter(pk=delivery.pk).exists()


def test_a_channel_switched_off_while_posting_gets_no_retry(
    project, make_channel, receiver, monkeypatch
):
    receiver.statuses = [500]
    channel = make_channel("slack")
    delivery = _delivery(channel)
    real_post = transport.post

    def post_and_switch_off(url, body, headers):
        result = real_post(url, body, headers)
        services.channel_disable(
            channel=Channel.objects.get(pk=channel.pk), reason="off"
        )
        return result

    monkeypatch.setattr(transport, "post", post_and_switch_off)
    outcome = delivery_services.delivery_attempt(delivery_id=delivery.pk)
    assert outcome.retry_in is None
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SKIPPED
    assert "switched off" in delivery.note
    assert delivery.attempt_log.count() == 1
    assert Channel.objects.get(pk=channel.pk).consecutive_failures == 0


# --- Giving up on deliveries no worker finished ------------------------------------


def test_deliveries_stuck_sending_are_given_up_on_and_counted(project, make_channel):
    channel = make_channel("slack")
    stuck, recent = _delivery(channel, "stuck"), _delivery(channel, "recent")
    long_ago = timezone.now() - timedelta(seconds=policy.GIVE_UP_AFTER_SECONDS + 60)
    Delivery.objects.filter(pk=stuck.pk).update(created_at=long_ago)

    assert delivery_services.stuck_deliveries_fail() == 1
    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert stuck.status == Delivery.Status.FAILED and stuck.finished_at
    assert "Given up" in stuck.note
    assert recent.status == Delivery.Status.PENDING
    assert Channel.objects.get(pk=channel.pk).consecutive_failures == 1
    assert delivery_services.stuck_deliveries_fail() == 0


def test_the_sweep_is_scheduled_hourly_and_registered(db):
    from celery import current_app
    from django_celery_beat.models import PeriodicTask

    current_app.loader.import_default_modules()
    assert PeriodicTask.objects.filter(
        task=delivery_services.SWEEP_STUCK_DELIVERIES,
        enabled=True,
        interval__period="hours",
    ).exists()
    assert current_app.tasks[
        delivery_services.SWEEP_STUCK_DELIVERIES
    ].apply().get() == ("0 stuck deliveries given up on")


# --- A key problem never stops announcements ---------------------------------------


def test_announcing_and_listing_need_no_channel_secrets(
    project, make_channel, settings, django_capture_on_commit_callbacks
):
    from cryptography.fernet import Fernet

    from integrations.selectors import channels_of

    channel = make_channel("webhook")
    # A key the stored values were not encrypted with: decrypting them fails.
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured):
        Channel.objects.get(pk=channel.pk).url  # noqa: B018
    with django_capture_on_commit_callbacks(execute=False):
        announce(
            project=project, kind=ChannelEventKind.ALERT_OPENED, title="t", url="/"
        )
    assert Delivery.objects.filter(channel=channel).count() == 1
    assert [c.name for c in channels_of(project)] == [channel.name]


def test_rotating_keys_re_encrypts_channel_addresses_and_secrets(
    project, make_channel, settings
):
    import io

    from cryptography.fernet import Fernet
    from django.core.management import call_command
    from django.db import connection

    old = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    channel = make_channel("webhook")
    url, secret = channel.url, channel.secret_shown

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT url, signing_secret FROM integrations_channel WHERE id = %s",
                [channel.pk],
            )
            return cursor.fetchone()

    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "1 integrations.Channel" in out.getvalue()
    stored_url, stored_secret = raw()
    assert Fernet(new.encode()).decrypt(stored_url.encode()).decode() == url
    assert Fernet(new.encode()).decrypt(stored_secret.encode()).decode() == secret
    settings.FIELD_ENCRYPTION_KEYS = [new]
    channel = Channel.objects.get(pk=channel.pk)
    assert (channel.url, channel.signing_secret) == (url, secret)
