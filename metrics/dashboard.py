"""Reads for the project dashboard and the metric gates: daily series from the rollups,
one source of truth per metric, and the approved targets."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from assessments.selectors import Targets, approved_targets
from metrics.models import ConnectedService, DailyRollup, MetricSource
from metrics.vocabulary import METRICS, Metric
from projects.models import Project

# Which kind of source counts for a metric when several feed a project (domain.md: billed
# cost from the provider's report; everything else from the observability source; pushed
# data when it is the only source). Earlier in the list wins.
OBSERVABILITY = ["langfuse", "helicone", "langsmith", "prometheus", "push", "demo"]
PRIORITY: dict[str, list[str]] = {
    Metric.COST_BILLED_USD: ["openai", "anthropic"],
    Metric.INPUT_TOKENS: ["openai", "anthropic", *OBSERVABILITY],
    Metric.OUTPUT_TOKENS: ["openai", "anthropic", *OBSERVABILITY],
}


@dataclass
class Series:
    metric: Metric
    source: str = ""
    last_synced: datetime | None = None
    # day -> dimension -> value
    values: dict[date, dict[str, Decimal]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    @property
    def label(self) -> str:
        return METRICS[self.metric].label

    @property
    def unit(self) -> str:
        return METRICS[self.metric].unit

    def total(self, day: date) -> Decimal | None:
        """The day's value: the sum over models for counts and money, the project-wide value
        (dimension "") for percentiles; None when the source reported nothing."""
        values = self.values.get(day)
        if not values:
            return None
        if METRICS[self.metric].combine == "sum":
            return sum(values.values(), Decimal(0))
        return values.get("")

    def dimensions(self) -> list[str]:
        return sorted({d for values in self.values.values() for d in values})


@dataclass(frozen=True)
class DashboardData:
    project: Project
    start: date
    end: date  # inclusive
    days: list[date]
    series: dict[Metric, Series]
    targets: Targets | None

    def cost(self) -> Series | None:
        """Billed cost when a provider reports it, else the observed estimate."""
        return self.series.get(Metric.COST_BILLED_USD) or self.series.get(
            Metric.COST_OBSERVED_USD
        )


def project_dashboard(project: Project, *, start: date, end: date) -> DashboardData:
    """Every metric's daily series for [start, end], from the source that counts: the
    project's choice, else the default order. Three queries."""
    # (kind, name, last success) by id: three columns, not whole service instances.
    services: dict[int, tuple[str, str, datetime | None]] = {
        pk: (kind, name, last_success)
        for pk, kind, name, last_success in ConnectedService.objects.filter(
            project=project, deleted_at__isnull=True
        ).values_list("pk", "kind", "name", "last_success_at")
    }
    by_source: dict[tuple[str, int], dict[date, dict[str, Decimal]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for metric, service_id, dimension, day, value in DailyRollup.objects.filter(
        project=project, day__gte=start, day__lte=end, service_id__in=list(services)
    ).values_list("metric", "service_id", "dimension", "day", "value"):
        by_source[(metric, service_id)][day][dimension] = value
    chosen_by_project = dict(
        MetricSource.objects.filter(project=project).values_list("metric", "service_id")
    )
    series: dict[Metric, Series] = {}
    for metric in Metric:
        candidates = [sid for (m, sid) in by_source if m == metric.value]
        if not candidates:
            continue
        order = PRIORITY.get(metric, OBSERVABILITY)
        chosen = chosen_by_project.get(metric.value)
        if chosen not in candidates:
            chosen = min(
                candidates,
                key=lambda sid: (
                    order.index(services[sid][0])
                    if services[sid][0] in order
                    else len(order)
                ),
            )
        _, name, last_success = services[chosen]
        series[metric] = Series(
            metric,
            name,
            last_success,
            by_source[(metric.value, chosen)],
        )
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return DashboardData(project, start, end, days, series, approved_targets(project))


def recent_window(days: int, today: date | None = None) -> tuple[date, date]:
    """The last ``days`` complete days, ending yesterday (today is still filling up)."""
    today = today or timezone.localdate()
    end = today - timedelta(days=1)
    return end - timedelta(days=days - 1), end


def error_rates(data: DashboardData) -> dict[date, Decimal]:
    """Errors as a percentage of requests, per day with both."""
    errors, requests = data.series.get(Metric.ERRORS), data.series.get(Metric.REQUESTS)
    rates: dict[date, Decimal] = {}
    if errors is None or requests is None:
        return rates
    for day in data.days:
        e, r = errors.total(day), requests.total(day)
        if e is not None and r:
            rates[day] = e / r * 100
    return rates
