"""The real Prometheus (Debian's package) scraping Runway's /metrics with the bearer
token, and the alert rules shipped in deploy/prometheus checked by promtool."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.utils import timezone

from metrics.models import Alert, ConnectedService
from tests.conftest import require
from tests.factories import ProjectFactory
from tests.prometheus_server import free_port, running_prometheus, wait_for

RULES = Path(settings.BASE_DIR) / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = Path(__file__).with_name("alerts_test.yml")
WITHIN = 30.0  # seconds


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/bin")
    require(path is not None, f"{name} (Debian's prometheus package) is not installed")
    return path


def test_the_rules_file_is_valid():
    result = subprocess.run(
        [_tool("promtool"), "check", "rules", str(RULES)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 rules found" in result.stdout


def test_the_rules_fire_when_they_should():
    # Series made up minute by minute (tests/telemetry/alerts_test.yml): a service
    # past three intervals, a queue that keeps growing, and their near misses.
    result = subprocess.run(
        [_tool("promtool"), "test", "rules", RULE_TESTS.name],
        cwd=RULE_TESTS.parent,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def prometheus(tmp_path, live_server, token):
    """A private Prometheus scraping the live server every second: one job with the
    token, one without. Yields its URL."""
    binary = _tool("prometheus")
    port = free_port()
    target = live_server.url.removeprefix("http://")
    config = (
        "global:\n"
        "  scrape_interval: 1s\n"
        "  evaluation_interval: 1s\n"
        f"rule_files: ['{RULES}']\n"
        "scrape_configs:\n"
        "  - job_name: runway\n"
        "    metrics_path: /metrics\n"
        "    authorization:\n"
        "      type: Bearer\n"
        f"      credentials: '{token}'\n"
        "    static_configs:\n"
        f"      - targets: ['{target}']\n"
        "  - job_name: runway-without-token\n"
        "    metrics_path: /metrics\n"
        "    static_configs:\n"
        f"      - targets: ['{target}']\n"
    )
    with running_prometheus(binary, tmp_path, port, config) as running:
        yield running


def _query(url: str, promql: str) -> dict[str, float]:
    """{the series' service_id/kind/queue/job label: value} of an instant query."""
    body = httpx.get(f"{url}/api/v1/query", params={"query": promql}, timeout=2).json()
    found = {}
    for series in body["data"]["result"]:
        labels = series["metric"]
        key = next(
            (labels[k] for k in ("kind", "queue", "service_id", "job") if k in labels),
            "",
        )
        found[key] = float(series["value"][1])
    return found


@pytest.mark.django_db(transaction=True)
def test_prometheus_scrapes_runway_with_the_token(prometheus, broker):
    project, other = ProjectFactory(), ProjectFactory()
    Alert.objects.create(project=project, kind=Alert.Kind.BUDGET, message="over")
    Alert.objects.create(project=other, kind=Alert.Kind.BUDGET, message="over")
    Alert.objects.create(project=project, kind=Alert.Kind.SYNC, message="failing")
    stale = ConnectedService.objects.create(
        project=project,
        kind=ConnectedService.Kind.LANGFUSE,
        name="Langfuse",
        interval_minutes=1,
        last_success_at=timezone.now() - timedelta(hours=1),
    )
    broker.lpush("celery", "a", "b", "c")
    url, log = prometheus

    def scraped() -> bool:
        return _query(url, "runway_alerts_open") == {
            **dict.fromkeys(Alert.Kind.values, 0.0),
            "budget": 2.0,
            "sync": 1.0,
        }

    def both_jobs_scraped() -> bool:
        # Prometheus scrapes the two jobs independently; the job without the token
        # may not have had its first scrape when the other one already has.
        return set(_query(url, "up")) == {"runway", "runway-without-token"}

    wait_for(scraped, WITHIN, "scraped no runway_alerts_open", log)
    wait_for(both_jobs_scraped, WITHIN, "did not scrape both jobs", log)
    assert _query(url, "runway_celery_queue_length") == {"celery": 3.0}
    assert _query(url, "up") == {"runway": 1.0, "runway-without-token": 0.0}
    (since,) = _query(url, "runway_service_seconds_since_success").values()
    assert since >= 3600

    def stale_service_alert_pending() -> bool:
        alerts = httpx.get(f"{url}/api/v1/alerts", timeout=2).json()["data"]["alerts"]
        return any(
            a["labels"]["alertname"] == "RunwayServiceNotSyncing"
            and a["labels"]["service_id"] == str(stale.pk)
            and a["state"] in ("pending", "firing")
            for a in alerts
        )

    # The rule's condition holds on scraped data (it fires after its 5 minutes).
    wait_for(
        stale_service_alert_pending, WITHIN, "did not evaluate the stale service", log
    )
    targets = httpx.get(f"{url}/api/v1/targets", timeout=2).json()["data"]
    refused = next(
        t
        for t in targets["activeTargets"]
        if t["labels"]["job"] == "runway-without-token"
    )
    assert "404" in refused["lastError"]
