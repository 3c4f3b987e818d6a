""" "Why this number": for any figure of a project, each source's own value beside the one
that counts, the rule that picked it, when each source last synced and which days are
complete; and the reconciliation of billed against observed cost. Pure reads over a
``DashboardData``: no database."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from metrics.dashboard import DashboardData, cost_per_thousand, error_rates
from metrics.figures import Family, Source, cost_metric
from metrics.vocabulary import METRICS, Metric

# Figures that are not a metric of their own.
COST = "cost"
ERROR_RATE = "error_rate"
COST_PER_1K = "cost_per_1k"
DERIVED = {
    COST: "Cost (what budgets, forecasts and the cost gate use)",
    ERROR_RATE: "Error rate",
    COST_PER_1K: "Cost per 1,000 requests",
}


def figure_names() -> dict[str, str]:
    """Every figure that can be explained, by its key in URLs and the API."""
    return {**DERIVED, **{m.value: METRICS[m].label for m in Metric}}


@dataclass(frozen=True)
class SourceLine:
    name: str
    family: Family
    counts: bool
    last_synced: datetime | None
    # The source's own value over the period: a total for counts and money; None for
    # percentiles and scores, which are never added across days.
    period_value: Decimal | None


@dataclass(frozen=True)
class DayLine:
    day: date
    complete: bool
    # One value per source, in the order of ``Explanation.sources``; None: no data.
    values: list[Decimal | None]
    figure: Decimal | None


@dataclass(frozen=True)
class Explanation:
    figure: str
    label: str
    unit: str
    start: date
    end: date
    rule: str
    sources: list[SourceLine]
    days: list[DayLine]
    # The figure over the period, where adding days up means something.
    period_value: Decimal | None
    notes: list[str]

    @property
    def complete(self) -> bool:
        return all(line.complete for line in self.days)


def explain(data: DashboardData, figure: str) -> Explanation | None:
    """The explanation of ``figure`` over the data's days; None for an unknown figure."""
    if figure == COST:
        metric = cost_metric(list(data.sources.values()))
        base = _metric(data, metric)
        return replace(
            base,
            figure=COST,
            label=DERIVED[COST],
            notes=[
                "Billed cost from the providers' reports counts when a provider is "
                "mapped to the project; otherwise the observed estimate counts.",
                *base.notes,
            ],
        )
    if figure == ERROR_RATE:
        return _error_rate(data)
    if figure == COST_PER_1K:
        return _per_thousand(data)
    try:
        metric = Metric(figure)
    except ValueError:
        return None
    return _metric(data, metric)


def _day_value(
    metric: Metric, values: dict[str, Decimal] | None, dimension: str | None
) -> Decimal | None:
    if not values:
        return None
    if dimension is not None:
        return values.get(dimension)
    if METRICS[metric].combine == "sum":
        return sum(values.values(), Decimal(0))
    return values.get("")


def _metric(data: DashboardData, metric: Metric) -> Explanation:
    series = data.series.get(metric)
    counting = set(series.counted.pks) if series else set()
    reporting = [
        s
        for s in data.sources.values()
        if s.pk in counting or data.reported_by(metric, s)
    ]
    dimension = None
    notes: list[str] = []
    if metric == Metric.QUALITY_SCORE:
        dimension = (data.targets.quality_score_name if data.targets else "") or (
            series.dimensions()[0] if series and series.dimensions() else ""
        )
        notes.append(f"The score named “{dimension}” (the approved requirements').")
    additive = METRICS[metric].combine == "sum"
    if not additive:
        notes.append(
            "Percentiles and scores are shown day by day as each source computed "
            "them: never averaged, added, or derived from other percentiles."
        )
    days = [
        DayLine(
            day,
            data.is_complete(day),
            [
                _day_value(metric, data.reported_by(metric, s).get(day), dimension)
                for s in reporting
            ],
            _day_value(metric, series.values.get(day), dimension) if series else None,
        )
        for day in data.days
    ]
    lines = [
        SourceLine(
            s.name,
            s.family,
            s.pk in counting,
            s.last_success,
            _total([line.values[n] for line in days]) if additive else None,
        )
        for n, s in enumerate(reporting)
    ]
    rule = (
        series.counted.rule
        if series
        else "No connected source reported this figure in the period."
    )
    return Explanation(
        metric.value,
        METRICS[metric].label,
        METRICS[metric].unit,
        data.start,
        data.end,
        rule,
        lines,
        days,
        _total([line.figure for line in days]) if additive else None,
        notes,
    )


def _total(values: list[Decimal | None]) -> Decimal | None:
    known = [v for v in values if v is not None]
    return sum(known, Decimal(0)) if known else None


