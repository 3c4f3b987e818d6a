"""Metric gates for steps 6 and 7, registered into projects' gate registry: production
data over the last N complete days must meet the approved requirements' targets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

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


def _window(project: Project) -> DashboardData:
    start, end = recent_window(project.metric_gate_window_days)
    return project_dashboard(project, start=start, end=end)


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
    name = "Quality score met"
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
    series = data.series.get(Metric.QUALITY_SCORE)
    score = targets.quality_score_name
    values = {
        d: (series.values.get(d, {}).get(score) if series else None) for d in data.days
    }
    target = targets.quality_score_target
    missing, bad = _breaches(data, values, lambda v: v >= target, "{:.3f}")
    return _verdict(name, data, missing, bad, f"the {score} score", f"≥ {target}")


def latency_met(project: Project, step_number: int) -> CheckResult:
    name = "Latency p95 met"
    data = _window(project)
    if data.targets is None or data.targets.p95_latency_ms is None:
        return CheckResult(
            name, False, "Approve requirements with a p95 latency target first."
        )
    series = data.series.get(Metric.LATENCY_P95_MS)
    values = {d: (series.total(d) if series else None) for d in data.days}
    target = Decimal(data.targets.p95_latency_ms)
    missing, bad = _breaches(data, values, lambda v: v <= target, "{:.0f} ms")
    return _verdict(name, data, missing, bad, "p95 latency", f"≤ {target} ms")


def errors_met(project: Project, step_number: int) -> CheckResult:
    name = "Error rate met"
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
    name = "Cost within budget"
    data = _window(project)
    if data.targets is None or data.targets.monthly_budget_usd is None:
        return CheckResult(
            name, False, "Approve requirements with a monthly budget first."
        )
    series = data.cost()
    daily = [series.total(d) for d in data.days] if series else []
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
