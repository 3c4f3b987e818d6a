"""The latency sketch's stated error bound (metrics.latency_sketch): every percentile
it reports is within RELATIVE_ACCURACY of the exact nearest-rank value over the same
requests, however the requests were split into batches and merged."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.latency_sketch import (
    RELATIVE_ACCURACY,
    sketch_dump,
    sketch_load,
    sketch_of,
    sketch_percentile,
)
from metrics.percentiles import nearest_rank

PERCENTILES = (1, 5, 25, 50, 75, 90, 95, 99, 100)


def assert_within_bound(latencies, sketch):
    for percentile in PERCENTILES:
        exact = nearest_rank(latencies, percentile)
        reported = sketch_percentile(sketch, percentile)
        assert abs(reported - exact) <= RELATIVE_ACCURACY * exact + 1e-9, (
            percentile,
            exact,
            reported,
        )


def merged_from_batches(latencies, size):
    """The sketch the rollup keeps: one per batch, stored, loaded and merged."""
    day = sketch_of(())
    for start in range(0, len(latencies), size):
        stored = sketch_dump(sketch_of(latencies[start : start + size]))
        day.merge(sketch_load(stored))
    return day


_RNG = random.Random(20261203)
KNOWN = {
    # A typical API: most answers quick, a long tail.
    "lognormal": [round(_RNG.lognormvariate(6.5, 0.9), 1) for _ in range(5000)],
    "uniform": [float(n) for n in range(1, 2001)],
    "ties": [float((n * 7919) % 23 * 10 + 10) for n in range(997)],
    "two clusters": [50.0] * 900 + [30_000.0] * 100,
    "with instant answers": [0.0] * 40 + [float(n) for n in range(1, 161)],
    "one request": [1840.0],
}


@pytest.mark.parametrize("name", KNOWN)
@pytest.mark.parametrize("batch", [1, 7, 1000, 10_000])
def test_percentiles_on_known_data_are_within_the_stated_bound(name, batch):
    latencies = KNOWN[name]
    assert_within_bound(latencies, merged_from_batches(latencies, batch))


def test_merging_batches_gives_the_same_percentiles_as_one_sketch():
    latencies = KNOWN["lognormal"]
    whole = sketch_of(latencies)
    merged = merged_from_batches(latencies, 333)
    for percentile in PERCENTILES:
        assert sketch_percentile(merged, percentile) == sketch_percentile(
            whole, percentile
        )


@settings(max_examples=200, deadline=None)
@given(
    latencies=st.lists(
        st.floats(min_value=0, max_value=600_000, allow_nan=False),
        min_size=1,
        max_size=400,
    ),
    batch=st.integers(min_value=1, max_value=50),
)
def test_percentiles_of_any_latencies_are_within_the_stated_bound(latencies, batch):
    assert_within_bound(latencies, merged_from_batches(latencies, batch))


def test_the_two_reported_values_of_a_small_day_are_close_to_what_people_waited():
    # Nearest rank over 20 requests of 10..200 ms: p50 is 100 ms, p95 190 ms.
    sketch = sketch_of([10.0 * n for n in range(1, 21)])
    assert sketch_percentile(sketch, 50) == pytest.approx(100, rel=RELATIVE_ACCURACY)
    assert sketch_percentile(sketch, 95) == pytest.approx(190, rel=RELATIVE_ACCURACY)


def test_an_empty_sketch_has_no_percentile():
    with pytest.raises(ValueError):
        sketch_percentile(sketch_of(()), 95)
