"""What /metrics shows: sync runs, services, alerts and the broker read at scrape time,
and the web processes' own counts of requests and pushed batches."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from metrics import ingest
from metrics.models import Alert, ConnectedService, SyncRun
from telemetry import broker as telemetry_broker
from telemetry.selectors import SETTLED_AFTER
from tests.factories import ProjectFactory
from tests.metrics.otlp_spans import OTLP_PATH, model_call, protobuf, recorded
from tests.telemetry.conftest import URL, parse, value

pytestmark = pytest.mark.django_db

RUNS = "runway_sync_runs_total"
RETRIES = "runway_sync_retries_total"
SINCE = "runway_service_seconds_since_success"
INTERVAL = "runway_service_sync_interval_seconds"


def service(project, kind, **fields):
    return ConnectedService.objects.create(
        project=project, kind=kind, name=f"{kind} source", **fields
    )


def runs(svc, status, count, *, retries=0, age=timedelta(0)):
    made = [
        SyncRun.objects.create(service=svc, status=status, retry_count=retries)
        for _ in range(count)
    ]
    if age:
        SyncRun.objects.filter(pk__in=[r.pk for r in made]).update(
            started_at=timezone.now() - age
        )
    return made


@pytest.fixture
def two_connectors(project):
    langfuse = service(project, ConnectedService.Kind.LANGFUSE)
    openai = service(project, ConnectedService.Kind.OPENAI)
    runs(langfuse, SyncRun.Status.SUCCEEDED, 3, retries=1)
    runs(langfuse, SyncRun.Status.FAILED, 2, retries=4)
    runs(openai, SyncRun.Status.SUCCEEDED, 1)
    runs(openai, SyncRun.Status.ABANDONED, 1)
    runs(openai, SyncRun.Status.RUNNING, 1, retries=7)  # not finished: not counted
    return langfuse, openai


def test_it_counts_finished_sync_runs_by_connector_and_outcome(scrape, two_connectors):
    samples = scrape()
    assert value(samples, RUNS, connector="langfuse", outcome="succeeded") == 3
    assert value(samples, RUNS, connector="langfuse", outcome="failed") == 2
    assert value(samples, RUNS, connector="openai", outcome="succeeded") == 1
    assert value(samples, RUNS, connector="openai", outcome="abandoned") == 1
    assert value(samples, RUNS, connector="openai", outcome="running") is None
    assert value(samples, RETRIES, connector="langfuse") == 3 * 1 + 2 * 4
    assert value(samples, RETRIES, connector="openai") == 0


def test_a_run_is_counted_when_it_finishes(scrape, two_connectors):
    _, openai = two_connectors
    scrape()
    SyncRun.objects.filter(service=openai, status=SyncRun.Status.RUNNING).update(
        status=SyncRun.Status.FAILED
    )
    samples = scrape()
    assert value(samples, RUNS, connector="openai", outcome="failed") == 1
    assert value(samples, RETRIES, connector="openai") == 7


def test_settled_runs_stay_counted_when_their_rows_are_deleted(scrape, project):
    langfuse = service(project, ConnectedService.Kind.LANGFUSE)
    runs(langfuse, SyncRun.Status.SUCCEEDED, 4, retries=2, age=SETTLED_AFTER * 2)
    recent = runs(langfuse, SyncRun.Status.SUCCEEDED, 1)
    assert value(scrape(), RUNS, connector="langfuse", outcome="succeeded") == 5

    # Removing a project deletes its services' runs; a counter must not go down.
    other = service(ProjectFactory(), ConnectedService.Kind.LANGFUSE)
    runs(other, SyncRun.Status.FAILED, 1)
    SyncRun.objects.filter(service=langfuse).exclude(pk=recent[0].pk).delete()
    samples = scrape()
    assert value(samples, RUNS, connector="langfuse", outcome="succeeded") == 5
    assert value(samples, RUNS, connector="langfuse", outcome="failed") == 1
    assert value(samples, RETRIES, connector="langfuse") == 4 * 2


def test_a_scrape_reads_only_the_runs_after_the_checkpoint(
    scrape, project, django_assert_max_num_queries
):
    from telemetry.selectors import sync_run_totals

    langfuse = service(project, ConnectedService.Kind.LANGFUSE)
    runs(langfuse, SyncRun.Status.SUCCEEDED, 50, age=SETTLED_AFTER * 2)
    sync_run_totals()
    # A settled row rewritten behind the checkpoint is not read again.
    SyncRun.objects.filter(service=langfuse).update(status=SyncRun.Status.FAILED)
    with django_assert_max_num_queries(2):
        totals = sync_run_totals()
    assert totals.runs == {("langfuse", "succeeded"): 50}


def test_a_stuck_run_does_not_hold_the_checkpoint_back(project):
    from telemetry.selectors import STUCK_AFTER, sync_run_totals

    langfuse = service(project, ConnectedService.Kind.LANGFUSE)
    runs(langfuse, SyncRun.Status.RUNNING, 1, age=STUCK_AFTER * 2)
    runs(langfuse, SyncRun.Status.SUCCEEDED, 2, age=SETTLED_AFTER * 2)
    sync_run_totals()
    SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).delete()
    assert sync_run_totals().runs == {("langfuse", "succeeded"): 2}


def test_it_shows_seconds_since_each_services_last_success(scrape, project):
    now = timezone.now()
    fresh = service(
        project,
        ConnectedService.Kind.LANGFUSE,
        interval_minutes=15,
        last_success_at=now - timedelta(seconds=600),
    )
    never = service(project, ConnectedService.Kind.OPENAI, interval_minutes=60)
    ConnectedService.objects.filter(pk=never.pk).update(
        created_at=now - timedelta(hours=5)
    )
    disabled = service(project, ConnectedService.Kind.HELICONE, enabled=False)
    removed = service(project, ConnectedService.Kind.LANGSMITH, deleted_at=now)
    pushed = service(project, ConnectedService.Kind.PUSH, interval_minutes=0)
    org_wide = service(None, ConnectedService.Kind.ANTHROPIC)

    samples = scrape()
    labels = {"project": project.slug}
    seconds = value(
        samples, SINCE, service_id=str(fresh.pk), connector="langfuse", **labels
    )
    assert 600 <= seconds < 660
    assert value(samples, INTERVAL, service_id=str(fresh.pk)) == 15 * 60
    seconds = value(
        samples, SINCE, service_id=str(never.pk), connector="openai", **labels
    )
    assert 5 * 3600 <= seconds < 5 * 3600 + 60
    assert value(samples, INTERVAL, service_id=str(never.pk)) == 3600
    shown = {dict(labels)["service_id"] for name, labels in samples if name == SINCE}
    assert shown == {str(fresh.pk), str(never.pk)}
    for hidden in (disabled, removed, pushed, org_wide):
        assert value(samples, INTERVAL, service_id=str(hidden.pk)) is None


def test_it_shows_open_alerts_by_kind(scrape, project):
    second = ProjectFactory()
    Alert.objects.create(project=project, kind=Alert.Kind.BUDGET, message="over")
    Alert.objects.create(project=second, kind=Alert.Kind.BUDGET, message="over")
    Alert.objects.create(project=project, kind=Alert.Kind.LATENCY, message="slow")
    Alert.objects.create(
        project=second,
        kind=Alert.Kind.LATENCY,
        message="was slow",
        status=Alert.Status.RESOLVED,
    )
    samples = scrape()
    assert value(samples, "runway_alerts_open", kind="budget") == 2
    assert value(samples, "runway_alerts_open", kind="latency") == 1
    assert value(samples, "runway_alerts_open", kind="quality") == 0


def test_it_shows_the_celery_queue_length_from_redis(scrape, broker):
    broker.lpush("celery", *[json.dumps({"n": n}) for n in range(4)])
    broker.lpush("celery\x06\x163", "a message of priority 3")
    broker.lpush("another-queue", "not consumed by Runway's workers")
    samples = scrape()
    assert value(samples, "runway_celery_queue_length", queue="celery") == 5
    assert value(samples, "runway_celery_queue_length", queue="another-queue") is None


def test_an_empty_queue_shows_zero(scrape, broker):
    assert value(scrape(), "runway_celery_queue_length", queue="celery") == 0


@shared_task(name="tests.telemetry.fails")
def fails() -> None:
    raise RuntimeError("boom")


def test_it_counts_task_failures_in_the_broker(scrape, broker):
    for _ in range(2):
        # Traced as a worker traces it (throw=False: not re-raised in the caller),
        # so Celery sends task_failure.
        assert fails.apply(throw=False).failed()
    assert broker.hgetall(telemetry_broker.TASK_FAILURES_KEY) == {
        b"tests.telemetry.fails": b"2"
    }
    samples = scrape()
    assert (
        value(
            samples, "runway_celery_task_failures_total", task="tests.telemetry.fails"
        )
        == 2
    )


def test_an_unreachable_broker_is_skipped_and_counted(scrape, settings, project):
    Alert.objects.create(project=project, kind=Alert.Kind.BUDGET, message="over")
    telemetry_broker._clients.clear()
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    before = value(scrape(), "runway_scrape_errors_total", source="broker")
    samples = scrape()
    assert value(samples, "runway_scrape_errors_total", source="broker") == before + 1
    assert not any(name == "runway_celery_queue_length" for name, _ in samples)
    assert value(samples, "runway_alerts_open", kind="budget") == 1
    telemetry_broker._clients.clear()


def test_a_failing_database_is_skipped_and_counted(scrape, monkeypatch):
    from django.db import OperationalError

    from telemetry import selectors

    def down(**_):
        raise OperationalError("the database is away")

    before = value(scrape(), "runway_scrape_errors_total", source="database")
    monkeypatch.setattr(selectors, "sync_run_totals", down)
    samples = scrape()
    assert value(samples, "runway_scrape_errors_total", source="database") == before + 1
    assert not any(name == "runway_alerts_open" for name, _ in samples)
    assert any(name == "runway_http_requests_total" for name, _ in samples)


def test_without_a_redis_broker_there_is_no_queue_metric(scrape, settings):
    settings.CELERY_BROKER_URL = "filesystem://"
    samples = scrape()
    assert not any(name.startswith("runway_celery_") for name, _ in samples)
    assert value(samples, "runway_scrape_errors_total", source="broker") is not None


def test_it_counts_requests_by_view_name_never_by_path(scrape, client, project):
    before = scrape()
    client.get("/healthz")
    client.get(f"/projects/{project.slug}/metrics/")  # anonymous: sent to sign in
    client.get("/no-such-page/12345")
    after = scrape()

    def grew(name, **labels):
        return value(after, name, **labels) - (value(before, name, **labels) or 0)

    assert (
        grew("runway_http_requests_total", view="healthz", method="GET", status="200")
        == 1
    )
    assert (
        grew(
            "runway_http_requests_total",
            view="metrics:project",
            method="GET",
            status="302",
        )
        == 1
    )
    assert (
        grew("runway_http_requests_total", view="unmatched", method="GET", status="404")
        == 1
    )
    assert grew("runway_http_request_seconds_count", view="healthz") == 1
    assert not any(project.slug in str(labels) for _, labels in after)
    assert not any("12345" in str(labels) for _, labels in after)


def test_an_unusual_method_is_counted_as_other(scrape, client):
    before = scrape()
    client.generic("PROPFIND", "/healthz")
    after = scrape()
    labels = {"view": "healthz", "method": "other", "status": "405"}
    grown = value(after, "runway_http_requests_total", **labels) - (
        value(before, "runway_http_requests_total", **labels) or 0
    )
    assert grown == 1


def test_it_counts_accepted_push_batches_and_events(scrape, client, project):
    _, secret = ingest.token_create(project=project, name="production", created_by=None)
    moment = timezone.now() - timedelta(hours=1)

    def event(n):
        return {
            "timestamp": moment.isoformat(),
            "model": "gpt-4o-mini",
            "latency_ms": 100.0,
            "input_tokens": 10,
            "output_tokens": 2,
            "cost_usd": "0.0001",
            "error": False,
            "idempotency_key": f"req-{n}",
        }

    def push(body):
        return client.post(
            "/api/v1/ingest",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )

    before = scrape()
    assert push({"events": [event(n) for n in range(3)]}).status_code == 202
    # Resent with one new event: the two known keys are duplicates, not events.
    assert push({"events": [event(n) for n in range(1, 4)]}).status_code == 202
    assert push({"events": [{"model": "incomplete"}]}).status_code == 422
    after = scrape()

    def grew(name):
        return value(after, name) - value(before, name)

    assert grew("runway_ingest_batches_total") == 2
    assert grew("runway_ingest_events_total") == 4


def test_it_counts_otlp_requests_as_batches_and_their_stored_events(
    scrape, client, project
):
    _, secret = ingest.token_create(project=project, name="traces", created_by=None)
    moment = timezone.now() - timedelta(hours=1)

    def calls(tracer):
        for n in range(3):
            model_call(tracer, moment + timedelta(seconds=n), gen_ai__usage__cost=0.01)

    def export(body):
        return client.post(
            OTLP_PATH,
            data=body,
            content_type="application/x-protobuf",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )

    spans = protobuf(recorded(calls))
    before = scrape()
    assert export(spans).status_code == 200
    # The same spans again (an exporter's retry): a batch, but no new events.
    assert export(spans).status_code == 200
    assert export(b"not protobuf").status_code == 400
    after = scrape()

    def grew(name):
        return value(after, name) - value(before, name)

    assert grew("runway_ingest_batches_total") == 2
    assert grew("runway_ingest_events_total") == 3


COUNT_IN_A_PROCESS = """
from telemetry import instruments
instruments.HTTP_REQUESTS.labels("portal:home", "GET", "200").inc(3)
instruments.HTTP_REQUEST_SECONDS.labels("portal:home").observe(0.2)
instruments.INGEST_EVENTS.inc(5)
"""


def test_with_a_multiprocess_dir_it_adds_up_every_web_process(
    client, token, tmp_path, monkeypatch
):
    # Two processes stand in for two gunicorn workers: each writes its own file.
    for _ in range(2):
        subprocess.run(
            [sys.executable, "-c", COUNT_IN_A_PROCESS],
            cwd=settings.BASE_DIR,
            env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
            check=True,
        )
    assert len(list(tmp_path.glob("counter_*.db"))) == 2
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    samples = parse(response.content)
    labels = {"view": "portal:home", "method": "GET", "status": "200"}
    assert value(samples, "runway_http_requests_total", **labels) == 6
    assert value(samples, "runway_http_request_seconds_count", view="portal:home") == 2
    assert value(samples, "runway_ingest_events_total") == 10
    assert value(samples, "runway_alerts_open", kind="budget") == 0  # still from the DB


def test_without_the_cache_runs_are_counted_from_scratch(scrape, project, monkeypatch):
    import redis
    from django.core.cache import cache

    langfuse = service(project, ConnectedService.Kind.LANGFUSE)
    runs(langfuse, SyncRun.Status.SUCCEEDED, 2, age=SETTLED_AFTER * 2)

    def down(*args, **kwargs):
        raise redis.ConnectionError("the cache is away")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    samples = scrape()
    assert value(samples, RUNS, connector="langfuse", outcome="succeeded") == 2
