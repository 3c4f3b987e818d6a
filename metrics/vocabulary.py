"""The fixed vocabulary of metrics Runway keeps, with units and how buckets combine.

Every source is normalised into these; pure data, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Metric(StrEnum):
    REQUESTS = "requests"
    ERRORS = "errors"
    LATENCY_P50_MS = "latency_p50_ms"
    LATENCY_P95_MS = "latency_p95_ms"
    INPUT_TOKENS = "input_tokens"
    OUTPUT_TOKENS = "output_tokens"
    COST_BILLED_USD = "cost_billed_usd"  # from the provider's invoice-grade cost report
    COST_OBSERVED_USD = "cost_observed_usd"  # from an observability tool's price table
    QUALITY_SCORE = "quality_score"  # 0-1, dimension = the score's name
    FEEDBACK_POSITIVE = "feedback_positive"
    FEEDBACK_NEGATIVE = "feedback_negative"
    PIPELINE_FAILURES = "pipeline_failures"


class Bucket(StrEnum):
    HOUR = "hour"
    DAY = "day"


@dataclass(frozen=True)
class MetricInfo:
    label: str
    unit: str
    # How hourly buckets combine into a day: "sum" for counts and money; percentiles
    # and scores are never averaged, so a day of those comes only from a daily value.
    combine: str


METRICS: dict[Metric, MetricInfo] = {
    Metric.REQUESTS: MetricInfo("Requests", "requests", "sum"),
    Metric.ERRORS: MetricInfo("Errors", "requests", "sum"),
    Metric.LATENCY_P50_MS: MetricInfo("Latency p50", "ms", "none"),
    Metric.LATENCY_P95_MS: MetricInfo("Latency p95", "ms", "none"),
    Metric.INPUT_TOKENS: MetricInfo("Input tokens", "tokens", "sum"),
    Metric.OUTPUT_TOKENS: MetricInfo("Output tokens", "tokens", "sum"),
    Metric.COST_BILLED_USD: MetricInfo("Cost (billed)", "USD", "sum"),
    Metric.COST_OBSERVED_USD: MetricInfo("Cost (observed)", "USD", "sum"),
    Metric.QUALITY_SCORE: MetricInfo("Quality score", "score 0–1", "none"),
    Metric.FEEDBACK_POSITIVE: MetricInfo("Positive feedback", "votes", "sum"),
    Metric.FEEDBACK_NEGATIVE: MetricInfo("Negative feedback", "votes", "sum"),
    Metric.PIPELINE_FAILURES: MetricInfo("Pipeline failures", "failures", "sum"),
}


@dataclass(frozen=True)
class Sample:
    """One value of one metric for one bucket, as a connector reports it.

    ``bucket_start`` is timezone-aware UTC and aligned to the bucket (the hour or the
    day); ``dimension`` is a model name or a score name, or "" for the whole project.
    """

    metric: Metric
    bucket_start: datetime
    bucket: Bucket
    value: Decimal
    dimension: str = ""
