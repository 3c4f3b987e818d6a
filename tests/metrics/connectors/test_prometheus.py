"""Prometheus connector: recorded API answers in, hourly samples out; HTTP is the only fake."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import stamina

from metrics.connectors import connector_class
from metrics.connectors.base import ATTEMPTS, ConnectorError
from metrics.connectors.prometheus import PrometheusConnector, over_window
from metrics.vocabulary import Bucket, Metric

FIXTURES = Path(__file__).parent.parent / "fixtures" / "prometheus"
BASE = "http://prometheus.internal:9090"
START = datetime(2026, 8, 20, tzinfo=UTC)  # 1787184000
END = datetime(2026, 8, 20, 3, 30, tzinfo=UTC)  # 1787196600: hour 03:00 is in progress
REQUESTS_Q = 'sum by (instance) (increase(http_requests_total{job="claims-api"}[1h]))'
LATENCY_Q = "histogram_quantile(0.95, sum by (le, instance) (rate(http_request_duration_seconds_bucket[1h])))"
CONFIG = {
    "queries": {"requests": REQUESTS_Q, "latency_p95_ms": LATENCY_Q},
    "scale": {"latency_p95_ms": 1000},
}


def hour(h):
    return datetime(2026, 8, 20, h, tzinfo=UTC)


def load(name):
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(autouse=True)
def _no_backoff():
    # Retries still happen (as many as in production) but without waiting.
    with stamina.set_testing(True, attempts=ATTEMPTS):
        yield


def connector(handler, *, config=None, credentials=None):
    return PrometheusConnector(
        base_url=BASE + "/",
        credentials=credentials or {},
        config=CONFIG if config is None else config,
        client=httpx.Client(transport=httpx.MockTransport(handler)),
    )


def recorded(seen):
    """Answers like a Prometheus holding the recorded series, and records requests."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        query = request.url.params["query"]
        ranged = request.url.path == "/api/v1/query_range"
        if query == REQUESTS_Q:
            name = "range_requests.json" if ranged else "instant_requests.json"
        elif query == LATENCY_Q:
            name = "range_latency.json" if ranged else "instant_latency_nan.json"
        elif query == over_window(LATENCY_Q, 12600):  # today so far, read at 03:30
            name = "instant_latency_today_by_instance.json"
        else:
            name = "up_vector.json"
        return httpx.Response(200, json=load(name))

    return handler


def answers(*responses):
    """A handler that gives each response in turn and records the requests."""
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    handler.seen = seen  # type: ignore[attr-defined]
    return handler


def ok(name):
    return httpx.Response(200, json=load(name))


def by_key(samples):
    return {(s.metric, s.bucket_start): s.value for s in samples}


def test_it_is_registered_under_its_kind():
    assert connector_class("prometheus") is PrometheusConnector


A = "instance=10.0.0.1:8000,job=claims-api"
B = "instance=10.0.0.2:8000,job=claims-api"


def by_bucket(samples):
    table = {
        (s.metric, s.bucket, s.bucket_start, s.dimension): s.value for s in samples
    }
    assert len(table) == len(samples), "one sample per metric, bucket and dimension"
    return table


def test_it_maps_series_to_hourly_samples():
    samples = connector(recorded([])).fetch(start=START, end=END)

    hourly = Bucket.HOUR
    assert by_bucket(samples) == {
        # Evaluated at 01:00 → the hour 00:00–01:00; two instances summed: 10 + 2.5.
        (Metric.REQUESTS, hourly, hour(0), ""): Decimal("12.5"),
        # 02:00 gave NaN and +Inf only: no sample for 01:00.
        (Metric.REQUESTS, hourly, hour(2), ""): Decimal(6),  # 5 + 1
        # The hour in progress, read at 03:30: 3 + 4.
        (Metric.REQUESTS, hourly, hour(3), ""): Decimal(7),
        # The latency query answers per instance: each series is kept under its labels,
        # in ms, and no project-wide value is made up from them (no max, no mean).
        (Metric.LATENCY_P95_MS, hourly, hour(0), A): Decimal(250),
        (Metric.LATENCY_P95_MS, hourly, hour(0), B): Decimal(750),
        # 0.5 s and -Inf → 500 ms for A only; the in-progress hour was NaN → no sample.
        (Metric.LATENCY_P95_MS, hourly, hour(2), A): Decimal(500),
        # Today so far ([12600s] at 03:30), per instance as well.
        (Metric.LATENCY_P95_MS, Bucket.DAY, hour(0), A): Decimal(410),
        (Metric.LATENCY_P95_MS, Bucket.DAY, hour(0), B): Decimal(900),
    }


