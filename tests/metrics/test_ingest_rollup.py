"""Pushed events rolled up into daily metrics: once per burst of batches, by UTC day,
each batch added to its day's totals, with percentiles by nearest rank from the
requests' latency sketch."""

from __future__ import annotations

import importlib
import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics import enqueue, ingest
from metrics.models import DailyRollup, EventDayTotal, RequestEvent
from metrics.percentiles import nearest_rank
from metrics.tasks import rollup_events
from metrics.vocabulary import Metric
from tests.conftest import require
from tests.factories import ProjectFactory
from tests.metrics.test_ingest_api import (
    DAY,
    LATENCIES,
    event,
    push,
    rollup,
    within_the_sketch_error,
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
    assert float(rollup(Metric.LATENCY_P95_MS)) == within_the_sketch_error(900)


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
    # 37 requests with repeated values, pushed out of order: the sketch picks the
    # same ranks as nearest_rank over the whole list, within its stated error.
    latencies = [float((i * 7919) % 23 * 10) for i in range(1, 38)]
    events = [event(i, latency_ms=latency) for i, latency in enumerate(latencies, 1)]
    with django_capture_on_commit_callbacks(execute=True):
        response = push(client, {"events": events}, secret)
    assert response.status_code == 202, response.content
    for metric, percentile in (
        (Metric.LATENCY_P50_MS, 50),
        (Metric.LATENCY_P95_MS, 95),
    ):
        exact = nearest_rank(latencies, percentile)
        assert float(rollup(metric)) == within_the_sketch_error(exact)


def test_nearest_rank_percentiles():
    assert nearest_rank(LATENCIES, 95) == 190
    assert nearest_rank(LATENCIES, 50) == 100
    assert nearest_rank([5.0], 95) == 5
    assert nearest_rank([3.0, 1.0, 2.0], 100) == 3
    # 100 values: p95 is the 95th, exactly (floating point would say 95.00000000000001).
    assert nearest_rank([float(i) for i in range(1, 101)], 95) == 95
    with pytest.raises(ValueError):
        nearest_rank([], 95)


# Busy days: each batch is added to its day's totals, the day is not read again.


def stored_events(project, count, *, first=0, day=DAY):
    """``count`` events of ``day`` stored as a push would store them, not rolled up."""
    with transaction.atomic():
        service = ingest.push_service(project)
    RequestEvent.objects.bulk_create(
        RequestEvent(
            project=project,
            service=service,
            timestamp=day + timedelta(seconds=n),
            model=("gpt-4o-mini", "claude-haiku-4")[n % 2],
            latency_ms=float(50 + (n * 7919) % 997),
            input_tokens=100 + n % 50,
            output_tokens=10 + n % 7,
            cost_usd=Decimal("0.00001234"),
            error=n % 11 == 0,
            quality_score_name="helpfulness" if n % 3 == 0 else "",
            quality_score=(n % 5) * 0.25 if n % 3 == 0 else None,
            feedback=(1, -1, 0, None)[n % 4],
            idempotency_key=f"req-{n}",
        )
        for n in range(first, first + count)
    )


def day_values(project):
    return {
        (metric, dimension): value
        for metric, dimension, value in DailyRollup.objects.filter(
            project=project, service__kind="push"
        ).values_list("metric", "dimension", "value")
    }


def test_rolling_up_a_batch_never_reads_the_days_earlier_events(people):
    project = people["project"]
    stored_events(project, 2000)
    ingest.events_rollup(project=project)
    stored_events(project, 10, first=2000)
    with CaptureQueriesContext(connection) as queries:
        ingest.events_rollup(project=project)
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and "metrics_requestevent" in q["sql"]
    ]
    # The ids of the events not rolled up yet, then those events by id.
    assert len(reads) == 2
    assert '"rolled_up_at" IS NULL' in reads[0]
    assert '"rolled_up_at" IS NULL' not in reads[1]
    assert day_values(project)[(Metric.REQUESTS, "gpt-4o-mini")] == 1005


