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
        if "dimensions" not in query:
            return httpx.Response(200, json=load("metrics_latency_project.json"))
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
        # Project-wide percentiles as Langfuse computed them over all the day's requests,
        # under "": Aug 1's p95 is neither the mean (3020) nor the max (3900) of the models'.
        (Metric.LATENCY_P50_MS, "", AUG1): Decimal(905),
        (Metric.LATENCY_P95_MS, "", AUG1): Decimal(3120),
        (Metric.LATENCY_P50_MS, "", AUG2): Decimal(800),
        (Metric.LATENCY_P95_MS, "", AUG2): Decimal("2600.5"),
        # Errors per model per day (the null-model row is spans, skipped); gpt-4o-mini had
        # requests and no error row on Aug 2, so 0.
        (Metric.ERRORS, mini, AUG1): Decimal(3),
        (Metric.ERRORS, sonnet, AUG1): Decimal(1),
        (Metric.ERRORS, mini, AUG2): Decimal(0),
        # helpfulness Aug 1: (0.8 + 0.9) / 2; Aug 2: (0.7 + "0.6") / 2 across pages 1 and 2.
        (Metric.QUALITY_SCORE, "helpfulness", AUG1): Decimal("0.85"),
        (Metric.QUALITY_SCORE, "helpfulness", AUG2): Decimal("0.65"),
        (Metric.QUALITY_SCORE, "correctness", AUG1): Decimal(1),
        # user_feedback booleans: Aug 1 one true, one false; Aug 2 one true ("is_safe" ignored),
        # so no votes down that day: 0, not "no data".
        (Metric.FEEDBACK_POSITIVE, "", AUG1): Decimal(1),
        (Metric.FEEDBACK_NEGATIVE, "", AUG1): Decimal(1),
        (Metric.FEEDBACK_POSITIVE, "", AUG2): Decimal(1),
        (Metric.FEEDBACK_NEGATIVE, "", AUG2): Decimal(0),
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
    observations, errors, project = (metrics_query(r) for r in seen[:3])
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
    # The project-wide query: no model dimension, same filters plus "has a model", so it
    # covers exactly the requests the per-model rows count.
    assert "dimensions" not in project
    assert project["metrics"] == [
        {"measure": "count", "aggregation": "count"},
        {"measure": "latency", "aggregation": "p50"},
        {"measure": "latency", "aggregation": "p95"},
    ]
    assert project["filters"] == [
        environment,
        {
            "column": "providedModelName",
            "operator": "is not null",
            "value": "",
            "type": "null",
        },
    ]
    assert project["timeDimension"] == {"granularity": "day"}
    assert (project["fromTimestamp"], project["toTimestamp"]) == (
        "2026-08-01T00:00:00Z",
        "2026-08-03T00:00:00Z",
    )
    scores = [r for r in seen if r.url.path == "/api/public/v3/scores"]
    assert {r.url.params["environment"] for r in scores} == {"staging"}
    assert {r.url.params["dataType"] for r in scores} == {"NUMERIC,BOOLEAN,CATEGORICAL"}


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
        if "dimensions" not in query:
            return httpx.Response(200, json=load("metrics_latency_project.json"))
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
    # The failed try, observations, errors, project-wide latency, three score pages.
    assert len(calls) == 1 + 1 + 1 + 1 + 3


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


# -- project-wide latency, zero-error days -------------------------------------------------


def test_project_wide_percentiles_are_stored_beside_the_per_model_ones_and_nothing_else_is():
    table = as_table(connector(recorded).fetch(start=START, end=END))

    for day in (AUG1, AUG2):
        assert (Metric.LATENCY_P95_MS, "", day) in table
        assert (Metric.LATENCY_P50_MS, "", day) in table
    assert (Metric.LATENCY_P95_MS, "gpt-4o-mini", AUG1) in table
    # Counts and money are added up over every dimension by the dashboard, so they never
    # get a "" row that would count the day twice.
    summed = {
        Metric.REQUESTS,
        Metric.INPUT_TOKENS,
        Metric.OUTPUT_TOKENS,
        Metric.COST_OBSERVED_USD,
        Metric.ERRORS,
    }
    assert not [key for key in table if key[0] in summed and key[1] == ""]


def test_a_zero_filled_day_is_no_data_not_a_latency_of_zero():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/public/v2/metrics" and "dimensions" not in (
            metrics_query(request)
        ):
            return httpx.Response(200, json=load("metrics_latency_project_gap.json"))
        return recorded(request)

    table = as_table(connector(handler).fetch(start=START, end=END))

    assert table[(Metric.LATENCY_P95_MS, "", AUG1)] == 3120
    assert (Metric.LATENCY_P95_MS, "", AUG2) not in table
    assert (Metric.LATENCY_P50_MS, "", AUG2) not in table