def _error_rate(data: DashboardData) -> Explanation:
    errors = data.series.get(Metric.ERRORS)
    rates = error_rates(data)
    sources: list[Source] = list(errors.counted.sources) if errors else []
    days = []
    for day in data.days:
        values: list[Decimal | None] = []
        for s in sources:
            values.append(
                _day_value(
                    Metric.ERRORS, errors.values.get(day) if errors else None, None
                )
            )
            values.append(
                _day_value(
                    Metric.REQUESTS, data.reported_by(Metric.REQUESTS, s).get(day), None
                )
            )
        days.append(DayLine(day, data.is_complete(day), values, rates.get(day)))
    lines = [
        line
        for s in sources
        for line in (
            SourceLine(f"{s.name}: errors", s.family, True, s.last_success, None),
            SourceLine(f"{s.name}: requests", s.family, True, s.last_success, None),
        )
    ]
    return Explanation(
        ERROR_RATE,
        DERIVED[ERROR_RATE],
        "%",
        data.start,
        data.end,
        (errors.counted.rule if errors else "No source counts errors.")
        + " The rate divides its errors by its own requests: one population.",
        lines,
        days,
        None,
        [
            "A day on which the source reported requests and no errors counts as 0 %, "
            "not as missing data."
        ],
    )


def _per_thousand(data: DashboardData) -> Explanation:
    result = cost_per_thousand(data)
    base = _metric(data, cost_metric(list(data.sources.values())))
    return replace(
        base,
        figure=COST_PER_1K,
        label=DERIVED[COST_PER_1K],
        unit="USD",
        period_value=result.value,
        rule=f"Over the period: {result.basis}. Both parts always come from one "
        "family of sources (billed with billed, observed with observed).",
        notes=[],
    )


# --- Reconciliation: billed against observed cost ------------------------------------

# Which provider bills a model, by the start of its name as the providers publish them.
MODEL_PREFIXES: dict[str, tuple[str, ...]] = {
    "openai": (
        "gpt",
        "chatgpt",
        "o1",
        "o3",
        "o4",
        "text-embedding",
        "davinci",
        "babbage",
        "whisper",
        "tts",
        "dall-e",
        "omni-moderation",
        "codex",
    ),
    "anthropic": ("claude",),
}


def provider_of(model: str) -> str:
    """ "openai", "anthropic", or "" when the name is not one of theirs."""
    name = model.lower().rsplit("/", 1)[-1]  # "openai/gpt-4o" from a gateway
    for kind, prefixes in MODEL_PREFIXES.items():
        if name.startswith(prefixes):
            return kind
    return ""


@dataclass(frozen=True)
class ReconLine:
    day: date
    complete: bool
    provider: str  # the provider sources' names, or "Not billed by a mapped provider"
    model: str  # "" on a provider's total line
    billed: Decimal | None
    observed: Decimal | None

    @property
    def difference(self) -> Decimal | None:
        if self.billed is None and self.observed is None:
            return None
        return (self.billed or Decimal(0)) - (self.observed or Decimal(0))

    @property
    def flagged(self) -> bool:
        """More than 10 % apart on a provider's total."""
        diff = self.difference
        return (
            not self.model
            and bool(self.billed)
            and diff is not None
            and abs(diff) > abs(self.billed or Decimal(0)) * Decimal("0.10")
        )


UNBILLED = "Not billed by a mapped provider"
ALL_PROVIDERS = "All providers"


def reconciliation(data: DashboardData) -> tuple[str, list[ReconLine]]:
    """Per day, newest first: billed cost (the providers' reports) against observed cost
    (the counting observability source's price table) for all providers together, then
    per provider with each model under the provider that makes it; and the observed
    source's name."""
    billed_sources: dict[str, list[Source]] = defaultdict(list)
    for s in data.sources.values():
        if Metric.COST_BILLED_USD in s.provides:
            billed_sources[s.kind].append(s)
    observed = data.series.get(Metric.COST_OBSERVED_USD)
    lines: list[ReconLine] = []
    for day in reversed(data.days):
        by_model = observed.values.get(day, {}) if observed else {}
        complete = data.is_complete(day)
        all_billed = _billed_on(
            data, [s for group in billed_sources.values() for s in group], day
        )
        all_observed = _total(list(by_model.values()))
        if all_billed is None and all_observed is None:
            continue
        lines.append(
            ReconLine(day, complete, ALL_PROVIDERS, "", all_billed, all_observed)
        )
        for kind in [*billed_sources, ""]:
            models = {m: v for m, v in by_model.items() if provider_of(m) == kind}
            if kind:
                billed = _billed_on(data, billed_sources[kind], day)
                label = " + ".join(s.name for s in billed_sources[kind])
            elif models:
                billed, label = None, UNBILLED
            else:
                continue
            observed_total = _total(list(models.values()))
            if billed is not None or observed_total is not None:
                lines.append(
                    ReconLine(day, complete, label, "", billed, observed_total)
                )
            lines += [
                ReconLine(
                    day, complete, label, model or "(no model named)", None, value
                )
                for model, value in sorted(models.items())
            ]
    return (observed.source if observed else ""), lines


def _billed_on(data: DashboardData, sources: list[Source], day: date) -> Decimal | None:
    """What these providers billed for the day, together; None when none reported."""
    return _total(
        [
            _total(
                list(data.reported_by(Metric.COST_BILLED_USD, s).get(day, {}).values())
            )
            for s in sources
        ]
    )
