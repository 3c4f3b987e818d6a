"""A Prometheus service synced end to end: beat's task, the broker, a real Celery worker
process, the real connector against a real Prometheus, and the samples in the database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from metrics.models import ConnectedService, DailyRollup, MetricSample, SyncRun
from metrics.tasks import sync_service
from portal.celery import ensure_broker_folders
from tests.conftest import require
from tests.factories import ProjectFactory
from tests.metrics.connectors.test_prometheus_real import prometheus_url  # noqa: F401  (fixture)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _test_database_url() -> str:
    """The URL of the test database this test is using, for the worker process."""
    base = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(base._replace(path="/" + settings.DATABASES["default"]["NAME"]))


@pytest.fixture
def worker(tmp_path):
    require(
        connection.vendor == "postgresql" and "DATABASE_URL" in os.environ,
        "a worker process can share only a PostgreSQL test database (set DATABASE_URL)",
    )
    queue = f"sync-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    ensure_broker_folders()
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool",
                "solo",
                "-Q",
                queue,
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "INFO",
            ],
            cwd=Path(settings.BASE_DIR),
            # Prometheus listens on loopback, which only an admin's allow-list opens.
            env={
                **os.environ,
                "DATABASE_URL": _test_database_url(),
                "RUNWAY_CONNECTOR_ALLOWED_HOSTS": "127.0.0.1",
            },
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    yield queue, log
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def test_prometheus_samples_arrive_through_a_real_worker(prometheus_url, worker):  # noqa: F811
    queue, log = worker
    service = ConnectedService.objects.create(
        project=ProjectFactory(),
        kind=ConnectedService.Kind.PROMETHEUS,
        name="Prometheus",
        base_url=prometheus_url,
        config={"queries": {"requests": "sum(prometheus_http_requests_total)"}},
    )
    sync_service.apply_async(args=[service.pk], queue=queue)

    deadline = time.monotonic() + 60
    run = None
    while time.monotonic() < deadline:
        run = (
            SyncRun.objects.filter(service=service)
            .exclude(status=SyncRun.Status.RUNNING)
            .first()
        )
        if run is not None:
            break
        time.sleep(0.5)
    assert run is not None, (
        "no sync finished within 60 s; worker log:\n" + log.read_text()[-3000:]
    )
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    samples = MetricSample.objects.filter(service=service, metric="requests")
    assert samples.exists() and all(s.value > 0 for s in samples)
    assert DailyRollup.objects.filter(service=service, metric="requests").exists()
    service.refresh_from_db()
    assert service.last_success_at is not None and service.consecutive_failures == 0
