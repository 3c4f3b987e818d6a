"""Latency percentiles that can be added to batch by batch: a DDSketch (Datadog's
``ddsketch`` package) per push source, day and model.

A sketch counts values in logarithmic buckets, so two sketches merge by adding their
counts, and a day's percentile comes from the merged sketch without reading the day's
events again. That is what keeps a busy project's rollup as cheap as a quiet one's:
each batch costs what the batch costs.

The error bound: with ``RELATIVE_ACCURACY`` α = 1 %, the value this module reports
for a percentile is within α of the exact nearest-rank value (``percentiles.
nearest_rank``) over the same requests, that is ``|reported − exact| ≤ α × exact``.
A reported p95 of 1,840 ms means a request someone waited between 1,822 and 1,858
ms for. The rank is chosen exactly as nearest rank chooses it; only the value within
its bucket is estimated. tests/metrics/test_latency_sketch.py checks the bound on
known data.

Pure: no database. Sketches are stored as the library's protobuf message.
"""

from __future__ import annotations

from collections.abc import Iterable

from ddsketch import DDSketch
from ddsketch.ddsketch import BaseDDSketch
from ddsketch.pb.ddsketch_pb2 import DDSketch as DDSketchMessage
from ddsketch.pb.proto import DDSketchProto

from metrics.percentiles import rank_of

RELATIVE_ACCURACY = 0.01


def sketch_of(values: Iterable[float]) -> BaseDDSketch:
    """A new sketch holding ``values`` (latencies in ms, none negative)."""
    sketch = DDSketch(relative_accuracy=RELATIVE_ACCURACY)
    for value in values:
        sketch.add(value)
    return sketch


# The library's protobuf module is untyped (pyproject's mypy overrides skip it).
def sketch_dump(sketch: BaseDDSketch) -> bytes:
    data: bytes = DDSketchProto.to_proto(sketch).SerializeToString()
    return data


def sketch_load(data: bytes) -> BaseDDSketch:
    message = DDSketchMessage()
    message.ParseFromString(data)
    sketch: BaseDDSketch = DDSketchProto.from_proto(message)
    return sketch


def sketch_percentile(sketch: BaseDDSketch, percentile: int) -> float:
    """The nearest-rank ``percentile`` (0 < p ≤ 100) of the sketched values, within
    ``RELATIVE_ACCURACY`` of the exact one."""
    count = round(sketch.count)
    if count == 0:
        raise ValueError("A percentile of no values is undefined.")
    # The sketch looks up rank q × (count − 1), 0-based, and returns the bucket of
    # the first value past it. Asking for the middle of the nearest rank's interval
    # picks exactly that value's bucket, whatever the floating point error of q.
    rank = rank_of(percentile, count) - 1
    quantile = 0.0 if count == 1 else min(1.0, (rank + 0.5) / (count - 1))
    value = sketch.get_quantile_value(quantile)
    assert value is not None  # noqa: S101  (only None for an empty sketch or bad q)
    return float(value)
