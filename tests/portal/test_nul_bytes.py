"""A NUL character anywhere in a request's path, query or form fields is a clear 400,
answered in one place before any view or query sees it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects import services
from projects.models import Project
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(db):
    owner = UserFactory()
    project = services.project_create(
        name="Claims Triage Assistant", team=TeamFactory(), owner=owner
    )
    return {"owner": owner, "project": project}


@pytest.mark.parametrize(
    "path",
    [
        "/?team=%00",
        "/?framework=a%00b",
        "/projects/?q=%00",
        "/projects/?status=%00",
        "/portfolio/report/?team=%00",
        "/api/v1/portfolio?team=%00",
    ],
)
def test_a_nul_in_a_query_string_is_refused_with_400(client, owned, path):
    client.force_login(owned["owner"])
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_nul_in_a_form_field_is_refused_and_nothing_is_written(client, owned):
    client.force_login(owned["owner"])
    project = owned["project"]
    response = client.post(
        reverse("projects:edit", kwargs={"slug": project.slug}),
        {"name": "Renamed\x00", "summary": "x"},
    )
    assert response.status_code == 400
    project.refresh_from_db()
    assert project.name == "Claims Triage Assistant"
    assert Project.objects.filter(name__startswith="Renamed").count() == 0


def test_ordinary_requests_pass(client, owned):
    client.force_login(owned["owner"])
    assert client.get("/projects/?q=claims").status_code == 200
