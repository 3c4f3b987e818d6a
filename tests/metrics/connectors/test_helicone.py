"""Helicone connector: recorded pages in, daily samples out; HTTP is the only fake."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import stamina

from metrics.connectors import connector_class
from metrics.connectors.base import ATTEMPTS, ConnectorError
from metrics.connectors.helicone import HeliconeConnector
from metrics.percentiles import nearest_rank
from metrics.vocabulary import Bucket, Metric, Sample

FIXTURES = Path(__file__).parent.parent / "fixtures" / "helicone"
URL = "https://api.helicone.ai/v1/request/query-clickhouse"
START = datetime(2026, 8, 1, tzinfo=UTC)
END = datetime(2026, 8, 3, tzinfo=UTC)
DAY1 = datetime(2026, 8, 1, tzinfo=UTC)
DAY2 = datetime(2026, 8, 2, tzinfo=UTC)


def load(name):
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(autouse=True)
def _no_backoff():
    # Retries still happen (as many as in production) but without waiting.
    with stamina.set_testing(True, attempts=ATTEMPTS):
        yield


def connector(handler, *, credentials=None, config=None, base_url=""):
    return HeliconeConnector(
        base_url=base_url,
        credentials=credentials or {"api_key": "sk-helicone-read"},
        config=config or {},
        client=httpx.Client(transport=httpx.MockTransport(handler)),
    )


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


def ok(payload):
    return httpx.Response(200, json=payload)


def by_key(samples):
    return {(s.metric, s.bucket_start, s.dimension): s.value for s in samples}


def rows(n, day="2026-08-01T09:00:00Z"):
    return [
        {
            "request_created_at": day,
            "request_model": "gpt-4o-mini",
            "response_status": 200,
            "delay_ms": 100,
        }
        for _ in range(n)
    ]


def test_it_is_registered_under_its_kind():
    assert connector_class("helicone") is HeliconeConnector


def test_it_maps_request_rows_to_daily_samples_per_model():
    samples = connector(answers(ok(load("requests_page.json")))).fetch(
        start=START, end=END
    )

    assert all(s.bucket is Bucket.DAY for s in samples)
    assert by_key(samples) == {
        # 1 August, gpt-4o-mini: 200, 200, 429 (the 429 has null tokens and cost).
        (Metric.REQUESTS, DAY1, "gpt-4o-mini"): Decimal(3),
        (Metric.ERRORS, DAY1, "gpt-4o-mini"): Decimal(1),
        (Metric.INPUT_TOKENS, DAY1, "gpt-4o-mini"): Decimal(2000),
        (Metric.OUTPUT_TOKENS, DAY1, "gpt-4o-mini"): Decimal(280),
        (Metric.COST_OBSERVED_USD, DAY1, "gpt-4o-mini"): Decimal("0.000468"),
        # Its own latencies 812, 400, 95: p50 rank 2 → 400; p95 rank 3 → 812.
        (Metric.LATENCY_P50_MS, DAY1, "gpt-4o-mini"): Decimal(400),
        (Metric.LATENCY_P95_MS, DAY1, "gpt-4o-mini"): Decimal(812),
        # 1 August, claude-sonnet-4: a 200 and a -1 (no response recorded) at 23:59:59.
        (Metric.REQUESTS, DAY1, "claude-sonnet-4"): Decimal(2),
        (Metric.ERRORS, DAY1, "claude-sonnet-4"): Decimal(1),
        (Metric.INPUT_TOKENS, DAY1, "claude-sonnet-4"): Decimal(5000),
        (Metric.OUTPUT_TOKENS, DAY1, "claude-sonnet-4"): Decimal(500),
        (Metric.COST_OBSERVED_USD, DAY1, "claude-sonnet-4"): Decimal("0.0165"),
        (Metric.LATENCY_P50_MS, DAY1, "claude-sonnet-4"): Decimal(2100),
        (Metric.LATENCY_P95_MS, DAY1, "claude-sonnet-4"): Decimal(2100),
        # Latencies of the day, all models: 95, 400, 812, 2100 (the -1 has none).
        # p50 = rank ceil(0.5 × 4) = 2 → 400; p95 = rank ceil(0.95 × 4) = 4 → 2100.
        (Metric.LATENCY_P50_MS, DAY1, ""): Decimal(400),
        (Metric.LATENCY_P95_MS, DAY1, ""): Decimal(2100),
        # Helicone's thumbs: one true, one false, the rest unrated.
        (Metric.FEEDBACK_POSITIVE, DAY1, ""): Decimal(1),
        (Metric.FEEDBACK_NEGATIVE, DAY1, ""): Decimal(1),
        # 2 August, midnight exactly: a 500, and a row with no status at all.
        (Metric.REQUESTS, DAY2, "gpt-4o-mini"): Decimal(2),
        (Metric.ERRORS, DAY2, "gpt-4o-mini"): Decimal(2),
        (Metric.INPUT_TOKENS, DAY2, "gpt-4o-mini"): Decimal(600),
        (Metric.OUTPUT_TOKENS, DAY2, "gpt-4o-mini"): Decimal(50),
        (Metric.COST_OBSERVED_USD, DAY2, "gpt-4o-mini"): Decimal("0.000115"),
        (Metric.LATENCY_P50_MS, DAY2, "gpt-4o-mini"): Decimal(1000),
        (Metric.LATENCY_P95_MS, DAY2, "gpt-4o-mini"): Decimal(3000),
        # 1000 and 3000: p50 = rank 1 → 1000; p95 = rank ceil(1.9) = 2 → 3000.
        (Metric.LATENCY_P50_MS, DAY2, ""): Decimal(1000),
        (Metric.LATENCY_P95_MS, DAY2, ""): Decimal(3000),
    }


def test_nearest_rank_takes_an_observed_value_never_an_interpolation():
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert nearest_rank(values, 50) == 10
    assert nearest_rank(values, 95) == 19
    assert nearest_rank([7.0], 95) == 7
    assert nearest_rank([5.0, 1.0], 50) == 1


def test_it_sends_the_key_the_window_the_property_and_no_bodies():
    handler = answers(ok(load("empty_page.json")))
    connector(
        handler, config={"property": "Helicone-Property-Project", "value": "claims"}
    ).fetch(start=START, end=END)

    (request,) = handler.seen
    assert str(request.url) == URL
    assert request.method == "POST"
    assert request.headers["authorization"] == "Bearer sk-helicone-read"
    body = json.loads(request.content)
    assert body["offset"] == 0
    assert body["limit"] == 1000
    assert body["includeInputs"] is False
    assert body["filter"] == {
        "left": {
            "left": {
                "request_response_rmt": {
                    "request_created_at": {"gte": "2026-08-01T00:00:00.000Z"}
                }
            },
            "operator": "and",
            "right": {
                "request_response_rmt": {
                    "request_created_at": {"lt": "2026-08-03T00:00:00.000Z"}
                }
            },
        },
        "operator": "and",
        "right": {
            "request_response_rmt": {
                "properties": {"Helicone-Property-Project": {"equals": "claims"}}
            }
        },
    }


def test_without_a_property_it_filters_on_the_window_only():
    handler = answers(ok(load("empty_page.json")))
    connector(handler).fetch(start=START, end=END)
    body = json.loads(handler.seen[0].content)
    assert body["filter"]["operator"] == "and"
    assert "properties" not in json.dumps(body["filter"])


def test_a_partial_first_day_is_left_out_so_no_bucket_is_stored_half_full():
    handler = answers(ok(load("empty_page.json")))
    connector(handler).fetch(start=datetime(2026, 8, 1, 6, tzinfo=UTC), end=END)
    body = json.loads(handler.seen[0].content)
    assert "2026-08-02T00:00:00.000Z" in json.dumps(body["filter"])


def test_eu_keys_go_to_the_eu_host_unless_a_base_url_is_set():
    handler = answers(ok(load("empty_page.json")), ok(load("empty_page.json")))
    connector(handler, credentials={"api_key": "eu-sk-123"}).fetch(start=START, end=END)
    connector(
        handler,
        credentials={"api_key": "eu-sk-123"},
        base_url="https://helicone.internal/",
    ).fetch(start=START, end=END)
    assert (
        str(handler.seen[0].url)
        == "https://eu.api.helicone.ai/v1/request/query-clickhouse"
    )
    assert (
        str(handler.seen[1].url)
        == "https://helicone.internal/v1/request/query-clickhouse"
    )


def test_it_pages_by_offset_until_a_short_page():
    handler = answers(
        ok({"data": rows(1000), "error": None}), ok({"data": rows(5), "error": None})
    )
    samples = connector(handler).fetch(start=START, end=END)

    assert [json.loads(r.content)["offset"] for r in handler.seen] == [0, 1000]
    assert by_key(samples)[(Metric.REQUESTS, DAY1, "gpt-4o-mini")] == Decimal(1005)


def test_a_full_last_page_is_followed_by_an_empty_one():
    handler = answers(
        ok({"data": rows(1000), "error": None}), ok(load("empty_page.json"))
    )
    samples = connector(handler).fetch(start=START, end=END)

    assert len(handler.seen) == 2
    assert by_key(samples)[(Metric.REQUESTS, DAY1, "gpt-4o-mini")] == Decimal(1000)


def test_an_empty_window_gives_no_samples():
    assert (
        connector(answers(ok(load("empty_page.json")))).fetch(start=START, end=END)
        == []
    )


def test_a_429_with_retry_after_is_retried_then_succeeds():
    handler = answers(
        httpx.Response(
            429, headers={"Retry-After": "2"}, json={"error": "rate limited"}
        ),
        ok(load("requests_page.json")),
    )
    samples = connector(handler).fetch(start=START, end=END)
    assert len(handler.seen) == 2
    assert by_key(samples)[(Metric.REQUESTS, DAY1, "gpt-4o-mini")] == Decimal(3)


def test_a_500_is_retried_then_succeeds():
    handler = answers(
        httpx.Response(500, text="upstream error"), ok(load("requests_page.json"))
    )
    assert connector(handler).fetch(start=START, end=END)
    assert len(handler.seen) == 2


def test_timeouts_end_in_a_transient_error():
    handler = answers(*[httpx.ReadTimeout("slow") for _ in range(ATTEMPTS)])
    with pytest.raises(ConnectorError) as caught:
        connector(handler).fetch(start=START, end=END)
    assert not caught.value.permanent
    assert "Helicone" in caught.value.message
    assert len(handler.seen) == ATTEMPTS


def test_a_rejected_key_is_a_permanent_error_naming_helicone():
    handler = answers(httpx.Response(401, json={"error": "Invalid API key"}))
    with pytest.raises(ConnectorError) as caught:
        connector(handler).fetch(start=START, end=END)
    assert caught.value.permanent
    assert caught.value.status == 401
    assert "Helicone" in caught.value.message


def test_malformed_json_is_a_connector_error():
    handler = answers(httpx.Response(200, text="<html>gateway</html>"))
    with pytest.raises(ConnectorError, match="malformed JSON"):
        connector(handler).fetch(start=START, end=END)


def test_an_error_in_the_body_is_a_connector_error():
    handler = answers(ok(load("error.json")))
    with pytest.raises(ConnectorError, match="unknown column"):
        connector(handler).fetch(start=START, end=END)


def test_a_body_of_the_wrong_shape_is_a_connector_error():
    handler = answers(ok({"data": {"rows": []}, "error": None}))
    with pytest.raises(ConnectorError, match="unexpected body"):
        connector(handler).fetch(start=START, end=END)


def test_null_values_are_left_out_rather_than_stored_as_zero():
    page = {
        "data": [
            {
                "request_created_at": "2026-08-01T10:00:00Z",
                "request_model": None,
                "response_model": None,
                "response_status": 200,
                "delay_ms": None,
                "prompt_tokens": None,
                "completion_tokens": None,
                "costUSD": None,
            },
            {
                "request_created_at": None,
                "request_model": "gpt-4o",
                "response_status": 200,
            },
        ],
        "error": None,
    }
    samples = connector(answers(ok(page))).fetch(start=START, end=END)
    assert samples == [
        Sample(Metric.REQUESTS, DAY1, Bucket.DAY, Decimal(1), "unknown"),
        Sample(Metric.ERRORS, DAY1, Bucket.DAY, Decimal(0), "unknown"),
    ]


def test_the_connection_test_counts_the_last_seven_days():
    handler = answers(
        ok({"data": rows(1000), "error": None}), ok({"data": rows(234), "error": None})
    )
    assert connector(handler).test() == "Connected: 1,234 requests in the last 7 days"
    body = json.loads(handler.seen[0].content)
    assert "request_created_at" in json.dumps(body["filter"])


def test_the_connection_test_says_at_least_when_it_stops_counting():
    handler = answers(*[ok({"data": rows(1000), "error": None}) for _ in range(10)])
    assert (
        connector(handler).test()
        == "Connected: at least 10,000 requests in the last 7 days"
    )


def test_the_project_percentile_comes_from_every_request_not_from_the_models_percentiles():
    samples = by_key(
        connector(answers(ok(load("requests_latency_spread.json")))).fetch(
            start=START, end=END
        )
    )

    # gpt-4o-mini: 100, 200, 300, 400 → p50 200, p95 400; claude: 5000, 6000 → 5000, 6000.
    assert samples[(Metric.LATENCY_P50_MS, DAY1, "gpt-4o-mini")] == 200
    assert samples[(Metric.LATENCY_P95_MS, DAY1, "claude-sonnet-4")] == 6000
    # All six: p50 = rank 3 → 300 (the models' p50s would average 2600); p95 = rank 6.
    assert samples[(Metric.LATENCY_P50_MS, DAY1, "")] == 300
    assert samples[(Metric.LATENCY_P95_MS, DAY1, "")] == 6000


def test_counts_and_money_have_no_project_wide_row_that_would_count_twice():
    samples = by_key(
        connector(answers(ok(load("requests_page.json")))).fetch(start=START, end=END)
    )

    summed = {
        Metric.REQUESTS,
        Metric.ERRORS,
        Metric.INPUT_TOKENS,
        Metric.OUTPUT_TOKENS,
        Metric.COST_OBSERVED_USD,
    }
    assert not [key for key in samples if key[0] in summed and key[2] == ""]


def test_a_day_with_requests_and_no_errors_stores_zero_errors():
    samples = by_key(
        connector(answers(ok(load("requests_latency_spread.json")))).fetch(
            start=START, end=END
        )
    )

    assert samples[(Metric.ERRORS, DAY1, "gpt-4o-mini")] == 0
    assert samples[(Metric.ERRORS, DAY1, "claude-sonnet-4")] == 0


def test_a_day_rated_only_up_stores_zero_votes_down():
    samples = by_key(
        connector(answers(ok(load("requests_latency_spread.json")))).fetch(
            start=START, end=END
        )
    )

    assert samples[(Metric.FEEDBACK_POSITIVE, DAY1, "")] == 2
    assert samples[(Metric.FEEDBACK_NEGATIVE, DAY1, "")] == 0
