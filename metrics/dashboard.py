"""The one selector of a project's figures: daily series from the rollups, from the sources
that count for each metric (``metrics.figures``), beside what every source reported, and
the approved targets."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from assessments.selectors import Targets, approved_targets
from metrics import figures
from metrics.figures import Counted, Family, Source, cost_metric, provides
from metrics.health import budget_forecast
from metrics.models import ConnectedService, DailyRollup, MetricSource
from metrics.vocabulary import METRICS, Metric
from projects.models import Project


@dataclass
class Series:
    """One metric's figure per day (and per model or score name) from the sources that
    count for it (``counted``)."""

    metric: Metric
    counted: Counted
    # day -> dimension -> value
    values: dict[date, dict[str, Decimal]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    @property
    def source(self) -> str:
        return self.counted.names

    @property
    def family(self) -> Family:
        return self.counted.family

    @property
    def last_synced(self) -> datetime | None:
        """The stalest of the counted sources' last successful syncs."""
        moments = [s.last_success for s in self.counted.sources]
        return None if None in moments else min(m for m in moments if m is not None)

    @property
    def label(self) -> str:
        return METRICS[self.metric].label

    @property
    def unit(self) -> str:
        return METRICS[self.metric].unit

    def total(self, day: date) -> Decimal | None:
        """The day's value: the sum over models for counts and money, the project-wide value
        (dimension "") for percentiles; None when the sources reported nothing."""
        values = self.values.get(day)
        if not values:
            return None
        if METRICS[self.metric].combine == "sum":
            return sum(values.values(), Decimal(0))
        return values.get("")

    def dimensions(self) -> list[str]:
        return sorted({d for values in self.values.values() for d in values})


# day -> dimension -> value, as one service reported it
Values = dict[date, dict[str, Decimal]]


@dataclass(frozen=True)
class DashboardData:
    project: Project
    start: date
    end: date  # inclusive
    days: list[date]
    series: dict[Metric, Series]
    targets: Targets | None
    # Every live source of the project and what each one reported, counted or not:
    # what "why this number" and the reconciliation show beside the figure.
    sources: dict[int, Source] = field(default_factory=dict)
    reported: dict[tuple[Metric, int], Values] = field(default_factory=dict)
    today: date = field(default_factory=timezone.localdate)

    def cost(self) -> Series | None:
        """The cost budgets, forecasts and gates use: billed when a provider's cost
        report is mapped to the project, else the observed estimate."""
        return self.series.get(cost_metric(list(self.sources.values())))

    def is_complete(self, day: date) -> bool:
        """Today is still filling up; every earlier day is complete."""
        return day < self.today

    def reported_by(self, metric: Metric, source: Source) -> Values:
        return self.reported.get((metric, source.pk), {})

    def narrowed(self, start: date, end: date) -> DashboardData:
        """The same figures over a part of the days (one read serves several ranges)."""

        def within(values: Values) -> Values:
            return defaultdict(
                dict, {d: v for d, v in values.items() if start <= d <= end}
            )

        series = {
            metric: Series(metric, s.counted, within(s.values))
            for metric, s in self.series.items()
        }
        return replace(
            self,
            start=start,
            end=end,
            days=[d for d in self.days if start <= d <= end],
            series={m: s for m, s in series.items() if s.values},
            reported={key: within(values) for key, values in self.reported.items()},
        )


def live_sources(project: Project) -> dict[int, Source]:
    """The project's live services as the counting rules see them; one query."""
    return {
        pk: Source(pk, kind, name, provides(kind, config), last_success)
        for pk, kind, name, config, last_success in ConnectedService.objects.filter(
            project=project, deleted_at__isnull=True
        )
        .order_by("pk")
        .values_list("pk", "kind", "name", "config", "last_success_at")
    }


@dataclass(frozen=True)
class CountingServices:
    """For many projects at once, the services whose rollups make each project's cost
    (as ``DashboardData.cost``) and quality figures: what SQL aggregates filter on, so
    that the portfolio adds up exactly what each project's dashboard shows."""

    cost: list[int]
    quality: list[int]


