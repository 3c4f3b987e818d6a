"""Langfuse: observed cost, tokens, requests, latency percentiles, errors, quality scores and
user feedback for one Langfuse project (a project key pair is scoped to one project).

Mapping (all daily buckets, UTC midnight; ``environment`` filter on every query):

- Metrics v2, view ``observations``, per ``providedModelName`` per day:
  ``count_count`` → REQUESTS, ``sum_inputTokens`` → INPUT_TOKENS, ``sum_outputTokens`` →
  OUTPUT_TOKENS (tokens), ``sum_totalCost`` → COST_OBSERVED_USD (USD, from Langfuse's price
  tables, so "observed", never "billed"), ``p50_latency`` / ``p95_latency`` → LATENCY_P50_MS /
  LATENCY_P95_MS (ms, stored exactly as Langfuse computed them per model and day — never
  averaged). Dimension = the model name.
- Metrics v2 again, filtered to ``level = ERROR``, per model per day: ``count_count`` → ERRORS
  (dimension = model), so errors and requests count the same population.
- Scores v3 (paginated by ``meta.cursor``): NUMERIC scores → QUALITY_SCORE, the mean per
  (score name, day), dimension = score name, on the score's own scale; BOOLEAN scores named
  ``config["feedback_score_name"]`` (default "user_feedback") → FEEDBACK_POSITIVE (value 1) /
  FEEDBACK_NEGATIVE (value 0), counted per day.

Observations without a model name (spans, events, tool calls) are not model requests, so their
rows are skipped rather than counted as requests under an empty dimension.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from metrics.connectors.base import Connector, ConnectorError, Http
from metrics.vocabulary import Bucket, Metric, Sample

PROVIDER = "Langfuse"
DEFAULT_BASE_URL = "https://cloud.langfuse.com"
METRICS_PATH = "/api/public/v2/metrics"
SCORES_PATH = "/api/public/v3/scores"
# Metrics v2 has no pagination, only a row limit (max 1000); a full answer may be cut off.
ROW_LIMIT = 1000
SCORES_PAGE_SIZE = 100  # the v3 maximum
# A runaway cursor must end the run, not loop forever.
MAX_PAGES = 1000
DEFAULT_FEEDBACK_SCORE_NAME = "user_feedback"

# Metrics v2 names each output column "<aggregation>_<measure>".
OBSERVATION_METRICS: tuple[tuple[Metric, str, str], ...] = (
    (Metric.REQUESTS, "count", "count"),
    (Metric.INPUT_TOKENS, "inputTokens", "sum"),
    (Metric.OUTPUT_TOKENS, "outputTokens", "sum"),
    (Metric.COST_OBSERVED_USD, "totalCost", "sum"),
    (Metric.LATENCY_P50_MS, "latency", "p50"),
    (Metric.LATENCY_P95_MS, "latency", "p95"),
)


class LangfuseConnector(Connector):
    """Pulls one Langfuse project. Credentials: ``public_key`` (pk-lf-…) and ``secret_key``
    (sk-lf-…); ``base_url`` defaults to Langfuse Cloud EU when empty. Config:
    ``feedback_score_name`` (optional)."""

    kind: ClassVar[str] = "langfuse"

    def test(self) -> str:
        """Count the environment's observations of the last 7 days (one metrics call)."""
        end = datetime.now(UTC)
        query = {
            "view": "observations",
            "metrics": [{"measure": "count", "aggregation": "count"}],
            "filters": [self._environment_filter()],
            "fromTimestamp": _iso(end - timedelta(days=7)),
            "toTimestamp": _iso(end),
        }
        rows = _rows(self._get(METRICS_PATH, {"query": _dump(query)}))
        total = sum(
            (_decimal(row.get("count_count")) or Decimal(0) for row in rows), Decimal(0)
        )
        return f"Connected: {int(total):,} observations in the last 7 days"

    def fetch(self, *, start: datetime, end: datetime) -> list[Sample]:
        """Daily samples for the days from the one containing ``start`` to the one
        containing the instant before ``end`` (today's partial day included)."""
        start, end = _floor_day(start), _ceil_day(end)
        return [
            *self._observation_samples(start, end),
            *self._error_samples(start, end),
            *self._score_samples(start, end),
        ]

    # -- observations ------------------------------------------------------------------

    def _observation_samples(self, start: datetime, end: datetime) -> list[Sample]:
        query = {
            "view": "observations",
            "dimensions": [{"field": "providedModelName"}],
            "metrics": [
                {"measure": m, "aggregation": a} for _, m, a in OBSERVATION_METRICS
            ],
            "filters": [self._environment_filter()],
            "timeDimension": {"granularity": "day"},
        }
        samples: list[Sample] = []
        for model, day, row in self._model_day_rows(query, start, end):
            for metric, measure, aggregation in OBSERVATION_METRICS:
                value = _decimal(row.get(f"{aggregation}_{measure}"))
                if value is not None:
                    samples.append(Sample(metric, day, Bucket.DAY, value, model))
        return samples

    def _error_samples(self, start: datetime, end: datetime) -> list[Sample]:
        query = {
            "view": "observations",
            "dimensions": [{"field": "providedModelName"}],
            "metrics": [{"measure": "count", "aggregation": "count"}],
            "filters": [
                self._environment_filter(),
                {
                    "column": "level",
                    "operator": "any of",
                    "value": ["ERROR"],
                    "type": "stringOptions",
                },
            ],
            "timeDimension": {"granularity": "day"},
        }
        samples: list[Sample] = []
        for model, day, row in self._model_day_rows(query, start, end):
            value = _decimal(row.get("count_count"))
            if value is not None:
                samples.append(Sample(Metric.ERRORS, day, Bucket.DAY, value, model))
        return samples

    def _model_day_rows(
        self, query: dict[str, Any], start: datetime, end: datetime
    ) -> list[tuple[str, datetime, dict[str, Any]]]:
        """(model, day, row) for rows with a model and a day inside [start, end); one row per
        (model, day), as the query groups by both."""
        result = []
        for row in self._metrics_rows(query, start, end):
            model = row.get("providedModelName")
            day = _parse_day(row.get("time_dimension"))
            if not isinstance(model, str) or not model or day is None:
                continue
            result.append((model, day, row))
        return result

    def _metrics_rows(
        self, query: dict[str, Any], start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        """All rows of a metrics v2 query over whole days [start, end). A full answer may
        have been cut at the row limit, so the window is halved until every answer fits."""
        body = {
            **query,
            "fromTimestamp": _iso(start),
            "toTimestamp": _iso(end),
            "config": {"row_limit": ROW_LIMIT},
        }
        rows = _rows(self._get(METRICS_PATH, {"query": _dump(body)}))
        if len(rows) >= ROW_LIMIT:
            days = (end - start).days
            if days <= 1:
                raise ConnectorError(
                    f"{PROVIDER} returned more than {ROW_LIMIT} rows for one day; too many models to count truthfully."
                )
            middle = start + timedelta(days=days // 2)
            return self._metrics_rows(query, start, middle) + self._metrics_rows(
                query, middle, end
            )
        # Whether toTimestamp is inclusive is not documented; a row for the day at ``end``
        # would be partial and must not overwrite that day's full value.
        return [
            row
            for row in rows
            if (day := _parse_day(row.get("time_dimension"))) is None
            or start <= day < end
        ]

    # -- scores --------------------------------------------------------------------------

    def _score_samples(self, start: datetime, end: datetime) -> list[Sample]:
        feedback_name = str(
            self.config.get("feedback_score_name") or DEFAULT_FEEDBACK_SCORE_NAME
        )
        totals: dict[tuple[str, datetime], Decimal] = defaultdict(Decimal)
        counts: dict[tuple[str, datetime], int] = defaultdict(int)
        feedback: dict[tuple[Metric, datetime], int] = defaultdict(int)
        for score in self._scores(start, end):
            name = score.get("name")
            day = _parse_day(score.get("timestamp"))
            value = _decimal(score.get("value"))
            if not isinstance(name, str) or not name or day is None or value is None:
                continue
            if not start <= day < end:
                continue
            environment = score.get("environment")
            if environment is not None and environment != self.environment:
                continue  # the server filters already; never let another environment in
            data_type = score.get("dataType")
            if data_type == "NUMERIC":
                totals[(name, day)] += value
                counts[(name, day)] += 1
            elif data_type == "BOOLEAN" and name == feedback_name:
                # Boolean scores carry 1 (true) or 0 (false) in ``value``.
                if value == 1:
                    feedback[(Metric.FEEDBACK_POSITIVE, day)] += 1
                elif value == 0:
                    feedback[(Metric.FEEDBACK_NEGATIVE, day)] += 1
        samples = [
            # The mean of the day's scores on the score's own scale; stored to 6 places.
            Sample(
                Metric.QUALITY_SCORE,
                day,
                Bucket.DAY,
                _quantize(total / counts[(name, day)]),
                name,
            )
            for (name, day), total in totals.items()
        ]
        samples += [
            Sample(metric, day, Bucket.DAY, Decimal(n))
            for (metric, day), n in feedback.items()
        ]
        return samples

    def _scores(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every NUMERIC and BOOLEAN score of the environment in [start, end), all pages."""
        params: dict[str, str] = {
            "limit": str(SCORES_PAGE_SIZE),
            "dataType": "NUMERIC,BOOLEAN",
            "environment": self.environment,
            "fromTimestamp": _iso(start),
            "toTimestamp": _iso(end),
        }
        scores: list[dict[str, Any]] = []
        seen: set[str] = set()
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = self._get(
                SCORES_PATH, {**params, "cursor": cursor} if cursor else params
            )
            scores += _rows(page)
            meta = page.get("meta")
            cursor = meta.get("cursor") if isinstance(meta, dict) else None
            if not isinstance(cursor, str) or not cursor:
                return scores  # no cursor: that was the last page
            if cursor in seen:
                raise ConnectorError(
                    f"{PROVIDER} returned the same scores cursor twice."
                )
            seen.add(cursor)
        raise ConnectorError(
            f"{PROVIDER} returned more than {MAX_PAGES} pages of scores."
        )

    # -- HTTP ----------------------------------------------------------------------------

    def _environment_filter(self) -> dict[str, Any]:
        return {
            "column": "environment",
            "operator": "any of",
            "value": [self.environment],
            "type": "stringOptions",
        }

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        public_key = self.credentials.get("public_key", "")
        secret_key = self.credentials.get("secret_key", "")
        if not public_key or not secret_key:
            raise ConnectorError(
                f"{PROVIDER} needs a public key and a secret key.", permanent=True
            )
        http = Http(self.client, PROVIDER, auth=(public_key, secret_key))
        body = http.request(
            "GET", f"{self.base_url or DEFAULT_BASE_URL}{path}", params=params
        )
        if not isinstance(body, dict):
            raise ConnectorError(f"{PROVIDER} answered with an unexpected shape.")
        return body


def _rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    data = body.get("data")
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConnectorError(f"{PROVIDER} answered with an unexpected shape.")
    return [row for row in data if isinstance(row, dict)]


def _dump(query: dict[str, Any]) -> str:
    return json.dumps(query, separators=(",", ":"))


def _decimal(value: object) -> Decimal | None:
    """Numbers come as JSON numbers or as strings (ClickHouse sums); None, junk, NaN and
    infinities give None so the caller skips them. Floats go through str() to stay exact."""
    if isinstance(value, bool):
        return Decimal(int(value))
    if not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.000001"))


def _iso(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _floor_day(moment: datetime) -> datetime:
    return _utc(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def _ceil_day(moment: datetime) -> datetime:
    day = _floor_day(moment)
    return day if day == _utc(moment) else day + timedelta(days=1)


def _parse_day(value: object) -> datetime | None:
    """The UTC day of an ISO timestamp ("2026-08-01T00:00:00.000Z"; no zone = UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return _floor_day(moment)
