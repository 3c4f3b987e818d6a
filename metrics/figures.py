"""Which sources count for each of a project's figures, and why: pure rules, no database.

Two families of sources feed a project (domain.md, "Rules that keep the numbers true"):

- **Billed**: the model providers' own usage and cost reports (OpenAI, Anthropic). Each
  provider bills separately, so their figures **add up** across every provider account
  mapped to the project.
- **Observed**: the observability sources (Langfuse, Helicone, LangSmith, Prometheus, the
  push API, the demo generator). They watch the same traffic, so for each metric **one
  source counts**: the project's own choice, else the first in ``OBSERVED_ORDER`` that
  provides the metric. The others are shown for comparison, never added in.

The choice depends only on which live services a project has and how they are set up,
never on the range being looked at, so a day's figure is the same on every page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from metrics.vocabulary import Metric


class Family(StrEnum):
    BILLED = "billed"
    OBSERVED = "observed"


ALL_METRICS = frozenset(Metric)

# What each provider's reports count (metrics/connectors/openai.py and anthropic.py).
BILLED_PROVIDES: dict[str, frozenset[Metric]] = {
    "openai": frozenset(
        {
            Metric.REQUESTS,
            Metric.INPUT_TOKENS,
            Metric.OUTPUT_TOKENS,
            Metric.COST_BILLED_USD,
        }
    ),
    "anthropic": frozenset(
        {Metric.INPUT_TOKENS, Metric.OUTPUT_TOKENS, Metric.COST_BILLED_USD}
    ),
}

_TRAFFIC = frozenset(
    {
        Metric.REQUESTS,
        Metric.ERRORS,
        Metric.LATENCY_P50_MS,
        Metric.LATENCY_P95_MS,
        Metric.INPUT_TOKENS,
        Metric.OUTPUT_TOKENS,
        Metric.COST_OBSERVED_USD,
    }
)
# What each observability connector reads. Prometheus provides what its queries name;
# pushed and generated data may carry any metric.
OBSERVED_PROVIDES: dict[str, frozenset[Metric]] = {
    "langfuse": _TRAFFIC
    | {Metric.QUALITY_SCORE, Metric.FEEDBACK_POSITIVE, Metric.FEEDBACK_NEGATIVE},
    "helicone": _TRAFFIC | {Metric.FEEDBACK_POSITIVE, Metric.FEEDBACK_NEGATIVE},
    "langsmith": _TRAFFIC | {Metric.FEEDBACK_POSITIVE, Metric.FEEDBACK_NEGATIVE},
    "push": ALL_METRICS - {Metric.COST_BILLED_USD},
    "demo": ALL_METRICS - {Metric.COST_BILLED_USD},
}
# Earlier wins when the project has not chosen.
OBSERVED_ORDER = ("langfuse", "helicone", "langsmith", "prometheus", "push", "demo")

# Which family a metric's figure comes from: the first family the project has a source
# of. Tokens come from the providers' reports first (invoice grade, every provider adds
# up); requests from the observability source first, because that is the population its
# errors and latency were measured on (Anthropic's report counts no requests at all).
FAMILY_ORDER: dict[Metric, tuple[Family, ...]] = {
    Metric.COST_BILLED_USD: (Family.BILLED,),
    Metric.INPUT_TOKENS: (Family.BILLED, Family.OBSERVED),
    Metric.OUTPUT_TOKENS: (Family.BILLED, Family.OBSERVED),
    Metric.REQUESTS: (Family.OBSERVED, Family.BILLED),
}


@dataclass(frozen=True)
class Source:
    """A live connected service, as the rules see it."""

    pk: int
    kind: str
    name: str
    provides: frozenset[Metric]
    last_success: datetime | None = None

    @property
    def family(self) -> Family:
        return Family.BILLED if self.kind in BILLED_PROVIDES else Family.OBSERVED


def provides(kind: str, config: Mapping[str, Any] | None) -> frozenset[Metric]:
    """The metrics a service of this kind and configuration reports."""
    if kind in BILLED_PROVIDES:
        return BILLED_PROVIDES[kind]
    if kind == "prometheus":
        queries = (config or {}).get("queries") or {}
        names = queries.keys() if isinstance(queries, dict) else ()
        # By value, not by iterating the enum: the portfolio asks this of every
        # service of every project on each rebuild.
        return frozenset(_METRIC_BY_VALUE[n] for n in names if n in _METRIC_BY_VALUE)
    return OBSERVED_PROVIDES.get(kind, frozenset())


_METRIC_BY_VALUE = {m.value: m for m in Metric}


@dataclass(frozen=True)
class Counted:
    """The sources whose values make a metric's figure, added up (billed) or the one
    that counts (observed), and the rule in words."""

    metric: Metric
    family: Family
    sources: tuple[Source, ...]
    rule: str

    @property
    def names(self) -> str:
        return " + ".join(source.name for source in self.sources)

    @property
    def pks(self) -> tuple[int, ...]:
        return tuple(source.pk for source in self.sources)


def _rank(source: Source) -> tuple[int, int]:
    order = (
        OBSERVED_ORDER.index(source.kind)
        if source.kind in OBSERVED_ORDER
        else len(OBSERVED_ORDER)
    )
    return order, source.pk


def counted(
    metric: Metric, sources: Iterable[Source], chosen: int | None = None
) -> Counted | None:
    """Who counts for ``metric`` among a project's live ``sources``; ``chosen`` is the
    service the project picked for it on its Metrics tab, if any. None: no source of
    the project reports the metric."""
    feeding = [s for s in sources if metric in s.provides]
    for family in FAMILY_ORDER.get(metric, (Family.OBSERVED,)):
        members = sorted((s for s in feeding if s.family == family), key=lambda s: s.pk)
        if not members:
            continue
        if family == Family.BILLED:
            return Counted(
                metric,
                family,
                tuple(members),
                "The sum of the providers' own reports: each provider bills separately.",
            )
        picked = next((s for s in members if s.pk == chosen), None)
        if picked is not None:
            rule = f"{picked.name} counts: chosen for this project on its Metrics tab."
        else:
            picked = min(members, key=_rank)
            rule = (
                f"{picked.name} counts: the first observability source in the default "
                "order (Langfuse, Helicone, LangSmith, Prometheus, push API, demo)."
            )
        if len(members) > 1:
            rule += (
                " The others watch the same traffic: shown for comparison, never added."
            )
        return Counted(metric, family, (picked,), rule)
    return None


def cost_metric(sources: Sequence[Source]) -> Metric:
    """The cost that budgets, forecasts and the cost gate use: billed when a provider's
    cost report is mapped to the project, else the observed estimate."""
    if any(Metric.COST_BILLED_USD in s.provides for s in sources):
        return Metric.COST_BILLED_USD
    return Metric.COST_OBSERVED_USD
