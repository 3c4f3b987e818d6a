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
metrics (counts, tokens, money) are summed, which is their total; percentiles and
scores take the maximum, because percentiles of separate series cannot be combined,
and the largest per-series p95 is an upper bound of the p95 of all of them together, so
a latency target never looks met when it is not. Aggregate in PromQL to get one series.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from metrics.connectors.base import Connector, ConnectorError, Http
from metrics.vocabulary import METRICS, Bucket, Metric, Sample

STEP = 3600
# Error types Prometheus uses for an expression that will never run as written.
PERMANENT_ERROR_TYPES = {"bad_data"}
# HTTP statuses Prometheus uses for a bad expression or bad parameters.
PERMANENT_STATUSES = {400, 422}


def _hour_ceil(moment: datetime) -> int:
    seconds = moment.timestamp()
    return math.ceil(seconds / STEP) * STEP


def _hour_floor(moment: datetime) -> int:
    return math.floor(moment.timestamp() / STEP) * STEP


def _value(raw: Any) -> Decimal | None:
    """A finite Decimal from Prometheus's string sample value; None for NaN/±Inf/junk."""
    try:
        number = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _error_text(message: str) -> str:
    """The ``error`` field from the JSON body quoted in a base-Http error message."""
    found = re.search(r'"error"\s*:\s*"((?:[^"\\]|\\.)*)', message)
    return found.group(1).replace('\\"', '"') if found else message


class PrometheusConnector(Connector):
    """Configured PromQL per metric → hourly samples (dimension "").

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
        """Hourly samples for the hours starting in [start, end)."""
        first = _hour_ceil(start)
        last_complete_end = _hour_floor(end)  # hours ending at or before ``end``
        partial = _hour_floor(end) if end.timestamp() > _hour_floor(end) else None
        samples: list[Sample] = []
        for metric, expression in self.queries().items():
            points: dict[int, list[Decimal]] = defaultdict(
                list
            )  # hour start → series values
            if first + STEP <= last_complete_end:
                params = {
                    "query": expression,
                    "start": str(first + STEP),
                    "end": str(last_complete_end),
                    "step": str(STEP),
                }
                data = self._call("/api/v1/query_range", params, label=metric.value)
                for series in _list(data.get("result")):
                    for point in _list(
                        series.get("values") if isinstance(series, dict) else None
                    ):
                        self._add(points, point, None)
            if partial is not None and partial >= first:
                params = {"query": expression, "time": f"{end.timestamp():.3f}"}
                data = self._call("/api/v1/query", params, label=metric.value)
                result = data.get("result")
                if data.get("resultType") == "scalar":
                    self._add(points, result, partial)
                for series in _list(
                    result if data.get("resultType") == "vector" else None
                ):
                    value = series.get("value") if isinstance(series, dict) else None
                    self._add(points, value, partial)
            scale = self._scale(metric)
            additive = METRICS[metric].combine == "sum"
            for hour, values in sorted(points.items()):
                value = sum(values, Decimal(0)) if additive else max(values)
                bucket_start = datetime.fromtimestamp(hour, tz=UTC)
                samples.append(Sample(metric, bucket_start, Bucket.HOUR, value * scale))
        return samples

    @staticmethod
    def _add(points: dict[int, list[Decimal]], point: Any, hour: int | None) -> None:
        """Record one ``[timestamp, "value"]`` pair under ``hour``, or, for a range point,
        under the hour ending at its timestamp; NaN/±Inf are skipped."""
        if not isinstance(point, list) or len(point) != 2:
            return
        value = _value(point[1])
        try:
            timestamp = round(float(point[0]))
        except (TypeError, ValueError):
            return
        if value is not None:
            points[timestamp - STEP if hour is None else hour].append(value)

    def _call(self, path: str, params: dict[str, str], *, label: str) -> dict[str, Any]:
        """GET one API path and return its ``data``; a rejected expression is permanent."""
        try:
            body = self.http.request("GET", f"{self.base_url}{path}", params=params)
        except ConnectorError as exc:
            if exc.status in PERMANENT_STATUSES:
                raise ConnectorError(
                    f"Prometheus rejected the query for “{label}”: {_error_text(exc.message)}",
                    permanent=True,
                    status=exc.status,
                ) from exc
            raise
        if not isinstance(body, dict):
            raise ConnectorError("Prometheus answered with an unexpected body")
        if body.get("status") == "error":
            error_type = str(body.get("errorType") or "")
            raise ConnectorError(
                f"Prometheus could not run the query for “{label}”: {body.get('error') or error_type}",
                permanent=error_type in PERMANENT_ERROR_TYPES,
            )
        data = body.get("data")
        if body.get("status") != "success" or not isinstance(data, dict):
            raise ConnectorError("Prometheus answered with an unexpected body")
        return data


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
