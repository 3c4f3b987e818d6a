"""How a person is named on every page."""

from __future__ import annotations


def display_name(first_name: str, last_name: str, email: str) -> str:
    """Full name, else email: ``User.display_name`` for reads that fetch only these
    three columns."""
    return f"{first_name} {last_name}".strip() or email
