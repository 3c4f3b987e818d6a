"""The step page and its htmx endpoints, as each persona uses them."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects import services, step_selectors
from projects.models import (
    ChecklistItem,
    Evidence,
    ItemState,
    SignOff,
    SignOffStatus,
    StepStatus,
)
from projects.roles import GlobalRole
from tests.factories import UserFactory, approve_requirements
from tests.projects.conftest import step_of, table_names

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
# A tick from the step page, which gets back the row's head: session, user, groups;
# the item with its project and role; the step's activity time (which locks it); the
# item's update and history row; the sign-offs a change of a required item
# invalidates; the service's savepoint and its release. It was 16 with the project,
# the role and the (empty) evidence read on their own, 13 with a history row for the
# step on every tick, and 12 with the step read before it was touched and the
# assignee picker's names read for every tick.
EXPECTED_TICK_QUERIES = 10


def step_url(project, number=3):
    return reverse("projects:step", kwargs={"slug": project.slug, "number": number})


def state_url(item):
    return reverse(
        "projects:item_state", kwargs={"slug": item.project.slug, "pk": item.pk}
    )


def first_item(project, number=3, **filters):
    return ChecklistItem.objects.filter(
        project=project, step__number=number, applicable=True, **filters
    ).first()


@pytest.fixture
def as_(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


# The page


@pytest.mark.parametrize(
    "persona", ["owner", "lead", "contributor", "reviewer", "viewer"]
)
def test_members_open_a_step(as_, people, persona):
    response = as_(people[persona]).get(step_url(people["project"]))
    assert response.status_code == 200
    assert b"<html" in response.content
    assert b'id="stepper"' in response.content and b'id="gate"' in response.content


def test_outsiders_get_404_for_a_step(as_, people):
    assert as_(people["outsider"]).get(step_url(people["project"])).status_code == 404


def test_an_unknown_step_number_is_404(as_, people):
    assert as_(people["lead"]).get(step_url(people["project"], 9)).status_code == 404


def test_the_step_page_refuses_post(as_, people):
    assert as_(people["lead"]).post(step_url(people["project"])).status_code == 405


def test_one_request_refreshes_the_progress_the_stepper_and_the_gate(as_, people):
    """The progress region asks after each checklist change; the answer carries the
    stepper and the gate out of band, into wrappers that stay in the page."""
    page = as_(people["lead"]).get(step_url(people["project"])).content.decode()
    asking = re.findall(
        r'<div id="[\w-]+-region"[^>]*hx-trigger="checklist-changed', page
    )
    assert len(asking) == 1 and 'id="step-progress-region"' in asking[0]
    assert 'id="stepper-region"' in page and 'id="gate-region"' in page

    response = as_(people["lead"]).get(
        step_url(people["project"]), HTTP_HX_TARGET="step-progress-region", **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert re.match(r'\s*(\{#.*#\}\s*)?<div id="step-progress" ', body)
    for region, inner in (
        ("stepper", '<ol class="stepper" id="stepper"'),
        ("gate", '<section id="gate"'),
    ):
        oob = re.search(
            rf'<div id="{region}-region" hx-swap-oob="innerHTML">\s*{inner}', body
        )
        assert oob, region


def test_only_people_who_work_the_checklist_see_its_controls(as_, people):
    item = first_item(people["project"])
    lead_page = as_(people["lead"]).get(step_url(people["project"])).content.decode()
    assert state_url(item) in lead_page
    viewer_page = (
        as_(people["viewer"]).get(step_url(people["project"])).content.decode()
    )
    assert state_url(item) not in viewer_page


# Ticking


def head_target(item):
    return {"HTTP_HX_TARGET": f"item-{item.pk}-head", **HTMX}


def test_a_tick_on_the_step_page_gets_back_only_the_row_head(as_, people):
    project, contributor = people["project"], people["contributor"]
    item = first_item(project)
    client = as_(contributor)
    page = client.get(step_url(project)).content.decode()
    assert f'hx-target="#item-{item.pk}-head"' in page  # what the page's tick asks for
    client.post(state_url(item), {"state": "done"}, **head_target(item))  # warm-up

    with CaptureQueriesContext(connection) as ctx:
        response = client.post(state_url(item), {"state": "open"}, **head_target(item))
        response = client.post(state_url(item), {"state": "done"}, **head_target(item))

    assert response.status_code == 200
    body = response.content.decode().strip()
    head = f'<div class="item-head item-done" id="item-{item.pk}-head">'
    assert body.startswith(head) and body.endswith("</div>")
    assert f'aria-label="Untick: {item.title}"' in body
    assert f"ticked by {contributor.display_name}" in body
    assert "<li" not in body and "item-actions" not in body
    assert "HX-Retarget" not in response
    assert json.loads(response["HX-Trigger"]) == {
        "checklist-changed": {"item": item.pk}
    }
    # The row's rest (evidence, pickers) is neither read nor rendered.
    assert len(ctx.captured_queries) == 2 * EXPECTED_TICK_QUERIES
    item.refresh_from_db()
    assert item.state == ItemState.DONE and item.completed_by == contributor


def test_a_tick_of_an_item_made_not_applicable_meanwhile_gets_the_whole_row(
    as_, people
):
    item = first_item(people["project"])
    services.item_set_state(
        item=item,
        state=ItemState.NOT_APPLICABLE,
        actor=people["lead"],
        justification="No personal data here.",
    )
    response = as_(people["contributor"]).post(
        state_url(item), {"state": "done"}, **head_target(item)
    )
    body = response.content.decode().strip()
    assert body.startswith(f'<li class="item" id="item-{item.pk}">')
    assert "Why not applicable" not in body
    assert response["HX-Retarget"] == f"#item-{item.pk}"
    assert response["HX-Reswap"] == "outerHTML"
    item.refresh_from_db()
    assert item.state == ItemState.DONE


def test_a_refused_tick_shows_why_in_the_whole_row(as_, people):
    item = first_item(people["project"])
    step = step_of(people["project"], 3)
    step.status = StepStatus.DONE
    step.save()
    response = as_(people["contributor"]).post(
        state_url(item), {"state": "done"}, **head_target(item)
    )
    body = response.content.decode()
    assert "Step 3 is done. Reopen it to change its checklist." in body
    assert response["HX-Retarget"] == f"#item-{item.pk}"
    assert "HX-Trigger" not in response
    item.refresh_from_db()
    assert item.state == ItemState.OPEN


def test_ticking_returns_the_row_and_tells_the_page_to_refresh(as_, people):
    item = first_item(people["project"])
    response = as_(people["contributor"]).post(
        state_url(item), {"state": "done"}, HTTP_HX_TARGET=f"item-{item.pk}", **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<li class="item" id="item-{item.pk}"')
    assert f'<div class="item-head item-done" id="item-{item.pk}-head">' in body
    assert "HX-Retarget" not in response
    assert "<html" not in body
    assert json.loads(response["HX-Trigger"]) == {
        "checklist-changed": {"item": item.pk}
    }
    item.refresh_from_db()
    assert item.state == ItemState.DONE and item.completed_by == people["contributor"]


def test_without_htmx_a_tick_redirects_back_to_the_step(as_, people):
    item = first_item(people["project"])
    response = as_(people["lead"]).post(state_url(item), {"state": "done"})
    assert response.status_code == 302 and response["Location"] == step_url(
        people["project"]
    )


@pytest.mark.parametrize("persona", ["reviewer", "viewer"])
def test_read_only_members_get_403_on_ticking(as_, people, persona):
    item = first_item(people["project"])
    assert (
        as_(people[persona])
        .post(state_url(item), {"state": "done"}, **HTMX)
        .status_code
        == 403
    )
    item.refresh_from_db()
    assert item.state == ItemState.OPEN


def test_outsiders_get_404_on_ticking(as_, people):
    item = first_item(people["project"])
    assert (
        as_(people["outsider"]).post(state_url(item), {"state": "done"}).status_code
        == 404
    )


def test_ticking_refuses_get(as_, people):
    assert (
        as_(people["lead"]).get(state_url(first_item(people["project"]))).status_code
        == 405
    )


def test_an_item_of_another_project_is_404(as_, people):
    other = services.project_create(
        name="Other", team=people["project"].team, owner=people["lead"]
    )
    foreign = first_item(other)
    url = reverse(
        "projects:item_state", kwargs={"slug": people["project"].slug, "pk": foreign.pk}
    )
    assert as_(people["lead"]).post(url, {"state": "done"}).status_code == 404


def test_an_item_is_read_with_its_project_assignee_and_the_viewers_role_at_once(
    people, django_assert_num_queries
):
    project, lead, outsider = people["project"], people["lead"], people["outsider"]
    item = first_item(project)
    services.item_update(item=item, assignee=lead, due_date=None, notes="")
    expected = ChecklistItem.objects.select_related("project", "assignee").get(
        pk=item.pk
    )
    with django_assert_num_queries(1):
        found, role = step_selectors.checklist_item_for(lead, item.pk)
        assert (found.project, found.assignee) == (project, lead)
        assert found.project.name == project.name
        assert found.assignee.display_name == lead.display_name
    assert role == "lead"
    assert {
        f.attname: getattr(found, f.attname) for f in item._meta.concrete_fields
    } == {f.attname: getattr(expected, f.attname) for f in item._meta.concrete_fields}
    unassigned = first_item(project, assignee=None)
    found, role = step_selectors.checklist_item_for(outsider, unassigned.pk)
    assert found == unassigned and found.assignee is None and role is None
    assert step_selectors.checklist_item_for(lead, 10**9) is None


def test_not_applicable_without_a_reason_shows_the_error_in_the_row_and_changes_nothing(
    as_, people
):
    item = first_item(people["project"])
    response = as_(people["lead"]).post(
        state_url(item), {"state": "not_applicable", "justification": ""}, **HTMX
    )
    assert response.status_code == 200
    assert "Say why the item does not apply" in response.content.decode()
    assert "HX-Trigger" not in response
    item.refresh_from_db()
    assert item.state == ItemState.OPEN


def test_details_save_assignee_due_date_and_notes(as_, people):
    item = first_item(people["project"])
    url = reverse(
        "projects:item_update", kwargs={"slug": people["project"].slug, "pk": item.pk}
    )
    response = as_(people["lead"]).post(
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


def test_only_members_can_be_assigned(as_, people):
    item = first_item(people["project"])
    url = reverse(
        "projects:item_update", kwargs={"slug": people["project"].slug, "pk": item.pk}
    )
    as_(people["lead"]).post(url, {"assignee": UserFactory().pk}, **HTMX)
    item.refresh_from_db()
    assert item.assignee is None


# Evidence


def evidence_url(item):
    return reverse(
        "projects:evidence_add", kwargs={"slug": item.project.slug, "pk": item.pk}
    )


def test_a_link_is_attached_as_evidence(as_, people):
    item = first_item(people["project"], evidence_required=True)
    response = as_(people["lead"]).post(
        evidence_url(item), {"url": "https://wiki.example.com/pentest"}, **HTMX
    )
    assert response.status_code == 200
    assert "https://wiki.example.com/pentest" in response.content.decode()
    assert item.evidence.get().url == "https://wiki.example.com/pentest"


def test_a_file_is_uploaded_and_served_only_to_people_who_see_the_project(
    as_, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    item = first_item(people["project"], evidence_required=True)
    upload = SimpleUploadedFile(
        "pentest.pdf", b"%PDF-1.7 report", content_type="application/pdf"
    )
    as_(people["lead"]).post(evidence_url(item), {"file": upload}, **HTMX)
    evidence = item.evidence.get()
    assert (evidence.original_name, evidence.size) == ("pentest.pdf", 15)
    download = reverse(
        "projects:evidence_download",
        kwargs={"slug": item.project.slug, "pk": evidence.pk},
    )
    response = as_(people["viewer"]).get(download)
    assert (
        response.status_code == 200
        and b"".join(response.streaming_content) == b"%PDF-1.7 report"
    )
    assert 'attachment; filename="pentest.pdf"' in response["Content-Disposition"]
    assert as_(people["outsider"]).get(download).status_code == 404


def test_an_oversized_upload_is_rejected_and_changes_nothing(
    as_, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.RUNWAY_EVIDENCE_MAX_BYTES = 1024
    item = first_item(people["project"], evidence_required=True)
    upload = SimpleUploadedFile("big.pdf", b"x" * 2048, content_type="application/pdf")
    response = as_(people["lead"]).post(evidence_url(item), {"file": upload}, **HTMX)
    assert response.status_code == 200
    assert "the limit is" in response.content.decode()
    assert not Evidence.objects.exists()
    assert not any(tmp_path.rglob("*.pdf"))


def test_a_disallowed_file_type_is_rejected_and_changes_nothing(
    as_, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    item = first_item(people["project"], evidence_required=True)
    upload = SimpleUploadedFile(
        "payload.exe", b"MZ", content_type="application/octet-stream"
    )
    response = as_(people["lead"]).post(evidence_url(item), {"file": upload}, **HTMX)
    assert "are not accepted" in response.content.decode()
    assert not Evidence.objects.exists()


def stored_files(root):
    return [p for p in root.rglob("*") if p.is_file()]


def test_the_browsers_content_type_is_ignored_however_long(
    as_, people, settings, tmp_path
):
    """A Content-Type longer than the column once failed the insert after the file
    was written: a 500 and a file with no row. It is not read at all now."""
    settings.MEDIA_ROOT = tmp_path
    item = first_item(people["project"], evidence_required=True)
    upload = SimpleUploadedFile(
        "pentest.pdf", b"%PDF-1.7 report", content_type="application/" + "x" * 500
    )
    response = as_(people["lead"]).post(evidence_url(item), {"file": upload}, **HTMX)
    assert response.status_code == 200
    evidence = item.evidence.get()
    assert evidence.content_type == "application/pdf"
    assert [p.name for p in stored_files(tmp_path)] == ["pentest.pdf"]


def test_a_file_whose_content_is_not_its_extension_is_refused_and_not_stored(
    as_, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    item = first_item(people["project"], evidence_required=True)
    upload = SimpleUploadedFile(
        "pentest.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    response = as_(people["lead"]).post(evidence_url(item), {"file": upload}, **HTMX)
    assert response.status_code == 200
    assert (
        "This file&#x27;s content is not a PDF, though its name ends in .pdf."
        in response.content.decode()
    )
    assert not Evidence.objects.exists()
    assert not any(tmp_path.iterdir())


def test_text_evidence_must_be_utf8_without_nul_bytes(as_, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = first_item(people["project"], evidence_required=True)
    client = as_(people["lead"])
    refused = SimpleUploadedFile("log.csv", b"a,b\n\x00\x01", content_type="text/csv")
    response = client.post(evidence_url(item), {"file": refused}, **HTMX)
    assert "is not UTF-8 text" in response.content.decode()
    assert not Evidence.objects.exists() and not any(tmp_path.iterdir())
    accepted = SimpleUploadedFile("log.csv", "é,ü\n".encode(), content_type="x/y")
    client.post(evidence_url(item), {"file": accepted}, **HTMX)
    assert item.evidence.get().content_type == "text/csv; charset=utf-8"


def test_a_name_too_long_to_store_is_refused_and_not_stored(
    as_, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    item = first_item(people["project"], evidence_required=True)
    upload = SimpleUploadedFile("r" * 250 + ".pdf", b"%PDF-1.7 report")
    response = as_(people["lead"]).post(evidence_url(item), {"file": upload}, **HTMX)
    assert "name is too long" in response.content.decode()
    assert not Evidence.objects.exists()
    assert not any(tmp_path.iterdir())


def test_a_kind_allowed_by_the_setting_but_not_checkable_is_refused(
    as_, people, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.RUNWAY_EVIDENCE_EXTENSIONS = ["pdf", "exe"]
    item = first_item(people["project"], evidence_required=True)
    upload = SimpleUploadedFile("tool.exe", b"MZ\x90\x00")
    response = as_(people["lead"]).post(evidence_url(item), {"file": upload}, **HTMX)
    assert "Allowed: pdf." in response.content.decode()
    assert not Evidence.objects.exists()
    assert not any(tmp_path.iterdir())


def test_evidence_needs_a_link_or_a_file(as_, people):
    item = first_item(people["project"], evidence_required=True)
    response = as_(people["lead"]).post(evidence_url(item), {}, **HTMX)
    assert "Attach either a link or a file" in response.content.decode()
    assert not Evidence.objects.exists()


def test_read_only_members_cannot_attach_evidence(as_, people):
    item = first_item(people["project"], evidence_required=True)
    response = as_(people["viewer"]).post(
        evidence_url(item), {"url": "https://x.example.com"}, **HTMX
    )
    assert response.status_code == 403
    assert not Evidence.objects.exists()


# Marking done, reopening, sign-offs


def done_url(project, number):
    return reverse(
        "projects:step_done", kwargs={"slug": project.slug, "number": number}
    )


def test_marking_done_is_refused_with_what_is_missing(as_, people):
    project = people["project"]
    response = as_(people["lead"]).post(done_url(project, 1), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "cannot be marked done yet" in body
    assert first_item(project, 1, required=True).title in body
    assert step_of(project, 1).status != StepStatus.DONE


@pytest.mark.parametrize("persona", ["contributor", "reviewer", "viewer"])
def test_only_the_lead_and_owner_mark_steps_done(as_, people, persona):
    assert as_(people[persona]).post(done_url(people["project"], 1)).status_code == 403


def test_a_step_whose_gate_holds_is_marked_done(as_, people):
    project = people["project"]
    for item in ChecklistItem.objects.filter(
        project=project, step__number=1, required=True
    ):
        if item.evidence_required:
            services.evidence_add(
                item=item, actor=people["lead"], url="https://wiki.example.com/req"
            )
        services.item_set_state(item=item, state=ItemState.DONE, actor=people["lead"])
    refused = as_(people["lead"]).post(done_url(project, 1), **HTMX)
    assert "has not approved a requirements version" in refused.content.decode()
    approve_requirements(project, people["owner"])
    response = as_(people["lead"]).post(done_url(project, 1), **HTMX)
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    assert step_of(project, 1).status == StepStatus.DONE


def test_only_the_person_asked_decides_a_sign_off(as_, people):
    project = people["project"]
    signoff = services.signoff_request(
        project_step=step_of(project, 3),
        role="reviewer",
        signer=people["reviewer"],
        actor=people["lead"],
    )
    decide = reverse(
        "projects:signoff_decide", kwargs={"slug": project.slug, "pk": signoff.pk}
    )
    assert as_(people["lead"]).post(decide, {"decision": "approve"}).status_code == 403
    as_(people["reviewer"]).post(decide, {"decision": "approve"})
    signoff.refresh_from_db()
    assert signoff.status == SignOffStatus.APPROVED


def test_a_reviewer_is_asked_to_sign_off_from_the_page(as_, people):
    project, newcomer = people["project"], UserFactory(roles=[GlobalRole.REVIEWER])
    url = reverse(
        "projects:signoff_request", kwargs={"slug": project.slug, "number": 3}
    )
    as_(people["lead"]).post(url, {"role": "reviewer", "signer": newcomer.pk})
    signoff = SignOff.objects.get()
    assert (signoff.signer, signoff.requested_by) == (newcomer, people["lead"])
    # Being asked makes the project visible to them.
    assert as_(newcomer).get(step_url(project)).status_code == 200


def test_a_rejection_without_a_reason_changes_nothing(as_, people):
    project = people["project"]
    signoff = services.signoff_request(
        project_step=step_of(project, 3),
        role="reviewer",
        signer=people["reviewer"],
        actor=people["lead"],
    )
    decide = reverse(
        "projects:signoff_decide", kwargs={"slug": project.slug, "pk": signoff.pk}
    )
    as_(people["reviewer"]).post(decide, {"decision": "reject", "comment": ""})
    signoff.refresh_from_db()
    assert signoff.status == SignOffStatus.PENDING


def test_reopening_a_done_step_needs_a_reason(as_, people):
    project = people["project"]
    project_step = step_of(project, 1)
    project_step.status = StepStatus.DONE
    project_step.save()
    url = reverse("projects:step_reopen", kwargs={"slug": project.slug, "number": 1})
    as_(people["lead"]).post(url, {"reason": ""})
    assert step_of(project, 1).status == StepStatus.DONE
    as_(people["lead"]).post(url, {"reason": "Budget doubled."})
    assert step_of(project, 1).status == StepStatus.IN_PROGRESS


def test_custom_items_are_added_by_people_who_work_the_checklist(as_, people):
    project = people["project"]
    url = reverse("projects:item_add", kwargs={"slug": project.slug, "number": 4})
    as_(people["contributor"]).post(
        url, {"title": "Backfill 2025 claims", "required": "on"}
    )
    assert ChecklistItem.objects.filter(
        project=project, title="Backfill 2025 claims", template=None
    ).exists()
    assert as_(people["viewer"]).post(url, {"title": "Nope"}).status_code == 403


# Query counts stay flat as the checklist grows


def count_queries(client, url):
    client.get(url)  # warm up: the first request of a session writes it
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_step_page_query_count_does_not_grow_with_the_checklist(as_, people):
    project, lead = people["project"], people["lead"]
    client = as_(lead)
    url = step_url(project, 4)
    before = count_queries(client, url)
    step = step_of(project, 4).step
    for n in range(25):
        item = services.custom_item_add(
            project=project,
            step=step,
            title=f"Extra {n}",
            required=True,
            evidence_required=False,
        )
        services.evidence_add(
            item=item, actor=lead, url=f"https://wiki.example.com/{n}"
        )
        services.item_update(item=item, assignee=lead, due_date=None, notes="")
    assert count_queries(client, url) == before


def test_the_project_list_query_count_does_not_grow_with_projects(as_, people):
    executive = UserFactory(roles=[GlobalRole.EXECUTIVE])
    client = as_(executive)
    url = reverse("projects:list")
    before = count_queries(client, url)
    for n in range(5):
        services.project_create(
            name=f"More {n}",
            team=people["project"].team,
            owner=people["owner"],
            lead=people["lead"],
        )
    assert count_queries(client, url) == before


def test_the_overview_query_count_does_not_grow_with_the_checklist(as_, people):
    project = people["project"]
    client = as_(people["owner"])
    url = reverse("projects:detail", kwargs={"slug": project.slug})
    before = count_queries(client, url)
    step = step_of(project, 5).step
    for n in range(20):
        services.custom_item_add(
            project=project,
            step=step,
            title=f"More {n}",
            required=False,
            evidence_required=False,
        )
    assert count_queries(client, url) == before


def test_the_lead_refreshes_the_checklist_from_the_catalog_keeping_ticks(as_, people):
    from projects.models import ChecklistTemplate, Step

    project = people["project"]
    ticked = first_item(project, 2)
    services.item_set_state(item=ticked, state=ItemState.DONE, actor=people["lead"])
    new = ChecklistTemplate.objects.create(
        key="s2-new-check",
        step=Step.objects.get(number=2),
        title="A new check",
        order=999,
    )
    url = reverse(
        "projects:checklist_refresh", kwargs={"slug": project.slug, "number": 2}
    )
    assert as_(people["viewer"]).post(url).status_code == 403
    response = as_(people["lead"]).post(url)
    assert response.status_code == 302
    assert ChecklistItem.objects.filter(project=project, template=new).exists()
    ticked.refresh_from_db()
    assert ticked.state == ItemState.DONE
    assert as_(people["lead"]).get(url).status_code == 405


def test_the_list_filters_by_owner_step_and_flags(as_, people):
    other = services.project_create(
        name="Other Bot", team=people["project"].team, owner=people["lead"]
    )
    executive = UserFactory(roles=[GlobalRole.EXECUTIVE])
    client = as_(executive)
    url = reverse("projects:list")

    def names(**params):
        return table_names(client.get(url, params))

    assert names(owner=people["owner"].pk) == [people["project"].name]
    assert names(owner=people["lead"].pk) == [other.name]
    assert set(names(step=1)) == {people["project"].name, other.name}
    assert names(step=2) == []
    project_step = step_of(other, 1)
    project_step.due_date = project_step.due_date or __import__("datetime").date(
        2020, 1, 1
    )
    project_step.save()
    assert names(flagged=1) == [other.name]
    owners = client.get(url).context["owners"]
    assert {pk for pk, _ in owners} == {people["owner"].pk, people["lead"].pk}
    assert (people["owner"].pk, people["owner"].display_name) in owners


def test_a_tick_reads_the_item_once_and_renders_it_as_saved(as_, people):
    project, contributor, lead = (
        people["project"],
        people["contributor"],
        people["lead"],
    )
    item = first_item(project)
    services.item_update(item=item, assignee=lead, due_date=None, notes="")
    services.evidence_add(item=item, actor=lead, url="https://wiki.example.com/dpia")
    client = as_(contributor)
    client.get(step_url(project))  # the session's first request writes it
    item_history = item.history.count()
    step_history = step_of(project, 3).history.count()
    before = timezone.now()

    with CaptureQueriesContext(connection) as ctx:
        response = client.post(state_url(item), {"state": "done"}, **HTMX)

    body = response.content.decode()
    assert f"Assigned to {lead.display_name}" in body
    assert f"ticked by {contributor.display_name}" in body
    assert "https://wiki.example.com/dpia" in body
    selects = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]

    def reads(table):
        return sum(f'FROM "{table}"' in sql for sql in selects)

    assert reads("projects_checklistitem") == 1  # not read again to render the row
    assert reads("projects_project") == 0  # joined to the item, not read on its own
    # The role (a subquery of the item's query), then the assignee picker's names.
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


def test_removing_evidence_renders_the_row_without_it(as_, people):
    project, lead = people["project"], people["lead"]
    item = first_item(project)
    services.item_update(item=item, assignee=lead, due_date=None, notes="")
    kept = services.evidence_add(
        item=item, actor=lead, url="https://wiki.example.com/a"
    )
    gone = services.evidence_add(
        item=item, actor=lead, url="https://wiki.example.com/b"
    )
    response = as_(lead).post(
        reverse(
            "projects:evidence_remove", kwargs={"slug": project.slug, "pk": gone.pk}
        ),
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert kept.url in body and gone.url not in body
    assert f"Assigned to {lead.display_name}" in body


def test_the_assignee_picker_after_a_tick_follows_membership_changes(as_, people):
    project, contributor = people["project"], people["contributor"]
    item = first_item(project)
    client = as_(contributor)
    client.post(state_url(item), {"state": "done"}, **HTMX)  # the names are kept
    newcomer = UserFactory(first_name="Nadia", last_name="Newcomer")
    services.membership_set(project=project, user=newcomer, role="contributor")

    body = client.post(state_url(item), {"state": "open"}, **HTMX).content.decode()
    assert f'<option value="{newcomer.pk}" >Nadia Newcomer</option>' in body

    services.membership_remove(membership=project.memberships.get(user=newcomer))
    body = client.post(state_url(item), {"state": "done"}, **HTMX).content.decode()
    assert "Nadia Newcomer" not in body


def test_a_tick_in_a_project_the_user_cannot_see_is_404_and_logged(as_, people, caplog):
    item = first_item(people["project"])
    outsider = UserFactory()
    with caplog.at_level("WARNING", logger="runway.security"):
        response = as_(outsider).post(state_url(item), {"state": "done"}, **HTMX)
    assert response.status_code == 404
    assert any(r.message == "access denied" for r in caplog.records)
    item.refresh_from_db()
    assert item.state != ItemState.DONE


def test_the_project_page_is_rendered_once_until_the_project_or_its_checklist_changes(
    as_, people
):
    project, owner = people["project"], people["owner"]
    client = as_(owner)
    url = project.get_absolute_url()
    open_items = ChecklistItem.objects.filter(
        project=project, step__number=1, applicable=True, state="open"
    )
    # The step is under way, so a tick moves no step row: only the checklist.
    services.item_set_state(item=open_items.first(), state="done", actor=owner)

    def first_step_progress(page):
        return re.search(r'class="stepper-progress">(\d+)/(\d+) items', page).groups()

    before = first_step_progress(client.get(url).text)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url).text
    read = " ".join(q["sql"] for q in ctx.captured_queries)
    assert '"projects_checklistitem"' not in read  # the steps' progress is kept
    assert '"projects_project_frameworks"' not in read
    assert first_step_progress(page) == before

    services.item_set_state(item=open_items.first(), state="done", actor=owner)
    done, total = first_step_progress(client.get(url).text)
    assert (int(done), total) == (int(before[0]) + 1, before[1])

    owner.first_name, owner.last_name = "Renamed", "Owner"
    owner.save()
    assert "Renamed Owner" in client.get(url).text


def test_asking_someone_who_is_not_a_reviewer_says_why_and_shares_nothing(as_, people):
    project, somebody = people["project"], UserFactory()
    url = reverse(
        "projects:signoff_request", kwargs={"slug": project.slug, "number": 3}
    )
    response = as_(people["lead"]).post(
        url, {"role": "reviewer", "signer": somebody.pk}, follow=True
    )
    assert "not a Reviewer" in response.content.decode()
    assert not SignOff.objects.exists()
    assert as_(somebody).get(step_url(project)).status_code == 404