def counting_services(projects: QuerySet[Project] | list[int]) -> CountingServices:
    """Two queries, whatever the number of projects."""
    by_project: dict[int, dict[int, Source]] = defaultdict(dict)
    for pk, project_id, kind, config in (
        ConnectedService.objects.filter(project__in=projects, deleted_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "project_id", "kind", "config")
    ):
        # Only which services count is needed here, not their names or last syncs.
        by_project[project_id][pk] = Source(pk, kind, "", provides(kind, config))
    chosen: dict[int, dict[str, int]] = defaultdict(dict)
    for project_id, metric, service_id in MetricSource.objects.filter(
        project__in=projects
    ).values_list("project_id", "metric", "service_id"):
        chosen[project_id][metric] = service_id
    cost: list[int] = []
    quality: list[int] = []
    for project_id, sources in by_project.items():
        metric = cost_metric(list(sources.values()))
        for found, into in (
            (counted_for(metric, sources, chosen[project_id]), cost),
            (counted_for(Metric.QUALITY_SCORE, sources, chosen[project_id]), quality),
        ):
            if found is not None:
                into.extend(found.pks)
    return CountingServices(cost, quality)


def counted_for(
    metric: Metric, sources: dict[int, Source], chosen: dict[str, int]
) -> Counted | None:
    return figures.counted(metric, sources.values(), chosen.get(metric.value))


def project_dashboard(
    project: Project, *, start: date, end: date, today: date | None = None
) -> DashboardData:
    """Every metric's daily figure for [start, end] from the sources that count for it
    (``metrics.figures``), with what every other source reported beside it. Four
    queries. Every page, export, API answer, alert and gate reads its figures here."""
    sources = live_sources(project)
    reported: dict[tuple[Metric, int], Values] = defaultdict(lambda: defaultdict(dict))
    for metric, service_id, dimension, day, value in DailyRollup.objects.filter(
        project=project, day__gte=start, day__lte=end, service_id__in=list(sources)
    ).values_list("metric", "service_id", "dimension", "day", "value"):
        reported[(Metric(metric), service_id)][day][dimension] = value
    chosen = dict(
        MetricSource.objects.filter(project=project).values_list("metric", "service_id")
    )
    series: dict[Metric, Series] = {}
    for metric in Metric:
        count = counted_for(metric, sources, chosen)
        if count is None:
            continue
        values: Values = defaultdict(dict)
        for source in count.sources:
            for day, by_dimension in reported.get((metric, source.pk), {}).items():
                for dimension, value in by_dimension.items():
                    # Billed sources add up; an observed figure has one source.
                    values[day][dimension] = (
                        values[day].get(dimension, Decimal(0)) + value
                    )
        if values:
            series[metric] = Series(metric, count, values)
    _zero_error_days(series, sources, chosen, reported)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return DashboardData(
        project,
        start,
        end,
        days,
        series,
        approved_targets(project),
        sources,
        reported,
        today or timezone.localdate(),
    )


def _zero_error_days(
    series: dict[Metric, Series],
    sources: dict[int, Source],
    chosen: dict[str, int],
    reported: dict[tuple[Metric, int], Values],
) -> None:
    """Zero is a value: a day on which the source that counts errors reported requests
    and no errors had no errors, which is not the same as no data."""
    count = counted_for(Metric.ERRORS, sources, chosen)
    if count is None:
        return
    errors = series.get(Metric.ERRORS) or Series(Metric.ERRORS, count)
    for source in count.sources:
        for day, requests in reported.get((Metric.REQUESTS, source.pk), {}).items():
            if day not in errors.values and any(requests.values()):
                errors.values[day] = {"": Decimal(0)}
    if errors.values:
        series[Metric.ERRORS] = errors


def recent_window(days: int, today: date | None = None) -> tuple[date, date]:
    """The last ``days`` complete days, ending yesterday (today is still filling up)."""
    today = today or timezone.localdate()
    end = today - timedelta(days=1)
    return end - timedelta(days=days - 1), end


def error_rates(data: DashboardData) -> dict[date, Decimal]:
    """Errors as a percentage of requests, per day with both. The requests are those of
    the source that counts the errors: a rate over one population."""
    errors = data.series.get(Metric.ERRORS)
    rates: dict[date, Decimal] = {}
    if errors is None:
        return rates
    for day in data.days:
        e = errors.total(day)
        r = sum(
            (
                sum(
                    data.reported_by(Metric.REQUESTS, s).get(day, {}).values(),
                    Decimal(0),
                )
                for s in errors.counted.sources
            ),
            Decimal(0),
        )
        if e is not None and r:
            rates[day] = e / r * 100
    return rates


