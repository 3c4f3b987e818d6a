"""What the tests of the admin's people and team pages share: an admin signed in, a
team, and MFA enforcement left out of the way."""

from __future__ import annotations

import pytest

from tests.factories import TeamFactory


@pytest.fixture(autouse=True)
def mfa_off(settings):
    # MFA enforcement for admins has its own tests; here it would only redirect.
    settings.RUNWAY_MFA_REQUIRED_FOR_ADMINS = False


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def team(db):
    return TeamFactory(name="Claims Operations")
