"""A sync of each observability connector, from recorded payloads through the real sync
service into the rollups, read back through the dashboard selector every tile, chart,
alert and gate uses: the project-wide latency is there, and counts are not doubled."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from metrics import services
from metrics.connectors import connector_class
from metrics.dashboard import error_rates, project_dashboard
from metrics.models import SyncRun
from metrics.vocabulary import Metric
from tests.metrics.connectors.test_langfuse import recorded as langfuse_recorded
from tests.metrics.connectors.test_prometheus import (
    LATENCY_ONE_Q,
    project_latency,
)

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load(provider: str, name: str):
    return json.loads((FIXTURES / provider / name).read_text())


def replaying(kind: str, handler):
    """The real connector of ``kind``, its HTTP answered by ``handler``."""
    real = connector_class(kind)

    class Replaying(real):  # type: ignore[misc,valid-type]
        def __init__(self, **kwargs):
            kwargs["client"] = httpx.Client(transport=httpx.MockTransport(handler))
            super().__init__(**kwargs)

    return Replaying


def synced(
    monkeypatch,
    project,
    owner,
    kind,
    handler,
    *,
    now,
    config=None,
    credentials=None,
    base_url="",
):
    monkeypatch.setattr(services, "connector_class", lambda k: replaying(k, handler))
    service = services.service_create(
        project=project,
        kind=kind,
        name=kind.title(),
        created_by=owner,
        base_url=base_url,
        credentials=credentials or {"api_key": "sk-recorded"},
        config=config or {},
    )
    run = services.service_sync(service=service, now=now)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error


def dashboard(project, first: date, last: date):
    return project_dashboard(project, start=first, end=last)


def test_langfuse_latency_reaches_the_dashboard_and_counts_are_not_doubled(
    monkeypatch, project, owner
):
    synced(
        monkeypatch,
        project,
        owner,
        "langfuse",
        langfuse_recorded,
        now=datetime(2026, 8, 3, tzinfo=UTC),
        credentials={"public_key": "pk-lf-123", "secret_key": "sk-lf-456"},
    )
    aug1, aug2 = date(2026, 8, 1), date(2026, 8, 2)
    data = dashboard(project, aug1, aug2)

    p95, p50 = data.series[Metric.LATENCY_P95_MS], data.series[Metric.LATENCY_P50_MS]
    assert p95.total(aug1) == Decimal(3120)  # Langfuse's project-wide p95
    assert p95.total(aug2) == Decimal("2600.5")
    assert p50.total(aug1) == Decimal(905)
    # Requests: the models' 512 + 130, with no project-wide row added on top.
    assert data.series[Metric.REQUESTS].total(aug1) == Decimal(642)
    # Aug 2 had requests and no errors: an error rate of 0, not "no data".
    assert data.series[Metric.ERRORS].total(aug2) == 0
    assert error_rates(data)[aug2] == 0


def test_helicone_latency_reaches_the_dashboard(monkeypatch, project, owner):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json=load("helicone", "requests_latency_spread.json")
        )

    synced(
        monkeypatch,
        project,
        owner,
        "helicone",
        handler,
        now=datetime(2026, 8, 2, tzinfo=UTC),
    )
    aug1 = date(2026, 8, 1)
    data = dashboard(project, aug1, aug1)

    assert data.series[Metric.LATENCY_P95_MS].total(aug1) == Decimal(6000)
    assert data.series[Metric.LATENCY_P50_MS].total(aug1) == Decimal(300)
    assert data.series[Metric.REQUESTS].total(aug1) == Decimal(6)
    assert data.series[Metric.FEEDBACK_POSITIVE].total(aug1) == Decimal(2)


def test_langsmith_latency_reaches_the_dashboard(monkeypatch, project, owner):
    page = {
        "items": [
            {"start_time": f"2026-08-20T10:0{i}:00Z", "latency_seconds": seconds}
            for i, seconds in enumerate((0.1, 0.2, 0.3, 0.4, 5.0, 6.0))
        ],
        "next_cursor": None,
    }

    synced(
        monkeypatch,
        project,
        owner,
        "langsmith",
        lambda request: httpx.Response(200, json=page),
        now=datetime(2026, 8, 21, tzinfo=UTC),
        config={"project_id": "9a1b0e2c-5d4f-4c3b-8a7e-1f2d3c4b5a69"},
    )
    aug20 = date(2026, 8, 20)
    data = dashboard(project, aug20, aug20)

    assert data.series[Metric.LATENCY_P95_MS].total(aug20) == Decimal(6000)
    assert data.series[Metric.REQUESTS].total(aug20) == Decimal(6)
    assert data.series[Metric.ERRORS].total(aug20) == 0


def test_prometheus_daily_latency_reaches_the_dashboard(monkeypatch, project, owner):
    synced(
        monkeypatch,
        project,
        owner,
        "prometheus",
        project_latency([]),
        now=datetime(2026, 8, 20, 3, 30, tzinfo=UTC),
        base_url="http://prometheus.internal:9090",
        credentials={},
        config={
            "queries": {"latency_p95_ms": LATENCY_ONE_Q},
            "scale": {"latency_p95_ms": 1000},
        },
    )
    data = dashboard(project, date(2026, 8, 18), date(2026, 8, 19))

    p95 = data.series[Metric.LATENCY_P95_MS]
    assert p95.total(date(2026, 8, 18)) == Decimal(1200)
    assert p95.total(date(2026, 8, 19)) == Decimal(1350)
