"""LangfuseConnector against recorded Metrics v2 and Scores v3 payloads; the HTTP transport
is the only thing replaced."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import stamina

from metrics.connectors.base import ATTEMPTS, ConnectorError
from metrics.connectors.langfuse import ROW_LIMIT, LangfuseConnector
from metrics.vocabulary import Bucket, Metric

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "langfuse"
START = datetime(2026, 8, 1, tzinfo=UTC)
END = datetime(2026, 8, 3, tzinfo=UTC)
AUG1 = datetime(2026, 8, 1, tzinfo=UTC)
AUG2 = datetime(2026, 8, 2, tzinfo=UTC)
SCORE_PAGES = {
    None: "scores_page1.json",
    "eyJwYWdlIjoyfQ": "scores_page2.json",
    "eyJwYWdlIjozfQ": "scores_page3.json",
}


@pytest.fixture(autouse=True)
def _stamina_testing() -> Iterator[None]:
    # Testing mode drops the waits (Retry-After included) but also sets the number of
    # attempts (default 1), so keep the production count; leaving the block restores it.
    with stamina.set_testing(True, attempts=ATTEMPTS):
        yield


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def metrics_query(request: httpx.Request) -> dict[str, Any]:
    return json.loads(request.url.params["query"])


def recorded(request: httpx.Request) -> httpx.Response:
    """Answers like Langfuse from the recorded payloads."""
    if request.url.path == "/api/public/v2/metrics":
        query = metrics_query(request)
        if "timeDimension" not in query:
            return httpx.Response(200, json=load("metrics_count.json"))
        if any(f["column"] == "level" for f in query["filters"]):
            return httpx.Response(200, json=load("metrics_errors.json"))
        return httpx.Response(200, json=load("metrics_observations.json"))
    if request.url.path == "/api/public/v3/scores":
        return httpx.Response(
            200, json=load(SCORE_PAGES[request.url.params.get("cursor")])
        )
    return httpx.Response(404)


def connector(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    seen: list[httpx.Request] | None = None,
    base_url: str = "",
    environment: str = "production",
    config: dict[str, Any] | None = None,
) -> LangfuseConnector:
    def record(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return handler(request)

    return LangfuseConnector(
        base_url=base_url,
        credentials={"public_key": "pk-lf-123", "secret_key": "sk-lf-456"},
        config=config or {},
        environment=environment,
        client=httpx.Client(transport=httpx.MockTransport(record)),
    )


def as_table(samples: list[Any]) -> dict[tuple[Metric, str, datetime], Decimal]:
    table = {(s.metric, s.dimension, s.bucket_start): s.value for s in samples}
    assert len(table) == len(samples), "one sample per (metric, dimension, day)"
    return table


def test_fetch_maps_recorded_payloads_to_samples() -> None:
    samples = connector(recorded).fetch(start=START, end=END)

    assert all(s.bucket is Bucket.DAY for s in samples)
    assert all(
        s.bucket_start.tzinfo is UTC and s.bucket_start.hour == 0 for s in samples
    )
    mini, sonnet = "gpt-4o-mini", "claude-sonnet-4-6"
    assert as_table(samples) == {
        # Observations per model per day, strings and numbers alike.
        (Metric.REQUESTS, mini, AUG1): Decimal(512),
        (Metric.INPUT_TOKENS, mini, AUG1): Decimal(120000),
        (Metric.OUTPUT_TOKENS, mini, AUG1): Decimal(31468),
        (Metric.COST_OBSERVED_USD, mini, AUG1): Decimal("0.3827"),
        (Metric.LATENCY_P50_MS, mini, AUG1): Decimal(820),
        (Metric.LATENCY_P95_MS, mini, AUG1): Decimal(2140),
        (Metric.REQUESTS, sonnet, AUG1): Decimal(130),
        (Metric.INPUT_TOKENS, sonnet, AUG1): Decimal(40000),
        (Metric.OUTPUT_TOKENS, sonnet, AUG1): Decimal(9000),
        (Metric.COST_OBSERVED_USD, sonnet, AUG1): Decimal("1.25"),
        (Metric.LATENCY_P50_MS, sonnet, AUG1): Decimal("1300.5"),
        (Metric.LATENCY_P95_MS, sonnet, AUG1): Decimal(3900),
        (Metric.REQUESTS, mini, AUG2): Decimal(530),
        (Metric.INPUT_TOKENS, mini, AUG2): Decimal(125000),
        (Metric.OUTPUT_TOKENS, mini, AUG2): Decimal(33000),
        (Metric.COST_OBSERVED_USD, mini, AUG2): Decimal("0.41"),
        (Metric.LATENCY_P50_MS, mini, AUG2): Decimal(800),
        # p95 of gpt-4o-mini on Aug 2 came back null: no sample rather than 0.
        # Errors per model per day (the null-model row is spans, skipped).
        (Metric.ERRORS, mini, AUG1): Decimal(3),
        (Metric.ERRORS, sonnet, AUG1): Decimal(1),
        (Metric.ERRORS, mini, AUG2): Decimal(0),
        # helpfulness Aug 1: (0.8 + 0.9) / 2; Aug 2: (0.7 + "0.6") / 2 across pages 1 and 2.
        (Metric.QUALITY_SCORE, "helpfulness", AUG1): Decimal("0.85"),
        (Metric.QUALITY_SCORE, "helpfulness", AUG2): Decimal("0.65"),
        (Metric.QUALITY_SCORE, "correctness", AUG1): Decimal(1),
        # user_feedback booleans: Aug 1 one true, one false; Aug 2 one true ("is_safe" ignored).
        (Metric.FEEDBACK_POSITIVE, "", AUG1): Decimal(1),
        (Metric.FEEDBACK_NEGATIVE, "", AUG1): Decimal(1),
        (Metric.FEEDBACK_POSITIVE, "", AUG2): Decimal(1),
    }


def test_unexpected_nulls_are_skipped_not_zeroed() -> None:
    table = as_table(connector(recorded).fetch(start=START, end=END))

    assert (Metric.LATENCY_P95_MS, "gpt-4o-mini", AUG2) not in table
    # Rows without a model (spans) or without a day never become samples.
    assert not any(
        dimension == "" for metric, dimension, _ in table if metric is Metric.REQUESTS
    )
    assert (
        table[(Metric.REQUESTS, "gpt-4o-mini", AUG1)] == 512
    )  # not 513 from the dayless row
    # Scores with a null value, name or timestamp are left out of the mean.
    assert table[(Metric.QUALITY_SCORE, "helpfulness", AUG1)] == Decimal("0.85")


def test_feedback_score_name_comes_from_config() -> None:
    table = as_table(
        connector(recorded, config={"feedback_score_name": "is_safe"}).fetch(
            start=START, end=END
        )
    )

    assert table[(Metric.FEEDBACK_POSITIVE, "", AUG2)] == 1
    assert (Metric.FEEDBACK_POSITIVE, "", AUG1) not in table


def test_requests_carry_basic_auth_environment_filter_and_default_host() -> None:
    seen: list[httpx.Request] = []
    connector(recorded, seen=seen, environment="staging").fetch(start=START, end=END)

    expected_auth = "Basic " + base64.b64encode(b"pk-lf-123:sk-lf-456").decode()
    assert {r.headers["authorization"] for r in seen} == {expected_auth}
    assert {r.url.host for r in seen} == {"cloud.langfuse.com"}
    observations, errors = (metrics_query(r) for r in seen[:2])
    assert observations["view"] == "observations"
    assert observations["dimensions"] == [{"field": "providedModelName"}]
    assert observations["metrics"] == [
        {"measure": "count", "aggregation": "count"},
        {"measure": "inputTokens", "aggregation": "sum"},
        {"measure": "outputTokens", "aggregation": "sum"},
        {"measure": "totalCost", "aggregation": "sum"},
        {"measure": "latency", "aggregation": "p50"},
        {"measure": "latency", "aggregation": "p95"},
    ]
    assert observations["timeDimension"] == {"granularity": "day"}
    assert observations["fromTimestamp"] == "2026-08-01T00:00:00Z"
    assert observations["toTimestamp"] == "2026-08-03T00:00:00Z"
    environment = {
        "column": "environment",
        "operator": "any of",
        "value": ["staging"],
        "type": "stringOptions",
    }
    assert observations["filters"] == [environment]
    assert errors["filters"] == [
        environment,
        {
            "column": "level",
            "operator": "any of",
            "value": ["ERROR"],
            "type": "stringOptions",
        },
    ]
    scores = [r for r in seen if r.url.path == "/api/public/v3/scores"]
    assert {r.url.params["environment"] for r in scores} == {"staging"}
    assert {r.url.params["dataType"] for r in scores} == {"NUMERIC,BOOLEAN"}


def test_self_hosted_base_url_is_used() -> None:
    seen: list[httpx.Request] = []
    connector(recorded, seen=seen, base_url="https://langfuse.example.org/").test()

    assert str(seen[0].url).startswith(
        "https://langfuse.example.org/api/public/v2/metrics?"
    )


def test_scores_are_read_page_by_page_following_the_cursor() -> None:
    seen: list[httpx.Request] = []
    connector(recorded, seen=seen).fetch(start=START, end=END)

    cursors = [
        r.url.params.get("cursor")
        for r in seen
        if r.url.path == "/api/public/v3/scores"
    ]
    assert cursors == [None, "eyJwYWdlIjoyfQ", "eyJwYWdlIjozfQ"]


def test_empty_answers_give_no_samples() -> None:
    assert (
        connector(
            lambda request: httpx.Response(200, json={"data": [], "meta": {}})
        ).fetch(start=START, end=END)
        == []
    )


def test_a_full_answer_is_split_until_nothing_is_cut_off() -> None:
    windows: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/api/public/v2/metrics":
            return httpx.Response(200, json={"data": [], "meta": {}})
        query = metrics_query(request)
        windows.append((query["fromTimestamp"], query["toTimestamp"]))
        if (
            query["fromTimestamp"] == "2026-08-01T00:00:00Z"
            and query["toTimestamp"] == "2026-08-03T00:00:00Z"
        ):
            row = {
                "providedModelName": "m",
                "time_dimension": "2026-08-01T00:00:00.000Z",
                "count_count": 1,
            }
            return httpx.Response(200, json={"data": [row] * ROW_LIMIT})
        return httpx.Response(200, json=load("metrics_observations.json"))

    table = as_table(connector(handler).fetch(start=START, end=END))

    assert windows[:3] == [
        ("2026-08-01T00:00:00Z", "2026-08-03T00:00:00Z"),
        ("2026-08-01T00:00:00Z", "2026-08-02T00:00:00Z"),
        ("2026-08-02T00:00:00Z", "2026-08-03T00:00:00Z"),
    ]
    # Each half keeps only its own day, so no day is counted twice.
    assert table[(Metric.REQUESTS, "gpt-4o-mini", AUG1)] == 512
    assert table[(Metric.REQUESTS, "gpt-4o-mini", AUG2)] == 530


def test_429_with_retry_after_is_retried() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if not calls:
            calls.append(request)
            return httpx.Response(429, headers={"Retry-After": "2"})
        calls.append(request)
        return recorded(request)

    assert (
        connector(handler).test() == "Connected: 1,204 observations in the last 7 days"
    )
    assert len(calls) == 2


def test_500_is_retried() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return (
            httpx.Response(500, text="oops") if len(calls) == 1 else recorded(request)
        )

    samples = connector(handler).fetch(start=START, end=END)

    assert as_table(samples)[(Metric.REQUESTS, "gpt-4o-mini", AUG1)] == 512
    assert (
        len(calls) == 1 + 1 + 1 + 3
    )  # the failed try, observations, errors, three score pages


def test_a_timeout_that_keeps_failing_is_a_transient_error() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(ConnectorError) as caught:
        connector(handler).fetch(start=START, end=END)

    assert not caught.value.permanent
    assert "Langfuse" in caught.value.message
    assert len(calls) == ATTEMPTS


def test_401_is_permanent_and_names_langfuse() -> None:
    with pytest.raises(ConnectorError) as caught:
        connector(
            lambda request: httpx.Response(401, json={"message": "Invalid credentials"})
        ).test()

    assert caught.value.permanent
    assert caught.value.status == 401
    assert caught.value.message == "401 from Langfuse: the credentials were rejected"


def test_missing_keys_are_permanent() -> None:
    client = httpx.Client(transport=httpx.MockTransport(recorded))
    bare = LangfuseConnector(
        base_url="", credentials={"public_key": "pk-lf-1"}, config={}, client=client
    )

    with pytest.raises(ConnectorError) as caught:
        bare.test()
    assert caught.value.permanent


def test_malformed_json_is_an_error() -> None:
    with pytest.raises(ConnectorError, match="malformed JSON") as caught:
        connector(lambda request: httpx.Response(200, content=b'{"data": [')).fetch(
            start=START, end=END
        )
    assert not caught.value.permanent


def test_unexpected_shape_is_an_error() -> None:
    with pytest.raises(ConnectorError, match="unexpected shape"):
        connector(
            lambda request: httpx.Response(200, json={"data": {"oops": 1}})
        ).fetch(start=START, end=END)


def test_test_counts_observations_of_the_last_seven_days() -> None:
    seen: list[httpx.Request] = []

    assert (
        connector(recorded, seen=seen).test()
        == "Connected: 1,204 observations in the last 7 days"
    )
    query = metrics_query(seen[0])
    assert query["metrics"] == [{"measure": "count", "aggregation": "count"}]
    assert query["filters"][0]["value"] == ["production"]
    span = datetime.fromisoformat(query["toTimestamp"]) - datetime.fromisoformat(
        query["fromTimestamp"]
    )
    assert span.days == 7
