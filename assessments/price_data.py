"""Seed price list for the model catalog used by cost projections.

Each entry gives a provider's public list price in USD per million tokens,
input and output, for standard (non-batch, uncached) API calls, together with
the context window, a rough latency class and the routing tier the model
usually plays (a small, cheap model for most requests; a large one for the
hard cases).

These are list prices as published on or around ``PRICES_AS_OF``. Providers
change prices and retire models often, and some bill more above a prompt-length
threshold, so these rows are only a starting point: admins must check them
against each provider's pricing page and update them in the admin (the model
price list catalog) before projections are relied on.

Prices are strings so that they can be turned into ``Decimal`` without rounding.
This module is plain data with no Django imports; ``validate()`` checks it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

PRICES_AS_OF: str = "2025-07-01"

PROVIDERS: tuple[str, ...] = (
    "OpenAI",
    "Anthropic",
    "Google",
    "Mistral",
    "Meta (hosted)",
)
LATENCY_CLASSES: tuple[str, ...] = ("fast", "standard", "slow")
TIERS: tuple[str, ...] = ("small", "large")

MODELS: list[dict[str, Any]] = [
    # OpenAI
    {
        "provider": "OpenAI",
        "name": "gpt-4o-mini",
        "input_per_mtok": "0.15",
        "output_per_mtok": "0.60",
        "context_window": 128_000,
        "latency_class": "fast",
        "tier": "small",
    },
    {
        "provider": "OpenAI",
        "name": "gpt-4.1-mini",
        "input_per_mtok": "0.40",
        "output_per_mtok": "1.60",
        "context_window": 1_047_576,
        "latency_class": "fast",
        "tier": "small",
    },
    {
        "provider": "OpenAI",
        "name": "gpt-4o",
        "input_per_mtok": "2.50",
        "output_per_mtok": "10.00",
        "context_window": 128_000,
        "latency_class": "standard",
        "tier": "large",
    },
    {
        "provider": "OpenAI",
        "name": "gpt-4.1",
        "input_per_mtok": "2.00",
        "output_per_mtok": "8.00",
        "context_window": 1_047_576,
        "latency_class": "standard",
        "tier": "large",
    },
    # Anthropic (dated snapshot ids, as they appear in API responses and usage reports)
    {
        "provider": "Anthropic",
        "name": "claude-3-5-haiku-20241022",
        "input_per_mtok": "0.80",
        "output_per_mtok": "4.00",
        "context_window": 200_000,
        "latency_class": "fast",
        "tier": "small",
    },
    {
        "provider": "Anthropic",
        "name": "claude-sonnet-4-20250514",
        "input_per_mtok": "3.00",
        "output_per_mtok": "15.00",
        "context_window": 200_000,
        "latency_class": "standard",
        "tier": "large",
    },
    {
        "provider": "Anthropic",
        "name": "claude-opus-4-20250514",
        "input_per_mtok": "15.00",
        "output_per_mtok": "75.00",
        "context_window": 200_000,
        "latency_class": "slow",
        "tier": "large",
    },
    # Google (Gemini API, paid tier)
    {
        "provider": "Google",
        "name": "gemini-2.0-flash",
        "input_per_mtok": "0.10",
        "output_per_mtok": "0.40",
        "context_window": 1_048_576,
        "latency_class": "fast",
        "tier": "small",
    },
    {
        "provider": "Google",
        "name": "gemini-2.5-flash",
        "input_per_mtok": "0.30",
        "output_per_mtok": "2.50",
        "context_window": 1_048_576,
        "latency_class": "fast",
        "tier": "small",
    },
    {
        # Price for prompts up to 200k tokens; longer prompts are billed higher
        # (2.50 input / 15.00 output at the time of writing).
        "provider": "Google",
        "name": "gemini-2.5-pro",
        "input_per_mtok": "1.25",
        "output_per_mtok": "10.00",
        "context_window": 1_048_576,
        "latency_class": "slow",
        "tier": "large",
    },
    # Mistral (La Plateforme; the "-latest" aliases move to newer versions)
    {
        "provider": "Mistral",
        "name": "mistral-small-latest",
        "input_per_mtok": "0.10",
        "output_per_mtok": "0.30",
        "context_window": 131_072,
        "latency_class": "fast",
        "tier": "small",
    },
    {
        "provider": "Mistral",
        "name": "mistral-large-latest",
        "input_per_mtok": "2.00",
        "output_per_mtok": "6.00",
        "context_window": 131_072,
        "latency_class": "standard",
        "tier": "large",
    },
]


def validate() -> None:
    """Check the price list's shape; raise AssertionError on the first problem."""
    date.fromisoformat(PRICES_AS_OF)
    assert 8 <= len(MODELS) <= 12, f"expected 8-12 models, got {len(MODELS)}"
    names: set[str] = set()
    for model in MODELS:
        name = model["name"]
        assert isinstance(name, str) and name.strip(), "model name empty"
        assert name not in names, f"{name}: duplicate name"
        names.add(name)
        assert model["provider"] in PROVIDERS, (
            f"{name}: unknown provider {model['provider']!r}"
        )
        for field in ("input_per_mtok", "output_per_mtok"):
            raw = model[field]
            assert isinstance(raw, str), f"{name}: {field} must be a string"
            try:
                price = Decimal(raw)
            except InvalidOperation as exc:
                raise AssertionError(
                    f"{name}: {field} {raw!r} is not a decimal"
                ) from exc
            assert price.is_finite() and price >= 0, (
                f"{name}: {field} must be non-negative"
            )
        window = model["context_window"]
        assert isinstance(window, int) and window > 0, (
            f"{name}: context window must be a positive int"
        )
        assert model["latency_class"] in LATENCY_CLASSES, f"{name}: bad latency class"
        assert model["tier"] in TIERS, f"{name}: bad tier"


if __name__ == "__main__":
    validate()
    print(f"{len(MODELS)} models priced as of {PRICES_AS_OF}: OK")
