"""Approving the requirements ticks the step-1 items the document itself satisfies,
with the approved version as their evidence: the PM does not say it twice."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments.coverage import SATISFIED_BY, satisfied_items
from projects import services as project_services
from projects.models import ChecklistItem, ItemState, StepStatus
from tests.assessments.test_requirements_views import FORM, approve_url, save, url
from tests.html import page, text
from tests.projects.conftest import step_of

pytestmark = pytest.mark.django_db

# What the full form above satisfies, by the items' titles in the catalog.
TICKED = {
    "s1-users-and-volume",
    "s1-quality-target",
    "s1-data-classification",
    "s1-compliance-scope",  # the project's frameworks, recorded in the version
    "s1-infra-constraints",
    "s1-integration-points",
    "s1-success-criteria",
    "s1-requirements-approved",
}


def step_one_items(project):
    return {
        item.template.key: item
        for item in ChecklistItem.objects.filter(project=project, step__number=1)
        .select_related("template")
        .prefetch_related("evidence")
    }


def test_approval_ticks_what_the_document_satisfies_with_the_version_as_evidence(
    as_, people
):
    project, owner = people["project"], people["owner"]
    client = as_(owner)
    save(client, project)
    response = client.post(approve_url(project, 1), follow=True)
    items = step_one_items(project)
    ticked = {key for key, item in items.items() if item.state == ItemState.DONE}
    assert ticked == TICKED
    for key in TICKED:
        item = items[key]
        assert item.completed_by == owner
        [evidence] = item.evidence.all()
        assert evidence.url == f"{url(project)}#version-1"
    # Items the document cannot show stay open for the PM.
    for key in (
        "s1-latency-target",
        "s1-model-choice-rationale",
        "s1-build-vs-partner",
    ):
        assert items[key].state == ItemState.OPEN
    message = text(page(response).select_one("#toasts"))
    assert f"{len(TICKED)} step-1 checklist items it satisfies are ticked" in message

    # The evidence link leads to the approved version's row.
    step_page = page(
        client.get(reverse("projects:step", kwargs={"slug": project.slug, "number": 1}))
    )
    links = [a["href"] for a in step_page.select(".evidence-list a")]
    assert f"{url(project)}#version-1" in links
    requirements = page(client.get(url(project)))
    assert "Approved" in text(requirements.find(id="version-1"))


def test_what_the_owner_already_said_is_kept(as_, people):
    project, owner = people["project"], people["owner"]
    client = as_(owner)
    items = step_one_items(project)
    project_services.item_set_state(
        item=items["s1-integration-points"],
        state=ItemState.NOT_APPLICABLE,
        actor=owner,
        justification="A standalone tool",
    )
    project_services.item_set_state(
        item=items["s1-success-criteria"], state=ItemState.DONE, actor=owner
    )
    save(client, project)
    client.post(approve_url(project, 1))
    items = step_one_items(project)
    assert items["s1-integration-points"].state == ItemState.NOT_APPLICABLE
    assert items["s1-integration-points"].na_justification == "A standalone tool"
    assert list(items["s1-success-criteria"].evidence.all()) == []


def test_a_version_without_a_field_leaves_its_item_open(as_, people):
    project, owner = people["project"], people["owner"]
    client = as_(owner)
    save(client, project, integration_points="")
    client.post(approve_url(project, 1))
    items = step_one_items(project)
    assert items["s1-integration-points"].state == ItemState.OPEN
    assert items["s1-users-and-volume"].state == ItemState.DONE


def test_a_later_approval_leaves_a_closed_step_one_alone(as_, people):
    project, owner = people["project"], people["owner"]
    client = as_(owner)
    save(client, project)
    step = step_of(project, 1)
    step.status = StepStatus.DONE
    step.save()
    client.post(approve_url(project, 1))
    assert all(i.state == ItemState.OPEN for i in step_one_items(project).values())


def test_the_rules_name_real_catalog_items_and_read_the_forms_fields():
    from projects.catalog_data import CHECKLIST

    step_one = {entry["key"] for entry in CHECKLIST if entry["step"] == 1}
    assert set(SATISFIED_BY) <= step_one
    filled = {k: v for k, v in FORM.items() if k != "change_note"}
    assert "s1-users-and-volume" in satisfied_items(filled)
    assert "s1-users-and-volume" not in satisfied_items({**filled, "peak_rps": None})
    # No framework recorded says nothing about which apply: the PM confirms it.
    assert "s1-compliance-scope" not in satisfied_items(
        {**filled, "compliance_needs": []}
    )
