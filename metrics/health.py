"""Pure arithmetic of targets: the budget forecast, the cost gate, and how far a value is
from its target. No database; tested on its own."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# Within this share of the target counts as "at risk" (amber) rather than breached.
AMBER_MARGIN = Decimal("0.10")


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def budget_forecast(
    *, month_to_date: Decimal, last_7_days: Sequence[Decimal], today: date
) -> Decimal:
    """Cost so far this month + the average daily cost of the last 7 days × the days left
    (domain.md: "Budget forecast"). Days left excludes today, which month_to_date holds."""
    average = (
        sum(last_7_days, Decimal(0)) / len(last_7_days) if last_7_days else Decimal(0)
    )
    return month_to_date + average * (days_in_month(today) - today.day)


def cost_gate_holds(
    *, daily_costs: Sequence[Decimal], budget: Decimal, today: date
) -> bool:
    """The step 7 cost gate: average daily cost over the window × days of the month ≤ budget."""
    if not daily_costs:
        return False
    average = sum(daily_costs, Decimal(0)) / len(daily_costs)
    return average * days_in_month(today) <= budget


@dataclass(frozen=True)
class State:
    level: str  # "green", "amber", "red" or "none"
    word: str  # never colour alone: "on target", "at risk", "over target", "no target"


def against_target(
    value: Decimal | None, target: Decimal | None, *, higher_is_better: bool
) -> State:
    """Where a value stands against its target, with a word for people and screen readers."""
    if value is None or target is None:
        return State("none", "no target" if target is None else "no data")
    good = value >= target if higher_is_better else value <= target
    if good:
        return State("green", "on target")
    margin = abs(target) * AMBER_MARGIN
    near = value >= target - margin if higher_is_better else value <= target + margin
    return State("amber", "at risk") if near else State("red", "off target")
