"""Two billed providers and an observability source synced for real over HTTP (a local
server answering in the providers' published shapes), then read back as people see them."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import stamina
from django.utils import timezone

from metrics import services
from metrics.connectors.base import ATTEMPTS
from metrics.dashboard import error_rates, project_dashboard
from metrics.models import MetricSample, SyncRun
from metrics.vocabulary import Metric
from tests import fake_providers
from tests.fake_providers import fake_providers as serve

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def synced(people, settings):
    settings.RUNWAY_CONNECTOR_ALLOWED_HOSTS = ["127.0.0.1"]
    project, admin = people["project"], people["owner"]
    with serve() as base_url:
        openai_org = services.service_create(
            project=None,
            kind="openai",
            name="OpenAI org",
            created_by=admin,
            base_url=base_url,
            credentials={"admin_key": "sk-admin-fake-openai-0001"},
        )
        anthropic_org = services.service_create(
            project=None,
            kind="anthropic",
            name="Anthropic org",
            created_by=admin,
            base_url=base_url,
            credentials={"admin_key": "sk-ant-admin-fake-0002"},
        )
        mapped = [
            services.service_map_to_org(
                project=project,
                org_service=org,
                scope_id=scope,
                name=name,
                created_by=admin,
            )
            for org, scope, name in (
                (openai_org, fake_providers.OPENAI_PROJECT, "OpenAI (Claims)"),
                (
                    anthropic_org,
                    fake_providers.ANTHROPIC_WORKSPACE,
                    "Anthropic (Claims)",
                ),
            )
        ]
        langfuse = services.service_create(
            project=project,
            kind="langfuse",
            name="Langfuse",
            created_by=admin,
            base_url=base_url,
            credentials={"public_key": "pk-lf-fake", "secret_key": "sk-lf-fake-0003"},
        )
        runs = [services.service_sync(service=s) for s in (*mapped, langfuse)]
    return project, runs


def test_every_source_syncs_and_the_figures_combine_by_the_rules(synced):
    project, runs = synced
    assert [run.status for run in runs] == [SyncRun.Status.SUCCEEDED] * 3, [
        run.error for run in runs
    ]
    yesterday = timezone.localdate() - timedelta(days=1)
    data = project_dashboard(project, start=yesterday, end=yesterday)
    # Billed: OpenAI's $31.25 + Anthropic's 1850 cents.
    cost = data.cost()
    assert cost is not None and cost.total(yesterday) == Decimal("49.75")
    # Observed cost stays apart, for the reconciliation.
    assert data.series[Metric.COST_OBSERVED_USD].total(yesterday) == Decimal(44)
    # Latency: Langfuse's own project-wide p95, not a figure made from the models'.
    assert data.series[Metric.LATENCY_P95_MS].total(yesterday) == Decimal(
        fake_providers.LANGFUSE_P95_PROJECT
    )
    # Requests from Langfuse (1,000), not added to OpenAI's 600; no errors is 0 %.
    assert data.series[Metric.REQUESTS].total(yesterday) == Decimal(1000)
    assert error_rates(data) == {yesterday: Decimal(0)}
    # Tokens: both providers' reports added up.
    assert data.series[Metric.INPUT_TOKENS].total(yesterday) == Decimal(14000)


def test_a_second_sync_doubles_nothing(synced):
    project, runs = synced
    yesterday = timezone.localdate() - timedelta(days=1)
    before = project_dashboard(project, start=yesterday, end=yesterday)
    with serve() as base_url:
        for run in runs:
            service = run.service
            org = service.config.get("org_service")
            target = service if org is None else type(service).objects.get(pk=org)
            target.base_url = base_url
            target.save()
            services.service_sync(service=service)
    after = project_dashboard(project, start=yesterday, end=yesterday)
    for metric in (Metric.COST_BILLED_USD, Metric.REQUESTS, Metric.INPUT_TOKENS):
        assert after.series[metric].total(yesterday) == before.series[metric].total(
            yesterday
        )
    assert json.dumps(sorted(after.series)) == json.dumps(sorted(before.series))


def test_a_provider_that_dies_mid_page_leaves_the_stored_figures_as_they_were(
    synced, monkeypatch
):
    """OpenAI answers its first usage page, then only 503s: the run fails with the
    retries recorded, and what earlier syncs stored is neither lost nor half-replaced."""
    project, runs = synced
    openai = runs[0].service
    before = sorted(
        MetricSample.objects.filter(service=openai).values_list(
            "metric", "dimension", "bucket_start", "value"
        )
    )
    page = json.loads((FIXTURES / "openai" / "usage_page1.json").read_text())

    def answer(request: httpx.Request) -> httpx.Response:
        if "page" in request.url.params:
            return httpx.Response(503, headers={"Retry-After": "0"})
        return httpx.Response(200, json=page)

    def handle_request(self, request):
        return httpx.MockTransport(answer).handle_request(request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
    with stamina.set_testing(True, attempts=ATTEMPTS):
        run = services.service_sync(service=openai)
    assert run.status == SyncRun.Status.FAILED
    assert "503" in run.error
    assert run.retry_count == ATTEMPTS - 1 and run.retry_last_status == 503
    after = sorted(
        MetricSample.objects.filter(service=openai).values_list(
            "metric", "dimension", "bucket_start", "value"
        )
    )
    assert after == before
