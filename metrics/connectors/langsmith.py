"""LangSmith: a tracing project's root runs, aggregated here into daily samples.

Each root run is one request to the application (its child runs are the LLM and tool
calls inside it). We page through ``POST /api/v2/runs/query`` (``is_root``, a start-time
window, ``selects`` so only the fields we need come back, cursor pagination) and
aggregate in Python. Mapping, per UTC day (``Bucket.DAY``), dimension "" (root runs are
chains, not one model, so there is no honest per-model split):

==================  =====================================================  =========
metric              from each root run                                     unit
==================  =====================================================  =========
REQUESTS            one per run                                            requests
ERRORS              ``status == "error"`` or a non-empty ``error``          requests
INPUT_TOKENS        sum of ``prompt_tokens``                               tokens
OUTPUT_TOKENS       sum of ``completion_tokens``                           tokens
COST_OBSERVED_USD   sum of ``total_cost`` (LangSmith's price table)        USD
LATENCY_P50_MS      nearest-rank p50 of ``latency_seconds`` × 1000         ms
LATENCY_P95_MS      nearest-rank p95 of ``latency_seconds`` × 1000         ms
FEEDBACK_POSITIVE   votes up in ``feedback_stats`` of the feedback keys        votes
FEEDBACK_NEGATIVE   votes down in ``feedback_stats`` of the feedback keys      votes
==================  =====================================================  =========

Feedback keys are recognised by ``metrics.connectors.feedback`` (names and kind from
config; by default user_feedback, user-feedback, feedback, thumbs, thumbs_up_down,
thumbs_up and LangSmith's conventional user_score, any case). A run's
``feedback_stats[key]`` carries ``n``, ``avg``, ``min``, ``max`` of the numeric scores
and ``values``, the count of each categorical value. Votes are read as:

- categorical (``values``): each label's count, up or down by the rule's labels;
- numeric, all scores equal (``min == max``, or n = 1): n votes of that number (1 up;
  0 or -1 down);
- numeric 0/1 (``min ≥ 0``, ``max ≤ 1``): round(n × avg) up, the rest down;
- numeric ±1 (``min = -1``, ``max = 1``): round(n × (avg + 1) / 2) up, the rest down;
- anything else (a 1–5 rating under a feedback name) is not votes and is left out.

Both vote counts are stored for a day on which any run had feedback, so "no votes down"
reads as 0. The day's ERRORS are stored for every day with runs, 0 included.

Percentiles are the nearest-rank method (the value at rank ceil(p/100 × n) of the day's
sorted latencies), computed per day from all the day's root runs — the project-wide
figure, as there is no per-model split — never averaged. Runs still pending have no
latency and are counted as requests only. Missing tokens or cost are left out of the
sums; a metric with no value at all on a day gives no sample rather than 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from metrics.connectors.base import Connector, ConnectorError, Http
from metrics.connectors.feedback import (
    BOOLEAN,
    CATEGORICAL,
    DEFAULT_NAMES_BY_KIND,
    NUMERIC,
    FeedbackRule,
    vote_of_number,
)
from metrics.connectors.parsing import (
    ceil_day,
    floor_day,
    parse_decimal,
    parse_timestamp,
    rfc3339,
)
from metrics.percentiles import nearest_rank
from metrics.vocabulary import Bucket, Metric, Sample

BASE_URL = "https://api.smith.langchain.com"
QUERY_PATH = "/api/v2/runs/query"
PAGE_SIZE = 1000  # the endpoint's maximum
SELECTS = [
    "START_TIME",
    "STATUS",
    "ERROR",
    "LATENCY_SECONDS",
    "PROMPT_TOKENS",
    "COMPLETION_TOKENS",
    "TOTAL_TOKENS",
    "TOTAL_COST",
    "FEEDBACK_STATS",
]
# Guards against a cursor that never ends: 500 pages are 500,000 root runs per window.
MAX_PAGES = 500
# test() needs an order of magnitude within seconds.
TEST_MAX_PAGES = 10


@dataclass
class _Day:
    requests: int = 0
    errors: int = 0
    sums: dict[Metric, Decimal] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)

    def add(self, metric: Metric, value: Decimal | None) -> None:
        if value is not None:
            self.sums[metric] = self.sums.get(metric, Decimal(0)) + value


def _votes(stat: Any, rule: FeedbackRule) -> tuple[Decimal, Decimal] | None:
    """(up, down) from one key's ``{"n", "avg", "min", "max", "values"}`` (see the module
    docstring); None when it holds no votes the rule accepts."""
    if not isinstance(stat, dict):
        return None
    if rule.accepts(CATEGORICAL) and isinstance(stat.get("values"), dict):
        up = down = Decimal(0)
        for label, count in stat["values"].items():
            n = parse_decimal(count)
            vote = rule.vote_of_label(label)
            if n is None or n < 0 or vote is None:
                continue
            if vote is Metric.FEEDBACK_POSITIVE:
                up += n
            else:
                down += n
        if up or down:
            return up, down
    if not (rule.accepts(NUMERIC) or rule.accepts(BOOLEAN)):
        return None
    n, avg = parse_decimal(stat.get("n")), parse_decimal(stat.get("avg"))
    low, high = parse_decimal(stat.get("min")), parse_decimal(stat.get("max"))
    if n is None or avg is None or n <= 0:
        return None
    if n == 1 or (low is not None and low == high):
        # Every score is the same number: n votes of it, or no votes.
        vote = vote_of_number(low if low is not None and low == high else avg)
        if vote is None:
            return None
        return (n, Decimal(0)) if vote is Metric.FEEDBACK_POSITIVE else (Decimal(0), n)
    if low is None or high is None:
        # Older answers carry no min/max: a 0–1 average is read as thumbs 1/0.
        low, high = (Decimal(0), Decimal(1)) if 0 <= avg <= 1 else (avg, avg)
    if low >= 0 and high <= 1:
        up = (n * avg).to_integral_value()
    elif low == -1 and high == 1:
        up = (n * (avg + 1) / 2).to_integral_value()
    else:
        return None
    return up, n - up


def aggregate(
    runs: Iterable[Mapping[str, Any]], *, feedback: FeedbackRule | None = None
) -> list[Sample]:
    """Daily samples from LangSmith root runs (see the module docstring); feedback is
    read only with a ``feedback`` rule."""
    days: dict[datetime, _Day] = defaultdict(_Day)
    for run in runs:
        started = parse_timestamp(run.get("start_time"))
        if started is None:
            continue  # a run we cannot place in a day cannot be counted honestly
        day = days[floor_day(started)]
        day.requests += 1
        day.errors += run.get("status") == "error" or bool(run.get("error"))
        day.add(Metric.INPUT_TOKENS, parse_decimal(run.get("prompt_tokens")))
        day.add(Metric.OUTPUT_TOKENS, parse_decimal(run.get("completion_tokens")))
        day.add(Metric.COST_OBSERVED_USD, parse_decimal(run.get("total_cost")))
        latency = parse_decimal(run.get("latency_seconds"))
        if latency is not None and latency >= 0:
            day.latencies_ms.append(float(latency * 1000))
        stats = run.get("feedback_stats")
        if feedback is not None and isinstance(stats, dict):
            for key, stat in stats.items():
                if not isinstance(key, str) or not feedback.is_named(key):
                    continue
                if votes := _votes(stat, feedback):
                    day.add(Metric.FEEDBACK_POSITIVE, votes[0])
                    day.add(Metric.FEEDBACK_NEGATIVE, votes[1])

    samples: list[Sample] = []
    for start, day in sorted(days.items()):
        samples.append(
            Sample(Metric.REQUESTS, start, Bucket.DAY, Decimal(day.requests))
        )
        samples.append(Sample(Metric.ERRORS, start, Bucket.DAY, Decimal(day.errors)))
        samples += [Sample(m, start, Bucket.DAY, v) for m, v in day.sums.items()]
        if day.latencies_ms:
            for metric, p in ((Metric.LATENCY_P50_MS, 50), (Metric.LATENCY_P95_MS, 95)):
                value = Decimal(str(nearest_rank(day.latencies_ms, p)))
                samples.append(Sample(metric, start, Bucket.DAY, value))
    return samples


class LangSmithConnector(Connector):
    """A LangSmith tracing project's root runs → daily REQUESTS, ERRORS, tokens, observed
    cost, latency p50/p95 and (optionally) thumbs feedback.

    credentials: ``{"api_key": "lsv2_…"}``.
    config: ``{"project_id": "<session uuid>", "workspace_id": "<optional X-Tenant-Id>"}``
    plus the feedback keys of ``metrics.connectors.feedback`` (optional; an older
    ``feedback_key`` still names the one feedback key when ``feedback_names`` is unset).
    """

    kind = "langsmith"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = self.base_url or BASE_URL
        headers = {"x-api-key": str(self.credentials.get("api_key", ""))}
        if self.config.get("workspace_id"):
            # Keys that span several workspaces need to say which one.
            headers["X-Tenant-Id"] = str(self.config["workspace_id"])
        self.http = Http(client=self.client, provider="LangSmith", headers=headers)

    @property
    def project_id(self) -> str:
        project_id = str(self.config.get("project_id") or "")
        if not project_id:
            raise ConnectorError(
                "LangSmith needs a project id (config “project_id”)", permanent=True
            )
        return project_id

    def test(self) -> str:
        end = datetime.now(UTC)
        runs, complete = self._collect(
            end - timedelta(days=7), end, max_pages=TEST_MAX_PAGES
        )
        errors = sum(
            run.get("status") == "error" or bool(run.get("error")) for run in runs
        )
        count = f"{len(runs):,}" if complete else f"at least {len(runs):,}"
        return (
            f"Connected: {count} root runs in the last 7 days ({errors:,} with errors)"
        )

    def fetch(self, *, start: datetime, end: datetime) -> list[Sample]:
        """Daily samples for the whole UTC days starting in [start, end); the last day may
        be partial (today) and is re-pulled by later syncs."""
        # The first whole UTC day, so no bucket is stored half full.
        first = ceil_day(start)
        if first >= end:
            return []
        runs, complete = self._collect(first, end, max_pages=MAX_PAGES)
        if not complete:
            raise ConnectorError(
                f"LangSmith returned more than {MAX_PAGES * PAGE_SIZE:,} runs for one window; "
                "Runway stopped rather than store partial numbers"
            )
        rule = FeedbackRule.from_config(
            self.config,
            default_names=DEFAULT_NAMES_BY_KIND[self.kind],
            legacy_key="feedback_key",
        )
        return aggregate(runs, feedback=rule)

    def _collect(
        self, start: datetime, end: datetime, *, max_pages: int
    ) -> tuple[list[Mapping[str, Any]], bool]:
        """Root runs started in [start, end), following ``next_cursor``; the flag says
        whether the last page was reached within ``max_pages``."""
        body: dict[str, Any] = {
            "project_ids": [self.project_id],
            "min_start_time": rfc3339(start, "microseconds"),
            # max_start_time may be inclusive; a run starting exactly at ``end`` belongs
            # to the next window, so it is dropped below.
            "max_start_time": rfc3339(end, "microseconds"),
            "is_root": True,
            "page_size": PAGE_SIZE,
            "selects": SELECTS,
        }
        runs: list[Mapping[str, Any]] = []
        for _ in range(max_pages):
            items, cursor = _page(
                self.http.request("POST", f"{self.base_url}{QUERY_PATH}", json=body)
            )
            runs += [
                r
                for r in items
                if (t := parse_timestamp(r.get("start_time"))) is None or t < end
            ]
            if not cursor:
                return runs, True
            body["cursor"] = cursor
        return runs, False


def _page(payload: Any) -> tuple[list[Mapping[str, Any]], str | None]:
    """The runs and next cursor of one page, or ConnectorError for another shape."""
    if not isinstance(payload, dict) or not isinstance(payload.get("items", []), list):
        raise ConnectorError("LangSmith answered with an unexpected body")
    items: list[Mapping[str, Any]] = [
        item for item in payload.get("items") or [] if isinstance(item, dict)
    ]
    cursor = payload.get("next_cursor")
    return items, str(cursor) if cursor else None
