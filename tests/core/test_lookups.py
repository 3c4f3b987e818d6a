"""``any_of``: the list-of-ids filter the portfolio uses instead of a long ``__in``."""

from __future__ import annotations

import pytest

from projects.models import Membership, Project
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_any_of_matches_what_in_matches_on_fields_and_relations():
    projects = ProjectFactory.create_batch(4)
    wanted = [projects[0].pk, projects[2].pk]
    assert set(Project.objects.filter(pk__any_of=wanted)) == {projects[0], projects[2]}
    assert set(
        Project.objects.filter(pk__any_of=wanted).values_list("pk", flat=True)
    ) == set(Project.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    members = Membership.objects.filter(project__any_of=wanted)
    assert {m.project_id for m in members} == {
        m.project_id for m in Membership.objects.filter(project__in=wanted)
    }


def test_an_empty_list_matches_nothing():
    ProjectFactory()
    assert list(Project.objects.filter(pk__any_of=[])) == []
    assert Project.objects.exclude(pk__any_of=[]).count() == 1
