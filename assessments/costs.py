"""Model cost projection: the monthly cost of a routed setup, against a single large
model and against the budget (pure).

Prices are USD per million tokens. Retrieved context is sent to the model as input, so
it is billed at the input price:

    per-request cost (tier) = ((input + retrieval tokens) × input price
                               + output tokens × output price) / 1,000,000
    monthly cost (tier)     = requests per day × DAYS_PER_MONTH × share × per-request cost
    monthly total           = Σ monthly cost over the tiers
    cost per 1k requests    = monthly total / (requests per day × DAYS_PER_MONTH) × 1000

The single-model comparison sends all traffic to the tier model with the highest
per-request cost (the "just use the big model" setup); the savings are its monthly cost
minus the routed total. The 12-month view compounds growth month on month:

    month m (1..12) = monthly total × (1 + monthly growth)^(m − 1)

All arithmetic is ``Decimal`` at full precision; ``money()`` rounds to cents for display.
``DAYS_PER_MONTH`` is an average month (365 / 12 days), so twelve months make a year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

DAYS_PER_MONTH = Decimal(365) / Decimal(12)
TOKENS_PER_PRICE_UNIT = Decimal(1_000_000)
MONTHS_AHEAD = 12

# Shares typed as percentages with a few decimals (33.33 % × 3) may miss 1 by a hair.
SHARE_TOLERANCE = Decimal("0.0001")

CENT = Decimal("0.01")


def money(d: Decimal) -> Decimal:
    """``d`` rounded to cents, half up, for display."""
    return d.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Tier:
    model: str
    input_price_per_mtok: Decimal
    output_price_per_mtok: Decimal
    share: Decimal  # fraction of traffic in [0, 1]


@dataclass(frozen=True)
class Scenario:
    requests_per_day: int
    input_tokens: int
    output_tokens: int
    retrieval_tokens: int
    tiers: Sequence[Tier]
    monthly_growth: Decimal = Decimal(0)  # 0.05 is 5 % more traffic each month
    budget: Decimal | None = None  # USD per month


@dataclass(frozen=True)
class TierCost:
    model: str
    share: Decimal
    monthly_cost: Decimal


@dataclass(frozen=True)
class Projection:
    tiers: list[TierCost]
    monthly_total: Decimal
    cost_per_1k_requests: Decimal
    single_model: str
    single_model_monthly: Decimal
    savings: Decimal
    budget: Decimal | None
    over_budget: bool | None
    budget_used: Decimal | None  # a fraction: 0.5 is half the budget
    months: list[Decimal]
    twelve_month_total: Decimal


def _validate(scenario: Scenario) -> None:
    if not scenario.tiers:
        raise ValueError("A cost projection needs at least one model tier.")
    for name in (
        "requests_per_day",
        "input_tokens",
        "output_tokens",
        "retrieval_tokens",
    ):
        value = getattr(scenario, name)
        if value < 0:
            raise ValueError(
                f"{name.replace('_', ' ').capitalize()} cannot be negative, got {value}."
            )
    for tier in scenario.tiers:
        if tier.input_price_per_mtok < 0 or tier.output_price_per_mtok < 0:
            raise ValueError(f"The prices of {tier.model!r} cannot be negative.")
        if not 0 <= tier.share <= 1:
            raise ValueError(
                f"The share of {tier.model!r} must be between 0 and 1 (0 % and 100 %), got {tier.share}."
            )
    total_share = sum((tier.share for tier in scenario.tiers), Decimal(0))
    if abs(total_share - 1) > SHARE_TOLERANCE:
        raise ValueError(
            f"The tier shares must add up to 100 %, they add up to {total_share * 100} %."
        )
    if scenario.monthly_growth < -1:
        # Below −100 % a month the traffic would turn negative.
        raise ValueError(
            f"Monthly growth cannot be below −100 %, got {scenario.monthly_growth * 100} %."
        )
    if scenario.budget is not None and scenario.budget < 0:
        raise ValueError(f"The budget cannot be negative, got {scenario.budget}.")


def _per_request(scenario: Scenario, tier: Tier) -> Decimal:
    input_tokens = scenario.input_tokens + scenario.retrieval_tokens
    return (
        input_tokens * tier.input_price_per_mtok
        + scenario.output_tokens * tier.output_price_per_mtok
    ) / TOKENS_PER_PRICE_UNIT


def project_costs(scenario: Scenario) -> Projection:
    """Project the monthly and 12-month cost of ``scenario`` (formulas in the module
    docstring). Raises ``ValueError`` for no tiers, negative volumes, tokens, prices or
    budget, a share outside [0, 1], shares not adding up to 1 (within 0.0001), or growth
    below −1."""
    _validate(scenario)
    requests_per_month = scenario.requests_per_day * DAYS_PER_MONTH

    per_request = [_per_request(scenario, tier) for tier in scenario.tiers]
    tiers = [
        TierCost(tier.model, tier.share, requests_per_month * tier.share * cost)
        for tier, cost in zip(scenario.tiers, per_request, strict=True)
    ]
    monthly_total = sum((t.monthly_cost for t in tiers), Decimal(0))
    cost_per_1k = (
        monthly_total / requests_per_month * 1000 if requests_per_month else Decimal(0)
    )

    # max() keeps the first of equals, so a price tie goes to the tier listed first.
    priciest = max(range(len(per_request)), key=per_request.__getitem__)
    single_model_monthly = requests_per_month * per_request[priciest]

    budget = scenario.budget
    over_budget = None if budget is None else monthly_total > budget
    budget_used = None if not budget else monthly_total / budget

    # Multiply up month by month rather than raising to a power: Decimal(0) ** 0 is an
    # error, and growth of exactly −100 % is allowed.
    months = []
    factor = Decimal(1)
    for _ in range(MONTHS_AHEAD):
        months.append(monthly_total * factor)
        factor *= 1 + scenario.monthly_growth

    return Projection(
        tiers=tiers,
        monthly_total=monthly_total,
        cost_per_1k_requests=cost_per_1k,
        single_model=scenario.tiers[priciest].model,
        single_model_monthly=single_model_monthly,
        savings=single_model_monthly - monthly_total,
        budget=budget,
        over_budget=over_budget,
        budget_used=budget_used,
        months=months,
        twelve_month_total=sum(months, Decimal(0)),
    )
