"""How Runway writes an amount of money: US dollars, thousands separated, to the cent
("$1,234.56", "-$3.10"), on every page, table, message and report. A rate per 1,000
requests under a dollar is the one exception, written to four places ("$0.0123"), since
a cheap model's rate would otherwise read "$0.01". Exports (CSV, the API) carry plain
numbers."""

from __future__ import annotations

from decimal import Decimal

CENTS = 2
RATE_PLACES = 4


def usd(value: Decimal | float | int | None, places: int = CENTS) -> str:
    """``value`` in dollars; an em dash when there is none."""
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.{places}f}"


def usd_rate(value: Decimal | float | int | None) -> str:
    """A cost per 1,000 requests: to the cent, or to four places under a dollar."""
    if value is None:
        return "—"
    return usd(value, RATE_PLACES if -1 < value < 1 else CENTS)
