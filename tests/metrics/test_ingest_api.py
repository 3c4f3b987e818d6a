"""The push API as a project's own code uses it: a batch accepted and stored as sent,
each event once per idempotency key, and the push source it marks synced.

The helpers here serve the other push API tests too (test_ingest_rollup.py,
test_ingest_refusals.py)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from metrics import ingest
from metrics.latency_sketch import RELATIVE_ACCURACY
from metrics.models import (
    ConnectedService,
    DailyRollup,
    IngestToken,
    MetricSample,
    RequestEvent,
)
from metrics.vocabulary import Metric
from tests.conftest import require

pytestmark = pytest.mark.django_db

URL = "/api/v1/ingest"
TODAY = (
    timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
)
DAY = TODAY - timedelta(days=2)


@pytest.fixture
def secret(people):
    _, value = ingest.token_create(
        project=people["project"], name="production", created_by=people["lead"]
    )
    return value


def push(client, body, secret, raw=None):
    return client.post(
        URL,
        data=raw if raw is not None else json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def event(n, **overrides):
    row = {
        "timestamp": (DAY + timedelta(minutes=n)).isoformat(),
        "model": "gpt-4o-mini",
        "latency_ms": 100.0,
        "input_tokens": 1000,
        "output_tokens": 200,
        "cost_usd": "0.00042",
        "error": False,
        "idempotency_key": f"req-{n}",
    }
    row.update(overrides)
    return row


def sample(**overrides):
    row = {
        "metric": "pipeline_failures",
        "bucket": "day",
        "bucket_start": DAY.isoformat(),
        "value": 2,
    }
    row.update(overrides)
    return row


def nothing_written():
    return (
        not RequestEvent.objects.exists()
        and not MetricSample.objects.exists()
        and not DailyRollup.objects.exists()
    )


def within_the_sketch_error(exact):
    """What a rolled-up percentile equals: the exact nearest-rank value, within the
    latency sketch's stated relative error (metrics.latency_sketch)."""
    return pytest.approx(exact, rel=RELATIVE_ACCURACY)


def rollup(metric, dimension="", day=DAY):
    return DailyRollup.objects.get(
        service__kind="push", metric=metric, dimension=dimension, day=day.date()
    ).value


# 20 requests: latencies 10, 20, ... 200 ms; every fourth one is Claude.
LATENCIES = [10.0 * i for i in range(1, 21)]


def a_day_of_traffic():
    events = []
    for i, latency in enumerate(LATENCIES, start=1):
        claude = i % 4 == 0
        events.append(
            event(
                i,
                model="claude-sonnet-4" if claude else "gpt-4o-mini",
                latency_ms=latency,
                input_tokens=1000 + i,
                output_tokens=100 * i,
                cost_usd="0.01" if claude else "0.001",
                error=i in (3, 8),
                **(
                    {"quality_score_name": "helpfulness", "quality_score": 0.8}
                    if i <= 2
                    else {}
                ),
                **({"feedback": 1} if i in (1, 2, 3) else {}),
                **({"feedback": -1} if i == 5 else {}),
            )
        )
    return {"events": events, "samples": [sample()]}


