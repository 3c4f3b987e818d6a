"""What pushed events add up to, per push source, UTC day and model, and the daily
samples a day's totals give.

Totals only ever grow by adding events or merging other totals, so the rollup adds a
batch to what the day held before instead of reading the whole day again
(``metrics.ingest.events_rollup`` keeps them in ``EventDayTotal``). Pure: no
database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import NamedTuple

from ddsketch.ddsketch import BaseDDSketch

from metrics.latency_sketch import sketch_of, sketch_percentile
from metrics.vocabulary import Bucket, Metric, Sample

# Samples keep six decimal places (MetricSample.value).
SIX_PLACES = Decimal("0.000001")


class Event(NamedTuple):
    """The values of one stored event the totals need."""

    latency_ms: float
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    error: bool
    quality_score_name: str
    quality_score: float | None
    feedback: int | None


@dataclass
class Totals:
    requests: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    # {score name: [sum of the scores, how many]}
    quality: dict[str, list[float]] = field(default_factory=dict)
    feedback_votes: int = 0
    feedback_positive: int = 0
    feedback_negative: int = 0
    latencies: BaseDDSketch = field(default_factory=lambda: sketch_of(()))

    def add(self, event: Event) -> None:
        self.requests += 1
        self.errors += event.error
        self.input_tokens += event.input_tokens
        self.output_tokens += event.output_tokens
        self.cost_usd += event.cost_usd
        if event.quality_score is not None:
            scores = self.quality.setdefault(event.quality_score_name, [0.0, 0])
            scores[0] += event.quality_score
            scores[1] += 1
        if event.feedback is not None:
            self.feedback_votes += 1
            self.feedback_positive += event.feedback == 1
            self.feedback_negative += event.feedback == -1
        self.latencies.add(event.latency_ms)

    def merge(self, other: Totals) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cost_usd += other.cost_usd
        for name, (total, count) in other.quality.items():
            scores = self.quality.setdefault(name, [0.0, 0])
            scores[0] += total
            scores[1] += count
        self.feedback_votes += other.feedback_votes
        self.feedback_positive += other.feedback_positive
        self.feedback_negative += other.feedback_negative
        self.latencies.merge(other.latencies)


def totals_of(events: Iterable[Event]) -> Totals:
    totals = Totals()
    for event in events:
        totals.add(event)
    return totals


def _decimal(value: float | Decimal | int) -> Decimal:
    return Decimal(str(value)).quantize(SIX_PLACES)


def day_samples(day: date, by_model: Mapping[str, Totals]) -> list[Sample]:
    """The daily samples of one push source's day: per model, its requests, errors,
    tokens and cost; for the whole day, the p50 and p95 latency, the mean of each
    quality score and, on a day with votes, the feedback."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    samples: list[Sample] = []

    def add(metric: Metric, value: float | Decimal | int, dim: str = "") -> None:
        samples.append(Sample(metric, start, Bucket.DAY, _decimal(value), dim))

    for model in sorted(by_model):
        totals = by_model[model]
        add(Metric.REQUESTS, totals.requests, model)
        add(Metric.ERRORS, totals.errors, model)
        add(Metric.INPUT_TOKENS, totals.input_tokens, model)
        add(Metric.OUTPUT_TOKENS, totals.output_tokens, model)
        add(Metric.COST_OBSERVED_USD, totals.cost_usd, model)
    whole = Totals()
    for totals in by_model.values():
        whole.merge(totals)
    if whole.requests:
        add(Metric.LATENCY_P50_MS, sketch_percentile(whole.latencies, 50))
        add(Metric.LATENCY_P95_MS, sketch_percentile(whole.latencies, 95))
    for name in sorted(whole.quality):
        total, count = whole.quality[name]
        add(Metric.QUALITY_SCORE, total / count, name)
    # A day with no votes at all says nothing about feedback, so it writes no zeros.
    if whole.feedback_votes:
        add(Metric.FEEDBACK_POSITIVE, whole.feedback_positive)
        add(Metric.FEEDBACK_NEGATIVE, whole.feedback_negative)
    return samples
