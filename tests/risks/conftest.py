"""The personas of a project made the way users make them (its checklist and the
library's suggestions included)."""

from __future__ import annotations

from tests.projects import conftest as project_fixtures

people = project_fixtures.people
