"""Langfuse: observed cost, tokens, requests, latency percentiles, errors, quality scores and
user feedback for one Langfuse project (a project key pair is scoped to one project).

Mapping (all daily buckets, UTC midnight; ``environment`` filter on every query):

- Metrics v2, view ``observations``, per ``providedModelName`` per day:
  ``count_count`` → REQUESTS, ``sum_inputTokens`` → INPUT_TOKENS, ``sum_outputTokens`` →
  OUTPUT_TOKENS (tokens), ``sum_totalCost`` → COST_OBSERVED_USD (USD, from Langfuse's price
  tables, so "observed", never "billed"), ``p50_latency`` / ``p95_latency`` → LATENCY_P50_MS /
  LATENCY_P95_MS (ms, stored exactly as Langfuse computed them per model and day — never
  averaged). Dimension = the model name.
- Metrics v2 again without the model dimension, over the same population (observations
  with a model name): ``p50_latency`` / ``p95_latency`` → LATENCY_P50_MS / LATENCY_P95_MS
  under dimension "" — the project-wide percentiles as Langfuse computes them over all the
  day's requests, which tiles, alerts and gates read. A project p95 cannot be rebuilt from
  per-model p95s, so it is asked for, never derived. Only percentiles get a "" row: the
  dashboard adds up every dimension of counts and money, so a "" total would count twice.
- Metrics v2 again, filtered to ``level = ERROR``, per model per day: ``count_count`` → ERRORS
  (dimension = model), so errors and requests count the same population. A (model, day)
  that had requests and no error row gets ERRORS = 0: zero is a value, not "no data".
- Scores v3 (paginated by ``meta.cursor``; NUMERIC, BOOLEAN and CATEGORICAL): scores that
  ``metrics.connectors.feedback`` recognises as feedback (by name and kind, from config)
  → FEEDBACK_POSITIVE / FEEDBACK_NEGATIVE, counted per day (both, 0 included, on a day
  with any vote); every other NUMERIC score →
  QUALITY_SCORE, the mean per (score name, day), dimension = score name, on the score's
  own scale. A feedback score is never also a quality score.

Observations without a model name (spans, events, tool calls) are not model requests, so their
rows are skipped rather than counted as requests under an empty dimension. Metrics v2 fills
days without data with zeros (ClickHouse ``WITH FILL``), so a project-wide row whose count
is 0 is "no data", never a latency of 0 ms.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from metrics.connectors.base import Connector, ConnectorError, Http, json_objects
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
    parse_day,
    parse_decimal,
    rfc3339,
)
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
# An older config named one BOOLEAN feedback score; it still counts when set.
LEGACY_FEEDBACK_KEY = "feedback_score_name"

# Metrics v2 names each output column "<aggregation>_<measure>".
OBSERVATION_METRICS: tuple[tuple[Metric, str, str], ...] = (
    (Metric.REQUESTS, "count", "count"),
    (Metric.INPUT_TOKENS, "inputTokens", "sum"),
    (Metric.OUTPUT_TOKENS, "outputTokens", "sum"),
    (Metric.COST_OBSERVED_USD, "totalCost", "sum"),
    (Metric.LATENCY_P50_MS, "latency", "p50"),
    (Metric.LATENCY_P95_MS, "latency", "p95"),
)
# The project-wide query: percentiles only, plus the count that tells a real day from a
# zero-filled one.
PROJECT_METRICS: tuple[tuple[Metric, str, str], ...] = (
    (Metric.LATENCY_P50_MS, "latency", "p50"),
    (Metric.LATENCY_P95_MS, "latency", "p95"),
)


class LangfuseConnector(Connector):
    """Pulls one Langfuse project. Credentials: ``public_key`` (pk-lf-…) and ``secret_key``
    (sk-lf-…); ``base_url`` defaults to Langfuse Cloud EU when empty. Config: the feedback
    keys of ``metrics.connectors.feedback`` (optional; ``feedback_score_name`` from older
    configs still names the feedback score)."""

    kind: ClassVar[str] = "langfuse"

    def test(self) -> str:
        """Count the environment's observations of the last 7 days (one metrics call)."""
        end = datetime.now(UTC)
        query = {
            "view": "observations",
            "metrics": [{"measure": "count", "aggregation": "count"}],
            "filters": [self._environment_filter()],
            "fromTimestamp": rfc3339(end - timedelta(days=7)),
            "toTimestamp": rfc3339(end),
        }
        rows = _rows(self._get(METRICS_PATH, {"query": _dump(query)}))
        total = sum(
            (_number(row.get("count_count")) or Decimal(0) for row in rows), Decimal(0)
        )
        return f"Connected: {int(total):,} observations in the last 7 days"

    def fetch(self, *, start: datetime, end: datetime) -> list[Sample]:
        """Daily samples for the days from the one containing ``start`` to the one
        containing the instant before ``end`` (today's partial day included)."""
        start, end = floor_day(start), ceil_day(end)
        observations = self._observation_samples(start, end)
        requested = {
            (s.dimension, s.bucket_start)
            for s in observations
            if s.metric is Metric.REQUESTS and s.value > 0
        }
        return [
            *observations,
            *self._error_samples(start, end, requested),
            *self._project_latency_samples(start, end),
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
                value = _number(row.get(f"{aggregation}_{measure}"))
                if value is not None:
                    samples.append(Sample(metric, day, Bucket.DAY, value, model))
        return samples

    def _project_latency_samples(self, start: datetime, end: datetime) -> list[Sample]:
        """The day's p50/p95 over every request of the project, as Langfuse computes them,
        under dimension "". Same filters as the per-model query, and only observations
        with a model name, so the project figure covers the requests that are counted."""
        query = {
            "view": "observations",
            "metrics": [
                {"measure": "count", "aggregation": "count"},
                *({"measure": m, "aggregation": a} for _, m, a in PROJECT_METRICS),
            ],
            "filters": [
                self._environment_filter(),
                {
                    "column": "providedModelName",
                    "operator": "is not null",
                    "value": "",
                    "type": "null",
                },
            ],
            "timeDimension": {"granularity": "day"},
        }
        samples: list[Sample] = []
        for row in self._metrics_rows(query, start, end):
            day = parse_day(row.get("time_dimension"))
            count = _number(row.get("count_count"))
            if day is None or not count:
                continue  # a zero-filled day had no requests: no latency, not 0 ms
            for metric, measure, aggregation in PROJECT_METRICS:
                value = _number(row.get(f"{aggregation}_{measure}"))
                if value is not None:
                    samples.append(Sample(metric, day, Bucket.DAY, value))
        return samples

    def _error_samples(
        self,
        start: datetime,
        end: datetime,
        requested: set[tuple[str, datetime]],
    ) -> list[Sample]:
        """Errors per (model, day); 0 for a (model, day) in ``requested`` (it had requests)
        that has no error row, because Langfuse answers only for days with errors."""
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
        errors: dict[tuple[str, datetime], Decimal] = dict.fromkeys(
            requested, Decimal(0)
        )
        for model, day, row in self._model_day_rows(query, start, end):
            value = _number(row.get("count_count"))
            if value is not None:
                errors[(model, day)] = value
        return [
            Sample(Metric.ERRORS, day, Bucket.DAY, value, model)
            for (model, day), value in errors.items()
        ]

    def _model_day_rows(
        self, query: dict[str, Any], start: datetime, end: datetime
    ) -> list[tuple[str, datetime, dict[str, Any]]]:
        """(model, day, row) for rows with a model and a day inside [start, end); one row per
        (model, day), as the query groups by both."""
        result = []
        for row in self._metrics_rows(query, start, end):
            model = row.get("providedModelName")
            day = parse_day(row.get("time_dimension"))
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
            "fromTimestamp": rfc3339(start),
            "toTimestamp": rfc3339(end),
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
            if (day := parse_day(row.get("time_dimension"))) is None
            or start <= day < end
        ]

    # -- scores --------------------------------------------------------------------------

    def _score_samples(self, start: datetime, end: datetime) -> list[Sample]:
        rule = FeedbackRule.from_config(
            self.config,
            default_names=DEFAULT_NAMES_BY_KIND[self.kind],
            legacy_key=LEGACY_FEEDBACK_KEY,
        )
        totals: dict[tuple[str, datetime], Decimal] = defaultdict(Decimal)
        counts: dict[tuple[str, datetime], int] = defaultdict(int)
        feedback: dict[tuple[Metric, datetime], int] = defaultdict(int)
        for score in self._scores(start, end):
            name = score.get("name")
            day = parse_day(score.get("timestamp"))
            if not isinstance(name, str) or not name or day is None:
                continue
            if not start <= day < end:
                continue
            environment = score.get("environment")
            if environment is not None and environment != self.environment:
                continue  # the server filters already; never let another environment in
            data_type = score.get("dataType")
            value = _number(score.get("value"))
            if (
                isinstance(data_type, str)
                and rule.is_named(name)
                and rule.accepts(data_type)
            ):
                # Feedback, whatever it says, is kept apart from quality scores.
                vote = _vote(rule, data_type, value, score.get("stringValue"))
                if vote is not None:
                    feedback[(vote, day)] += 1
            elif data_type == NUMERIC and value is not None:
                totals[(name, day)] += value
                counts[(name, day)] += 1
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
        # Both counts for every day with a vote, so "no votes down" reads as 0.
        samples += [
            Sample(metric, day, Bucket.DAY, Decimal(feedback.get((metric, day), 0)))
            for day in sorted({day for _, day in feedback})
            for metric in (Metric.FEEDBACK_POSITIVE, Metric.FEEDBACK_NEGATIVE)
        ]
        return samples

    def _scores(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every NUMERIC, BOOLEAN and CATEGORICAL score of the environment in [start, end),
        all pages (categorical ones are read for feedback labels such as "thumbs_up")."""
        params: dict[str, str] = {
            "limit": str(SCORES_PAGE_SIZE),
            "dataType": f"{NUMERIC},{BOOLEAN},{CATEGORICAL}",
            "environment": self.environment,
            "fromTimestamp": rfc3339(start),
            "toTimestamp": rfc3339(end),
        }
        scores: list[dict[str, Any]] = []
        for page in self.pages(
            lambda cursor: self._get(
                SCORES_PATH, {**params, "cursor": cursor} if cursor else params
            ),
            cursor_of=_next_cursor,
            max_pages=MAX_PAGES,
            provider=PROVIDER,
            repeated=f"{PROVIDER} returned the same scores cursor twice.",
            too_many=f"{PROVIDER} returned more than {MAX_PAGES} pages of scores.",
        ):
            scores += _rows(page)
        return scores

    # -- HTTP ----------------------------------------------------------------------------

    @property
    def address(self) -> str:
        """The Langfuse host: the service's base URL, else Langfuse Cloud (EU)."""
        return self.base_url or DEFAULT_BASE_URL

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """One GET of Langfuse's public API (``path`` like ``/api/public/v2/datasets``)
        with the project's keys, retries and timeouts, for other apps to read through
        (evaluations reads datasets and dataset runs). ConnectorError when it fails."""
        return self._get(path, dict(params or {}))

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
        body = http.request("GET", f"{self.address}{path}", params=params)
        if not isinstance(body, dict):
            raise ConnectorError(f"{PROVIDER} answered with an unexpected shape.")
        return body


def _number(value: object) -> Decimal | None:
    """A Langfuse value as a number: metric columns come as numbers or as strings
    (ClickHouse sums), and a boolean score's true/false counts as 1/0."""
    return parse_decimal(value, booleans=True)


def _rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    return json_objects(body.get("data"), PROVIDER)


def _next_cursor(page: dict[str, Any]) -> str | None:
    """The scores list's next cursor (``meta.cursor``); None on the last page."""
    meta = page.get("meta")
    cursor = meta.get("cursor") if isinstance(meta, dict) else None
    return cursor if isinstance(cursor, str) and cursor else None


def _vote(
    rule: FeedbackRule, data_type: str, value: Decimal | None, label: object
) -> Metric | None:
    """The vote of one feedback score: categorical scores by their label (``value`` is only
    a config's numeric mapping), boolean and numeric ones by their number (1 up; 0 or -1
    down), falling back to ``stringValue`` ("True"/"False") when the number is missing."""
    if data_type == CATEGORICAL:
        return rule.vote_of_label(label)
    if value is not None:
        return vote_of_number(value)
    return rule.vote_of_label(label)


def _dump(query: dict[str, Any]) -> str:
    return json.dumps(query, separators=(",", ":"))


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.000001"))
