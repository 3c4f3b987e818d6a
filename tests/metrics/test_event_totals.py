"""A day's totals (metrics.event_totals): added batch by batch they equal the totals
of all the day's events at once, and the day's samples are what those events say."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from metrics.event_totals import Event, Totals, day_samples, totals_of
from metrics.latency_sketch import sketch_percentile
from metrics.vocabulary import Bucket, Metric

DAY = date(2026, 11, 30)


def event(n, **overrides):
    values = {
        "latency_ms": 10.0 * n,
        "input_tokens": 100 + n,
        "output_tokens": 10 * n,
        "cost_usd": Decimal("0.00000123") * n,
        "error": n % 5 == 0,
        "quality_score_name": "",
        "quality_score": None,
        "feedback": None,
    }
    values.update(overrides)
    return Event(**values)


EVENTS = [
    event(n, quality_score_name="helpfulness", quality_score=0.25 * (n % 5))
    if n % 3 == 0
    else event(n, feedback=(1, 0, -1)[n % 3])
    if n % 4 == 0
    else event(n)
    for n in range(1, 101)
]


def as_dict(samples):
    return {(s.metric, s.dimension): s.value for s in samples}


def test_totals_added_batch_by_batch_equal_the_totals_of_the_whole_day():
    day = Totals()
    for start in range(0, len(EVENTS), 13):
        day.merge(totals_of(EVENTS[start : start + 13]))
    whole = totals_of(EVENTS)
    assert day.requests == whole.requests == 100
    assert (day.errors, day.input_tokens, day.output_tokens, day.cost_usd) == (
        whole.errors,
        whole.input_tokens,
        whole.output_tokens,
        whole.cost_usd,
    )
    assert day.quality == whole.quality
    assert (day.feedback_votes, day.feedback_positive, day.feedback_negative) == (
        whole.feedback_votes,
        whole.feedback_positive,
        whole.feedback_negative,
    )
    for percentile in (50, 95):
        assert sketch_percentile(day.latencies, percentile) == sketch_percentile(
            whole.latencies, percentile
        )


def test_a_days_samples_say_what_its_events_say():
    gpt, claude = EVENTS[:60], EVENTS[60:]
    samples = day_samples(DAY, {"gpt": totals_of(gpt), "claude": totals_of(claude)})
    assert {(s.bucket, s.bucket_start.date()) for s in samples} == {(Bucket.DAY, DAY)}
    values = as_dict(samples)
    assert values[(Metric.REQUESTS, "gpt")] == 60
    assert values[(Metric.REQUESTS, "claude")] == 40
    assert values[(Metric.ERRORS, "gpt")] == sum(e.error for e in gpt)
    assert values[(Metric.INPUT_TOKENS, "claude")] == sum(
        e.input_tokens for e in claude
    )
    assert values[(Metric.OUTPUT_TOKENS, "gpt")] == sum(e.output_tokens for e in gpt)
    assert values[(Metric.COST_OBSERVED_USD, "claude")] == sum(
        e.cost_usd for e in claude
    ).quantize(Decimal("0.000001"))
    scores = [e.quality_score for e in EVENTS if e.quality_score is not None]
    assert values[(Metric.QUALITY_SCORE, "helpfulness")] == Decimal(
        str(sum(scores) / len(scores))
    ).quantize(Decimal("0.000001"))
    votes = [e.feedback for e in EVENTS if e.feedback is not None]
    assert 0 in votes  # a vote of 0 is neither positive nor negative
    assert values[(Metric.FEEDBACK_POSITIVE, "")] == votes.count(1)
    assert values[(Metric.FEEDBACK_NEGATIVE, "")] == votes.count(-1)
    # Percentiles across both models: 10 .. 1,000 ms, p50 500 ms and p95 950 ms.
    assert abs(values[(Metric.LATENCY_P50_MS, "")] - 500) <= 5
    assert abs(values[(Metric.LATENCY_P95_MS, "")] - 950) <= Decimal("9.5")


def test_a_day_without_votes_or_scores_writes_none():
    values = as_dict(day_samples(DAY, {"gpt": totals_of([event(1), event(2)])}))
    assert (Metric.FEEDBACK_POSITIVE, "") not in values
    assert (Metric.FEEDBACK_NEGATIVE, "") not in values
    assert not any(metric == Metric.QUALITY_SCORE for metric, _ in values)
    assert values[(Metric.REQUESTS, "gpt")] == 2