def test_it_asks_for_completed_hours_in_unix_seconds_and_the_current_hour_at_end():
    seen: list[httpx.Request] = []
    connector(recorded(seen), config={"queries": {"requests": REQUESTS_Q}}).fetch(
        start=START, end=END
    )

    ranged, instant = seen
    assert ranged.method == "GET"
    assert str(ranged.url).startswith(BASE + "/api/v1/query_range?")
    assert dict(ranged.url.params) == {
        "query": REQUESTS_Q,
        "start": "1787187600",  # 01:00, the end of the first hour
        "end": "1787194800",  # 03:00, the end of the last completed hour
        "step": "3600",
    }
    assert instant.url.path == "/api/v1/query"
    assert dict(instant.url.params) == {"query": REQUESTS_Q, "time": "1787196600.000"}


def test_a_window_of_whole_hours_needs_no_instant_query():
    seen: list[httpx.Request] = []
    connector(recorded(seen), config={"queries": {"requests": REQUESTS_Q}}).fetch(
        start=START, end=hour(3)
    )
    assert [r.url.path for r in seen] == ["/api/v1/query_range"]


def test_an_empty_result_gives_no_samples():
    handler = answers(ok("empty_matrix.json"))
    assert (
        connector(handler, config={"queries": {"errors": "sum(x)"}}).fetch(
            start=START, end=hour(3)
        )
        == []
    )


def test_no_queries_means_no_samples_and_no_calls():
    handler = answers()
    assert connector(handler, config={}).fetch(start=START, end=END) == []
    assert handler.seen == []


def test_an_unknown_metric_name_is_a_permanent_error():
    with pytest.raises(ConnectorError, match="latency_p99") as caught:
        connector(answers(), config={"queries": {"latency_p99": "x"}}).fetch(
            start=START, end=END
        )
    assert caught.value.permanent


def test_a_bearer_token_is_sent():
    handler = answers(ok("up_vector.json"))
    connector(handler, config={}, credentials={"token": "glc_abc"}).test()
    assert handler.seen[0].headers["authorization"] == "Bearer glc_abc"


def test_basic_auth_is_sent():
    handler = answers(ok("up_vector.json"))
    connector(
        handler, config={}, credentials={"username": "runway", "password": "s3cret"}
    ).test()
    expected = "Basic " + base64.b64encode(b"runway:s3cret").decode()
    assert handler.seen[0].headers["authorization"] == expected


def test_a_bad_query_is_a_permanent_error_with_prometheus_message():
    handler = answers(httpx.Response(400, json=load("bad_query_400.json")))
    with pytest.raises(ConnectorError) as caught:
        connector(handler, config={"queries": {"requests": "sum(rate(x[5m]"}}).fetch(
            start=START, end=hour(3)
        )
    assert caught.value.permanent
    assert "requests" in caught.value.message
    assert "unclosed left parenthesis" in caught.value.message


def test_an_error_status_in_the_body_is_a_connector_error_with_its_message():
    handler = answers(ok("execution_error_200.json"))
    with pytest.raises(ConnectorError, match="too many samples") as caught:
        connector(handler, config={"queries": {"requests": "sum(x)"}}).fetch(
            start=START, end=hour(3)
        )
    # An execution error may pass with a smaller window or a less busy server.
    assert not caught.value.permanent


