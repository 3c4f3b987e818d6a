"""When an alert opens and when it resolves: pure rules over daily values, with
hysteresis so that an alert does not flap open and shut from one day to the next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.money import usd

# An alert opens when the target is broken on each of the last OPEN_AFTER days, and
# resolves only once it is met on each of the last RESOLVE_AFTER days.
OPEN_AFTER = 3
RESOLVE_AFTER = 2
# The budget alert opens above the budget and resolves below this share of it.
BUDGET_RESOLVE_SHARE = Decimal("0.95")


def _plain(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.001")).normalize(), "f")


@dataclass(frozen=True)
class Verdict:
    breached: bool | None  # True: open (or keep open); False: resolve; None: keep as is
    message: str


def daily_verdict(
    days: Sequence[tuple[date, Decimal | None]],
    target: Decimal,
    *,
    higher_is_better: bool,
    what: str,
    unit: str,
    is_open: bool,
) -> Verdict:
    """``days`` are the most recent complete days, oldest first."""

    def ok(value: Decimal) -> bool:
        return value >= target if higher_is_better else value <= target

    known = [(d, v) for d, v in days if v is not None]
    recent_open = known[-OPEN_AFTER:]
    comparison = "below" if higher_is_better else "above"
    if len(recent_open) == OPEN_AFTER and not any(ok(v) for _, v in recent_open):
        worst = (
            min(recent_open, key=lambda dv: dv[1])
            if higher_is_better
            else max(recent_open, key=lambda dv: dv[1])
        )
        return Verdict(
            True,
            f"{what} {comparison} target {target}{unit} on each of the last {OPEN_AFTER} days "
            f"(worst {_plain(worst[1])}{unit} on {worst[0]:%Y-%m-%d}).",
        )
    recent_resolve = known[-RESOLVE_AFTER:]
    if (
        is_open
        and len(recent_resolve) == RESOLVE_AFTER
        and all(ok(v) for _, v in recent_resolve)
    ):
        return Verdict(
            False, f"{what} back within target on the last {RESOLVE_AFTER} days."
        )
    return Verdict(None, "")


def budget_verdict(*, forecast: Decimal, budget: Decimal, is_open: bool) -> Verdict:
    if forecast > budget:
        return Verdict(
            True,
            f"The month is forecast at {usd(forecast)}, over the {usd(budget)} budget by {usd(forecast - budget)}.",
        )
    if is_open and forecast <= budget * BUDGET_RESOLVE_SHARE:
        return Verdict(
            False, f"The forecast is back to {usd(forecast)} of {usd(budget)}."
        )
    return Verdict(None, "")
