"""Model cost projection, with every expected figure worked out by hand below.

DAYS_PER_MONTH is 365 / 12, so requests per month = requests per day × 365 / 12.
Decimal keeps 28 significant digits, so 365 / 12 = 30.41666… is itself rounded in the
last digit; full-precision results are compared within 1e-18, and shown ones via money().
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from assessments.costs import DAYS_PER_MONTH, Scenario, Tier, money, project_costs

D = Decimal
CLOSE = D("1e-18")

SMALL = Tier("small-model", D("0.15"), D("0.60"), D("0.75"))
LARGE = Tier("large-model", D("2.50"), D("10.00"), D("0.25"))


def close(actual: Decimal, expected: str) -> bool:
    return abs(actual - D(expected)) <= CLOSE


def routed(**changes) -> Scenario:
    """The brief's example: 20,000 requests a day, 1,000 input + 500 retrieval + 300
    output tokens, 75 % small / 25 % large, 5 % monthly growth, $8,000 budget."""
    values = {
        "requests_per_day": 20_000,
        "input_tokens": 1_000,
        "output_tokens": 300,
        "retrieval_tokens": 500,
        "tiers": [SMALL, LARGE],
        "monthly_growth": D("0.05"),
        "budget": D("8000"),
    }
    values.update(changes)
    return Scenario(**values)


def test_days_per_month_is_an_average_month():
    assert close(DAYS_PER_MONTH * 12, "365")


def test_the_routed_example_by_hand():
    projection = project_costs(routed())
    # Per request, 1,500 tokens in (1,000 + 500 retrieved) and 300 out:
    #   small: (1,500 × 0.15 + 300 × 0.60) / 1e6 = (225 + 180) / 1e6 = 0.000405
    #   large: (1,500 × 2.50 + 300 × 10.00) / 1e6 = (3,750 + 3,000) / 1e6 = 0.00675
    # Requests per month: 20,000 × 365 / 12 = 7,300,000 / 12 = 608,333.33…
    #   small: 7,300,000 × 0.75 × 0.000405 / 12 = 2,217.375 / 12 = 184.78125
    #   large: 7,300,000 × 0.25 × 0.00675 / 12 = 12,318.75 / 12 = 1,026.5625
    [small, large] = projection.tiers
    assert (small.model, small.share) == ("small-model", D("0.75"))
    assert close(small.monthly_cost, "184.78125")
    assert (large.model, large.share) == ("large-model", D("0.25"))
    assert close(large.monthly_cost, "1026.5625")
    # Total 184.78125 + 1,026.5625 = 1,211.34375 → $1,211.34.
    assert close(projection.monthly_total, "1211.34375")
    assert money(projection.monthly_total) == D("1211.34")
    # Per 1k requests: (0.75 × 0.000405 + 0.25 × 0.00675) × 1000 = 0.30375 + 1.6875 = 1.99125.
    assert close(projection.cost_per_1k_requests, "1.99125")
    # All traffic on the large model: 7,300,000 × 0.00675 / 12 = 49,275 / 12 = 4,106.25.
    assert projection.single_model == "large-model"
    assert close(projection.single_model_monthly, "4106.25")
    # Savings: 4,106.25 − 1,211.34375 = 2,894.90625 → $2,894.91.
    assert close(projection.savings, "2894.90625")
    assert money(projection.savings) == D("2894.91")
    # Budget: 1,211.34375 / 8,000 = 0.15141796875, under.
    assert projection.budget == D("8000")
    assert projection.over_budget is False
    assert projection.budget_used is not None
    assert close(projection.budget_used, "0.15141796875")


def test_the_twelve_month_view_compounds_growth():
    projection = project_costs(routed())
    assert len(projection.months) == 12
    # Month 1 is the monthly total; month 2 is × 1.05 = 1,271.9109375.
    assert close(projection.months[0], "1211.34375")
    assert close(projection.months[1], "1271.9109375")
    # Month 12: 1,211.34375 × 1.05^11 (= 1.710339358…) = 2,071.8088918332… → $2,071.81.
    assert money(projection.months[11]) == D("2071.81")
    # Total: 1,211.34375 × (1.05^12 − 1) / 0.05 = 1,211.34375 × 15.917126520… = 19,281.1117… → $19,281.11.
    assert money(projection.twelve_month_total) == D("19281.11")


def test_without_growth_every_month_costs_the_same():
    projection = project_costs(routed(monthly_growth=D(0)))
    assert all(close(month, "1211.34375") for month in projection.months)
    # 12 × 1,211.34375 = 14,536.125 → $14,536.13 (half up).
    assert close(projection.twelve_month_total, "14536.125")
    assert money(projection.twelve_month_total) == D("14536.13")


def test_growth_of_minus_100_percent_empties_every_month_after_the_first():
    projection = project_costs(routed(monthly_growth=D(-1)))
    assert close(projection.months[0], "1211.34375")
    assert projection.months[1:] == [D(0)] * 11
    assert close(projection.twelve_month_total, "1211.34375")


def test_over_budget():
    # 1,211.34375 against $1,000: over, 121.134375 % used.
    projection = project_costs(routed(budget=D("1000")))
    assert projection.over_budget is True
    assert projection.budget_used is not None
    assert close(projection.budget_used, "1.21134375")


def test_exactly_on_budget_is_not_over():
    # One small-model tier, 1,200 requests a day of 1,000,000 input tokens at $1:
    # 1,200 × 365 / 12 × $1 = $36,500 a month.
    scenario = Scenario(
        1_200, 1_000_000, 0, 0, [Tier("m", D(1), D(1), D(1))], budget=D("36500")
    )
    projection = project_costs(scenario)
    assert close(projection.monthly_total, "36500")
    assert projection.over_budget is False
    assert projection.budget_used is not None
    assert close(projection.budget_used, "1")


def test_without_a_budget_there_is_no_budget_verdict():
    projection = project_costs(routed(budget=None))
    assert (projection.budget, projection.over_budget, projection.budget_used) == (
        None,
        None,
        None,
    )


def test_a_zero_budget_is_over_but_has_no_share_used():
    projection = project_costs(routed(budget=D(0)))
    assert projection.over_budget is True
    assert projection.budget_used is None


def test_zero_traffic_costs_nothing_and_divides_by_nothing():
    projection = project_costs(routed(requests_per_day=0))
    assert [t.monthly_cost for t in projection.tiers] == [D(0), D(0)]
    assert projection.monthly_total == D(0)
    assert projection.cost_per_1k_requests == D(0)
    assert projection.single_model == "large-model"
    assert projection.single_model_monthly == D(0)
    assert projection.savings == D(0)
    assert projection.over_budget is False
    assert projection.budget_used == D(0)
    assert projection.months == [D(0)] * 12
    assert projection.twelve_month_total == D(0)


def test_the_single_model_is_the_priciest_per_request_not_per_token():
    # "cheap-out" has the lower input price but the higher output price; with 100 in and
    # 1,000 out it costs (100 × 1 + 1,000 × 20) / 1e6 = 0.0201 per request against
    # (100 × 5 + 1,000 × 4) / 1e6 = 0.0045 for "dear-in".
    tiers = [
        Tier("dear-in", D(5), D(4), D("0.5")),
        Tier("cheap-out", D(1), D(20), D("0.5")),
    ]
    projection = project_costs(Scenario(1_200, 100, 1_000, 0, tiers))
    assert projection.single_model == "cheap-out"
    # 1,200 × 365 / 12 = 36,500 requests a month; × 0.0201 = 733.65.
    assert close(projection.single_model_monthly, "733.65")
    # Routed: 36,500 × (0.5 × 0.0045 + 0.5 × 0.0201) = 36,500 × 0.0123 = 448.95.
    assert close(projection.monthly_total, "448.95")
    assert close(projection.savings, "284.70")


def test_a_single_tier_saves_nothing():
    projection = project_costs(
        routed(tiers=[Tier("only", D("2.50"), D("10.00"), D(1))])
    )
    assert projection.single_model == "only"
    assert close(projection.monthly_total, "4106.25")
    assert close(projection.savings, "0")


def test_money_rounds_half_up_to_cents():
    assert money(D("0.125")) == D("0.13")
    assert money(D("2.675")) == D("2.68")
    assert money(D("-0.125")) == D("-0.13")
    assert money(D("1211.34375")) == D("1211.34")


# --- invalid input ---------------------------------------------------------------------


def test_shares_not_adding_up_to_100_percent_are_rejected():
    with pytest.raises(ValueError, match="add up to 100 %"):
        project_costs(
            routed(tiers=[SMALL, Tier("large-model", D("2.50"), D("10.00"), D("0.20"))])
        )


def test_shares_within_a_ten_thousandth_of_100_percent_are_accepted():
    third = D("0.33333")  # three of them make 0.99999
    tiers = [Tier(name, D(1), D(1), third) for name in ("a", "b", "c")]
    projection = project_costs(routed(tiers=tiers))
    assert len(projection.tiers) == 3
    # Just outside: 0.9998 is rejected.
    tiers = [Tier("a", D(1), D(1), D("0.4999")), Tier("b", D(1), D(1), D("0.4999"))]
    with pytest.raises(ValueError, match="add up to 100 %"):
        project_costs(routed(tiers=tiers))


def test_no_tiers_is_rejected():
    with pytest.raises(ValueError, match="at least one model tier"):
        project_costs(routed(tiers=[]))


@pytest.mark.parametrize("share", [D("-0.25"), D("1.25")])
def test_a_share_outside_0_to_1_is_rejected(share):
    # Paired so that the shares still add up to 1: only the range check can fail.
    tiers = [Tier("a", D(1), D(1), share), Tier("b", D(1), D(1), 1 - share)]
    with pytest.raises(ValueError, match="between 0 and 1"):
        project_costs(routed(tiers=tiers))


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("requests_per_day", "Requests per day"),
        ("input_tokens", "Input tokens"),
        ("output_tokens", "Output tokens"),
        ("retrieval_tokens", "Retrieval tokens"),
    ],
)
def test_negative_volumes_are_rejected(field, message):
    with pytest.raises(ValueError, match=f"{message} cannot be negative"):
        project_costs(routed(**{field: -1}))


@pytest.mark.parametrize(
    ("input_price", "output_price"), [(D("-0.01"), D(1)), (D(1), D("-0.01"))]
)
def test_negative_prices_are_rejected(input_price, output_price):
    tiers = [Tier("bad", input_price, output_price, D(1))]
    with pytest.raises(ValueError, match="prices of 'bad' cannot be negative"):
        project_costs(routed(tiers=tiers))


def test_growth_below_minus_100_percent_is_rejected():
    with pytest.raises(ValueError, match="growth"):
        project_costs(routed(monthly_growth=D("-1.01")))


def test_a_negative_budget_is_rejected():
    with pytest.raises(ValueError, match="budget cannot be negative"):
        project_costs(routed(budget=D("-1")))
