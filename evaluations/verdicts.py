"""What step 6 asks of evaluation runs, as pure rules over plain values: a run is
compared with the baseline metric by metric, and a load test with the requirements'
peak volume, latency and error-rate targets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


def plain(value: Decimal | None, unit: str = "") -> str:
    """A figure as it was sent, without trailing zeros ("" for none)."""
    if value is None:
        return ""
    return f"{value.normalize():f}" + (f" {unit}" if unit else "")


def score(value: Decimal) -> str:
    """A 0–1 score as people read it: two places, more only when they matter."""
    text = plain(value)
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


@dataclass(frozen=True)
class Regression:
    metric: str
    baseline: Decimal
    latest: Decimal | None  # None: the latest run did not score it

    @property
    def change(self) -> Decimal | None:
        return None if self.latest is None else self.latest - self.baseline

    def describe(self) -> str:
        if self.latest is None or self.change is None:
            return f"{self.metric} not scored (baseline {score(self.baseline)})"
        return (
            f"{self.metric} {score(self.latest)} against {score(self.baseline)} "
            f"({score(self.change)})"
        )


def regressions(
    *,
    latest: Mapping[str, Decimal],
    baseline: Mapping[str, Decimal],
    tolerance: Decimal,
) -> list[Regression]:
    """Every metric the baseline scored that the latest run scored lower by more than
    ``tolerance``, or did not score at all (a metric that stops being measured cannot
    show it held), by name. A metric only the latest run scored has nothing to fall
    from."""
    return [
        Regression(metric, baseline[metric], latest.get(metric))
        for metric in sorted(baseline)
        if metric not in latest or baseline[metric] - latest[metric] > tolerance
    ]


@dataclass(frozen=True)
class LoadTestFacts:
    achieved_rps: Decimal | None
    p95_latency_ms: Decimal | None
    error_rate_pct: Decimal | None


def load_test_shortfalls(
    facts: LoadTestFacts,
    *,
    p95_latency_ms: int | None,
    error_rate_pct: Decimal | None,
) -> list[str]:
    """What a load test at the peak volume missed, each with its value and target. A
    figure the test did not report counts as missed: it cannot show the target met."""
    missed = []
    if p95_latency_ms is not None:
        if facts.p95_latency_ms is None:
            missed.append("it reported no p95 latency")
        elif facts.p95_latency_ms > p95_latency_ms:
            missed.append(
                f"p95 latency {plain(facts.p95_latency_ms)} ms, over the "
                f"{p95_latency_ms} ms target"
            )
    if error_rate_pct is not None:
        if facts.error_rate_pct is None:
            missed.append("it reported no error rate")
        elif facts.error_rate_pct > error_rate_pct:
            missed.append(
                f"error rate {plain(facts.error_rate_pct)} %, over the "
                f"{plain(error_rate_pct)} % target"
            )
    return missed


def pass_rate(passed: int | None, failed: int | None) -> Decimal | None:
    if passed is None or failed is None or passed + failed == 0:
        return None
    return Decimal(passed) / Decimal(passed + failed)
