from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from assessments.models import ModelPrice
from metrics import ingest
from tests.projects.conftest import journey, people  # noqa: F401  (shared personas)

# The OTLP tests' (test_otlp_*.py): a push token of the project, and the prices they
# count on. A module that needs a token of another name defines its own ``secret``.


@pytest.fixture
def secret(people):  # noqa: F811  (the shared persona fixture)
    _, value = ingest.token_create(
        project=people["project"], name="traces", created_by=people["lead"]
    )
    return value


@pytest.fixture
def prices(db):
    """The admin-kept prices the tests count on (USD per million tokens)."""
    for name, input_price, output_price in (
        ("gpt-4o-mini", "0.15", "0.60"),
        ("text-embedding-3-small", "0.02", "0"),
        ("claude-sonnet-4-20250514", "3.00", "15.00"),
    ):
        ModelPrice.objects.update_or_create(
            name=name,
            defaults={
                "provider": "Test",
                "input_per_mtok": Decimal(input_price),
                "output_per_mtok": Decimal(output_price),
                "context_window": 128_000,
                "latency_class": "fast",
                "tier": "small",
                "prices_as_of": date(2025, 7, 1),
            },
        )