def test_a_batch_is_accepted_and_rolled_up_into_daily_metrics(
    client, people, secret, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = push(client, a_day_of_traffic(), secret)
    assert response.status_code == 202, response.content
    assert response.json() == {
        "accepted_events": 20,
        "accepted_samples": 1,
        "duplicates": 0,
    }
    service = ConnectedService.objects.get(project=people["project"], kind="push")
    assert service.name == "Push API"
    # Claude: requests 4, 8, 12, 16, 20; GPT: the other 15.
    assert rollup(Metric.REQUESTS, "gpt-4o-mini") == 15
    assert rollup(Metric.REQUESTS, "claude-sonnet-4") == 5
    assert rollup(Metric.ERRORS, "gpt-4o-mini") == 1  # request 3
    assert rollup(Metric.ERRORS, "claude-sonnet-4") == 1  # request 8
    claude = [4, 8, 12, 16, 20]
    assert rollup(Metric.INPUT_TOKENS, "claude-sonnet-4") == sum(
        1000 + i for i in claude
    )
    assert rollup(Metric.OUTPUT_TOKENS, "claude-sonnet-4") == sum(
        100 * i for i in claude
    )
    assert rollup(Metric.COST_OBSERVED_USD, "claude-sonnet-4") == Decimal("0.05")
    assert rollup(Metric.COST_OBSERVED_USD, "gpt-4o-mini") == Decimal("0.015")
    # Nearest rank over the 20 requests: p50 is the 10th value, p95 the 19th; an
    # average (105 ms) or an interpolated p95 (190.5 ms) would both be wrong.
    assert float(rollup(Metric.LATENCY_P50_MS)) == within_the_sketch_error(100)
    assert float(rollup(Metric.LATENCY_P95_MS)) == within_the_sketch_error(190)
    assert rollup(Metric.QUALITY_SCORE, "helpfulness") == Decimal("0.8")
    assert rollup(Metric.FEEDBACK_POSITIVE) == 3
    assert rollup(Metric.FEEDBACK_NEGATIVE) == 1
    assert rollup(Metric.PIPELINE_FAILURES) == 2
    assert not RequestEvent.objects.filter(rolled_up_at__isnull=True).exists()
    assert MetricSample.objects.filter(
        metric=Metric.LATENCY_P95_MS, bucket="day", bucket_start=DAY
    ).get().value == rollup(Metric.LATENCY_P95_MS)


def test_the_same_batch_twice_is_counted_once(
    client, people, secret, django_capture_on_commit_callbacks
):
    batch = a_day_of_traffic()
    with django_capture_on_commit_callbacks(execute=True):
        push(client, batch, secret)
    cache.clear()  # the debounce key would otherwise hold back the second rollup
    with django_capture_on_commit_callbacks(execute=True):
        again = push(client, batch, secret)
    assert again.status_code == 202
    assert again.json() == {
        "accepted_events": 0,
        "accepted_samples": 1,
        "duplicates": 20,
    }
    assert RequestEvent.objects.count() == 20
    assert rollup(Metric.REQUESTS, "gpt-4o-mini") == 15
    assert rollup(Metric.PIPELINE_FAILURES) == 2
    # Running the rollup again (a task delivered twice) finds nothing to add.
    p95 = rollup(Metric.LATENCY_P95_MS)
    assert ingest.events_rollup(project=people["project"]) == 0
    assert rollup(Metric.REQUESTS, "gpt-4o-mini") == 15
    assert rollup(Metric.LATENCY_P95_MS) == p95


def test_a_resent_batch_with_new_events_stores_only_the_new_ones(
    client, people, secret
):
    """A batch whose keys are partly stored already: on PostgreSQL its straight COPY
    fails on the first old key and leaves nothing behind, and the batch is stored
    again without the old keys."""
    first = push(client, {"events": [event(1), event(2)]}, secret)
    assert first.json()["accepted_events"] == 2
    resent = push(
        client,
        {"events": [event(1), event(3, latency_ms=30.0), event(2), event(4)]},
        secret,
    )
    assert resent.status_code == 202
    assert resent.json() == {
        "accepted_events": 2,
        "accepted_samples": 0,
        "duplicates": 2,
    }
    stored = RequestEvent.objects.filter(project=people["project"])
    assert sorted(stored.values_list("idempotency_key", flat=True)) == [
        "req-1",
        "req-2",
        "req-3",
        "req-4",
    ]
    assert stored.get(idempotency_key="req-3").latency_ms == 30.0


@pytest.mark.django_db(transaction=True)
def test_a_key_a_concurrent_request_stores_first_is_a_duplicate_not_a_failure(
    people,
):
    """Another request has stored one of the batch's keys and commits while the
    batch waits on it: the batch stores the rest, once, and counts that one as a
    duplicate rather than failing or storing it twice."""
    from django.db import connection, transaction

    require(
        connection.vendor == "postgresql",
        "concurrent inserts need PostgreSQL (set DATABASE_URL)",
    )
    import psycopg

    project = people["project"]
    token, _ = ingest.token_create(project=project, name="ci", created_by=None)
    with transaction.atomic():
        service = ingest.push_service(project)
    settings_dict = connection.settings_dict
    other = psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"] or None,
        password=settings_dict["PASSWORD"] or None,
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
    )
    # The other request has stored "req-2" but not committed yet.
    other.execute(
        "INSERT INTO metrics_requestevent (project_id, service_id, timestamp, model,"
        " latency_ms, input_tokens, output_tokens, cost_usd, error,"
        " quality_score_name, idempotency_key, received_at)"
        " VALUES (%s, %s, now(), 'gpt-4o-mini', 1, 1, 1, 0, false, '', 'req-2', now())",
        [project.pk, service.pk],
    )
    batch = [
        ingest.PushedEvent(
            DAY + timedelta(minutes=n),
            "gpt-4o-mini",
            100.0,
            1000,
            200,
            Decimal("0.00042"),
            False,
            f"req-{n}",
        )
        for n in (1, 2, 3)
    ]
    outcome = {}

    def ingest_batch():
        from django.db import connection as thread_connection

        try:
            outcome["result"] = ingest.batch_ingest(
                token=token, events=batch, samples=[]
            )
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
            outcome["error"] = exc
        finally:
            thread_connection.close()

    worker = threading.Thread(target=ingest_batch)
    worker.start()
    try:
        # Wait until the batch's COPY waits on the other request's "req-2"; that
        # COPY then fails on the key, and the batch is stored without it.
        deadline = time.monotonic() + 10
        waited = False
        while not waited and worker.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
            (waiting,) = other.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND query LIKE 'COPY \"metrics_requestevent\"%'"
            ).fetchone() or (0,)
            waited = waiting > 0
    finally:
        other.commit()
        other.close()
        worker.join(timeout=30)

    assert "error" not in outcome, outcome.get("error")
    assert waited, "the batch never waited on the other request's key"
    result = outcome["result"]
    assert (result.accepted_events, result.duplicates) == (2, 1)
    keys = RequestEvent.objects.filter(project=project).values_list(
        "idempotency_key", flat=True
    )
    assert sorted(keys) == ["req-1", "req-2", "req-3"]


