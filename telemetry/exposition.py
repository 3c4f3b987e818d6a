"""What one scrape of ``/metrics`` shows, gathered into a registry made for it.

Three sources: the database (sync runs, services, alerts), the broker's Redis (queue
lengths, task failures) and the web processes' own counters (``instruments``). A
source that fails is left out of that scrape and counted in
runway_scrape_errors_total{source}; the rest is still shown.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator

import redis
from django.db import DatabaseError
from django.utils import timezone
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from telemetry import broker, instruments, selectors

log = logging.getLogger("runway.telemetry")


def registry() -> CollectorRegistry:
    """A registry holding this scrape's values. The database and the broker are read
    first, so that an error counted while reading them shows in this same scrape."""
    families = [
        *_guarded("database", database_families),
        *_guarded("broker", broker_families),
    ]
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(_Families(families))
    multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiprocess_dir:
        # Every web process's counters, from the files each one keeps there.
        MultiProcessCollector(scrape, path=multiprocess_dir)  # type: ignore[no-untyped-call]
    else:
        for metric in instruments.IN_PROCESS:
            scrape.register(metric)
    return scrape


class _Families(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


def _guarded(source: str, families: Callable[[], Iterator[Metric]]) -> list[Metric]:
    try:
        return list(families())
    except (DatabaseError, redis.RedisError, OSError):
        log.warning("scrape source failed", extra={"source": source}, exc_info=True)
        instruments.SCRAPE_ERRORS.labels(source).inc()
        return []


def database_families() -> Iterator[Metric]:
    now = timezone.now()
    totals = selectors.sync_run_totals(now=now)
    runs = CounterMetricFamily(
        "runway_sync_runs_total",
        "Finished sync runs by connector kind and outcome (succeeded, failed, skipped, "
        "abandoned), counted from the sync runs the database keeps.",
        labels=["connector", "outcome"],
    )
    for (connector, outcome), count in sorted(totals.runs.items()):
        runs.add_metric([connector, outcome], count)
    yield runs
    retries = CounterMetricFamily(
        "runway_sync_retries_total",
        "Requests that finished sync runs retried (429, 5xx, network failures).",
        labels=["connector"],
    )
    for connector, count in sorted(totals.retries.items()):
        retries.add_metric([connector], count)
    yield retries

    labels = ["service_id", "project", "connector"]
    since = GaugeMetricFamily(
        "runway_service_seconds_since_success",
        "Seconds since the service's last successful sync (since it was added, if it "
        "never had one). Enabled services that beat syncs only.",
        labels=labels,
    )
    interval = GaugeMetricFamily(
        "runway_service_sync_interval_seconds",
        "How often the service is synced.",
        labels=["service_id"],
    )
    for service in selectors.services_freshness(now=now):
        service_id = str(service.service_id)
        since.add_metric(
            [service_id, service.project, service.connector],
            service.seconds_since_success,
        )
        interval.add_metric([service_id], service.interval_seconds)
    yield since
    yield interval

    alerts = GaugeMetricFamily(
        "runway_alerts_open", "Open alerts by kind.", labels=["kind"]
    )
    for kind, count in sorted(selectors.open_alerts_by_kind().items()):
        alerts.add_metric([kind], count)
    yield alerts


def broker_families() -> Iterator[Metric]:
    client = broker.client()
    if client is None:
        return
    waiting, failures = broker.snapshot(client)
    queue_length = GaugeMetricFamily(
        "runway_celery_queue_length",
        "Tasks waiting in the Celery queue (not yet taken by a worker).",
        labels=["queue"],
    )
    for queue, length in sorted(waiting.items()):
        queue_length.add_metric([queue], length)
    yield queue_length
    failed = CounterMetricFamily(
        "runway_celery_task_failures_total",
        "Celery tasks that raised, by task name, counted by the workers in the broker.",
        labels=["task"],
    )
    for task, count in sorted(failures.items()):
        failed.add_metric([task], count)
    yield failed
