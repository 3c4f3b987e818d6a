"""OpenAIConnector against recorded usage/completions and costs pages; the HTTP transport is
the only thing replaced."""

from __future__ import annotations

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
from metrics.connectors.openai import OpenAIConnector
from metrics.vocabulary import Bucket, Metric

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openai"
START = datetime(2026, 8, 1, tzinfo=UTC)
END = datetime(2026, 8, 4, tzinfo=UTC)
AUG1, AUG2, AUG3 = (datetime(2026, 8, d, tzinfo=UTC) for d in (1, 2, 3))
USAGE_PAGE2 = "page_AAAAAGdGxdEiJdKOAAAAAGcqsYA="
USAGE_PAGE3 = "page_AAAAAGdHFmEiJdKOAAAAAGcrAgA="
COSTS_PAGE2 = "page_AAAAAGdIZ-EiJdKOAAAAAGcsU4A="
PAGES = {
    ("/v1/organization/usage/completions", None): "usage_page1.json",
    ("/v1/organization/usage/completions", USAGE_PAGE2): "usage_page2.json",
    ("/v1/organization/usage/completions", USAGE_PAGE3): "usage_page3.json",
    ("/v1/organization/costs", None): "costs_page1.json",
    ("/v1/organization/costs", COSTS_PAGE2): "costs_page2.json",
}


@pytest.fixture(autouse=True)
def _stamina_testing() -> Iterator[None]:
    # Testing mode drops the waits (Retry-After included) but also sets the number of
    # attempts (default 1), so keep the production count; leaving the block restores it.
    with stamina.set_testing(True, attempts=ATTEMPTS):
        yield


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def recorded(request: httpx.Request) -> httpx.Response:
    if "group_by" not in request.url.params and request.url.path.endswith(
        "/completions"
    ):
        return httpx.Response(200, json=load("usage_total.json"))  # test(): no grouping
    return httpx.Response(
        200, json=load(PAGES[(request.url.path, request.url.params.get("page"))])
    )


def connector(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    seen: list[httpx.Request] | None = None,
    base_url: str = "",
    config: dict[str, Any] | None = None,
) -> OpenAIConnector:
    def record(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return handler(request)

    return OpenAIConnector(
        base_url=base_url,
        credentials={"admin_key": "sk-admin-abc"},
        config={"project_id": "proj_abc"} if config is None else config,
        client=httpx.Client(transport=httpx.MockTransport(record)),
    )


def as_table(samples: list[Any]) -> dict[tuple[Metric, str, datetime], Decimal]:
    table = {(s.metric, s.dimension, s.bucket_start): s.value for s in samples}
    assert len(table) == len(samples), "one sample per (metric, dimension, day)"
    return table


def test_fetch_maps_recorded_payloads_to_samples() -> None:
    samples = connector(recorded).fetch(start=START, end=END)

    assert all(s.bucket is Bucket.DAY and s.bucket_start.tzinfo is UTC for s in samples)
    mini, gpt41 = "gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14"
    assert as_table(samples) == {
        (Metric.REQUESTS, mini, AUG1): Decimal(5),
        (Metric.INPUT_TOKENS, mini, AUG1): Decimal(1000),
        (Metric.OUTPUT_TOKENS, mini, AUG1): Decimal(500),
        (Metric.REQUESTS, gpt41, AUG1): Decimal(3),
        (Metric.INPUT_TOKENS, gpt41, AUG1): Decimal(2000),
        (Metric.OUTPUT_TOKENS, gpt41, AUG1): Decimal(800),
        (Metric.REQUESTS, mini, AUG2): Decimal(7),
        (Metric.INPUT_TOKENS, mini, AUG2): Decimal(1500),
        (Metric.OUTPUT_TOKENS, mini, AUG2): Decimal(700),
        # A result without a model still belongs to the project.
        (Metric.REQUESTS, "unknown", AUG2): Decimal(1),
        (Metric.INPUT_TOKENS, "unknown", AUG2): Decimal(10),
        (Metric.OUTPUT_TOKENS, "unknown", AUG2): Decimal(5),
        # Page 2: output_tokens null → no OUTPUT_TOKENS sample for Aug 3.
        (Metric.REQUESTS, mini, AUG3): Decimal(2),
        (Metric.INPUT_TOKENS, mini, AUG3): Decimal(300),
        # Costs: Aug 1 = 0.06 + 0.1; Aug 2 only a null amount → unknown, no sample;
        # Aug 3 reported with no cost lines → $0.
        (Metric.COST_BILLED_USD, "", AUG1): Decimal("0.16"),
        (Metric.COST_BILLED_USD, "", AUG3): Decimal(0),
    }


def test_pages_follow_next_page_until_has_more_is_false() -> None:
    seen: list[httpx.Request] = []
    connector(recorded, seen=seen).fetch(start=START, end=END)

    usage = [
        r.url.params.get("page") for r in seen if r.url.path.endswith("/completions")
    ]
    costs = [r.url.params.get("page") for r in seen if r.url.path.endswith("/costs")]
    assert usage == [None, USAGE_PAGE2, USAGE_PAGE3]
    assert costs == [None, COSTS_PAGE2]


def test_requests_carry_bearer_key_project_filter_and_unix_window() -> None:
    seen: list[httpx.Request] = []
    connector(recorded, seen=seen).fetch(
        start=datetime(2026, 8, 1, 9, 30, tzinfo=UTC), end=END
    )

    assert {r.headers["authorization"] for r in seen} == {"Bearer sk-admin-abc"}
    assert {r.url.host for r in seen} == {"api.openai.com"}
    for request in seen:
        params = request.url.params
        assert params.get_list("project_ids") == ["proj_abc"]
        assert params["bucket_width"] == "1d"
        # Buckets start at start_time, so it is moved back to midnight.
        assert params["start_time"] == str(int(START.timestamp()))
        assert params["end_time"] == str(int(END.timestamp()))
    usage = [r for r in seen if r.url.path.endswith("/completions")]
    assert {tuple(r.url.params.get_list("group_by")) for r in usage} == {("model",)}


def test_without_a_project_the_whole_organization_is_read() -> None:
    seen: list[httpx.Request] = []
    message = connector(recorded, seen=seen, config={}).test()

    assert "project_ids" not in seen[0].url.params
    assert (
        message == "Connected: 1,234 requests in the last 7 days (whole organization)"
    )


def test_base_url_with_v1_is_not_doubled() -> None:
    seen: list[httpx.Request] = []
    connector(recorded, seen=seen, base_url="https://proxy.example.org/v1/").test()

    assert seen[0].url.host == "proxy.example.org"
    assert seen[0].url.path == "/v1/organization/usage/completions"


def test_empty_pages_give_no_samples() -> None:
    empty = {"object": "page", "data": [], "has_more": False, "next_page": None}
    assert (
        connector(lambda request: httpx.Response(200, json=empty)).fetch(
            start=START, end=END
        )
        == []
    )


def test_429_with_retry_after_is_retried() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return (
            httpx.Response(429, headers={"Retry-After": "3"})
            if len(calls) == 1
            else recorded(request)
        )

    assert (
        connector(handler).test()
        == "Connected: 1,234 requests in the last 7 days (project proj_abc)"
    )
    assert len(calls) == 2


def test_500_is_retried() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503) if len(calls) == 1 else recorded(request)

    table = as_table(connector(handler).fetch(start=START, end=END))

    assert table[(Metric.COST_BILLED_USD, "", AUG1)] == Decimal("0.16")
    assert len(calls) == 1 + 3 + 2


