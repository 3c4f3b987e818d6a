"""Percentiles of per-request values, the way Runway computes them wherever it sees the
requests themselves: the Helicone and LangSmith connectors, which read per-request
rows, and pushed events (through a sketch that picks the same rank, within 1 % of its
value: ``metrics.latency_sketch``).

Pure arithmetic, no database. Nearest rank is used because its result is always one
of the observed values: a reported p95 of 1,840 ms is a request someone waited for.
"""

from __future__ import annotations

from collections.abc import Sequence


def nearest_rank(values: Sequence[float], percentile: int) -> float:
    """The ``percentile`` (0 < p ≤ 100) of ``values`` by the nearest-rank method: the
    smallest value such that at least p % of the values are less than or equal to it."""
    if not values:
        raise ValueError("A percentile of no values is undefined.")
    if not 0 < percentile <= 100:
        raise ValueError("The percentile must be in (0, 100].")
    ordered = sorted(values)
    return ordered[rank_of(percentile, len(ordered)) - 1]


def rank_of(percentile: int, count: int) -> int:
    """The 1-based rank of the nearest-rank ``percentile`` among ``count`` values."""
    # Integer arithmetic: 0.95 * 100 in floating point is 95.00000000000001, whose
    # ceiling would pick the wrong rank.
    return -(-percentile * count // 100)
