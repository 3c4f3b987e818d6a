"""Admins edit the catalogs in the Django admin; the seven steps can be reworded only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects.models import ChecklistTemplate, Step

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user, settings):
    settings.RUNWAY_MFA_REQUIRED_FOR_ADMINS = False
    client.force_login(admin_user)
    return client


def test_admins_browse_and_edit_the_checklist_catalog(admin_client):
    assert (
        admin_client.get(
            reverse("admin:projects_checklisttemplate_changelist")
        ).status_code
        == 200
    )
    template = ChecklistTemplate.objects.first()
    url = reverse("admin:projects_checklisttemplate_change", args=[template.pk])
    assert admin_client.get(url).status_code == 200


def test_steps_can_be_reworded_but_not_added_or_deleted(admin_client):
    step = Step.objects.get(number=3)
    assert (
        admin_client.get(
            reverse("admin:projects_step_change", args=[step.pk])
        ).status_code
        == 200
    )
    assert admin_client.get(reverse("admin:projects_step_add")).status_code == 403
    assert (
        admin_client.get(
            reverse("admin:projects_step_delete", args=[step.pk])
        ).status_code
        == 403
    )


def test_projects_are_never_deleted_from_the_admin(admin_client, project):
    assert (
        admin_client.get(
            reverse("admin:projects_project_delete", args=[project.pk])
        ).status_code
        == 403
    )


def test_people_without_staff_rights_are_sent_away_from_the_admin(client, pm):
    client.force_login(pm)
    response = client.get(
        reverse("admin:projects_checklisttemplate_changelist"), follow=True
    )
    # The admin hands over to its login, which refuses a signed-in non-staff user.
    assert response.status_code == 403
