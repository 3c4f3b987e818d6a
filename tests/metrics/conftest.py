from __future__ import annotations

import pytest

from metrics import ingest
from tests.metrics.otlp_requests import price
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
        price(name, input_price, output_price)
