"""Samples, rollups, syncs and stored credentials: the rules that keep the numbers true."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from metrics import services
from metrics.connectors import ConnectorError
from metrics.connectors.base import Connector
from metrics.models import ConnectedService, DailyRollup, MetricSample, SyncRun
from metrics.vocabulary import Bucket, Metric, Sample
from projects.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db

DAY1 = datetime(2026, 11, 1, tzinfo=UTC)


def at(day_offset=0, hour=None):
    moment = DAY1 + timedelta(days=day_offset)
    return moment if hour is None else moment + timedelta(hours=hour)


@pytest.fixture
def service(project, owner, lead):
    return services.service_create(
        project=project, kind="demo", name="Demo", created_by=owner
    )


def rollup(service, metric, day_offset=0, dimension=""):
    row = DailyRollup.objects.filter(
        service=service, metric=metric, dimension=dimension, day=at(day_offset).date()
    ).first()
    return row.value if row else None


def test_writing_the_same_buckets_twice_replaces_and_never_doubles(service, project):
    batch = [
        Sample(Metric.REQUESTS, at(0), Bucket.DAY, Decimal(100), "gpt-4o-mini"),
        Sample(Metric.COST_BILLED_USD, at(0), Bucket.DAY, Decimal("1.25")),
    ]
    services.samples_write(project=project, service=service, samples=batch)
    services.samples_write(project=project, service=service, samples=batch)
    assert MetricSample.objects.filter(service=service).count() == 2
    assert rollup(service, Metric.REQUESTS, dimension="gpt-4o-mini") == Decimal(100)
    # The source restates the bucket: the new value replaces the old one.
    services.samples_write(
        project=project,
        service=service,
        samples=[
            Sample(Metric.REQUESTS, at(0), Bucket.DAY, Decimal(120), "gpt-4o-mini")
        ],
    )
    assert rollup(service, Metric.REQUESTS, dimension="gpt-4o-mini") == Decimal(120)


def test_overlapping_windows_do_not_double_count(service, project):
    first = [
        Sample(Metric.REQUESTS, at(d), Bucket.DAY, Decimal(10 + d)) for d in range(0, 5)
    ]
    second = [
        Sample(Metric.REQUESTS, at(d), Bucket.DAY, Decimal(10 + d)) for d in range(3, 8)
    ]
    services.samples_write(project=project, service=service, samples=first)
    services.samples_write(project=project, service=service, samples=second)
    total = sum(
        r.value
        for r in DailyRollup.objects.filter(service=service, metric=Metric.REQUESTS)
    )
    assert total == sum(Decimal(10 + d) for d in range(0, 8))


def test_hourly_counts_add_up_to_the_day_but_percentiles_are_never_combined(
    service, project
):
    hours = [
        Sample(Metric.REQUESTS, at(0, h), Bucket.HOUR, Decimal(5)) for h in range(24)
    ]
    p95 = [
        Sample(Metric.LATENCY_P95_MS, at(0, h), Bucket.HOUR, Decimal(1000 + h))
        for h in range(24)
    ]
    services.samples_write(project=project, service=service, samples=hours + p95)
    assert rollup(service, Metric.REQUESTS) == Decimal(120)
    assert rollup(service, Metric.LATENCY_P95_MS) is None
    services.samples_write(
        project=project,
        service=service,
        samples=[Sample(Metric.LATENCY_P95_MS, at(0), Bucket.DAY, Decimal(1900))],
    )
    assert rollup(service, Metric.LATENCY_P95_MS) == Decimal(1900)


class FlakyConnector(Connector):
    kind = "flaky"
    error: ConnectorError | None = None
    samples: list[Sample] = []

    def test(self) -> str:
        return "ok"

    def fetch(self, *, start, end):
        if self.error:
            raise self.error
        return list(self.samples)


@pytest.fixture
def flaky(monkeypatch):
    monkeypatch.setattr(services, "connector_class", lambda kind: FlakyConnector)
    FlakyConnector.error = None
    FlakyConnector.samples = [Sample(Metric.REQUESTS, at(0), Bucket.DAY, Decimal(7))]
    return FlakyConnector


def test_a_sync_records_its_run_and_the_service_health(service, flaky):
    run = services.service_sync(service=service, now=at(2))
    service.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED and run.rows_written == 1
    assert service.last_success_at == at(2) and service.consecutive_failures == 0


def test_a_transient_failure_is_recorded_and_writes_nothing(service, flaky):
    flaky.error = ConnectorError("500 from Langfuse: busy")
    run = services.service_sync(service=service, now=at(2))
    service.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED and "busy" in run.error
    assert service.enabled is True and service.consecutive_failures == 1
    assert not MetricSample.objects.filter(service=service).exists()


def test_a_failure_in_the_middle_of_writing_leaves_nothing_half_written(
    service, flaky, monkeypatch
):
    flaky.samples = [
        Sample(Metric.REQUESTS, at(d), Bucket.DAY, Decimal(d)) for d in range(10)
    ]

    def broken_rollups(**kwargs):
        raise RuntimeError("the worker died while rolling up")

    monkeypatch.setattr(services, "rollups_refresh", broken_rollups)
    run = services.service_sync(service=service, now=at(20))
    assert run.status == SyncRun.Status.FAILED
    assert not MetricSample.objects.filter(service=service).exists()
    assert not DailyRollup.objects.filter(service=service).exists()


def test_a_permanent_failure_disables_the_service_and_tells_the_team(
    service, flaky, owner, lead
):
    flaky.error = ConnectorError(
        "401 from Langfuse: the credentials were rejected", permanent=True
    )
    services.service_sync(service=service, now=at(2))
    service.refresh_from_db()
    assert service.enabled is False and "401" in service.disabled_reason
    notified = set(
        Notification.objects.filter(kind=NotificationKind.SERVICE_DISABLED).values_list(
            "user", flat=True
        )
    )
    assert notified == {owner.pk, lead.pk}


def test_two_syncs_of_one_service_never_run_at_once(service, flaky):
    SyncRun.objects.create(service=service)  # another worker is on it
    run = services.service_sync(service=service, now=timezone_now())
    assert run.status == SyncRun.Status.SKIPPED
    assert not MetricSample.objects.filter(service=service).exists()


def test_a_run_that_outlived_its_time_limit_is_abandoned_and_the_next_one_runs(
    service, flaky
):
    stale = SyncRun.objects.create(service=service)
    SyncRun.objects.filter(pk=stale.pk).update(
        started_at=timezone_now() - timedelta(hours=2)
    )
    run = services.service_sync(service=service, now=timezone_now())
    stale.refresh_from_db()
    assert stale.status == SyncRun.Status.ABANDONED
    assert run.status == SyncRun.Status.SUCCEEDED


def test_a_task_handed_back_after_its_worker_died_takes_over_its_own_run(
    service, flaky
):
    """With late acknowledgement the broker redelivers a task (same id) only when the
    worker that had it died: the run it left "running" is over, not in progress."""
    dead = SyncRun.objects.create(service=service, task_id="task-1")

    run = services.service_sync(service=service, now=timezone_now(), task_id="task-1")

    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.ABANDONED
    assert run.status == SyncRun.Status.SUCCEEDED and run.task_id == "task-1"


def test_another_task_still_waits_for_a_run_in_progress(service, flaky):
    running = SyncRun.objects.create(service=service, task_id="task-1")

    run = services.service_sync(service=service, now=timezone_now(), task_id="task-2")

    running.refresh_from_db()
    assert running.status == SyncRun.Status.RUNNING
    assert run.status == SyncRun.Status.SKIPPED


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def test_the_demo_generator_fills_a_project_reproducibly(service, project):
    first = services.service_sync(service=service, now=at(30))
    values = dict(
        DailyRollup.objects.filter(service=service).values_list("id", "value")
    )
    ConnectedService.objects.filter(pk=service.pk).update(last_success_at=None)
    service.refresh_from_db()
    second = services.service_sync(service=service, now=at(30))
    assert first.status == second.status == SyncRun.Status.SUCCEEDED
    assert first.rows_written > 100
    assert (
        dict(DailyRollup.objects.filter(service=service).values_list("id", "value"))
        == values
    )


def raw_credentials(service):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials FROM metrics_connectedservice WHERE id = %s",
            [service.pk],
        )
        return cursor.fetchone()[0]


def test_credentials_are_encrypted_at_rest_and_shown_only_by_their_last_four(
    project, owner
):
    secret = "sk-lf-0123456789abcdef"
    service = services.service_create(
        project=project,
        kind="langfuse",
        name="Langfuse",
        created_by=owner,
        credentials={"public_key": "pk-lf-1111", "secret_key": secret},
    )
    stored = raw_credentials(service)
    assert secret not in stored and "pk-lf-1111" not in stored
    assert (
        json.loads(ConnectedService.objects.get(pk=service.pk).credentials)[
            "secret_key"
        ]
        == secret
    )
    assert service.credentials_hint == "…cdef"
    history = service.history.first()
    assert not hasattr(history, "credentials")


def test_rotation_re_encrypts_under_the_newest_key(project, owner, settings):
    old = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    service = services.service_create(
        project=project,
        kind="langfuse",
        name="Langfuse",
        created_by=owner,
        credentials={"secret_key": "sk-lf-rotate-me-please"},
    )
    before = raw_credentials(service)
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_field_keys", stdout=io.StringIO())
    after = raw_credentials(service)
    assert after != before
    assert Fernet(new.encode()).decrypt(after.encode()).decode() == json.dumps(
        {"secret_key": "sk-lf-rotate-me-please"}
    )
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert (
        json.loads(ConnectedService.objects.get(pk=service.pk).credentials)[
            "secret_key"
        ]
        == "sk-lf-rotate-me-please"
    )


def test_hourly_samples_past_their_retention_are_pruned_and_rollups_stay(
    service, project, settings
):
    settings.RUNWAY_HOURLY_RETENTION_DAYS = 30
    old = [
        Sample(Metric.REQUESTS, at(0, h), Bucket.HOUR, Decimal(1)) for h in range(24)
    ]
    recent = [
        Sample(Metric.REQUESTS, at(40, h), Bucket.HOUR, Decimal(2)) for h in range(24)
    ]
    services.samples_write(project=project, service=service, samples=old + recent)
    deleted = services.hourly_samples_prune(now=at(45))
    assert deleted == 24
    assert (
        MetricSample.objects.filter(service=service, bucket=Bucket.HOUR).count() == 24
    )
    assert rollup(service, Metric.REQUESTS, 0) == Decimal(24)  # the day's history stays


def test_test_connection_gives_up_after_its_deadline(monkeypatch):
    import time as time_module

    class SlowConnector(Connector):
        kind = "slow"

        def test(self):
            time_module.sleep(1.0)
            return "too late"

    monkeypatch.setattr(services, "connector_class", lambda kind: SlowConnector)
    monkeypatch.setattr(services, "CONNECTION_TEST_SECONDS", 0.2)
    with pytest.raises(ConnectorError, match="No answer within"):
        services.connection_test(
            kind="slow",
            base_url="",
            credentials={},
            config={},
            environment="production",
        )
