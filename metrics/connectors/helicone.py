"""Helicone: per-request logs, aggregated here into daily samples per model.

Helicone has no aggregate endpoint we can rely on for a window, so we page through
``POST /v1/request/query-clickhouse`` (offset/limit, bodies left out) and aggregate in
Python. Mapping, per UTC day (``Bucket.DAY``):

===================  ==============================================  ===========  =========
metric               from each request row                           unit         dimension
===================  ==============================================  ===========  =========
REQUESTS             one per row                                     requests     model
ERRORS               ``response_status`` >= 400, or missing / <= 0   requests     model
INPUT_TOKENS         sum of ``prompt_tokens``                        tokens       model
OUTPUT_TOKENS        sum of ``completion_tokens``                    tokens       model
COST_OBSERVED_USD    sum of ``costUSD`` (Helicone's price table)     USD          model
LATENCY_P50_MS       nearest-rank p50 of ``delay_ms`` that day       ms           "" (all)
LATENCY_P95_MS       nearest-rank p95 of ``delay_ms`` that day       ms           "" (all)
LATENCY_P50_MS       the same over the model's own requests          ms           model
LATENCY_P95_MS       the same over the model's own requests          ms           model
FEEDBACK_POSITIVE    ``feedback_rating`` is true                     votes        ""
FEEDBACK_NEGATIVE    ``feedback_rating`` is false                    votes        ""
===================  ==============================================  ===========  =========

The model is ``request_model`` (what the project asked for, stable across the provider's
dated snapshots), else ``response_model``, else "unknown".

The project-wide percentiles (dimension "", what tiles, alerts and gates read) are
computed over all the project's requests of the day, never from the per-model ones and
never averaged: a project p95 cannot be rebuilt from per-model p95s. Each model's own
percentiles are computed the same way from that model's requests, for comparison. The
nearest-rank method takes the value at rank ``ceil(p/100 × n)`` of the latencies sorted
ascending, so the result is always a latency that was actually observed. Counts, tokens
and money have no "" row: the dashboard adds their models up.

Feedback is Helicone's own thumbs (``feedback_rating``, set through its feedback API):
true is a vote up, false a vote down, null no vote. Both counts are stored for a day on
which any request was rated, so "no votes down" reads as 0.

Nulls: a row missing tokens, cost or latency still counts as a request; the missing
value is left out of that sum or percentile, and a metric with no value at all for a
day/model yields no sample (rather than a misleading 0).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from metrics.connectors.base import Connector, ConnectorError, Http
from metrics.connectors.parsing import (
    ceil_day,
    floor_day,
    parse_decimal,
    parse_timestamp,
    rfc3339,
)
from metrics.percentiles import nearest_rank
from metrics.vocabulary import Bucket, Metric, Sample

US_BASE_URL = "https://api.helicone.ai"
EU_BASE_URL = "https://eu.api.helicone.ai"
QUERY_PATH = "/v1/request/query-clickhouse"
TABLE = "request_response_rmt"
PAGE_SIZE = 1000
# A guard against a server that ignores offset (it would page forever): 500 pages are
# 500,000 requests in one window, beyond what this offset-paged endpoint is meant for.
MAX_PAGES = 500
# test() only needs an order of magnitude and must answer within seconds.
TEST_MAX_PAGES = 10


@dataclass
class _ModelDay:
    requests: int = 0
    errors: int = 0
    input_tokens: Decimal | None = None
    output_tokens: Decimal | None = None
    cost: Decimal | None = None
    latencies: list[float] = field(default_factory=list)

    def add(self, attr: str, value: Decimal | None) -> None:
        if value is not None:
            setattr(self, attr, (getattr(self, attr) or Decimal(0)) + value)


@dataclass
class _Day:
    models: dict[str, _ModelDay] = field(default_factory=lambda: defaultdict(_ModelDay))
    latencies: list[float] = field(default_factory=list)
    votes: dict[Metric, int] = field(default_factory=dict)


def _is_error(status: Any) -> bool:
    """Helicone records HTTP statuses; a missing status or a negative code (Helicone's
    marker for a request with no response recorded, e.g. -1) never reached the user as a
    success, so it counts as an error, like any status >= 400."""
    code = parse_decimal(status)
    return code is None or code <= 0 or code >= 400


def aggregate(rows: Iterable[Mapping[str, Any]]) -> list[Sample]:
    """Daily samples from Helicone request rows (see the module docstring)."""
    days: dict[datetime, _Day] = defaultdict(_Day)
    for row in rows:
        created = parse_timestamp(row.get("request_created_at"))
        if created is None:
            continue  # a row we cannot place in a day cannot be counted honestly
        day = days[floor_day(created)]
        model = str(row.get("request_model") or row.get("response_model") or "unknown")
        entry = day.models[model]
        entry.requests += 1
        entry.errors += _is_error(row.get("response_status", row.get("status")))
        entry.add("input_tokens", parse_decimal(row.get("prompt_tokens")))
        entry.add("output_tokens", parse_decimal(row.get("completion_tokens")))
        entry.add("cost", parse_decimal(row.get("costUSD", row.get("cost"))))
        latency = parse_decimal(row.get("delay_ms", row.get("latency")))
        if latency is not None and latency >= 0:
            day.latencies.append(float(latency))
            entry.latencies.append(float(latency))
        rating = row.get("feedback_rating")
        if isinstance(rating, bool):
            day.votes.setdefault(Metric.FEEDBACK_POSITIVE, 0)
            day.votes.setdefault(Metric.FEEDBACK_NEGATIVE, 0)
            vote = Metric.FEEDBACK_POSITIVE if rating else Metric.FEEDBACK_NEGATIVE
            day.votes[vote] += 1

    samples: list[Sample] = []
    for start, day in sorted(days.items()):
        for model, entry in sorted(day.models.items()):
            values: dict[Metric, Decimal | int | None] = {
                Metric.REQUESTS: entry.requests,
                Metric.ERRORS: entry.errors,
                Metric.INPUT_TOKENS: entry.input_tokens,
                Metric.OUTPUT_TOKENS: entry.output_tokens,
                Metric.COST_OBSERVED_USD: entry.cost,
            }
            samples += [
                Sample(metric, start, Bucket.DAY, Decimal(value), model)
                for metric, value in values.items()
                if value is not None
            ]
            samples += _percentiles(entry.latencies, start, model)
        # The project's own percentiles, from every request of the day.
        samples += _percentiles(day.latencies, start, "")
        samples += [
            Sample(metric, start, Bucket.DAY, Decimal(n))
            for metric, n in day.votes.items()
        ]
    return samples


def _percentiles(latencies: list[float], day: datetime, dimension: str) -> list[Sample]:
    """The nearest-rank p50 and p95 of ``latencies``; nothing when there are none."""
    if not latencies:
        return []
    return [
        Sample(
            metric,
            day,
            Bucket.DAY,
            Decimal(str(nearest_rank(latencies, p))),
            dimension,
        )
        for metric, p in ((Metric.LATENCY_P50_MS, 50), (Metric.LATENCY_P95_MS, 95))
    ]


class HeliconeConnector(Connector):
    """Helicone's request log → daily REQUESTS, ERRORS, tokens, observed cost and latency
    p50/p95 per model, the project's daily latency p50/p95, and thumbs feedback.

    credentials: ``{"api_key": "sk-…"}`` (a read key; ``eu-`` keys go to the EU host).
    config: ``{"property": "Helicone-Property-Project", "value": "claims"}`` restricts the
    pull to requests tagged with that custom property (optional).
    """

    kind = "helicone"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        api_key = str(self.credentials.get("api_key", ""))
        if not self.base_url:
            # EU keys only work against the EU host; the prefix is how Helicone tells.
            self.base_url = EU_BASE_URL if api_key.startswith("eu-") else US_BASE_URL
        self.http = Http(
            client=self.client,
            provider="Helicone",
            headers={"Authorization": f"Bearer {api_key}"},
        )

    def test(self) -> str:
        end = datetime.now(UTC)
        rows, complete = self._collect(
            end - timedelta(days=7), end, max_pages=TEST_MAX_PAGES
        )
        if not complete:
            return f"Connected: at least {len(rows):,} requests in the last 7 days"
        return f"Connected: {len(rows):,} requests in the last 7 days"

    def fetch(self, *, start: datetime, end: datetime) -> list[Sample]:
        """Daily samples for the whole UTC days starting in [start, end); the last day may
        be partial (today) and is re-pulled by later syncs."""
        # A partial first day would overwrite a complete bucket with a partial count.
        first = ceil_day(start)
        if first >= end:
            return []
        rows, complete = self._collect(first, end, max_pages=MAX_PAGES)
        if not complete:
            raise ConnectorError(
                f"Helicone returned more than {MAX_PAGES * PAGE_SIZE:,} requests for one "
                "window; Runway stopped rather than store partial numbers"
            )
        return aggregate(rows)

    def _filter(self, start: datetime, end: datetime) -> dict[str, Any]:
        def leaf(column: str, condition: dict[str, Any]) -> dict[str, Any]:
            return {TABLE: {column: condition}}

        tree: dict[str, Any] = {
            "left": leaf("request_created_at", {"gte": rfc3339(start, "milliseconds")}),
            "operator": "and",
            "right": leaf("request_created_at", {"lt": rfc3339(end, "milliseconds")}),
        }
        prop, value = self.config.get("property"), self.config.get("value")
        if prop and value is not None:
            tree = {
                "left": tree,
                "operator": "and",
                "right": leaf("properties", {str(prop): {"equals": str(value)}}),
            }
        return tree

    def _collect(
        self, start: datetime, end: datetime, *, max_pages: int
    ) -> tuple[list[Mapping[str, Any]], bool]:
        """All rows created in [start, end), page by page until a short page; the flag
        says whether that short page was reached within ``max_pages``."""
        filter_ = self._filter(start, end)
        rows: list[Mapping[str, Any]] = []
        for index in range(max_pages):
            body = {
                "filter": filter_,
                "offset": index * PAGE_SIZE,
                "limit": PAGE_SIZE,
                # A stable order keeps offset pages from overlapping or skipping rows.
                "sort": {"created_at": "asc"},
                "includeInputs": False,
            }
            page = _rows(
                self.http.request("POST", f"{self.base_url}{QUERY_PATH}", json=body)
            )
            rows += page
            if len(page) < PAGE_SIZE:
                return rows, True
        return rows, False


def _rows(payload: Any) -> list[Mapping[str, Any]]:
    """The request rows of one page; ConnectorError for Helicone's error shape or a body
    that is not the documented ``{"data": [...], "error": null}``."""
    if not isinstance(payload, dict):
        raise ConnectorError("Helicone answered with an unexpected body")
    if payload.get("error"):
        raise ConnectorError(
            f"Helicone reported an error: {str(payload['error'])[:200]}"
        )
    data = payload.get("data")
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConnectorError("Helicone answered with an unexpected body")
    return [row for row in data if isinstance(row, dict)]
