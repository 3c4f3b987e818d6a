from __future__ import annotations

import pytest

from projects import services
from projects.models import Framework, ProjectRole, ProjectStep
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.html import page, text


@pytest.fixture
def people(db):
    """The personas of a project made the way users make them (steps and checklist included)."""
    owner, lead = UserFactory(first_name="Olive"), UserFactory(first_name="Leo")
    project = services.project_create(
        name="Claims Triage Assistant",
        team=TeamFactory(),
        owner=owner,
        lead=lead,
        data_classification="regulated",
        frameworks=Framework.objects.filter(code__in=["hipaa", "soc2"]),
    )
    cast = {"project": project, "owner": owner, "lead": lead}
    for role in (ProjectRole.CONTRIBUTOR, ProjectRole.REVIEWER, ProjectRole.VIEWER):
        cast[str(role)] = MembershipFactory(project=project, role=role).user
    cast["outsider"] = UserFactory()
    return cast


@pytest.fixture
def journey(people):
    return people["project"]


def step_of(project, number):
    return ProjectStep.objects.select_related("step", "project").get(
        project=project, step__number=number
    )


def table_names(response):
    """The project names in the projects table's rows, in order."""
    rows = page(str(response.context["rows_html"])).find_all("tr")
    return [text(row.find("td")) for row in rows]
