"""A number from the database as JSON and charts take it: a Decimal (or None) as a
float (or None)."""

from __future__ import annotations

from decimal import Decimal


def as_float(value: Decimal | float | int | None) -> float | None:
    return None if value is None else float(value)