def test_a_bad_data_error_in_the_body_is_permanent():
    handler = answers(httpx.Response(200, json=load("bad_query_400.json")))
    with pytest.raises(ConnectorError) as caught:
        connector(handler, config={"queries": {"requests": "x{"}}).fetch(
            start=START, end=hour(3)
        )
    assert caught.value.permanent


def test_a_429_with_retry_after_is_retried_then_succeeds():
    handler = answers(
        httpx.Response(429, headers={"Retry-After": "3"}, text="slow down"),
        ok("range_requests.json"),
    )
    samples = connector(handler, config={"queries": {"requests": REQUESTS_Q}}).fetch(
        start=START, end=hour(3)
    )
    assert len(handler.seen) == 2
    assert by_key(samples)[(Metric.REQUESTS, hour(0))] == Decimal("12.5")


def test_a_503_is_retried_then_succeeds():
    handler = answers(
        httpx.Response(503, json={"status": "error", "errorType": "timeout"}),
        ok("range_requests.json"),
    )
    assert connector(handler, config={"queries": {"requests": REQUESTS_Q}}).fetch(
        start=START, end=hour(3)
    )
    assert len(handler.seen) == 2


def test_a_500_is_retried_then_succeeds():
    handler = answers(httpx.Response(500, text="oops"), ok("range_requests.json"))
    assert connector(handler, config={"queries": {"requests": REQUESTS_Q}}).fetch(
        start=START, end=hour(3)
    )


def test_timeouts_end_in_a_transient_error():
    handler = answers(*[httpx.ReadTimeout("slow") for _ in range(ATTEMPTS)])
    with pytest.raises(ConnectorError) as caught:
        connector(handler).fetch(start=START, end=END)
    assert not caught.value.permanent
    assert "Prometheus" in caught.value.message


def test_a_rejected_token_is_a_permanent_error_naming_prometheus():
    handler = answers(httpx.Response(401, text="Unauthorized"))
    with pytest.raises(ConnectorError) as caught:
        connector(handler, credentials={"token": "wrong"}).fetch(start=START, end=END)
    assert caught.value.permanent
    assert "Prometheus" in caught.value.message


def test_malformed_json_is_a_connector_error():
    handler = answers(httpx.Response(200, text="<html>login</html>"))
    with pytest.raises(ConnectorError, match="malformed JSON"):
        connector(handler).fetch(start=START, end=END)


def test_a_body_without_data_is_a_connector_error():
    handler = answers(httpx.Response(200, json={"status": "success"}))
    with pytest.raises(ConnectorError, match="unexpected body"):
        connector(handler).fetch(start=START, end=END)


def test_the_connection_test_runs_up_without_queries():
    handler = answers(ok("up_vector.json"))
    assert (
        connector(handler, config={}).test()
        == "Connected: Prometheus answered with 3 series"
    )
    assert handler.seen[0].url.path == "/api/v1/query"
    assert handler.seen[0].url.params["query"] == "up"


def test_the_connection_test_runs_the_first_configured_query():
    seen: list[httpx.Request] = []
    assert (
        connector(recorded(seen)).test()
        == "Connected: Prometheus answered with 2 series"
    )
    assert seen[0].url.params["query"] == REQUESTS_Q


# -- daily latency, as Prometheus computes it over the day --------------------------------

LATENCY_ONE_Q = (
    "histogram_quantile(0.95, sum by (le) "
    '(rate(http_request_duration_seconds_bucket{job="claims-api"}[1h])))'
)
AUG18 = datetime(2026, 8, 18, tzinfo=UTC)  # 1787011200


