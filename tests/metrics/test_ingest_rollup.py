"""Pushed events rolled up into daily metrics: once per burst of batches, by UTC day,
with percentiles picked by nearest rank from the requests themselves."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from metrics import enqueue, ingest
from metrics.percentiles import nearest_rank
from metrics.tasks import rollup_events
from metrics.vocabulary import Metric
from tests.metrics.test_ingest_api import (
    DAY,
    LATENCIES,
    event,
    push,
    rollup,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(people):
    _, value = ingest.token_create(
        project=people["project"], name="production", created_by=people["lead"]
    )
    return value


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
    project = people["project"]
    queued = []
    monkeypatch.setattr(
        enqueue,
        "task_send",
        lambda name, *args, countdown=None: queued.append((name, args, countdown)),
    )
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            push(client, {"events": [event(n)]}, secret)
    # One rollup for the burst, a little after its first batch.
    assert queued == [
        (enqueue.ROLLUP_EVENTS, (project.pk,), ingest.ROLLUP_DELAY_SECONDS)
    ]
    assert cache.get(ingest.rollup_key(project.pk)) is not None
    # The task clears the key first, so the next push queues again.
    rollup_events.run(project.pk)
    assert cache.get(ingest.rollup_key(project.pk)) is None
    with django_capture_on_commit_callbacks(execute=True):
        push(client, {"events": [event(9)]}, secret)
    assert len(queued) == 2


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


def test_nearest_rank_percentiles():
    assert nearest_rank(LATENCIES, 95) == 190
    assert nearest_rank(LATENCIES, 50) == 100
    assert nearest_rank([5.0], 95) == 5
    assert nearest_rank([3.0, 1.0, 2.0], 100) == 3
    # 100 values: p95 is the 95th, exactly (floating point would say 95.00000000000001).
    assert nearest_rank([float(i) for i in range(1, 101)], 95) == 95
    with pytest.raises(ValueError):
        nearest_rank([], 95)
