"""The dashboard's charts as data: one specification per chart (what it plots, in which
unit, against which target of the approved requirements) and one loop that turns each
into a Plotly figure with its text alternative and its data as a table. The markup is
in templates/metrics/_dashboard_metrics.html."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from assessments.selectors import Targets
from metrics import charts
from metrics.dashboard import DashboardData, Series, error_rates
from metrics.health import days_in_month
from metrics.vocabulary import Metric

# Each line (or stack of bars) of a chart by its legend name, one value per day.
Lines = dict[str, list[Decimal | None]]


def number(value: Decimal | None, places: int = 0, suffix: str = "") -> str:
    """A figure as the dashboard writes it: thousands separated, an em dash for none."""
    if value is None:
        return "—"
    return f"{value:,.{places}f}{suffix}"


@dataclass(frozen=True)
class ChartSpec:
    # Names the chart's element ids ("chart-<key>").
    key: str
    title: str
    unit: str
    # The figure "why these numbers" explains.
    explains: str
    # The series the chart is about: no chart without it; its sources and last sync
    # are shown under the title.
    source: Callable[[DashboardData], Series | None]
    lines: Callable[[DashboardData], Lines]
    # The dashed line from the approved requirements (targets, today).
    target: Callable[[Targets, date], Decimal | None] | None = None
    target_label: str = "Target"
    # Decimal places in the text alternative and the table.
    places: int = 0
    bars: bool = False
    # The title says whether the figure is the billed or the observed cost.
    names_cost_family: bool = False


@dataclass(frozen=True)
class TableRow:
    day: date
    # Today is still filling up, and the table says so.
    complete: bool
    # One per line of the chart, formatted.
    cells: tuple[str, ...]

    @property
    def heading(self) -> str:
        return f"{self.day:%Y-%m-%d}" + (
            "" if self.complete else " (today, incomplete)"
        )


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    figure: dict[str, Any]
    # The text alternative: the range, the lowest and highest values, the target.
    summary: str
    source: str
    last_synced: datetime | None
    columns: list[str]
    rows: list[TableRow]
    explains: str


def _series(*metrics: Metric) -> Callable[[DashboardData], Series | None]:
    """The first of ``metrics`` with data in the range."""

    def first(data: DashboardData) -> Series | None:
        for metric in metrics:
            if metric in data.series:
                return data.series[metric]
        return None

    return first


def _totals(*lines: tuple[Metric, str]) -> Callable[[DashboardData], Lines]:
    """One line per metric with data, each day's total under its name."""

    def build(data: DashboardData) -> Lines:
        return {
            name: [data.series[metric].total(day) for day in data.days]
            for metric, name in lines
            if metric in data.series
        }

    return build


def _cost(data: DashboardData) -> Lines:
    cost = data.cost()
    return {"Cost": [cost.total(day) for day in data.days] if cost else []}


def _error_rate(data: DashboardData) -> Lines:
    rates = error_rates(data)
    return {"Error rate": [rates.get(day) for day in data.days]}


def _quality_scores(data: DashboardData) -> Lines:
    """One line per score name."""
    quality = data.series.get(Metric.QUALITY_SCORE)
    if quality is None:
        return {}
    return {
        name: [quality.values.get(day, {}).get(name) for day in data.days]
        for name in quality.dimensions()
    }


def _tokens_by_model(data: DashboardData) -> Lines:
    """Input then output tokens, one bar per model and direction."""
    return {
        f"{model} ({direction})": [
            data.series[metric].values.get(day, {}).get(model) for day in data.days
        ]
        for metric, direction in (
            (Metric.INPUT_TOKENS, "in"),
            (Metric.OUTPUT_TOKENS, "out"),
        )
        if metric in data.series
        for model in data.series[metric].dimensions()
    }


def _budget_per_day(targets: Targets, today: date) -> Decimal | None:
    budget = targets.monthly_budget_usd
    return budget / days_in_month(today) if budget else None


def _p95_latency(targets: Targets, today: date) -> Decimal | None:
    return Decimal(targets.p95_latency_ms) if targets.p95_latency_ms else None


def _error_rate_target(targets: Targets, today: date) -> Decimal | None:
    return targets.error_rate_pct


def _quality_target(targets: Targets, today: date) -> Decimal | None:
    return targets.quality_score_target