def test_a_day_with_requests_and_no_error_rows_stores_zero_errors():
    table = as_table(connector(recorded).fetch(start=START, end=END))

    # gpt-4o-mini served 530 requests on Aug 2 and Langfuse returned no error row for it.
    assert table[(Metric.REQUESTS, "gpt-4o-mini", AUG2)] == 530
    assert table[(Metric.ERRORS, "gpt-4o-mini", AUG2)] == 0
    # claude-sonnet-4-6 had no requests on Aug 2: no data, not 0.
    assert (Metric.ERRORS, "claude-sonnet-4-6", AUG2) not in table


# -- feedback ------------------------------------------------------------------------------


def feedback_scores(request: httpx.Request) -> httpx.Response:
    """No observations; the scores of scores_feedback.json (one page)."""
    if request.url.path == "/api/public/v3/scores":
        return httpx.Response(200, json=load("scores_feedback.json"))
    return httpx.Response(200, json={"data": []})


def votes_and_scores(config: dict[str, Any] | None = None) -> dict[Any, Decimal]:
    return as_table(
        connector(feedback_scores, config=config).fetch(start=START, end=END)
    )


def test_thumbs_as_numbers_booleans_and_labels_under_common_names_are_votes():
    table = votes_and_scores()

    # Aug 1: "user-feedback" 1 and 0, boolean "user_feedback" true, categorical
    # "feedback" "good" and "bad" ("neutral" and a 0.5 are not votes).
    assert table[(Metric.FEEDBACK_POSITIVE, "", AUG1)] == 3
    assert table[(Metric.FEEDBACK_NEGATIVE, "", AUG1)] == 2
    # Aug 2: "Feedback" -1, "thumbs" "Thumbs Up", "thumbs_up_down" 👎🏽.
    assert table[(Metric.FEEDBACK_POSITIVE, "", AUG2)] == 1
    assert table[(Metric.FEEDBACK_NEGATIVE, "", AUG2)] == 2


def test_feedback_never_becomes_a_quality_score_and_similar_names_stay_quality():
    table = votes_and_scores()

    quality = {
        (name, day): value
        for (metric, name, day), value in table.items()
        if metric is Metric.QUALITY_SCORE
    }
    assert quality == {
        ("helpfulness", AUG1): Decimal("0.8"),
        ("feedback_quality", AUG1): Decimal("0.9"),
        ("csat_thumb", AUG2): Decimal(1),
    }


def test_a_configured_feedback_name_replaces_the_defaults():
    table = votes_and_scores({"feedback_names": ["CSAT-thumb"]})

    assert table[(Metric.FEEDBACK_POSITIVE, "", AUG2)] == 1
    assert table[(Metric.FEEDBACK_NEGATIVE, "", AUG2)] == 0
    assert (Metric.FEEDBACK_POSITIVE, "", AUG1) not in table
    assert (Metric.QUALITY_SCORE, "csat_thumb", AUG2) not in table
    # No longer feedback, the numeric "user-feedback" scores are quality scores again:
    # (1 + 0 + 0.5) / 3.
    assert table[(Metric.QUALITY_SCORE, "user-feedback", AUG1)] == Decimal("0.5")


def test_a_configured_kind_leaves_other_kinds_out_of_the_votes():
    table = votes_and_scores({"feedback_kind": "BOOLEAN"})

    assert table[(Metric.FEEDBACK_POSITIVE, "", AUG1)] == 1
    assert table[(Metric.FEEDBACK_NEGATIVE, "", AUG1)] == 0
    assert (Metric.FEEDBACK_NEGATIVE, "", AUG2) not in table
    assert table[(Metric.QUALITY_SCORE, "user-feedback", AUG1)] == Decimal("0.5")


def test_configured_labels_say_which_categories_are_up_and_down():
    table = votes_and_scores(
        {
            "feedback_names": "feedback, tone",
            "feedback_kind": "CATEGORICAL",
            "feedback_positive_labels": ["neutral", "positive"],
            "feedback_negative_labels": ["bad"],
        }
    )

    # "feedback": "good" is no longer a vote, "neutral" now is; "tone": "positive".
    assert table[(Metric.FEEDBACK_POSITIVE, "", AUG1)] == 2
    assert table[(Metric.FEEDBACK_NEGATIVE, "", AUG1)] == 1
