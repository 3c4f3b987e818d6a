"""Rolling back a release that brought team channels: the migration that added them
can be undone while they exist, and a project's channels survive it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from integrations import services
from tests.factories import ProjectFactory, TeamFactory, UserFactory
from tests.integrations.conftest import ALL_EVENTS

BEFORE_TEAM_CHANNELS = ("integrations", "0004_schedule_sweep")


@pytest.mark.django_db(transaction=True)
def test_undoing_team_channels_drops_them_and_keeps_the_projects_channels():
    team = TeamFactory()
    project = ProjectFactory(team=team)
    admin = UserFactory()
    for name, owner in (
        ("project hook", {"project": project}),
        ("team hook", {"team": team}),
    ):
        services.channel_create(
            **owner,
            kind="webhook",
            name=name,
            url="https://hooks.example.com/runway",
            events=ALL_EVENTS,
            created_by=admin,
        )
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([BEFORE_TEAM_CHANNELS])
        old = executor.loader.project_state(BEFORE_TEAM_CHANNELS).apps
        channels = old.get_model("integrations", "Channel").objects.all()
        assert [(c.name, c.project_id) for c in channels] == [
            ("project hook", project.pk)
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
