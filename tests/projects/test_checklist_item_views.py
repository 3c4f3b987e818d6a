"""A checklist item's htmx endpoints: ticking, marking not applicable, assigning and
noting, as each persona uses them, and what a tick reads and writes."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects import membership_services, services, step_selectors
from projects.access import get_project_for_user
from projects.models import ChecklistItem, ItemState, StepStatus
from tests.factories import UserFactory
from tests.html import page, text
from tests.projects.conftest import step_of
from tests.projects.step_pages import (
    HTMX,
    first_item,
    head_target,
    signed_in,
    state_url,
    step_url,
)

pytestmark = pytest.mark.django_db
# A tick from the step page, which gets back the row's head: session, user, groups;
# the project with the user's role (the access check every project request makes);
# the item with its assignee; the step's activity time (which locks it); the item's
# update and history row; the sign-offs a change of a required item invalidates;
# the service's savepoint and its release.
EXPECTED_TICK_QUERIES = 11


def fragment(response):
    """The elements an htmx answer swaps in, outermost only."""
    return page(response).find_all(True, recursive=False)


# Ticking


def test_a_tick_on_the_step_page_gets_back_only_the_row_head(client, people):
    project, contributor = people["project"], people["contributor"]
    item = first_item(project)
    client = signed_in(client, contributor)
    tick_form = page(client.get(step_url(project))).find(
        "form", attrs={"hx-post": state_url(item)}
    )
    assert tick_form["hx-target"] == f"#item-{item.pk}-head"  # what the tick asks for
    client.post(state_url(item), {"state": "done"}, **head_target(item))  # warm-up

    with CaptureQueriesContext(connection) as ctx:
        response = client.post(state_url(item), {"state": "open"}, **head_target(item))
        response = client.post(state_url(item), {"state": "done"}, **head_target(item))

    assert response.status_code == 200
    [head] = fragment(response)
    assert head.name == "div" and head["id"] == f"item-{item.pk}-head"
    assert "item-done" in head["class"]
    assert head.find("button", attrs={"aria-label": f"Untick: {item.title}"})
    assert f"ticked by {contributor.display_name}" in text(head)
    assert not head.find("li") and not head.select(".item-actions")
    assert "HX-Retarget" not in response
    assert json.loads(response["HX-Trigger"]) == {
        "checklist-changed": {"item": item.pk}
    }
    # The row's rest (evidence, pickers) is neither read nor rendered.
    assert len(ctx.captured_queries) == 2 * EXPECTED_TICK_QUERIES
    item.refresh_from_db()
    assert item.state == ItemState.DONE and item.completed_by == contributor


def test_a_tick_of_an_item_made_not_applicable_meanwhile_gets_the_whole_row(
    client, people
):
    item = first_item(people["project"])
    services.item_set_state(
        item=item,
        state=ItemState.NOT_APPLICABLE,
        actor=people["lead"],
        justification="No personal data here.",
    )
    response = signed_in(client, people["contributor"]).post(
        state_url(item), {"state": "done"}, **head_target(item)
    )
    [row] = fragment(response)
    assert row.name == "li" and row["id"] == f"item-{item.pk}"
    assert row["class"] == ["item"]  # no longer marked not applicable
    assert "Why not applicable" not in text(row)
    assert response["HX-Retarget"] == f"#item-{item.pk}"
    assert response["HX-Reswap"] == "outerHTML"
    item.refresh_from_db()
    assert item.state == ItemState.DONE


def test_a_refused_tick_shows_why_in_the_whole_row(client, people):
    item = first_item(people["project"])
    step = step_of(people["project"], 3)
    step.status = StepStatus.DONE
    step.save()
    response = signed_in(client, people["contributor"]).post(
        state_url(item), {"state": "done"}, **head_target(item)
    )
    alert = page(response).find(attrs={"role": "alert"})
    assert text(alert) == "Step 3 is done. Reopen it to change its checklist."
    assert response["HX-Retarget"] == f"#item-{item.pk}"
    assert "HX-Trigger" not in response
    item.refresh_from_db()
    assert item.state == ItemState.OPEN


def test_ticking_returns_the_row_and_tells_the_page_to_refresh(client, people):
    item = first_item(people["project"])
    response = signed_in(client, people["contributor"]).post(
        state_url(item), {"state": "done"}, HTTP_HX_TARGET=f"item-{item.pk}", **HTMX
    )
    assert response.status_code == 200
    [row] = fragment(response)
    assert row.name == "li" and row["id"] == f"item-{item.pk}"
    assert "item-done" in row.find(id=f"item-{item.pk}-head")["class"]
    assert "HX-Retarget" not in response
    assert json.loads(response["HX-Trigger"]) == {
        "checklist-changed": {"item": item.pk}
    }
    item.refresh_from_db()
    assert item.state == ItemState.DONE and item.completed_by == people["contributor"]


def test_without_htmx_a_tick_redirects_back_to_the_step(client, people):
    item = first_item(people["project"])
    response = signed_in(client, people["lead"]).post(
        state_url(item), {"state": "done"}
    )
    assert response.status_code == 302 and response["Location"] == step_url(
        people["project"]
    )


def test_not_applicable_without_a_reason_shows_the_error_in_the_row_and_changes_nothing(
    client, people
):
    item = first_item(people["project"])
    response = signed_in(client, people["lead"]).post(
        state_url(item), {"state": "not_applicable", "justification": ""}, **HTMX
    )
    assert response.status_code == 200
    alert = page(response).find(attrs={"role": "alert"})
    assert "Say why the item does not apply" in text(alert)
    assert "HX-Trigger" not in response
    item.refresh_from_db()
    assert item.state == ItemState.OPEN


def test_a_tick_reads_the_item_once_and_renders_it_as_saved(client, people):
    project, contributor, lead = (
        people["project"],
        people["contributor"],
        people["lead"],
    )
    item = first_item(project)
    services.item_update(item=item, assignee=lead, due_date=None, notes="")
    services.evidence_add(item=item, actor=lead, url="https://wiki.example.com/dpia")
    client = signed_in(client, contributor)
    client.get(step_url(project))  # the session's first request writes it
    item_history = item.history.count()
    step_history = step_of(project, 3).history.count()
    before = timezone.now()

    with CaptureQueriesContext(connection) as ctx:
        response = client.post(state_url(item), {"state": "done"}, **HTMX)

    row = page(response)
    assert f"Assigned to {lead.display_name}" in text(row)
    assert f"ticked by {contributor.display_name}" in text(row)
    evidence = row.find(attrs={"aria-label": "Evidence"})
    assert [a["href"] for a in evidence.find_all("a")] == [
        "https://wiki.example.com/dpia"
    ]
    selects = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]

    def reads(table):
        return sum(f'FROM "{table}"' in sql for sql in selects)

    assert reads("projects_checklistitem") == 1  # not read again to render the row
    assert reads("projects_project") == 1  # the access check's, as on every page
    # The role (a subquery of the project's query), then the assignee picker's names.
    assert reads("projects_membership") == 2
    assert reads("projects_evidence") == 1  # the whole row shows the evidence
    assert reads("projects_notification") == 0  # the row has no bell to count for
    # The tick is audited on the item; the step only notes the activity (for the
    # stalled flag), without a history row of its own for every tick.
    assert item.history.count() == item_history + 1
    step = step_of(project, 3)
    assert step.history.count() == step_history
    assert step.last_activity_at >= before
    item.refresh_from_db()
    assert item.state == ItemState.DONE and item.completed_by == contributor


def test_the_assignee_picker_after_a_tick_follows_membership_changes(client, people):
    project, contributor = people["project"], people["contributor"]
    item = first_item(project)
    client = signed_in(client, contributor)
    client.post(state_url(item), {"state": "done"}, **HTMX)  # the names are kept
    newcomer = UserFactory(first_name="Nadia", last_name="Newcomer")
    membership_services.membership_set(
        project=project, user=newcomer, role="contributor"
    )

    row = page(client.post(state_url(item), {"state": "open"}, **HTMX))
    assert text(row.find("option", value=str(newcomer.pk))) == "Nadia Newcomer"

    membership_services.membership_remove(
        membership=project.memberships.get(user=newcomer)
    )
    row = page(client.post(state_url(item), {"state": "done"}, **HTMX))
    assert "Nadia Newcomer" not in [text(option) for option in row.find_all("option")]


# Who may tick


@pytest.mark.parametrize("persona", ["reviewer", "viewer"])
def test_read_only_members_get_403_on_ticking(client, people, persona):
    item = first_item(people["project"])
    assert (
        signed_in(client, people[persona])
        .post(state_url(item), {"state": "done"}, **HTMX)
        .status_code
        == 403
    )
    item.refresh_from_db()
    assert item.state == ItemState.OPEN


def test_outsiders_get_404_on_ticking(client, people):
    item = first_item(people["project"])
    assert (
        signed_in(client, people["outsider"])
        .post(state_url(item), {"state": "done"})
        .status_code
        == 404
    )


def test_a_tick_in_a_project_the_user_cannot_see_is_404_and_logged(
    client, people, caplog
):
    item = first_item(people["project"])
    outsider = UserFactory()
    with caplog.at_level("WARNING", logger="runway.security"):
        response = signed_in(client, outsider).post(
            state_url(item), {"state": "done"}, **HTMX
        )
    assert response.status_code == 404
    assert any(r.message == "access denied" for r in caplog.records)
    item.refresh_from_db()
    assert item.state != ItemState.DONE


def test_ticking_refuses_get(client, people):
    assert (
        signed_in(client, people["lead"])
        .get(state_url(first_item(people["project"])))
        .status_code
        == 405
    )


def test_an_item_of_another_project_is_404(client, people):
    other = services.project_create(
        name="Other", team=people["project"].team, owner=people["lead"]
    )
    foreign = first_item(other)
    url = reverse(
        "projects:item_state", kwargs={"slug": people["project"].slug, "pk": foreign.pk}
    )
    assert (
        signed_in(client, people["lead"]).post(url, {"state": "done"}).status_code
        == 404
    )


def test_an_item_is_read_with_its_assignee_in_the_project_loaded_for_the_user(
    people, django_assert_num_queries
):
    project, lead = people["project"], people["lead"]
    item = first_item(project)
    services.item_update(item=item, assignee=lead, due_date=None, notes="")
    loaded = get_project_for_user(lead, project.slug)
    expected = ChecklistItem.objects.get(pk=item.pk)

    with django_assert_num_queries(1):
        found = step_selectors.checklist_item_for(loaded, item.pk)
        assert found.project is loaded  # with the role its access check read
        assert found.assignee.display_name == lead.display_name
    assert {
        f.attname: getattr(found, f.attname) for f in item._meta.concrete_fields
    } == {f.attname: getattr(expected, f.attname) for f in item._meta.concrete_fields}

    other = services.project_create(name="Other", team=project.team, owner=lead)
    assert step_selectors.checklist_item_for(loaded, first_item(other).pk) is None
    assert step_selectors.checklist_item_for(loaded, 10**9) is None


# Assignee, due date and notes


def test_details_save_assignee_due_date_and_notes(client, people):
    item = first_item(people["project"])
    url = reverse(
        "projects:item_update", kwargs={"slug": people["project"].slug, "pk": item.pk}
    )
    response = signed_in(client, people["lead"]).post(
        url,
        {
            "assignee": people["contributor"].pk,
            "due_date": "2026-12-24",
            "notes": "Vault ready.",
        },
        **HTMX,
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.assignee, str(item.due_date), item.notes) == (
        people["contributor"],
        "2026-12-24",
        "Vault ready.",
    )


def test_only_members_can_be_assigned(client, people):
    item = first_item(people["project"])
    url = reverse(
        "projects:item_update", kwargs={"slug": people["project"].slug, "pk": item.pk}
    )
    signed_in(client, people["lead"]).post(url, {"assignee": UserFactory().pk}, **HTMX)
    item.refresh_from_db()
    assert item.assignee is None
