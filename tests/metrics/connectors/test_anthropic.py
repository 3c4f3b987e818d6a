"""AnthropicConnector against recorded usage_report/messages and cost_report pages; the HTTP
transport is the only thing replaced."""

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

from metrics.connectors.anthropic import AnthropicConnector
from metrics.connectors.base import ATTEMPTS, ConnectorError
from metrics.vocabulary import Bucket, Metric

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "anthropic"
START = datetime(2026, 8, 1, tzinfo=UTC)
END = datetime(2026, 8, 4, tzinfo=UTC)
AUG1, AUG2, AUG3 = (datetime(2026, 8, d, tzinfo=UTC) for d in (1, 2, 3))
USAGE_PAGE2 = "page_MjAyNi0wOC0wMlQwMDowMDowMFo="
USAGE_PAGE3 = "page_MjAyNi0wOC0wNFQwMDowMDowMFo="
COST_PAGE2 = "page_Y29zdC0y"
USAGE = "/v1/organizations/usage_report/messages"
COST = "/v1/organizations/cost_report"
PAGES = {
    (USAGE, None): "usage_page1.json",
    (USAGE, USAGE_PAGE2): "usage_page2.json",
    (USAGE, USAGE_PAGE3): "usage_page3.json",
    (COST, None): "cost_page1.json",
    (COST, COST_PAGE2): "cost_page2.json",
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
    if request.url.path == USAGE and "group_by[]" not in request.url.params:
        return httpx.Response(200, json=load("usage_total.json"))  # test(): no grouping
    return httpx.Response(
        200, json=load(PAGES[(request.url.path, request.url.params.get("page"))])
    )


def connector(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    seen: list[httpx.Request] | None = None,
    config: dict[str, Any] | None = None,
) -> AnthropicConnector:
    def record(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return handler(request)

    return AnthropicConnector(
        base_url="",
        credentials={"admin_key": "sk-ant-admin01-xyz"},
        config={"workspace_id": "wrkspc_01A"} if config is None else config,
        client=httpx.Client(transport=httpx.MockTransport(record)),
    )


def as_table(samples: list[Any]) -> dict[tuple[Metric, str, datetime], Decimal]:
    table = {(s.metric, s.dimension, s.bucket_start): s.value for s in samples}
    assert len(table) == len(samples), "one sample per (metric, dimension, day)"
    return table


def test_fetch_maps_recorded_payloads_to_samples() -> None:
    samples = connector(recorded).fetch(start=START, end=END)

    assert all(s.bucket is Bucket.DAY and s.bucket_start.tzinfo is UTC for s in samples)
    sonnet, haiku = "claude-sonnet-4-6", "claude-haiku-4-5"
    assert as_table(samples) == {
        # 267,751 uncached + 1,200 (5 min writes) + 0 (1 h writes) + 5,400 cache reads.
        (Metric.INPUT_TOKENS, sonnet, AUG1): Decimal(274351),
        (Metric.OUTPUT_TOKENS, sonnet, AUG1): Decimal(284874),
        # cache_creation and cache reads null: uncached only.
        (Metric.INPUT_TOKENS, haiku, AUG1): Decimal(1000),
        (Metric.OUTPUT_TOKENS, haiku, AUG1): Decimal(200),
        # 500 uncached + 100 (1 h writes; 5 min null) + 0 reads; output null → no sample.
        (Metric.INPUT_TOKENS, sonnet, AUG2): Decimal(600),
        # Cents → USD: ("123.45" + "50") / 100 for wrkspc_01A; the other workspace's "999.00"
        # is not ours. Aug 2's only line has a null amount → unknown, no sample. Aug 3 has
        # lines for another workspace only → $0 for ours.
        (Metric.COST_BILLED_USD, "", AUG1): Decimal("1.7345"),
        (Metric.COST_BILLED_USD, "", AUG3): Decimal(0),
    }


def test_without_a_workspace_the_whole_organization_counts() -> None:
    seen: list[httpx.Request] = []
    table = as_table(
        connector(recorded, seen=seen, config={}).fetch(start=START, end=END)
    )

    # (123.45 + 50 + 999.00) / 100 and 999 / 100.
    assert table[(Metric.COST_BILLED_USD, "", AUG1)] == Decimal("11.7245")
    assert table[(Metric.COST_BILLED_USD, "", AUG3)] == Decimal("9.99")
    assert all("workspace_ids[]" not in r.url.params for r in seen)
    assert all("workspace_id" not in r.url.params.get_list("group_by[]") for r in seen)


def test_pages_follow_next_page_until_has_more_is_false() -> None:
    seen: list[httpx.Request] = []
    connector(recorded, seen=seen).fetch(start=START, end=END)

    assert [r.url.params.get("page") for r in seen if r.url.path == USAGE] == [
        None,
        USAGE_PAGE2,
        USAGE_PAGE3,
    ]
    assert [r.url.params.get("page") for r in seen if r.url.path == COST] == [
        None,
        COST_PAGE2,
    ]


def test_requests_carry_admin_key_version_workspace_and_rfc3339_window() -> None:
    seen: list[httpx.Request] = []
    connector(recorded, seen=seen).fetch(
        start=START, end=datetime(2026, 8, 3, 15, 0, tzinfo=UTC)
    )

    assert {r.headers["x-api-key"] for r in seen} == {"sk-ant-admin01-xyz"}
    assert {r.headers["anthropic-version"] for r in seen} == {"2023-06-01"}
    assert {r.url.host for r in seen} == {"api.anthropic.com"}
    for request in seen:
        assert request.url.params["starting_at"] == "2026-08-01T00:00:00Z"
        assert (
            request.url.params["ending_at"] == "2026-08-04T00:00:00Z"
        )  # today's partial day included
        assert request.url.params["bucket_width"] == "1d"
    usage = [r for r in seen if r.url.path == USAGE]
    cost = [r for r in seen if r.url.path == COST]
    assert {tuple(r.url.params.get_list("workspace_ids[]")) for r in usage} == {
        ("wrkspc_01A",)
    }
    assert {tuple(r.url.params.get_list("group_by[]")) for r in usage} == {("model",)}
    # The cost report has no workspace filter: grouped by workspace, filtered here.
    assert {tuple(r.url.params.get_list("group_by[]")) for r in cost} == {
        ("workspace_id",)
    }


def test_empty_pages_give_no_samples() -> None:
    empty = {"data": [], "has_more": False, "next_page": None}
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
            httpx.Response(429, headers={"retry-after": "5"})
            if len(calls) == 1
            else recorded(request)
        )

    message = connector(handler).test()

    assert (
        message
        == "Connected: 285,874 output tokens in the last 7 days (workspace wrkspc_01A)"
    )
    assert len(calls) == 2


def test_500_is_retried() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return (
            httpx.Response(529 if len(calls) == 1 else 500)
            if len(calls) <= 2
            else recorded(request)
        )

    table = as_table(connector(handler).fetch(start=START, end=END))

    assert table[(Metric.COST_BILLED_USD, "", AUG1)] == Decimal("1.7345")
    assert len(calls) == 2 + 3 + 2


def test_a_timeout_that_keeps_failing_is_a_transient_error() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(ConnectorError) as caught:
        connector(handler).fetch(start=START, end=END)

    assert not caught.value.permanent
    assert "Anthropic" in caught.value.message
    assert len(calls) == ATTEMPTS


def test_401_is_permanent_and_names_anthropic() -> None:
    body = {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid x-api-key"},
    }
    with pytest.raises(ConnectorError) as caught:
        connector(lambda request: httpx.Response(401, json=body)).test()

    assert caught.value.permanent
    assert caught.value.status == 401
    assert caught.value.message == "401 from Anthropic: the credentials were rejected"


def test_malformed_json_is_an_error() -> None:
    with pytest.raises(ConnectorError, match="malformed JSON") as caught:
        connector(lambda request: httpx.Response(200, content=b'{"data": [}')).fetch(
            start=START, end=END
        )
    assert not caught.value.permanent


def test_test_without_workspace_says_so() -> None:
    assert (
        connector(recorded, config={}).test()
        == "Connected: 285,874 output tokens in the last 7 days (whole organization)"
    )
