from __future__ import annotations

import importlib

import pytest
from django.apps import apps

# The data migrations that hold reference data: roles, the seven steps, the checklist
# catalog, assessment criteria, model prices and the library of AI risks.
REFERENCE_DATA = [
    ("projects.migrations.0002_global_roles", "create_roles"),
    ("projects.migrations.0004_seed_catalog", "load"),
    ("projects.migrations.0011_ai_act_obligations", "load"),
    (
        "assessments.migrations.0002_step_one_signed_by_approval",
        "approval_replaces_signoff",
    ),
    ("assessments.migrations.0003_seed_criteria_and_prices", "load"),
    ("risks.migrations.0002_seed_library", "load"),
]


@pytest.fixture(autouse=True)
def _reference_data(transactional_db):
    """Browser tests commit for real, so the database is flushed after each one, and
    with it what the data migrations wrote. Put it back before each browser test.

    (Django's serialized_rollback cannot do this here: Playwright's event loop gives the
    test its own database connection object, which lacks the serialized copy.)
    """
    from projects.models import Step

    if Step.objects.exists():
        return
    for module, function in REFERENCE_DATA:
        getattr(importlib.import_module(module), function)(apps, None)
