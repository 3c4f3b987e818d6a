"""Metric gates for step 7, registered into projects' gate registry: production
data over the last N complete days must meet the approved requirements' targets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from core.money import usd
from metrics.dashboard import (
    DashboardData,
    error_rates,
    project_dashboard,
    recent_window,
)
from metrics.health import cost_gate_holds, days_in_month
from metrics.vocabulary import Metric
from projects.gates import CheckResult
from projects.models import Project

if TYPE_CHECKING:
    from assessments.selectors import Targets


# The names of the checks this module adds to the gate of step 7.
QUALITY_CHECK = "Quality score met"
LATENCY_CHECK = "Latency p95 met"
ERRORS_CHECK = "Error rate met"
COST_CHECK = "Cost within budget"
METRIC_CHECKS = frozenset({QUALITY_CHECK, LATENCY_CHECK, ERRORS_CHECK, COST_CHECK})


def _window(project: Project) -> DashboardData:
    start, end = recent_window(project.metric_gate_window_days)
    return project_dashboard(project, start=start, end=end)


Daily = dict[date, Decimal | None]


def _quality_values(data: DashboardData) -> Daily:
    """The approved quality score's daily value (None without a score named)."""
    series = data.series.get(Metric.QUALITY_SCORE)
    score = data.targets.quality_score_name if data.targets else ""
    return {
        d: (series.values.get(d, {}).get(score) if series and score else None)
        for d in data.days
    }


def _latency_values(data: DashboardData) -> Daily:
    series = data.series.get(Metric.LATENCY_P95_MS)
    return {d: (series.total(d) if series else None) for d in data.days}


def _cost_values(data: DashboardData) -> Daily:
    series = data.cost()
    return {d: (series.total(d) if series else None) for d in data.days}


def _breaches(
    data: DashboardData,
    values: dict[date, Decimal | None],
    ok: Callable[[Decimal], bool],
    fmt: str,
) -> tuple[list[date], list[str]]:
    missing = [d for d in data.days if values.get(d) is None]
    bad = []
    for day in data.days:
        value = values.get(day)
        if value is not None and not ok(value):
            bad.append(f"{day:%Y-%m-%d} ({fmt.format(value)})")
    return missing, bad


def _verdict(
    name: str,
    data: DashboardData,
    missing: list[date],
    bad: list[str],
    what: str,
    target: str,
) -> CheckResult:
    days = len(data.days)
    if missing:
        return CheckResult(
            name,
            False,
            f"Data for {what} is missing on {len(missing)} of the last {days} days (first: {missing[0]:%Y-%m-%d}).",
        )
    if bad:
        return CheckResult(
            name,
            False,
            f"{what.capitalize()} missed {target} on {len(bad)} day(s): "
            + "; ".join(bad[:5])
            + ".",
        )
    return CheckResult(
        name, True, f"{what.capitalize()} met {target} on each of the last {days} days."
    )


def quality_met(project: Project, step_number: int) -> CheckResult:
    name = QUALITY_CHECK
    data = _window(project)
    targets = data.targets
    if (
        targets is None
        or targets.quality_score_target is None
        or not targets.quality_score_name
    ):
        return CheckResult(
            name,
            False,
            "Approve requirements with a quality score and its target first.",
        )
    score = targets.quality_score_name
    target = targets.quality_score_target
    missing, bad = _breaches(
        data, _quality_values(data), lambda v: v >= target, "{:.3f}"
    )
    return _verdict(name, data, missing, bad, f"the {score} score", f"≥ {target}")


def latency_met(project: Project, step_number: int) -> CheckResult:
    name = LATENCY_CHECK
    data = _window(project)
    if data.targets is None or data.targets.p95_latency_ms is None:
        return CheckResult(
            name, False, "Approve requirements with a p95 latency target first."
        )
    target = Decimal(data.targets.p95_latency_ms)
    missing, bad = _breaches(
        data, _latency_values(data), lambda v: v <= target, "{:.0f} ms"
    )
    return _verdict(name, data, missing, bad, "p95 latency", f"≤ {target} ms")


def errors_met(project: Project, step_number: int) -> CheckResult:
    name = ERRORS_CHECK
    data = _window(project)
    if data.targets is None or data.targets.error_rate_pct is None:
        return CheckResult(
            name, False, "Approve requirements with an error-rate target first."
        )
    rates: dict[date, Decimal | None] = dict(error_rates(data))
    target = data.targets.error_rate_pct
    missing, bad = _breaches(data, rates, lambda v: v <= target, "{:.2f} %")
    return _verdict(name, data, missing, bad, "the error rate", f"≤ {target} %")


def cost_met(project: Project, step_number: int) -> CheckResult:
    name = COST_CHECK
    data = _window(project)
    if data.targets is None or data.targets.monthly_budget_usd is None:
        return CheckResult(
            name, False, "Approve requirements with a monthly budget first."
        )
    daily = list(_cost_values(data).values()) if data.cost() else []
    known = [v for v in daily if v is not None]
    if len(known) < len(data.days):
        return CheckResult(
            name,
            False,
            f"Cost data is missing for {len(data.days) - len(known)} of the last {len(data.days)} days.",
        )
    budget = data.targets.monthly_budget_usd
    today = timezone.localdate()
    projected = sum(known, Decimal(0)) / len(known) * days_in_month(today)
    if cost_gate_holds(daily_costs=known, budget=budget, today=today):
        return CheckResult(
            name,
            True,
            f"At the recent daily average the month costs {usd(projected)}, within {usd(budget)}.",
        )
    return CheckResult(
        name,
        False,
        f"At the recent daily average the month costs {usd(projected)}, over the {usd(budget)} budget by {usd(projected - budget)}.",
    )


@dataclass(frozen=True)
class GateDay:
    day: date
    quality: Decimal | None
    latency_p95_ms: Decimal | None
    error_rate_pct: Decimal | None
    cost_usd: Decimal | None


@dataclass(frozen=True)
class GateFigures:
    """The daily figures the metric gates of step 7 judge, over their window,
    and the targets they judge them against (the audit pack shows them)."""

    start: date
    end: date
    targets: Targets | None
    days: list[GateDay]


def gate_figures(project: Project) -> GateFigures:
    data = _window(project)
    quality = _quality_values(data)
    latency = _latency_values(data)
    errors = error_rates(data)
    cost = _cost_values(data)
    return GateFigures(
        start=data.start,
        end=data.end,
        targets=data.targets,
        days=[
            GateDay(d, quality[d], latency[d], errors.get(d), cost[d])
            for d in data.days
        ],
    )
