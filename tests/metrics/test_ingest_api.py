"""The push API as a project's own code uses it: batches of events and samples, the
rollup of events into daily metrics, and everything it refuses."""

from __future__ import annotations

import copy
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import api as api_module
from metrics import ingest
from metrics.models import (
    ConnectedService,
    DailyRollup,
    IngestToken,
    MetricSample,
    RequestEvent,
)
from metrics.percentiles import nearest_rank
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
    assert rollup(Metric.LATENCY_P50_MS) == Decimal("100")
    assert rollup(Metric.LATENCY_P95_MS) == Decimal("190")
    assert rollup(Metric.QUALITY_SCORE, "helpfulness") == Decimal("0.8")
    assert rollup(Metric.FEEDBACK_POSITIVE) == 3
    assert rollup(Metric.FEEDBACK_NEGATIVE) == 1
    assert rollup(Metric.PIPELINE_FAILURES) == 2
    assert not RequestEvent.objects.filter(rolled_up_at__isnull=True).exists()
    assert MetricSample.objects.filter(
        metric=Metric.LATENCY_P95_MS, bucket="day", bucket_start=DAY
    ).get().value == Decimal("190")


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
    # Re-running the rollup itself replaces the same values.
    RequestEvent.objects.update(rolled_up_at=None)
    ingest.events_rollup(project=people["project"])
    assert rollup(Metric.REQUESTS, "gpt-4o-mini") == 15
    assert rollup(Metric.LATENCY_P95_MS) == Decimal("190")


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


