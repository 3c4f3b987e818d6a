"""Control libraries as the tests use them: the shipped ones, imported the way the
import command does, and small hand-written ones."""

from __future__ import annotations

import pytest

from controls.services import import_shipped
from tests.projects import conftest as project_fixtures

people = project_fixtures.people


@pytest.fixture
def shipped(db):
    """Every library Runway ships, imported."""
    return [library for library, _ in import_shipped()]


def library_text(
    version="1",
    *,
    framework="hipaa",
    items=("s1-compliance-scope",),
    evidence=False,
    released="2020",
):
    """A one-control library of ``framework`` at ``version``."""
    listed = ", ".join(items)
    return (
        f"framework: {framework}\n"
        f'version: "{version}"\n'
        f'released: "{released}"\n'
        f"title: Test library {version}\n"
        "controls:\n"
        '  - ref: "T-1"\n'
        "    group: Test\n"
        "    title: Scope confirmed\n"
        "    description: The frameworks that apply are confirmed.\n"
        f"    evidence: {'true' if evidence else 'false'}\n"
        f"    items: [{listed}]\n"
    )
