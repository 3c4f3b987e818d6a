"""LangSmith connector: recorded run pages in, daily samples out; HTTP is the only fake."""

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
from metrics.connectors.langsmith import LangSmithConnector
from metrics.vocabulary import Bucket, Metric, Sample

FIXTURES = Path(__file__).parent.parent / "fixtures" / "langsmith"
URL = "https://api.smith.langchain.com/api/v2/runs/query"
PROJECT = "9a1b0e2c-5d4f-4c3b-8a7e-1f2d3c4b5a69"
START = datetime(2026, 8, 20, tzinfo=UTC)
END = datetime(2026, 8, 22, tzinfo=UTC)
DAY1 = datetime(2026, 8, 20, tzinfo=UTC)
DAY2 = datetime(2026, 8, 21, tzinfo=UTC)


def load(name):
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(autouse=True)
def _no_backoff():
    # Retries still happen (as many as in production) but without waiting.
    with stamina.set_testing(True, attempts=ATTEMPTS):
        yield


def connector(handler, *, config=None, base_url=""):
    return LangSmithConnector(
        base_url=base_url,
        credentials={"api_key": "lsv2_pt_secret"},
        config={"project_id": PROJECT, "feedback_key": "user_score"}
        if config is None
        else config,
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


def two_pages():
    return answers(ok(load("runs_page1.json")), ok(load("runs_page2.json")))


def test_it_is_registered_under_its_kind():
    assert connector_class("langsmith") is LangSmithConnector


def test_it_maps_root_runs_to_daily_samples():
    samples = connector(two_pages()).fetch(start=START, end=END)

    assert all(s.bucket is Bucket.DAY and s.dimension == "" for s in samples)
    assert by_key(samples) == {
        # 20 August: success, error (naive UTC time), success, pending at 23:59:59.999.
        (Metric.REQUESTS, DAY1, ""): Decimal(4),
        (Metric.ERRORS, DAY1, ""): Decimal(1),
        (Metric.INPUT_TOKENS, DAY1, ""): Decimal(1800),  # 1200 + 500 + 100
        (Metric.OUTPUT_TOKENS, DAY1, ""): Decimal(230),  # 180 + 50
        (Metric.COST_OBSERVED_USD, DAY1, ""): Decimal("0.00179"),  # 0.00029 + "0.0015"
        # 200, 1420, 3500 ms (pending has none): p50 rank 2, p95 rank ceil(2.85) = 3.
        (Metric.LATENCY_P50_MS, DAY1, ""): Decimal(1420),
        (Metric.LATENCY_P95_MS, DAY1, ""): Decimal(3500),
        # user_score n=3 avg 0.67 → 2 up 1 down; n=1 avg 1 → 1 up. "correctness" is ignored.
        (Metric.FEEDBACK_POSITIVE, DAY1, ""): Decimal(3),
        (Metric.FEEDBACK_NEGATIVE, DAY1, ""): Decimal(1),
        # 21 August: one run.
        (Metric.REQUESTS, DAY2, ""): Decimal(1),
        (Metric.ERRORS, DAY2, ""): Decimal(0),
        (Metric.INPUT_TOKENS, DAY2, ""): Decimal(10),
        (Metric.OUTPUT_TOKENS, DAY2, ""): Decimal(5),
        (Metric.COST_OBSERVED_USD, DAY2, ""): Decimal("0.00001"),
        (Metric.LATENCY_P50_MS, DAY2, ""): Decimal(800),
        (Metric.LATENCY_P95_MS, DAY2, ""): Decimal(800),
        (Metric.FEEDBACK_POSITIVE, DAY2, ""): Decimal(0),
        (Metric.FEEDBACK_NEGATIVE, DAY2, ""): Decimal(2),
    }


def test_keys_that_are_not_feedback_names_give_no_votes():
    samples = connector(
        two_pages(), config={"project_id": PROJECT, "feedback_names": ["thumbs"]}
    ).fetch(start=START, end=END)
    metrics = {s.metric for s in samples}
    assert Metric.FEEDBACK_POSITIVE not in metrics
    assert Metric.FEEDBACK_NEGATIVE not in metrics


def test_it_sends_the_key_the_project_the_window_and_follows_the_cursor():
    handler = two_pages()
    connector(handler, config={"project_id": PROJECT, "workspace_id": "ws-1"}).fetch(
        start=START, end=END
    )

    first, second = handler.seen
    assert str(first.url) == URL
    assert first.method == "POST"
    assert first.headers["x-api-key"] == "lsv2_pt_secret"
    assert first.headers["x-tenant-id"] == "ws-1"
    body = json.loads(first.content)
    assert body["project_ids"] == [PROJECT]
    assert body["is_root"] is True
    assert body["min_start_time"] == "2026-08-20T00:00:00.000000Z"
    assert body["max_start_time"] == "2026-08-22T00:00:00.000000Z"
    assert body["page_size"] == 1000
    assert {
        "START_TIME",
        "STATUS",
        "LATENCY_SECONDS",
        "TOTAL_COST",
        "PROMPT_TOKENS",
    } <= set(body["selects"])
    assert "cursor" not in body
    assert json.loads(second.content)["cursor"] == "eyJvZmZzZXQiOjN9"


def test_a_run_starting_exactly_at_the_end_belongs_to_the_next_window():
    page = {
        "items": [{"start_time": "2026-08-22T00:00:00Z", "status": "success"}],
        "next_cursor": None,
    }
    assert connector(answers(ok(page))).fetch(start=START, end=END) == []


def test_an_empty_page_gives_no_samples():
    assert (
        connector(answers(ok(load("empty_page.json")))).fetch(start=START, end=END)
        == []
    )


def test_a_missing_project_id_is_a_permanent_error():
    with pytest.raises(ConnectorError, match="project id") as caught:
        connector(answers(), config={}).fetch(start=START, end=END)
    assert caught.value.permanent


def test_a_429_with_retry_after_is_retried_then_succeeds():
    handler = answers(
        httpx.Response(
            429, headers={"Retry-After": "1"}, json={"detail": "Too many requests"}
        ),
        ok(load("runs_page1.json")),
        ok(load("runs_page2.json")),
    )
    samples = connector(handler).fetch(start=START, end=END)
    assert len(handler.seen) == 3
    assert by_key(samples)[(Metric.REQUESTS, DAY1, "")] == Decimal(4)


def test_a_500_is_retried_then_succeeds():
    handler = answers(
        httpx.Response(500, text="Internal Server Error"), ok(load("empty_page.json"))
    )
    assert connector(handler).fetch(start=START, end=END) == []
    assert len(handler.seen) == 2


def test_timeouts_end_in_a_transient_error():
    handler = answers(*[httpx.ConnectTimeout("slow") for _ in range(ATTEMPTS)])
    with pytest.raises(ConnectorError) as caught:
        connector(handler).fetch(start=START, end=END)
    assert not caught.value.permanent
    assert "LangSmith" in caught.value.message


def test_a_rejected_key_is_a_permanent_error_naming_langsmith():
    handler = answers(httpx.Response(401, json={"detail": "Invalid token"}))
    with pytest.raises(ConnectorError) as caught:
        connector(handler).fetch(start=START, end=END)
    assert caught.value.permanent
    assert "LangSmith" in caught.value.message


def test_malformed_json_is_a_connector_error():
    with pytest.raises(ConnectorError, match="malformed JSON"):
        connector(answers(httpx.Response(200, text='{"items": ['))).fetch(
            start=START, end=END
        )


def test_a_body_of_the_wrong_shape_is_a_connector_error():
    with pytest.raises(ConnectorError, match="unexpected body"):
        connector(answers(ok({"items": {"id": 1}}))).fetch(start=START, end=END)


def test_nulls_and_non_numbers_are_left_out_rather_than_stored_as_zero():
    page = {
        "items": [
            {
                "start_time": "2026-08-20T10:00:00Z",
                "status": "success",
                "latency_seconds": None,
                "prompt_tokens": None,
                "completion_tokens": None,
                "total_cost": "NaN",
                "feedback_stats": {"user_score": {"n": 4, "avg": None}},
            },
            {"start_time": None, "status": "error"},
        ],
        "next_cursor": None,
    }
    samples = connector(answers(ok(page))).fetch(start=START, end=END)
    assert samples == [
        Sample(Metric.REQUESTS, DAY1, Bucket.DAY, Decimal(1)),
        Sample(Metric.ERRORS, DAY1, Bucket.DAY, Decimal(0)),
    ]


def test_the_connection_test_counts_root_runs_and_errors_of_the_last_seven_days():
    handler = two_pages()
    assert (
        connector(handler).test()
        == "Connected: 5 root runs in the last 7 days (1 with errors)"
    )
    assert json.loads(handler.seen[0].content)["is_root"] is True


def test_the_connection_test_says_at_least_when_it_stops_counting():
    page = {"items": [{"start_time": "2026-08-20T10:00:00Z"}], "next_cursor": "more"}
    handler = answers(*[ok(page) for _ in range(10)])
    assert (
        connector(handler).test()
        == "Connected: at least 10 root runs in the last 7 days (0 with errors)"
    )


def feedback_votes(config=None):
    samples = connector(
        answers(ok(load("runs_feedback.json"))),
        config={"project_id": PROJECT, **(config or {})},
    ).fetch(start=START, end=END)
    return {
        (metric, day): value
        for (metric, day, _), value in by_key(samples).items()
        if metric in (Metric.FEEDBACK_POSITIVE, Metric.FEEDBACK_NEGATIVE)
    }


def test_thumbs_under_common_keys_as_numbers_and_categories_are_votes():
    # 20 August: "user-feedback" one 1; "feedback" categories 2 up 1 down; "thumbs" four
    # ±1 averaging 0 → 2 and 2; "user_score" two 0/1 averaging 0.5 → 1 and 1; a
    # "feedback" rated 3–5 is not votes; "correctness" is not a feedback key.
    # 21 August: "Thumbs_Up_Down" one -1.
    assert feedback_votes() == {
        (Metric.FEEDBACK_POSITIVE, DAY1): Decimal(6),
        (Metric.FEEDBACK_NEGATIVE, DAY1): Decimal(4),
        (Metric.FEEDBACK_POSITIVE, DAY2): Decimal(0),
        (Metric.FEEDBACK_NEGATIVE, DAY2): Decimal(1),
    }


def test_a_configured_feedback_key_replaces_the_defaults():
    assert feedback_votes({"feedback_names": "correctness"}) == {
        (Metric.FEEDBACK_POSITIVE, DAY1): Decimal(1),
        (Metric.FEEDBACK_NEGATIVE, DAY1): Decimal(0),
    }


def test_a_configured_kind_reads_only_that_kind_of_feedback():
    assert feedback_votes({"feedback_kind": "CATEGORICAL"}) == {
        (Metric.FEEDBACK_POSITIVE, DAY1): Decimal(2),
        (Metric.FEEDBACK_NEGATIVE, DAY1): Decimal(1),
    }


def test_the_project_percentile_is_computed_from_every_run_of_the_day():
    page = {
        "items": [
            {"start_time": f"2026-08-20T10:0{i}:00Z", "status": "success", **extra}
            for i, extra in enumerate(
                {"latency_seconds": s} for s in (0.1, 0.2, 0.3, 0.4, 5.0, 6.0)
            )
        ],
        "next_cursor": None,
    }
    samples = by_key(connector(answers(ok(page))).fetch(start=START, end=END))

    # Nearest rank over all six: p50 rank 3 → 300 ms, p95 rank 6 → 6000 ms, under "".
    assert samples[(Metric.LATENCY_P50_MS, DAY1, "")] == 300
    assert samples[(Metric.LATENCY_P95_MS, DAY1, "")] == 6000
    assert samples[(Metric.ERRORS, DAY1, "")] == 0
