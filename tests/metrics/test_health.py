from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from metrics.health import (
    against_target,
    budget_forecast,
    cost_gate_holds,
    days_in_month,
)


def test_the_forecast_adds_the_weekly_average_for_the_days_left():
    # 30-day November; on the 26th, 4 days are left after today.
    forecast = budget_forecast(
        month_to_date=D("5200"),
        last_7_days=[D(200), D(210), D(190), D(200), D(205), D(195), D(200)],
        today=date(2026, 11, 26),
    )
    assert forecast == D("5200") + D(200) * 4


def test_the_forecast_without_recent_days_is_the_month_so_far():
    assert budget_forecast(
        month_to_date=D(10), last_7_days=[], today=date(2026, 2, 28)
    ) == D(10)


def test_the_cost_gate_scales_the_window_average_to_the_month():
    assert days_in_month(date(2026, 11, 1)) == 30
    assert (
        cost_gate_holds(
            daily_costs=[D(250), D(270)], budget=D(7800), today=date(2026, 11, 5)
        )
        is True
    )  # 260 × 30
    assert (
        cost_gate_holds(
            daily_costs=[D(250), D(271)], budget=D(7800), today=date(2026, 11, 5)
        )
        is False
    )
    assert (
        cost_gate_holds(daily_costs=[], budget=D(7800), today=date(2026, 11, 5))
        is False
    )


def test_values_are_placed_against_their_targets_with_a_word():
    assert against_target(D(2400), D(2500), higher_is_better=False).word == "on target"
    assert (
        against_target(D(2700), D(2500), higher_is_better=False).level == "amber"
    )  # within 10 %
    assert against_target(D(2800), D(2500), higher_is_better=False).word == "off target"
    assert against_target(D("0.86"), D("0.85"), higher_is_better=True).level == "green"
    assert against_target(D("0.80"), D("0.85"), higher_is_better=True).level == "amber"
    assert against_target(D("0.70"), D("0.85"), higher_is_better=True).level == "red"
    assert against_target(D(1), None, higher_is_better=True).word == "no target"
    assert against_target(None, D(1), higher_is_better=True).word == "no data"