def test_a_later_batch_for_the_same_day_adds_its_requests(
    client, people, secret, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        push(client, {"events": [event(1), event(2)]}, secret)
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        push(client, {"events": [event(3, latency_ms=900.0)]}, secret)
    assert rollup(Metric.REQUESTS, "gpt-4o-mini") == 3
    assert rollup(Metric.LATENCY_P95_MS) == Decimal("900")


def test_rollups_are_debounced_to_one_queued_task(
    client, people, secret, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    from metrics.tasks import rollup_events

    monkeypatch.setattr(
        rollup_events, "apply_async", lambda *a, **kw: queued.append((a, kw))
    )
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            push(client, {"events": [event(n)]}, secret)
    assert len(queued) == 1
    assert cache.get(ingest.rollup_key(people["project"].pk)) is not None
    # The task clears the key first, so the next push queues again.
    rollup_events.run(people["project"].pk)
    assert cache.get(ingest.rollup_key(people["project"].pk)) is None
    with django_capture_on_commit_callbacks(execute=True):
        push(client, {"events": [event(9)]}, secret)
    assert len(queued) == 2


FAR_FUTURE = (timezone.now() + timedelta(hours=1)).isoformat()
LONG_AGO = (timezone.now() - timedelta(days=401)).isoformat()


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


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (
            {"events": [event(1), event(2, latency_ms="fast")]},
            ["events", 1, "latency_ms"],
        ),
        ({"events": [event(1), event(2, model="gpt\x00")]}, ["events", 1, "model"]),
        (
            {"events": [event(1), event(2, idempotency_key="k-\ud800")]},
            ["events", 1, "idempotency_key"],
        ),
        (
            {"events": [event(1, quality_score_name="tone\x00", quality_score=0.5)]},
            ["events", 0, "quality_score_name"],
        ),
        (
            {"events": [event(1), event(2, quality_score=0.5)]},
            ["events", 1, "quality_score"],
        ),
        (
            {"events": [event(1, quality_score_name="helpfulness")]},
            ["events", 0, "quality_score"],
        ),
        ({"samples": [sample(dimension="eu\x00")]}, ["samples", 0, "dimension"]),
        (
            {"events": [event(1), event(2, input_tokens=-5)]},
            ["events", 1, "input_tokens"],
        ),
        ({"events": [event(1, output_tokens=1.5)]}, ["events", 0, "output_tokens"]),
        ({"events": [event(1, error="no")]}, ["events", 0, "error"]),
        ({"events": [event(1, timestamp=FAR_FUTURE)]}, ["events", 0, "timestamp"]),
        ({"events": [event(1, timestamp=LONG_AGO)]}, ["events", 0, "timestamp"]),
        (
            {"events": [event(1, timestamp="2026-01-01T00:00:00")]},
            ["events", 0, "timestamp"],
        ),
        ({"events": [event(1, feedback=2)]}, ["events", 0, "feedback"]),
        ({"events": [event(1, quality_score=0.5)]}, ["events", 0, "quality_score"]),
        (
            {"events": [event(1, quality_score_name="helpfulness", quality_score=1.5)]},
            ["events", 0, "quality_score"],
        ),
        ({"events": [event(1, model="x" * 121)]}, ["events", 0, "model"]),
        (
            {"events": [{k: v for k, v in event(1).items() if k != "idempotency_key"}]},
            ["events", 0, "idempotency_key"],
        ),
        ({"events": [event(1, colour="blue")]}, ["events", 0, "colour"]),
        (
            {"events": [event(1)], "samples": [sample(), sample(metric="vibes")]},
            ["samples", 1, "metric"],
        ),
        (
            {"samples": [sample(bucket_start=(DAY + timedelta(hours=3)).isoformat())]},
            ["samples", 0, "bucket_start"],
        ),
        (
            {
                "samples": [
                    sample(
                        bucket="hour",
                        bucket_start=(DAY + timedelta(minutes=30)).isoformat(),
                    )
                ]
            },
            ["samples", 0, "bucket_start"],
        ),
        ({"samples": [sample(bucket="week")]}, ["samples", 0, "bucket"]),
        ({"samples": [sample(value=-1)]}, ["samples", 0, "value"]),
        (
            {"samples": [sample(metric="quality_score", value=3)]},
            ["samples", 0, "value"],
        ),
        ({"samples": [sample(dimension=7)]}, ["samples", 0, "dimension"]),
    ],
    ids=lambda v: "-".join(map(str, v)) if isinstance(v, list) else None,
)
def test_a_batch_with_one_bad_item_is_refused_whole_naming_the_item(
    client, secret, body, where
):
    response = push(client, body, secret)
    assert response.status_code == 422, response.content
    locations = [error["loc"] for error in response.json()["detail"]]
    assert ["body", "payload", *where] in locations
    assert nothing_written()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gpt\x00", "Value error, must not contain NUL characters"),
        (
            "gpt-\udc00",  # a lone surrogate: refused by pydantic itself
            "Input should be a valid string, unable to parse raw data as a unicode string",
        ),
    ],
)
def test_text_postgresql_cannot_hold_is_refused_with_the_reason(
    client, secret, text, message
):
    body = {"events": [event(1), event(2), event(3, model=text)]}
    response = push(client, body, secret)
    assert response.status_code == 422
    assert [(e["loc"], e["msg"]) for e in response.json()["detail"]] == [
        (["body", "payload", "events", 2, "model"], message)
    ]
    assert nothing_written()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize(
    ("template", "where"),
    [
        ('{"events": [EVENT]}', ["events", 0, "latency_ms"]),
        ('{"samples": [SAMPLE]}', ["samples", 0, "value"]),
    ],
)
def test_nan_and_infinity_are_refused(client, secret, literal, template, where):
    field = where[-1]
    item = json.dumps(event(1) if "EVENT" in template else sample())
    item = item.replace(
        f'"{field}": {json.dumps((event(1) if "EVENT" in template else sample())[field])}',
        f'"{field}": {literal}',
    )
    assert literal in item
    raw = template.replace("EVENT", item).replace("SAMPLE", item)
    response = push(client, None, secret, raw=raw)
    assert response.status_code == 422, response.content
    assert ["body", "payload", *where] in [e["loc"] for e in response.json()["detail"]]
    assert nothing_written()


