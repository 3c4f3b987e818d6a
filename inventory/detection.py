"""Which models a project's traffic went to, and whether each may serve the project:
pure rules over rollup rows a selector loaded, no database.

The connected services report traffic per model under a rollup's ``dimension``: the
model's name for the providers and observability tools, a ``k=v,k2=v2`` label list for
Prometheus (the value of its ``model`` label). Quality scores are per score name, never
per model, so their rows are never read here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from metrics.vocabulary import Metric
from projects.models import DataClassification

# The metrics whose dimension is a model.
TRAFFIC_METRICS: tuple[Metric, ...] = (
    Metric.REQUESTS,
    Metric.INPUT_TOKENS,
    Metric.OUTPUT_TOKENS,
    Metric.COST_BILLED_USD,
    Metric.COST_OBSERVED_USD,
)
TOKENS = (Metric.INPUT_TOKENS, Metric.OUTPUT_TOKENS)
COSTS = (Metric.COST_BILLED_USD, Metric.COST_OBSERVED_USD)

# Approval statuses (``inventory.models.ApprovalStatus``' values; kept as plain strings
# so that this module needs no model).
APPROVED = "approved"
NON_SENSITIVE = "non_sensitive"


def may_serve(
    approval: str, max_classification: str, project_classification: str
) -> bool:
    """A model may serve a project when it is approved for data at least as sensitive
    as the project's, or approved for non-sensitive data only and the project's data is
    internal at most. A model not approved, or not reviewed yet, never may."""
    rank = DataClassification.rank(project_classification)
    if approval == APPROVED:
        return bool(max_classification) and rank <= DataClassification.rank(
            max_classification
        )
    if approval == NON_SENSITIVE:
        return rank <= DataClassification.rank(DataClassification.INTERNAL)
    return False


def model_of(dimension: str) -> str | None:
    """The model a rollup's dimension names; None when it names none (the project-wide
    row, or a Prometheus label list without a ``model`` label)."""
    dimension = dimension.strip()
    if not dimension:
        return None
    if "=" not in dimension:
        return dimension
    for label in dimension.split(","):
        key, _, value = label.partition("=")
        if key.strip() == "model" and value.strip():
            return value.strip()
    return None


def key_of(name: str) -> str:
    """Model names match whatever their case."""
    return name.strip().lower()


class Unit(StrEnum):
    REQUESTS = "requests"
    TOKENS = "tokens"  # input + output, where a source counts no requests
    USD = "USD"  # where a source reports only the cost


@dataclass(frozen=True)
class Usage:
    """A model's traffic on one day, in the best unit its sources report."""

    key: str  # ``key_of`` the name
    name: str  # as a source first spelled it
    day: date
    volume: Decimal
    unit: Unit

    @property
    def volume_text(self) -> str:
        return volume_text(self.volume, self.unit)


def volume_text(volume: Decimal, unit: Unit) -> str:
    if unit == Unit.USD:
        return f"${volume:,.2f} of cost"
    return f"{volume:,.0f} {unit}"


# A rollup row as ``usage`` reads it: metric, dimension, service id, day, value.
Row = tuple[str, str, int, date, Decimal]


def usage(rows: Iterable[Row]) -> list[Usage]:
    """Each model's traffic per day, from rollup rows of ``TRAFFIC_METRICS``; only days
    with some traffic. A day counts requests when a source reported requests for the
    model, else its input and output tokens, else its cost.

    Sources that watch the same traffic (a provider's report and an observability
    tool) are not added up: the busiest source's figure is taken, which never
    overstates. Within one source, the dimensions that name the same model (Prometheus
    series split by other labels) add up."""
    names: dict[str, str] = {}
    # (model key, day) -> service -> metric -> value
    seen: dict[tuple[str, date], dict[int, dict[str, Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(Decimal))
    )
    for metric, dimension, service_id, day, value in rows:
        name = model_of(dimension)
        if name is None or metric not in TRAFFIC_METRICS or value <= 0:
            continue
        key = key_of(name)
        names.setdefault(key, name)
        seen[(key, day)][service_id][metric] += value
    found: list[Usage] = []
    for (key, day), by_service in sorted(seen.items()):
        volume, unit = _volume(by_service.values())
        found.append(Usage(key, names[key], day, volume, unit))
    return found


def _volume(by_service: Iterable[Mapping[str, Decimal]]) -> tuple[Decimal, Unit]:
    sources = list(by_service)
    requests = [s[Metric.REQUESTS] for s in sources if Metric.REQUESTS in s]
    if requests:
        return max(requests), Unit.REQUESTS
    tokens = [_sum(s, TOKENS) for s in sources]
    if any(tokens):
        return max(tokens), Unit.TOKENS
    return max(_sum(s, COSTS) for s in sources), Unit.USD


def _sum(values: Mapping[str, Decimal], metrics: tuple[Metric, ...]) -> Decimal:
    return sum((values[m] for m in metrics if m in values), Decimal(0))


def totals(usages: Iterable[Usage]) -> dict[str, tuple[Decimal, Unit]]:
    """Each model's volume over the days of ``usages``: its requests when some day
    counted requests, else its tokens, else its cost."""
    by_unit: dict[str, dict[Unit, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for u in usages:
        by_unit[u.key][u.unit] += u.volume
    return {
        key: next((units[unit], unit) for unit in Unit if unit in units)
        for key, units in by_unit.items()
    }


@dataclass(frozen=True)
class Approval:
    """What the inventory says of a model."""

    approval: str
    max_classification: str


@dataclass(frozen=True)
class Breach:
    """Traffic to a model that may not serve the project."""

    usage: Usage
    others: int  # further models that may not serve it either

    def message(self, project_classification: str) -> str:
        """E.g. "gpt-4o-mini is not approved for regulated data: 1,234 requests on
        2026-12-01"."""
        data = DataClassification(project_classification).label.lower()
        u = self.usage
        text = (
            f"{u.name} is not approved for {data} data: {u.volume_text} on "
            f"{u.day:%Y-%m-%d}"
        )
        if self.others:
            text += f" (and {self.others} other model{'s' if self.others > 1 else ''})"
        return text


def breach(
    usages: Iterable[Usage],
    approvals: Mapping[str, Approval],
    project_classification: str,
) -> Breach | None:
    """The traffic to name in the project's alert, or None when every model its
    traffic went to may serve it: the latest day's busiest model that may not.
    ``approvals`` by model key; a model missing from it is not reviewed yet."""

    def allowed(u: Usage) -> bool:
        known = approvals.get(u.key)
        return known is not None and may_serve(
            known.approval, known.max_classification, project_classification
        )

    barred = [u for u in usages if not allowed(u)]
    if not barred:
        return None
    worst = max(barred, key=lambda u: (u.day, u.unit == Unit.REQUESTS, u.volume, u.key))
    others = len({u.key for u in barred} - {worst.key})
    return Breach(worst, others)
