"""``{{ amount|usd }}`` and ``{{ per_1k|usd_rate }}`` in every template (a builtin)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from core import money

register = template.Library()


@register.filter
def usd(value: object, places: int = money.CENTS) -> str:
    amount = _decimal(value)
    return "—" if amount is None else money.usd(amount, int(places))


@register.filter
def usd_rate(value: object) -> str:
    amount = _decimal(value)
    return "—" if amount is None else money.usd_rate(amount)


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None