def test_every_field_of_an_event_is_stored_as_sent(client, people, secret):
    # Whole numbers for the float and decimal fields, optional fields set and unset.
    sent = [
        event(1, latency_ms=812, cost_usd=0.5, feedback=-1),
        event(
            2,
            model="claude-haiku-4 ü",
            error=True,
            quality_score_name="helpfulness",
            quality_score=0.875,
        ),
    ]
    assert push(client, {"events": sent}, secret).status_code == 202
    stored = {
        e.idempotency_key: e
        for e in RequestEvent.objects.filter(project=people["project"])
    }
    first, second = stored["req-1"], stored["req-2"]
    assert first.timestamp == DAY + timedelta(minutes=1)
    assert (first.latency_ms, first.cost_usd, first.feedback) == (
        812.0,
        Decimal("0.5"),
        -1,
    )
    assert (first.input_tokens, first.output_tokens, first.error) == (1000, 200, False)
    assert (first.quality_score_name, first.quality_score) == ("", None)
    assert (second.model, second.error, second.feedback) == (
        "claude-haiku-4 ü",
        True,
        None,
    )
    assert (second.quality_score_name, second.quality_score) == ("helpfulness", 0.875)
    assert second.cost_usd == Decimal("0.00042")


def test_every_field_of_an_event_lands_in_its_own_column(client, people, secret):
    pushed = event(
        7,
        model="claude-haiku-4",
        latency_ms=123.5,
        input_tokens=1111,
        output_tokens=222,
        cost_usd="0.00012345",
        error=True,
        quality_score_name="faithfulness",
        quality_score=0.75,
        feedback=-1,
        idempotency_key="req-columns",
    )
    assert push(client, {"events": [pushed]}, secret).status_code == 202
    row = RequestEvent.objects.values().get()
    assert row["timestamp"] == DAY + timedelta(minutes=7)
    assert row["model"] == "claude-haiku-4"
    assert row["latency_ms"] == 123.5
    assert (row["input_tokens"], row["output_tokens"]) == (1111, 222)
    assert row["cost_usd"] == Decimal("0.00012345")
    assert row["error"] is True
    assert (row["quality_score_name"], row["quality_score"]) == ("faithfulness", 0.75)
    assert row["feedback"] == -1
    assert row["idempotency_key"] == "req-columns"


def test_a_thousand_items_are_fine(client, secret):
    body = {"events": [event(i % 1400) for i in range(1000)]}
    response = push(client, body, secret)
    assert response.status_code == 202
    assert response.json()["accepted_events"] == 1000


def test_the_token_decides_the_project(client, people, secret):
    push(client, {"events": [event(1)]}, secret)
    assert RequestEvent.objects.get().project == people["project"]


def test_using_a_token_records_when_it_was_last_used(client, secret):
    assert IngestToken.objects.get().last_used_at is None
    push(client, {}, secret)
    assert IngestToken.objects.get().last_used_at is not None


def test_sync_now_leaves_a_push_source_alone(client, people, secret):
    push(client, {}, secret)
    service = ConnectedService.objects.get(kind="push")
    client.force_login(people["lead"])
    response = client.post(
        reverse(
            "metrics:sync", kwargs={"slug": people["project"].slug, "pk": service.pk}
        )
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.enabled
    assert not service.runs.exists()


def test_a_push_marks_its_source_synced_and_clears_an_old_error(client, people, secret):
    push(client, {"events": [event(1)]}, secret)
    service = ConnectedService.objects.get(kind="push")
    ConnectedService.objects.filter(pk=service.pk).update(
        last_error="timeout", consecutive_failures=3, last_success_at=None
    )
    before = timezone.now()

    push(client, {"events": [event(2)]}, secret)

    service.refresh_from_db()
    assert service.last_error == "" and service.consecutive_failures == 0
    assert service.last_sync_at == service.last_success_at >= before
    assert ConnectedService.objects.filter(kind="push").count() == 1


def test_the_openapi_schema_lists_the_ingest_endpoint(client, people):
    client.force_login(people["viewer"])
    response = client.get(reverse("api:openapi-json"))
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/ingest" in schema["paths"]
    assert schema["info"]["title"] == "Runway API"
    assert "post" in schema["paths"]["/api/v1/ingest"]


def test_the_schema_needs_a_signed_in_user(client):
    response = client.get(reverse("api:openapi-json"))
    assert response.status_code == 302
