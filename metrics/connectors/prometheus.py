"""Prometheus: one PromQL expression per metric, read as hourly samples.

config::

    {"queries": {"latency_p95_ms": "histogram_quantile(0.95, sum by (le) (rate(x_bucket[1h])))",
                 "requests": "sum(increase(x_total[1h]))"},
     "scale": {"latency_p95_ms": 1000}}

Keys are vocabulary values (``Metric``); ``scale`` multiplies a metric's values (1000
turns seconds into milliseconds). Units are whatever the expression yields times the
scale, so the expression must produce the vocabulary's unit (ms, requests, USD, …).

Buckets (``Bucket.HOUR``): the value of an expression evaluated at time t describes the
hour *ending* at t, which is what range selectors like ``[1h]`` look back over. So each
completed hour [h, h+1h) is read from ``GET /api/v1/query_range`` at h+1h (start/end in
Unix seconds, step 3600), and an hour still in progress at ``end`` is read with one
``GET /api/v1/query`` at ``end`` (its value so far; later syncs replace it).

Sample values arrive as strings; "NaN", "+Inf" and "-Inf" (e.g. a quantile or ratio
over no traffic) are skipped, never stored. When several series come back, additive
metrics (counts, tokens, money) are summed, which is their total, under dimension "".
Percentiles of separate series cannot be combined into the project's, so a latency
query that returns one series is the project-wide value (dimension ""), and one that
returns several is stored series by series (dimension = the series' labels, e.g.
``instance=10.0.0.1:8000``) with no project-wide value: aggregate in PromQL (``sum by
(le)``) to get one. Scores take the largest series.

Daily latency (``Bucket.DAY``): hourly percentiles never add up to a day, so for
``latency_p50_ms`` / ``latency_p95_ms`` the same expression is also evaluated over each
whole UTC day — every range selector's duration set to the day (``[1h]`` → ``[86400s]``),
read at the day's end — and over today so far (``[<seconds since midnight>s]`` at
``end``). That is Prometheus's own percentile over the day (for a histogram,
``histogram_quantile`` over the day's bucket increases), which the dashboard reads. An
expression without a range selector (a summary's precomputed quantile gauge) has no
daily value: a gauge at midnight is not the day's p95.

Zero is a value: when both ``requests`` and ``errors`` are configured, an hour with
requests for which the errors expression returned nothing (an error counter that does
not exist until the first error) is stored as 0 errors.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from metrics.connectors.base import (
    Connector,
    ConnectorError,
    Http,
    redact,
    secret_forms,
    short_error,
)
from metrics.connectors.parsing import (
    ceil_day,
    ceil_to,
    epoch_seconds,
    floor_day,
    floor_to,
    parse_decimal,
    parse_whole_seconds,
)
from metrics.vocabulary import METRICS, Bucket, Metric, Sample

STEP = 3600
DAY = 86400
PERCENTILES = frozenset({Metric.LATENCY_P50_MS, Metric.LATENCY_P95_MS})
# A dimension is at most this long (the column's width).
MAX_DIMENSION = 120
# The duration inside a range selector or a subquery's range: "[1h]", "[5m:1m]", "[1h30m]".
_RANGE = re.compile(r"\[(\s*)((?:\d+(?:\.\d+)?(?:ms|[smhdwy]))+)(?=\s*[:\]])")
# Error types Prometheus uses for an expression that will never run as written.
PERMANENT_ERROR_TYPES = {"bad_data"}
# HTTP statuses Prometheus uses for a bad expression or bad parameters.
PERMANENT_STATUSES = {400, 422}


def over_window(expression: str, seconds: int) -> str | None:
    """``expression`` with every range selector looking back ``seconds``; None when it
    has no range selector, so evaluating it over a day would mean nothing."""
    result, count = _RANGE.subn(
        lambda found: f"[{found.group(1)}{seconds}s", expression
    )
    return result if count else None


def _dimension(labels: Any) -> str:
    """A series' labels as a dimension, ``k=v`` sorted and joined by commas; a long one
    is cut and keeps a hash so two series never share a dimension."""
    if not isinstance(labels, dict):
        return ""
    text = ",".join(
        f"{key}={value}" for key, value in sorted(labels.items()) if key != "__name__"
    )
    if len(text) <= MAX_DIMENSION:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{text[: MAX_DIMENSION - 9]}~{digest}"


class PrometheusConnector(Connector):
    """Configured PromQL per metric → hourly samples, and daily ones for latency
    (dimension "", or a series' labels for a latency query answering several series).

    credentials (all optional): ``{"token": "…"}`` for a bearer token, or
    ``{"username": "…", "password": "…"}`` for basic auth.
    """

    kind = "prometheus"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        headers: dict[str, str] = {}
        auth: tuple[str, str] | None = None
        if self.credentials.get("token"):
            headers["Authorization"] = f"Bearer {self.credentials['token']}"
        elif self.credentials.get("username"):
            auth = (
                str(self.credentials["username"]),
                str(self.credentials.get("password", "")),
            )
        self.http = Http(
            client=self.client, provider="Prometheus", headers=headers, auth=auth
        )

    def queries(self) -> dict[Metric, str]:
        """The configured expressions by metric; ConnectorError for an unknown name."""
        raw = self.config.get("queries") or {}
        if not isinstance(raw, Mapping):
            raise ConnectorError(
                "Prometheus “queries” must map metric names to PromQL", permanent=True
            )
        queries: dict[Metric, str] = {}
        for name, expression in raw.items():
            try:
                metric = Metric(name)
            except ValueError:
                raise ConnectorError(
                    f"Unknown metric “{name}” in the Prometheus queries", permanent=True
                ) from None
            if str(expression).strip():
                queries[metric] = str(expression)
        return queries

    def _scale(self, metric: Metric) -> Decimal:
        scale = (self.config.get("scale") or {}).get(metric.value, 1)
        try:
            return Decimal(str(scale))
        except InvalidOperation:
            raise ConnectorError(
                f"The scale for “{metric.value}” is not a number", permanent=True
            ) from None

    def test(self) -> str:
        queries = self.queries()
        expression = next(iter(queries.values()), "up")
        data = self._call("/api/v1/query", {"query": expression}, label=expression)
        result = data.get("result")
        if data.get("resultType") == "scalar":
            count = 1
        else:
            count = len(result) if isinstance(result, list) else 0
        return f"Connected: Prometheus answered with {count} series"

    def fetch(self, *, start: datetime, end: datetime) -> list[Sample]:
        """Hourly samples for the hours starting in [start, end); for latency also daily
        ones for the UTC days starting in [start, end), today's so far included."""
        queries = self.queries()
        samples: list[Sample] = []
        for metric, expression in queries.items():
            points = self._points(expression, metric.value, start, end, STEP)
            samples += self._samples(metric, points, Bucket.HOUR)
            if metric in PERCENTILES:
                samples += self._daily(metric, expression, start, end)
        return samples + _zero_error_hours(samples, queries)

    def _daily(
        self, metric: Metric, expression: str, start: datetime, end: datetime
    ) -> list[Sample]:
        """The expression over whole days (see the module docstring)."""
        daily = over_window(expression, DAY)
        if daily is None:
            return []
        first = epoch_seconds(ceil_day(start))
        today = epoch_seconds(floor_day(end))
        points: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
        if first + DAY <= today:
            data = self._call(
                "/api/v1/query_range",
                {
                    "query": daily,
                    "start": str(first + DAY),
                    "end": str(today),
                    "step": str(DAY),
                },
                label=metric.value,
            )
            result = _list(data.get("result"))
            for series in result:
                self._add_series(points, series, DAY, several=len(result) > 1)
        elapsed = int(end.timestamp()) - today
        if elapsed > 0 and today >= first:
            so_far = over_window(expression, elapsed)
            assert so_far is not None  # it has a range selector, as ``daily`` showed
            data = self._call(
                "/api/v1/query",
                {"query": so_far, "time": f"{end.timestamp():.3f}"},
                label=metric.value,
            )
            self._add_instant(points, data, today)
        return self._samples(metric, points, Bucket.DAY)

    def _points(
        self, expression: str, label: str, start: datetime, end: datetime, step: int
    ) -> dict[int, list[tuple[str, Decimal]]]:
        """Bucket start → (series dimension, value) for the completed buckets in
        [start, end) and the one in progress at ``end``."""
        width = timedelta(seconds=step)
        first = epoch_seconds(ceil_to(start, width))
        last_complete_end = epoch_seconds(floor_to(end, width))
        partial = last_complete_end if end.timestamp() > last_complete_end else None
        points: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
        if first + step <= last_complete_end:
            params = {
                "query": expression,
                "start": str(first + step),
                "end": str(last_complete_end),
                "step": str(step),
            }
            data = self._call("/api/v1/query_range", params, label=label)
            result = _list(data.get("result"))
            for series in result:
                self._add_series(points, series, step, several=len(result) > 1)
        if partial is not None and partial >= first:
            params = {"query": expression, "time": f"{end.timestamp():.3f}"}
            data = self._call("/api/v1/query", params, label=label)
            self._add_instant(points, data, partial)
        return points

    def _samples(
        self,
        metric: Metric,
        points: dict[int, list[tuple[str, Decimal]]],
        bucket: Bucket,
    ) -> list[Sample]:
        scale = self._scale(metric)
        samples: list[Sample] = []
        for moment, values in sorted(points.items()):
            bucket_start = datetime.fromtimestamp(moment, tz=UTC)
            if METRICS[metric].combine == "sum":
                total = sum((v for _, v in values), Decimal(0))
                samples.append(Sample(metric, bucket_start, bucket, total * scale))
            elif metric in PERCENTILES:
                # One series answered: the project's value, under "". Several: each is
                # kept under its labels; none of them, nor any mix, is the project's.
                samples += [
                    Sample(metric, bucket_start, bucket, v * scale, dimension)
                    for dimension, v in values
                ]
            else:
                best = max(v for _, v in values)
                samples.append(Sample(metric, bucket_start, bucket, best * scale))
        return samples

    @staticmethod
    def _add_series(
        points: dict[int, list[tuple[str, Decimal]]],
        series: Any,
        step: int,
        *,
        several: bool,
    ) -> None:
        """Record a range series' points under the bucket ending at each timestamp;
        ``several``: the answer had more than one series, so each keeps its labels."""
        if not isinstance(series, dict):
            return
        dimension = _dimension(series.get("metric")) if several else ""
        for point in _list(series.get("values")):
            if (pair := _point(point)) is not None:
                timestamp, value = pair
                points[timestamp - step].append((dimension, value))

    @staticmethod
    def _add_instant(
        points: dict[int, list[tuple[str, Decimal]]], data: dict[str, Any], bucket: int
    ) -> None:
        """Record an instant answer (a vector of series, or a scalar) under ``bucket``."""
        result = data.get("result")
        if data.get("resultType") == "scalar":
            if (pair := _point(result)) is not None:
                points[bucket].append(("", pair[1]))
            return
        if data.get("resultType") != "vector":
            return
        vector = _list(result)
        for series in vector:
            if isinstance(series, dict) and (pair := _point(series.get("value"))):
                labels = series.get("metric") if len(vector) > 1 else None
                points[bucket].append((_dimension(labels), pair[1]))

    def _quoted(self, error: object) -> str:
        """Prometheus's own error text, blanked of this service's credentials before it
        is cut, so no part of a key survives at the cut."""
        if not isinstance(error, str):
            return ""
        return short_error(redact(error, secret_forms(self.credentials.values())))

    def _call(self, path: str, params: dict[str, str], *, label: str) -> dict[str, Any]:
        """GET one API path and return its ``data``; a rejected expression is permanent."""
        try:
            body = self.http.request("GET", f"{self.base_url}{path}", params=params)
        except ConnectorError as exc:
            if exc.status in PERMANENT_STATUSES:
                raise ConnectorError(
                    f"Prometheus rejected the query for “{label}”: {exc.provider_error or exc.message}",
                    permanent=True,
                    status=exc.status,
                ) from exc
            raise
        if not isinstance(body, dict):
            raise ConnectorError("Prometheus answered with an unexpected body")
        if body.get("status") == "error":
            error_type = str(body.get("errorType") or "")
            raise ConnectorError(
                f"Prometheus could not run the query for “{label}”: {self._quoted(body.get('error')) or error_type}",
                permanent=error_type in PERMANENT_ERROR_TYPES,
            )
        data = body.get("data")
        if body.get("status") != "success" or not isinstance(data, dict):
            raise ConnectorError("Prometheus answered with an unexpected body")
        return data


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _point(point: Any) -> tuple[int, Decimal] | None:
    """A ``[timestamp, "value"]`` pair as (whole seconds, value); None for NaN/±Inf or
    junk."""
    if not isinstance(point, list) or len(point) != 2:
        return None
    value = parse_decimal(point[1])
    timestamp = parse_whole_seconds(point[0])
    if value is None or timestamp is None:
        return None
    return timestamp, value


def _zero_error_hours(
    samples: list[Sample], queries: Mapping[Metric, str]
) -> list[Sample]:
    """ERRORS = 0 for each hour with requests and no errors value, when both are
    configured: an errors expression over a counter that no error has created yet
    returns nothing, which means none, not "unknown"."""
    if Metric.ERRORS not in queries or Metric.REQUESTS not in queries:
        return []
    with_errors = {s.bucket_start for s in samples if s.metric is Metric.ERRORS}
    return [
        Sample(Metric.ERRORS, s.bucket_start, s.bucket, Decimal(0))
        for s in samples
        if s.metric is Metric.REQUESTS
        and s.value > 0
        and s.bucket_start not in with_errors
    ]