def range_error_rate(data: DashboardData) -> Decimal | None:
    """Errors over requests across the whole range, both from the source that counts
    errors (days where it reported both)."""
    errors = data.series.get(Metric.ERRORS)
    if errors is None:
        return None
    total_errors, total_requests = Decimal(0), Decimal(0)
    for day in data.days:
        e = errors.total(day)
        if e is None:
            continue
        total_errors += e
        total_requests += sum(
            (
                sum(
                    data.reported_by(Metric.REQUESTS, s).get(day, {}).values(),
                    Decimal(0),
                )
                for s in errors.counted.sources
            ),
            Decimal(0),
        )
    return total_errors / total_requests * 100 if total_requests else None


@dataclass(frozen=True)
class PerThousand:
    """Cost per 1,000 requests, both parts from one family of sources."""

    value: Decimal | None
    # Which sources the parts came from, or why there is no value.
    basis: str


def cost_per_thousand(data: DashboardData) -> PerThousand:
    """Observed cost over the requests of the same observability source when one gives
    both; else billed cost over the providers' request counts when every billed provider
    counts requests; never one family's cost over another's requests."""
    observed = data.series.get(Metric.COST_OBSERVED_USD)
    if observed is not None:
        requests = _requests_of(data, observed.counted.sources)
        if requests:
            cost = _sum_over(observed, data.days)
            return PerThousand(
                cost / requests * 1000,
                f"observed cost ÷ requests, both from {observed.source}",
            )
    billed = data.series.get(Metric.COST_BILLED_USD)
    if billed is None:
        return PerThousand(None, "no cost reported in this range")
    silent = [
        s.name for s in billed.counted.sources if Metric.REQUESTS not in s.provides
    ]
    if silent:
        return PerThousand(
            None, f"{', '.join(silent)} reports cost but no request count"
        )
    requests = _requests_of(data, billed.counted.sources)
    if not requests:
        return PerThousand(None, "no requests reported in this range")
    return PerThousand(
        _sum_over(billed, data.days) / requests * 1000,
        f"billed cost ÷ requests, both from {billed.source}",
    )


def _sum_over(series: Series, days: list[date]) -> Decimal:
    return sum((series.total(d) or Decimal(0) for d in days), Decimal(0))


def _requests_of(data: DashboardData, sources: tuple[Source, ...]) -> Decimal:
    return sum(
        (
            value
            for s in sources
            for day in data.days
            for value in data.reported_by(Metric.REQUESTS, s).get(day, {}).values()
        ),
        Decimal(0),
    )


@dataclass(frozen=True)
class MonthCost:
    """This month's cost of a project, as budgets, forecasts and the budget alert use it."""

    series: Series | None
    month_to_date: Decimal | None
    forecast: Decimal | None
    today: date


def month_cost(
    project: Project, today: date | None = None, data: DashboardData | None = None
) -> MonthCost:
    """Cost so far this month and the forecast (domain.md: "Budget forecast"), from the
    cost that counts (``DashboardData.cost``). Reads ``data`` when it already holds
    this month and the last seven days; four queries otherwise."""
    today = today or timezone.localdate()
    start = min(today.replace(day=1), today - timedelta(days=7))
    if data is None or data.start > start or data.end < today:
        data = project_dashboard(project, start=start, end=today, today=today)
    cost = data.cost()
    if cost is None:
        return MonthCost(None, None, None, today)
    month_to_date = sum(
        (
            cost.total(d) or Decimal(0)
            for d in data.days
            if d.month == today.month and d.year == today.year and d <= today
        ),
        Decimal(0),
    )
    last_7_days = [
        value
        for d in data.days
        if today - timedelta(days=7) <= d < today
        and (value := cost.total(d)) is not None
    ]
    forecast = budget_forecast(
        month_to_date=month_to_date, last_7_days=last_7_days, today=today
    )
    return MonthCost(cost, month_to_date, forecast, today)
