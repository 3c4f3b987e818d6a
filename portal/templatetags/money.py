"""``{{ amount|usd }}`` and ``{{ rate|usd:4 }}`` in every template (a builtin)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from portal.money import CENTS
from portal.money import usd as _usd

register = template.Library()


@register.filter
def usd(value: object, places: int = CENTS) -> str:
    if value is None or value == "":
        return "—"
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return "—"
    return _usd(amount, int(places))