def project_latency(seen):
    """A Prometheus answering the aggregated latency query with one series."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = request.url.params.get("step")
        if step == "86400":
            return httpx.Response(200, json=load("range_latency_daily.json"))
        if step == "3600":
            return httpx.Response(200, json=load("empty_matrix.json"))
        if "[12600s]" in request.url.params["query"]:
            return httpx.Response(200, json=load("instant_latency_today.json"))
        return httpx.Response(200, json=load("instant_latency_nan.json"))

    return handler


def test_the_project_wide_daily_latency_is_the_expression_over_each_day():
    seen: list[httpx.Request] = []
    config = {"queries": {"latency_p95_ms": LATENCY_ONE_Q}, "scale": CONFIG["scale"]}
    samples = connector(project_latency(seen), config=config).fetch(
        start=AUG18, end=END
    )

    daily, today = (
        r
        for r in seen
        if "86400s" in r.url.params["query"] or "12600s" in r.url.params["query"]
    )
    assert dict(daily.url.params) == {
        "query": LATENCY_ONE_Q.replace("[1h]", "[86400s]"),
        "start": "1787097600",  # 19 Aug 00:00, the end of the first whole day
        "end": "1787184000",  # 20 Aug 00:00, the end of the last whole day
        "step": "86400",
    }
    assert today.url.path == "/api/v1/query"
    assert dict(today.url.params) == {
        "query": LATENCY_ONE_Q.replace("[1h]", "[12600s]"),  # midnight to 03:30
        "time": "1787196600.000",
    }
    assert by_bucket([s for s in samples if s.bucket is Bucket.DAY]) == {
        (Metric.LATENCY_P95_MS, Bucket.DAY, AUG18, ""): Decimal(1200),
        (Metric.LATENCY_P95_MS, Bucket.DAY, datetime(2026, 8, 19, tzinfo=UTC), ""): (
            Decimal(1350)
        ),
        (Metric.LATENCY_P95_MS, Bucket.DAY, hour(0), ""): Decimal(610),
    }


def test_a_quantile_gauge_without_a_range_has_no_daily_value():
    seen: list[httpx.Request] = []
    gauge = 'http_request_duration_seconds{quantile="0.95"}'
    samples = connector(
        project_latency(seen), config={"queries": {"latency_p95_ms": gauge}}
    ).fetch(start=AUG18, end=END)

    assert all(s.bucket is Bucket.HOUR for s in samples)
    assert {r.url.params["query"] for r in seen} == {gauge}


def test_over_window_sets_every_range_and_leaves_the_rest():
    assert (
        over_window("rate(a[1h30m]) / rate(b[ 5m ]) offset 1h", 60)
        == "rate(a[60s]) / rate(b[ 60s ]) offset 1h"
    )
    assert (
        over_window("max_over_time(x[1h:5m])", 86400) == "max_over_time(x[86400s:5m])"
    )
    assert over_window('x{quantile="0.95"}', 86400) is None


def test_an_hour_with_requests_and_no_error_series_stores_zero_errors():
    errors_q = 'sum(increase(http_requests_total{job="claims-api",code=~"5.."}[1h]))'

    def handler(request: httpx.Request) -> httpx.Response:
        ranged = request.url.path == "/api/v1/query_range"
        if request.url.params["query"] == REQUESTS_Q:
            name = "range_requests.json" if ranged else "instant_requests.json"
        else:  # no 5xx has happened, so the counter's series does not exist
            name = "empty_matrix.json" if ranged else "empty_vector.json"
        return httpx.Response(200, json=load(name))

    samples = connector(
        handler, config={"queries": {"requests": REQUESTS_Q, "errors": errors_q}}
    ).fetch(start=START, end=END)

    errors = {s.bucket_start: s.value for s in samples if s.metric is Metric.ERRORS}
    # Hours 00, 02 and 03 had requests; hour 01 had no requests value, so no data.
    assert errors == {hour(0): 0, hour(2): 0, hour(3): 0}


def test_without_a_requests_query_no_zero_errors_are_made_up():
    handler = answers(ok("empty_matrix.json"))
    assert (
        connector(handler, config={"queries": {"errors": "sum(x[1h])"}}).fetch(
            start=START, end=hour(3)
        )
        == []
    )
