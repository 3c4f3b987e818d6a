"""An owner opens a project's settings and a step in a real browser and saves them
without touching anything: the target launch date and the step's due date are still
there (a date input shows only ISO dates; any other rendering opens blank)."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from projects import services
from projects.models import ProjectStep
from tests.browser.helpers import page_problems, sign_in
from tests.factories import TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dated_project():
    owner = UserFactory(email="owner@runway.example", first_name="Olive")
    project = services.project_create(
        name="Claims Triage Assistant", team=TeamFactory(), owner=owner
    )
    project.target_launch_date = date(2027, 6, 30)
    project.save()
    ProjectStep.objects.filter(project=project, step__number=1).update(
        due_date=date(2027, 1, 31)
    )
    return project


def test_saving_unchanged_forms_keeps_their_dates(live_server, page, dated_project):
    project = dated_project
    problems = page_problems(page)
    sign_in(page, live_server, "owner@runway.example")

    page.goto(f"{live_server.url}/projects/{project.slug}/settings/")
    expect(page.get_by_label("Target launch date")).to_have_value("2027-06-30")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("Project details saved.")).to_be_visible()
    expect(page.get_by_label("Target launch date")).to_have_value("2027-06-30")

    page.goto(f"{live_server.url}/projects/{project.slug}/steps/1/")
    page.get_by_role("region", name="Step owner and due date").get_by_text(
        "Change"
    ).click()
    step_form = page.locator("form").filter(
        has=page.get_by_role("button", name="Save step")
    )
    expect(step_form.get_by_label("Due date")).to_have_value("2027-01-31")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_text("Due: 2027-01-31")).to_be_visible()

    project.refresh_from_db()
    assert project.target_launch_date == date(2027, 6, 30)
    assert ProjectStep.objects.get(project=project, step__number=1).due_date == date(
        2027, 1, 31
    )
    assert problems == []
