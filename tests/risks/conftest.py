"""The personas of a project made the way users make them (its checklist and the
library's suggestions included), and signing in as one of them."""

from __future__ import annotations

import pytest

from tests.projects import conftest as project_fixtures

people = project_fixtures.people


@pytest.fixture
def as_(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
