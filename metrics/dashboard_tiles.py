"""The dashboard's headline numbers: one function per tile, each a figure, what it is
measured against (the approved requirements) and where it stands, in words. The markup
is in templates/metrics/_dashboard_metrics.html."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.money import usd, usd_rate
from metrics.dashboard import (
    DashboardData,
    MonthCost,
    Series,
    cost_per_thousand,
    range_error_rate,
)
from metrics.dashboard_charts import number
from metrics.health import State, against_target
from metrics.vocabulary import Metric


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    target: str
    state: State
    # The figure "why this number" explains, and the sources it came from.
    figure: str
    source: str = ""


def dashboard_tiles(data: DashboardData, month: MonthCost) -> list[Tile]:
    return [
        cost_tile(data, month),
        cost_per_thousand_tile(data),
        latency_tile(data),
        error_rate_tile(data),
        quality_tile(data),
    ]


def cost_tile(data: DashboardData, month: MonthCost) -> Tile:
    """This month's cost so far, and its forecast against the monthly budget."""
    budget = data.targets.monthly_budget_usd if data.targets else None
    cost = month.series
    forecast = usd(month.forecast)
    return Tile(
        "Cost this month" + (f" ({cost.family.value})" if cost is not None else ""),
        usd(month.month_to_date),
        f"forecast {forecast} of {usd(budget)}" if budget else f"forecast {forecast}",
        against_target(month.forecast, budget, higher_is_better=False)
        if budget is not None
        else State("none", "no budget"),
        "cost",
        cost.source if cost is not None else "",
    )


def cost_per_thousand_tile(data: DashboardData) -> Tile:
    per_1k = cost_per_thousand(data)
    return Tile(
        "Cost per 1,000 requests",
        usd_rate(per_1k.value),
        per_1k.basis,
        State("none", ""),
        "cost_per_1k",
    )


def latency_tile(data: DashboardData) -> Tile:
    metric = Metric.LATENCY_P95_MS
    target = data.targets.p95_latency_ms if data.targets else None
    day, p95 = _latest(data.series.get(metric), data.days)
    return Tile(
        "Latency p95 (latest day)",
        number(p95, 0, " ms"),
        _as_of(data, day, f"target ≤ {target:,} ms" if target else "no target"),
        against_target(
            p95, Decimal(target) if target else None, higher_is_better=False
        ),
        metric.value,
        _source(data, metric),
    )


def error_rate_tile(data: DashboardData) -> Tile:
    """Errors over requests across the whole range."""
    target = data.targets.error_rate_pct if data.targets else None
    rate = range_error_rate(data)
    return Tile(
        "Error rate",
        number(rate, 2, " %"),
        f"target ≤ {target} %" if target is not None else "no target",
        against_target(rate, target, higher_is_better=False),
        "error_rate",
        _source(data, Metric.ERRORS),
    )


def quality_tile(data: DashboardData) -> Tile:
    """The latest day of the score the requirements name (else the first one reported)."""
    metric = Metric.QUALITY_SCORE
    series = data.series.get(metric)
    score = _score_name(data, series)
    day, quality = _latest(series, data.days, score or "")
    target = data.targets.quality_score_target if data.targets else None
    return Tile(
        f"Quality ({score or 'score'}, latest day)",
        number(quality, 3),
        _as_of(data, day, f"target ≥ {target}" if target is not None else "no target"),
        against_target(quality, target, higher_is_better=True),
        metric.value,
        _source(data, metric),
    )


def _score_name(data: DashboardData, series: Series | None) -> str | None:
    if data.targets and data.targets.quality_score_name:
        return data.targets.quality_score_name
    return next(iter(series.dimensions()), None) if series is not None else None


def _latest(
    series: Series | None, days: list[date], dimension: str | None = None
) -> tuple[date | None, Decimal | None]:
    """The last day of ``days`` with a value, and that value (of one dimension, or the
    day's total)."""
    if series is None:
        return None, None
    for day in reversed(days):
        value = (
            series.values.get(day, {}).get(dimension)
            if dimension is not None
            else series.total(day)
        )
        if value is not None:
            return day, value
    return None, None


def _as_of(data: DashboardData, day: date | None, target: str) -> str:
    """The target, after the day a latest-day figure is from (saying when that day is
    still filling up)."""
    if day is None:
        return target
    incomplete = "" if data.is_complete(day) else ", today, incomplete"
    return f"{day:%Y-%m-%d}{incomplete} · {target}"


def _source(data: DashboardData, metric: Metric) -> str:
    series = data.series.get(metric)
    return series.source if series is not None else ""