def test_batches_rolled_up_one_by_one_equal_one_rollup_of_the_whole_day(people):
    one_by_one, all_at_once = people["project"], ProjectFactory()
    for first in range(0, 1000, 150):
        stored_events(one_by_one, 150, first=first)
        ingest.events_rollup(project=one_by_one)
    stored_events(all_at_once, 1050)
    ingest.events_rollup(project=all_at_once)
    assert day_values(one_by_one) == day_values(all_at_once)
    assert day_values(one_by_one)[(Metric.REQUESTS, "claude-haiku-4")] == 525


def test_a_backlog_bigger_than_a_step_is_rolled_up_whole(people, monkeypatch):
    project = people["project"]
    monkeypatch.setattr(ingest, "ROLLUP_CHUNK", 7)
    stored_events(project, 40)
    ingest.events_rollup(project=project)
    assert not RequestEvent.objects.filter(rolled_up_at__isnull=True).exists()
    assert EventDayTotal.objects.get(model="gpt-4o-mini").requests == 20
    assert day_values(project)[(Metric.REQUESTS, "claude-haiku-4")] == 20


def test_the_upgrade_counts_the_events_rolled_up_before_into_the_totals(people):
    """Events rolled up before day totals existed are marked pending again by the
    migration, and the next rollup rewrites the same samples from them."""
    project = people["project"]
    stored_events(project, 300)
    ingest.events_rollup(project=project)
    before = day_values(project)
    EventDayTotal.objects.all().delete()  # as before the upgrade
    migration = importlib.import_module("metrics.migrations.0013_event_day_totals")
    migration.count_every_event_again(django_apps, None)
    assert not RequestEvent.objects.filter(rolled_up_at__isnull=False).exists()
    ingest.events_rollup(project=project)
    assert day_values(project) == before


@pytest.mark.django_db(transaction=True)
def test_two_rollups_at_once_count_every_event_once(people, monkeypatch):
    require(
        connection.vendor == "postgresql",
        "concurrent rollups need PostgreSQL (set DATABASE_URL)",
    )
    project = people["project"]
    stored_events(project, 3000)
    # Many small steps each, so the two runs interleave at every point of a step.
    monkeypatch.setattr(ingest, "ROLLUP_CHUNK", 50)
    start = threading.Barrier(2)
    errors = []

    def roll_up():
        from django.db import connection as thread_connection

        try:
            start.wait(timeout=10)
            ingest.events_rollup(project=project)
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=roll_up) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    values = day_values(project)
    assert values[(Metric.REQUESTS, "gpt-4o-mini")] == 1500
    assert values[(Metric.REQUESTS, "claude-haiku-4")] == 1500
    assert sum(EventDayTotal.objects.values_list("requests", flat=True)) == 3000


@pytest.mark.django_db(transaction=True)
def test_a_rollup_waits_for_the_one_already_running_on_its_project(people):
    """A run reads the pending events and the day totals only once it holds the
    project's row, so it never adds events another run is adding at that moment."""
    require(
        connection.vendor == "postgresql",
        "row locks need PostgreSQL (set DATABASE_URL)",
    )
    import psycopg

    project = people["project"]
    stored_events(project, 100)
    settings_dict = connection.settings_dict
    running = psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"] or None,
        password=settings_dict["PASSWORD"] or None,
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
    )
    # The run already going holds the project's row.
    running.execute(
        "SELECT id FROM projects_project WHERE id = %s FOR UPDATE", [project.pk]
    )
    done = threading.Event()

    def roll_up():
        from django.db import connection as thread_connection

        try:
            ingest.events_rollup(project=project)
            done.set()
        finally:
            thread_connection.close()

    waiting = threading.Thread(target=roll_up)
    waiting.start()
    try:
        waited = False
        deadline = time.monotonic() + 10
        while not waited and time.monotonic() < deadline:
            time.sleep(0.05)
            (count,) = running.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE '%FOR UPDATE%'"
            ).fetchone() or (0,)
            waited = count > 0
        assert waited, "the second rollup did not wait for the project's row"
        assert not done.is_set()
        assert not EventDayTotal.objects.exists()
    finally:
        running.commit()
        running.close()
        waiting.join(timeout=30)
    assert done.is_set()
    assert day_values(project)[(Metric.REQUESTS, "gpt-4o-mini")] == 50