# The dashboard's charts, in the order they are shown.
CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec(
        key="cost",
        title="Daily cost",
        unit="USD",
        explains="cost",
        source=DashboardData.cost,
        lines=_cost,
        target=_budget_per_day,
        target_label="Budget per day",
        places=2,
        names_cost_family=True,
    ),
    ChartSpec(
        key="latency",
        title="Latency p95",
        unit="ms",
        explains=Metric.LATENCY_P95_MS.value,
        source=_series(Metric.LATENCY_P95_MS),
        lines=_totals((Metric.LATENCY_P95_MS, "p95")),
        target=_p95_latency,
    ),
    ChartSpec(
        key="errors",
        title="Error rate",
        unit="%",
        explains="error_rate",
        source=_series(Metric.ERRORS),
        lines=_error_rate,
        target=_error_rate_target,
        places=2,
    ),
    ChartSpec(
        key="quality",
        title="Quality score",
        unit="score",
        explains=Metric.QUALITY_SCORE.value,
        source=_series(Metric.QUALITY_SCORE),
        lines=_quality_scores,
        target=_quality_target,
        places=3,
    ),
    ChartSpec(
        key="tokens",
        title="Tokens by model",
        unit="tokens",
        explains=Metric.INPUT_TOKENS.value,
        source=_series(Metric.INPUT_TOKENS),
        lines=_tokens_by_model,
        bars=True,
    ),
    ChartSpec(
        key="requests",
        title="Requests",
        unit="requests",
        explains=Metric.REQUESTS.value,
        source=_series(Metric.REQUESTS),
        lines=_totals((Metric.REQUESTS, "Requests")),
        bars=True,
    ),
    ChartSpec(
        key="feedback",
        title="User feedback",
        unit="votes",
        explains=Metric.FEEDBACK_POSITIVE.value,
        source=_series(Metric.FEEDBACK_POSITIVE, Metric.FEEDBACK_NEGATIVE),
        lines=_totals(
            (Metric.FEEDBACK_POSITIVE, "Positive"),
            (Metric.FEEDBACK_NEGATIVE, "Negative"),
        ),
        bars=True,
    ),
    ChartSpec(
        key="pipelines",
        title="Pipeline failures",
        unit="failures",
        explains=Metric.PIPELINE_FAILURES.value,
        source=_series(Metric.PIPELINE_FAILURES),
        lines=_totals((Metric.PIPELINE_FAILURES, "Failures")),
        bars=True,
    ),
)


def dashboard_charts(
    data: DashboardData, specs: tuple[ChartSpec, ...] = CHARTS
) -> list[Chart]:
    """One chart per specification whose series has data in the range, in order."""
    return [chart for spec in specs if (chart := build_chart(data, spec)) is not None]


def build_chart(data: DashboardData, spec: ChartSpec) -> Chart | None:
    source = spec.source(data)
    if source is None:
        return None
    lines = spec.lines(data)
    target = (
        spec.target(data.targets, data.today)
        if spec.target is not None and data.targets is not None
        else None
    )
    title = spec.title
    if spec.names_cost_family:
        billed = source.metric == Metric.COST_BILLED_USD
        title += " (billed)" if billed else " (observed)"
    figure = charts.line_chart(
        data.days,
        lines,
        unit=spec.unit,
        target=target,
        target_label=spec.target_label,
        bars=spec.bars,
        incomplete=data.today,
    )
    return Chart(
        key=spec.key,
        title=title,
        figure=figure,
        summary=_summary(data, spec, title, lines, target),
        source=source.source,
        last_synced=source.last_synced,
        columns=list(lines),
        rows=_table(data, lines, spec.places),
        explains=spec.explains,
    )


def _summary(
    data: DashboardData,
    spec: ChartSpec,
    title: str,
    lines: Lines,
    target: Decimal | None,
) -> str:
    """What a screen reader says for the chart."""
    places, unit = spec.places, spec.unit
    known = [
        value for values in lines.values() for value in values if value is not None
    ]
    summary = f"{title}, {data.start:%Y-%m-%d} to {data.end:%Y-%m-%d}: "
    summary += (
        f"from {min(known):,.{places}f} to {max(known):,.{places}f} {unit}"
        if known
        else "no data"
    )
    if target is not None:
        summary += f"; {spec.target_label.lower()} {target:,.{places}f} {unit}"
    if data.today in data.days:
        summary += f"; {data.today:%Y-%m-%d} is today and still incomplete"
    return summary + "."


def _table(data: DashboardData, lines: Lines, places: int) -> list[TableRow]:
    """The chart's data as a table: a row per day, a column per line."""
    return [
        TableRow(
            day,
            data.is_complete(day),
            tuple(number(values[n], places) for values in lines.values()),
        )
        for n, day in enumerate(data.days)
    ]
