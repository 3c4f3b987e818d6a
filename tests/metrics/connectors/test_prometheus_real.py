"""The Prometheus connector against a real Prometheus (Debian's ``prometheus`` package),
started privately on a free loopback port, scraping itself every second."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from metrics.connectors.base import ConnectorError
from metrics.connectors.prometheus import PrometheusConnector
from metrics.vocabulary import Bucket, Metric
from tests.conftest import require
from tests.prometheus_server import free_port, running_prometheus, wait_for

PROMETHEUS = Path("/usr/bin/prometheus")
DATA_WITHIN = 30.0


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory):
    # One server for the module: starting one takes several seconds.
    require(PROMETHEUS.exists(), "Debian's prometheus package is not installed")
    tmp_path = tmp_path_factory.mktemp("prometheus")
    port = free_port()
    config = (
        "global:\n"
        "  scrape_interval: 1s\n"
        "  evaluation_interval: 1s\n"
        "scrape_configs:\n"
        "  - job_name: prometheus\n"
        "    static_configs:\n"
        f"      - targets: ['127.0.0.1:{port}']\n"
    )
    with running_prometheus(PROMETHEUS, tmp_path, port, config) as (url, log):

        def has_data() -> bool:
            now = time.time()
            body = httpx.get(
                f"{url}/api/v1/query_range",
                params={
                    "query": "sum(prometheus_http_requests_total)",
                    "start": now - 60,
                    "end": now,
                    "step": 1,
                },
                timeout=2,
            ).json()
            return bool(body["data"]["result"])

        wait_for(has_data, DATA_WITHIN, "had no scraped data", log)
        yield url


def _connector(url: str, config: dict, client: httpx.Client) -> PrometheusConnector:
    return PrometheusConnector(
        base_url=url, credentials={}, config=config, client=client
    )


def test_it_reads_hourly_samples_from_a_real_prometheus(prometheus_url):
    config = {
        "queries": {
            # Scraped data: only the hour in progress has any (the server just started).
            "requests": "sum(prometheus_http_requests_total)",
            # A constant has a value at every evaluation time, so the completed hours,
            # read through query_range, are exercised too: 0.25 s → 250 ms.
            "latency_p95_ms": "vector(0.25)",
        },
        "scale": {"latency_p95_ms": 1000},
    }
    end = datetime.now(UTC)
    with httpx.Client() as client:
        samples = _connector(prometheus_url, config, client).fetch(
            start=end - timedelta(hours=3), end=end
        )

    current_hour = end.replace(minute=0, second=0, microsecond=0)
    requests = [s for s in samples if s.metric is Metric.REQUESTS]
    assert [s.bucket_start for s in requests] == [current_hour]
    assert requests[0].value > 0
    latency = {
        s.bucket_start: s.value for s in samples if s.metric is Metric.LATENCY_P95_MS
    }
    assert latency == {
        current_hour - timedelta(hours=2): Decimal(250),
        current_hour - timedelta(hours=1): Decimal(250),
        current_hour: Decimal(250),
    }
    assert all(s.bucket is Bucket.HOUR for s in samples)


def test_the_connection_test_against_a_real_prometheus(prometheus_url):
    with httpx.Client() as client:
        assert (
            _connector(prometheus_url, {}, client).test()
            == "Connected: Prometheus answered with 1 series"
        )


def test_a_bad_query_is_permanent_with_prometheus_own_message(prometheus_url):
    end = datetime.now(UTC)
    with httpx.Client() as client, pytest.raises(ConnectorError) as caught:
        _connector(
            prometheus_url, {"queries": {"errors": "sum(rate(x[5m]"}}, client
        ).fetch(start=end - timedelta(hours=3), end=end)
    assert caught.value.permanent
    assert "parse error" in caught.value.message
    assert "“errors”" in caught.value.message


def test_daily_latency_expressions_are_valid_promql_on_a_real_prometheus(
    prometheus_url,
):
    # A constant through a subquery has a value over any window, so the whole days and
    # today so far are all exercised: "[1h:]" becomes "[86400s:]" and "[<n>s:]".
    config = {
        "queries": {
            "latency_p95_ms": "max_over_time(vector(0.25)[1h:])",
            # Prometheus's own request-duration histogram, over the day: a real
            # histogram_quantile with its range rewritten must parse and run.
            "latency_p50_ms": "histogram_quantile(0.5, sum by (le) "
            "(rate(prometheus_http_request_duration_seconds_bucket[1h])))",
        },
        "scale": {"latency_p95_ms": 1000, "latency_p50_ms": 1000},
    }
    end = datetime.now(UTC)
    with httpx.Client() as client:
        samples = _connector(prometheus_url, config, client).fetch(
            start=end - timedelta(days=2), end=end
        )

    today = end.replace(hour=0, minute=0, second=0, microsecond=0)
    daily = {
        s.bucket_start: s.value
        for s in samples
        if s.metric is Metric.LATENCY_P95_MS and s.bucket is Bucket.DAY
    }
    assert daily == {today - timedelta(days=1): Decimal(250), today: Decimal(250)}
    assert all(s.dimension == "" for s in samples)
