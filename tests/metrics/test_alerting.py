from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from metrics.alerting import budget_verdict, daily_verdict


def days(*values):
    start = date(2026, 11, 20)
    return [
        (start + timedelta(days=n), None if v is None else D(v))
        for n, v in enumerate(values)
    ]


def latency(values, *, is_open=False):
    return daily_verdict(
        days(*values),
        D(2500),
        higher_is_better=False,
        what="p95 latency",
        unit=" ms",
        is_open=is_open,
    )


def test_an_alert_opens_after_three_bad_days_and_names_the_worst():
    verdict = latency([2400, 2600, 2700, 2650])
    assert verdict.breached is True
    assert "above target 2500 ms on each of the last 3 days" in verdict.message
    assert "(worst 2700 ms on 2026-11-22)" in verdict.message


def test_two_bad_days_are_not_enough():
    assert latency([2400, 2400, 2600, 2700]).breached is None


def test_a_gap_in_the_data_does_not_open_an_alert():
    assert latency([2600, None, 2700]).breached is None


def test_an_open_alert_resolves_only_after_two_good_days():
    assert latency([2600, 2700, 2800, 2400], is_open=True).breached is None
    assert latency([2600, 2700, 2400, 2400], is_open=True).breached is False


def test_a_closed_alert_is_not_resolved_again():
    assert latency([2400, 2400], is_open=False).breached is None


def test_quality_breaks_below_its_target():
    verdict = daily_verdict(
        days("0.8", "0.82", "0.81"),
        D("0.85"),
        higher_is_better=True,
        what="Quality",
        unit="",
        is_open=False,
    )
    assert verdict.breached is True and "below target 0.85" in verdict.message


def test_the_budget_alert_opens_above_the_budget_and_resolves_with_margin():
    assert (
        budget_verdict(forecast=D(8100), budget=D(8000), is_open=False).breached is True
    )
    assert (
        budget_verdict(forecast=D(7900), budget=D(8000), is_open=True).breached is None
    )  # within 5 %
    assert (
        budget_verdict(forecast=D(7500), budget=D(8000), is_open=True).breached is False
    )