def test_a_timeout_that_keeps_failing_is_a_transient_error() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(ConnectorError) as caught:
        connector(handler).fetch(start=START, end=END)

    assert not caught.value.permanent
    assert "OpenAI" in caught.value.message
    assert len(calls) == ATTEMPTS


def test_401_is_permanent_and_names_openai() -> None:
    with pytest.raises(ConnectorError) as caught:
        connector(
            lambda request: httpx.Response(401, json={"error": {"message": "bad key"}})
        ).test()

    assert caught.value.permanent
    assert caught.value.status == 401
    assert caught.value.message == "401 from OpenAI: the credentials were rejected"


def test_missing_admin_key_is_permanent() -> None:
    bare = OpenAIConnector(
        base_url="",
        credentials={},
        config={},
        client=httpx.Client(transport=httpx.MockTransport(recorded)),
    )
    with pytest.raises(ConnectorError) as caught:
        bare.fetch(start=START, end=END)
    assert caught.value.permanent


def test_malformed_json_is_an_error() -> None:
    with pytest.raises(ConnectorError, match="malformed JSON") as caught:
        connector(
            lambda request: httpx.Response(200, content=b"<html>gateway</html>")
        ).fetch(start=START, end=END)
    assert not caught.value.permanent


def test_a_cost_in_another_currency_is_refused() -> None:
    page = load("costs_page2.json")
    page["data"][0]["results"] = [{"amount": {"value": 1.0, "currency": "eur"}}]

    def handler(request: httpx.Request) -> httpx.Response:
        return (
            httpx.Response(200, json=page)
            if request.url.path.endswith("/costs")
            else recorded(request)
        )

    with pytest.raises(ConnectorError, match="eur"):
        connector(handler).fetch(start=START, end=END)


def test_a_repeated_next_page_stops_the_run() -> None:
    looping = {"object": "page", "data": [], "has_more": True, "next_page": "page_same"}
    with pytest.raises(ConnectorError, match="same next_page"):
        connector(lambda request: httpx.Response(200, json=looping)).fetch(
            start=START, end=END
        )