def test_a_batch_over_a_thousand_items_is_refused(client, secret):
    body = {
        "events": [event(i) for i in range(600)],
        "samples": [sample() for _ in range(401)],
    }
    response = push(client, body, secret)
    assert response.status_code == 422
    assert "at most 1,000" in json.dumps(response.json())
    assert "1,001" in json.dumps(response.json())
    assert nothing_written()


def test_a_thousand_items_are_fine(client, secret):
    body = {"events": [event(i % 1400) for i in range(1000)]}
    response = push(client, body, secret)
    assert response.status_code == 202
    assert response.json()["accepted_events"] == 1000


def test_a_body_that_is_not_json_is_a_400(client, secret):
    response = push(client, None, secret, raw="{not json")
    assert response.status_code == 400
    assert nothing_written()


@pytest.mark.parametrize(
    "header",
    [None, "Bearer ", "Bearer rwy_not-a-token", "Basic dXNlcjpwYXNz", "rwy_x"],
)
def test_requests_without_a_valid_token_get_401(client, secret, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.post(
        URL,
        data=json.dumps({"events": [event(1)]}),
        content_type="application/json",
        **extra,
    )
    assert response.status_code == 401
    assert nothing_written()


def test_a_revoked_token_gets_401(client, secret):
    token = IngestToken.objects.get()
    ingest.token_revoke(token=token)
    assert push(client, {"events": [event(1)]}, secret).status_code == 401
    assert nothing_written()


def test_using_a_token_records_when_it_was_last_used(client, secret):
    assert IngestToken.objects.get().last_used_at is None
    push(client, {}, secret)
    assert IngestToken.objects.get().last_used_at is not None


def test_the_token_decides_the_project(client, people, secret):
    push(client, {"events": [event(1)]}, secret)
    assert RequestEvent.objects.get().project == people["project"]


def test_too_many_requests_from_one_token_get_429(client, secret, monkeypatch):
    monkeypatch.setattr(api_module.throttle, "num_requests", 2)
    assert push(client, {}, secret).status_code == 202
    assert push(client, {}, secret).status_code == 202
    response = push(client, {}, secret)
    assert response.status_code == 429
    assert "Retry-After" in response.headers


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


def test_nearest_rank_percentiles():
    assert nearest_rank(LATENCIES, 95) == 190
    assert nearest_rank(LATENCIES, 50) == 100
    assert nearest_rank([5.0], 95) == 5
    assert nearest_rank([3.0, 1.0, 2.0], 100) == 3
    # 100 values: p95 is the 95th, exactly (floating point would say 95.00000000000001).
    assert nearest_rank([float(i) for i in range(1, 101)], 95) == 95
    with pytest.raises(ValueError):
        nearest_rank([], 95)


# Property-based: whatever arrives, the API answers without a 500, and a refused batch
# leaves nothing behind.

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = list(event(0)) + ["quality_score_name", "quality_score", "feedback"]
SAMPLE_FIELDS = [*sample(), "dimension"]


@st.composite
def mutated_batches(draw):
    body = {
        "events": [event(i) for i in range(draw(st.integers(0, 3)))],
        "samples": [sample() for _ in range(draw(st.integers(0, 2)))],
    }
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["events", "samples", "top"]))
        if kind == "top":
            body[draw(st.sampled_from(["events", "samples", "extra"]))] = draw(
                json_values
            )
            continue
        items = body[kind] if isinstance(body.get(kind), list) else None
        if not items:
            continue
        item = items[draw(st.integers(0, len(items) - 1))]
        if not isinstance(item, dict):
            continue
        field = draw(st.sampled_from(FIELDS if kind == "events" else SAMPLE_FIELDS))
        if draw(st.booleans()):
            item.pop(field, None)
        else:
            item[field] = draw(json_values)
    return body


def _written():
    return (
        RequestEvent.objects.count(),
        MetricSample.objects.count(),
        ConnectedService.objects.count(),
    )


def _check(client, secret, body):
    before = _written()
    response = push(client, None, secret, raw=json.dumps(body))
    assert response.status_code in {202, 400, 413, 422}, (
        response.status_code,
        response.content[:500],
    )
    if response.status_code != 202:
        assert _written() == before
        assert "detail" in response.json()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=json_values)
def test_arbitrary_json_never_breaks_the_api(client, secret, monkeypatch, body):
    monkeypatch.setattr(api_module.throttle, "num_requests", 10_000)
    _check(client, secret, body)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=mutated_batches())
def test_mutated_batches_are_accepted_or_refused_whole(
    client, secret, monkeypatch, body
):
    monkeypatch.setattr(api_module.throttle, "num_requests", 10_000)
    _check(client, secret, copy.deepcopy(body))


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


def test_day_boundaries_are_utc(
    client, people, secret, django_capture_on_commit_callbacks
):
    late = DAY + timedelta(hours=23, minutes=59)
    early_next = DAY + timedelta(days=1, minutes=1)
    body = {
        "events": [
            event(
                1,
                timestamp=late.astimezone(timezone.get_fixed_timezone(120)).isoformat(),
            ),
            event(2, timestamp=early_next.isoformat()),
        ]
    }
    with django_capture_on_commit_callbacks(execute=True):
        push(client, body, secret)
    assert rollup(Metric.REQUESTS, "gpt-4o-mini", day=DAY) == 1
    assert rollup(Metric.REQUESTS, "gpt-4o-mini", day=DAY + timedelta(days=1)) == 1
    assert isinstance(DAY, datetime)


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


def test_the_rolled_up_percentiles_are_the_nearest_ranks_with_ties_and_odd_counts(
    client, people, secret, django_capture_on_commit_callbacks
):
    # 37 requests with repeated values, pushed out of order: the database picks the
    # same two values as nearest_rank over the whole list.
    latencies = [float((i * 7919) % 23 * 10) for i in range(1, 38)]
    events = [event(i, latency_ms=latency) for i, latency in enumerate(latencies, 1)]
    with django_capture_on_commit_callbacks(execute=True):
        response = push(client, {"events": events}, secret)
    assert response.status_code == 202, response.content
    assert rollup(Metric.LATENCY_P50_MS) == Decimal(str(nearest_rank(latencies, 50)))
    assert rollup(Metric.LATENCY_P95_MS) == Decimal(str(nearest_rank(latencies, 95)))


def test_a_body_that_is_not_json_is_refused_with_415_and_writes_nothing(client, secret):
    for content_type, data in (
        ("text/plain", json.dumps({"events": [event(1)]})),
        ("application/x-www-form-urlencoded", "events=1"),
    ):
        response = client.post(
            URL,
            data=data,
            content_type=content_type,
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )
        assert response.status_code == 415
        assert "application/json" in response.json()["detail"]
    assert not RequestEvent.objects.exists()


@pytest.mark.parametrize("field", ["model", "idempotency_key", "quality_score_name"])
def test_a_blank_name_or_key_is_refused_naming_the_field(client, secret, field):
    response = push(client, {"events": [event(1, **{field: "   "})]}, secret)
    assert response.status_code == 422
    assert ["body", "payload", "events", 0, field] in [
        e["loc"] for e in response.json()["detail"]
    ]
    assert not RequestEvent.objects.exists()


def test_a_token_of_an_archived_project_is_refused_with_a_clear_message(
    client, people, secret
):
    from django.utils import timezone

    project = people["project"]
    project.archived_at = timezone.now()
    project.save()
    response = push(client, {"events": [event(1)]}, secret)
    assert response.status_code == 403
    assert "archived" in response.json()["detail"]
    assert not RequestEvent.objects.exists()
