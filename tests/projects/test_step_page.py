"""The step page as each persona uses it: opening and refreshing it, marking a step
done, reopening it, sign-offs, custom items and the catalogue refresh; and the
pages that show the steps, whose queries stay flat and whose renderings are kept."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects import services, step_selectors, step_services
from projects.models import (
    ChecklistItem,
    ItemState,
    ProjectStep,
    SignOff,
    SignOffStatus,
    StepStatus,
)
from projects.roles import GlobalRole
from projects.tabs import project_tabs
from tests.factories import UserFactory, approve_requirements
from tests.html import page, text
from tests.projects.conftest import step_of, table_names
from tests.projects.step_pages import (
    HTMX,
    first_item,
    signed_in,
    state_url,
    step_url,
)

pytestmark = pytest.mark.django_db


# The page


@pytest.mark.parametrize(
    "persona", ["owner", "lead", "contributor", "reviewer", "viewer"]
)
def test_members_open_a_step(client, people, persona):
    response = signed_in(client, people[persona]).get(step_url(people["project"]))
    assert response.status_code == 200
    document = page(response)
    assert document.find("html")
    assert document.find(id="stepper") and document.find(id="gate")


def test_outsiders_get_404_for_a_step(client, people):
    assert (
        signed_in(client, people["outsider"])
        .get(step_url(people["project"]))
        .status_code
        == 404
    )


def test_an_unknown_step_number_is_404(client, people):
    assert (
        signed_in(client, people["lead"])
        .get(step_url(people["project"], 9))
        .status_code
        == 404
    )


def test_the_step_page_refuses_post(client, people):
    assert (
        signed_in(client, people["lead"]).post(step_url(people["project"])).status_code
        == 405
    )


def test_one_request_refreshes_the_progress_the_stepper_and_the_gate(client, people):
    """The progress region asks after each checklist change; the answer carries the
    stepper and the gate out of band, into wrappers that stay in the page."""
    document = page(signed_in(client, people["lead"]).get(step_url(people["project"])))
    asking = [
        region["id"]
        for region in document.find_all(
            "div", id=lambda id: id and id.endswith("-region")
        )
        if "checklist-changed" in region.get("hx-trigger", "")
    ]
    assert asking == ["step-progress-region"]
    assert document.find(id="stepper-region") and document.find(id="gate-region")

    response = signed_in(client, people["lead"]).get(
        step_url(people["project"]), HTTP_HX_TARGET="step-progress-region", **HTMX
    )
    assert response.status_code == 200
    answer = page(response)
    assert not answer.find("html")
    first, *out_of_band = answer.find_all(True, recursive=False)
    assert first["id"] == "step-progress"
    wrappers = {region["id"]: region for region in out_of_band}
    for region, inner in (("stepper", "ol"), ("gate", "section")):
        wrapper = wrappers[f"{region}-region"]
        assert wrapper["hx-swap-oob"] == "innerHTML"
        assert wrapper.find(True, recursive=False) == wrapper.find(inner, id=region)


def test_only_people_who_work_the_checklist_see_its_controls(client, people):
    item = first_item(people["project"])
    tick = f"Tick: {item.title}"
    lead_page = page(signed_in(client, people["lead"]).get(step_url(people["project"])))
    assert lead_page.find("button", attrs={"aria-label": tick})
    viewer_page = page(
        signed_in(client, people["viewer"]).get(step_url(people["project"]))
    )
    assert not viewer_page.find("button", attrs={"aria-label": tick})
    assert not viewer_page.find("form", action=state_url(item))


def test_each_steps_progress_counts_its_applicable_items(people):
    project, lead = people["project"], people["lead"]
    ticked, not_applicable, retired = ChecklistItem.objects.filter(
        project=project, step__number=2, applicable=True
    ).order_by("-required", "id")[:3]

    def step_two():
        summaries = step_selectors.step_summaries(project)
        assert [s.number for s in summaries] == [1, 2, 3, 4, 5, 6, 7]
        return summaries[1]

    before = step_two()
    assert before.done == 0 and before.applicable >= 3
    services.item_set_state(item=ticked, state=ItemState.DONE, actor=lead)
    services.item_set_state(
        item=not_applicable,
        state=ItemState.NOT_APPLICABLE,
        actor=lead,
        justification="No model is trained here.",
    )
    ChecklistItem.objects.filter(pk=retired.pk).update(applicable=False)

    after = step_two()
    assert (after.done, after.applicable) == (2, before.applicable - 1)
    assert after.required_open == before.required_open - sum(
        item.required for item in (ticked, not_applicable, retired)
    )
    assert after.progress == round(100 * 2 / (before.applicable - 1))
    assert after.status == StepStatus.IN_PROGRESS


# Marking done, reopening, sign-offs


def done_url(project, number):
    return reverse(
        "projects:step_done", kwargs={"slug": project.slug, "number": number}
    )


def test_marking_done_is_refused_with_what_is_missing(client, people):
    project = people["project"]
    response = signed_in(client, people["lead"]).post(done_url(project, 1), **HTMX)
    said = text(page(response))
    assert response.status_code == 200
    assert "cannot be marked done yet" in said
    assert first_item(project, 1, required=True).title in said
    assert step_of(project, 1).status != StepStatus.DONE


@pytest.mark.parametrize("persona", ["contributor", "reviewer", "viewer"])
def test_only_the_lead_and_owner_mark_steps_done(client, people, persona):
    assert (
        signed_in(client, people[persona])
        .post(done_url(people["project"], 1))
        .status_code
        == 403
    )


def test_a_step_whose_gate_holds_is_marked_done(client, people):
    project = people["project"]
    for item in ChecklistItem.objects.filter(
        project=project, step__number=1, required=True
    ):
        if item.evidence_required:
            services.evidence_add(
                item=item, actor=people["lead"], url="https://wiki.example.com/req"
            )
        services.item_set_state(item=item, state=ItemState.DONE, actor=people["lead"])
    refused = signed_in(client, people["lead"]).post(done_url(project, 1), **HTMX)
    assert "has not approved a requirements version" in text(page(refused))
    approve_requirements(project, people["owner"])
    response = signed_in(client, people["lead"]).post(done_url(project, 1), **HTMX)
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    assert step_of(project, 1).status == StepStatus.DONE


def test_only_the_person_asked_decides_a_sign_off(client, people):
    project = people["project"]
    signoff = step_services.signoff_request(
        project_step=step_of(project, 3),
        role="reviewer",
        signer=people["reviewer"],
        actor=people["lead"],
    )
    decide = reverse(
        "projects:signoff_decide", kwargs={"slug": project.slug, "pk": signoff.pk}
    )
    assert (
        signed_in(client, people["lead"])
        .post(decide, {"decision": "approve"})
        .status_code
        == 403
    )
    signed_in(client, people["reviewer"]).post(decide, {"decision": "approve"})
    signoff.refresh_from_db()
    assert signoff.status == SignOffStatus.APPROVED


def test_a_reviewer_is_asked_to_sign_off_from_the_page(client, people):
    project, newcomer = people["project"], UserFactory(roles=[GlobalRole.REVIEWER])
    url = reverse(
        "projects:signoff_request", kwargs={"slug": project.slug, "number": 3}
    )
    signed_in(client, people["lead"]).post(
        url, {"role": "reviewer", "signer": newcomer.pk}
    )
    signoff = SignOff.objects.get()
    assert (signoff.signer, signoff.requested_by) == (newcomer, people["lead"])
    # Being asked makes the project visible to them.
    assert signed_in(client, newcomer).get(step_url(project)).status_code == 200


def test_a_rejection_without_a_reason_changes_nothing(client, people):
    project = people["project"]
    signoff = step_services.signoff_request(
        project_step=step_of(project, 3),
        role="reviewer",
        signer=people["reviewer"],
        actor=people["lead"],
    )
    decide = reverse(
        "projects:signoff_decide", kwargs={"slug": project.slug, "pk": signoff.pk}
    )
    signed_in(client, people["reviewer"]).post(
        decide, {"decision": "reject", "comment": ""}
    )
    signoff.refresh_from_db()
    assert signoff.status == SignOffStatus.PENDING


def test_asking_someone_who_is_not_a_reviewer_says_why_and_shares_nothing(
    client, people
):
    project, somebody = people["project"], UserFactory()
    url = reverse(
        "projects:signoff_request", kwargs={"slug": project.slug, "number": 3}
    )
    response = signed_in(client, people["lead"]).post(
        url, {"role": "reviewer", "signer": somebody.pk}, follow=True
    )
    assert "not a Reviewer" in text(page(response))
    assert not SignOff.objects.exists()
    assert signed_in(client, somebody).get(step_url(project)).status_code == 404


def test_reopening_a_done_step_needs_a_reason(client, people):
    project = people["project"]
    project_step = step_of(project, 1)
    project_step.status = StepStatus.DONE
    project_step.save()
    url = reverse("projects:step_reopen", kwargs={"slug": project.slug, "number": 1})
    signed_in(client, people["lead"]).post(url, {"reason": ""})
    assert step_of(project, 1).status == StepStatus.DONE
    signed_in(client, people["lead"]).post(url, {"reason": "Budget doubled."})
    assert step_of(project, 1).status == StepStatus.IN_PROGRESS


# The checklist's own items and the catalogue


def test_custom_items_are_added_by_people_who_work_the_checklist(client, people):
    project = people["project"]
    url = reverse("projects:item_add", kwargs={"slug": project.slug, "number": 4})
    signed_in(client, people["contributor"]).post(
        url, {"title": "Backfill 2025 claims", "required": "on"}
    )
    assert ChecklistItem.objects.filter(
        project=project, title="Backfill 2025 claims", template=None
    ).exists()
    assert (
        signed_in(client, people["viewer"]).post(url, {"title": "Nope"}).status_code
        == 403
    )


def test_the_lead_refreshes_the_checklist_from_the_catalog_keeping_ticks(
    client, people
):
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
    assert signed_in(client, people["viewer"]).post(url).status_code == 403
    response = signed_in(client, people["lead"]).post(url)
    assert response.status_code == 302
    assert ChecklistItem.objects.filter(project=project, template=new).exists()
    ticked.refresh_from_db()
    assert ticked.state == ItemState.DONE
    assert signed_in(client, people["lead"]).get(url).status_code == 405


# Query counts stay flat as the checklist grows; renderings are kept until a change


def count_queries(client, url):
    client.get(url)  # warm up: the first request of a session writes it
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_step_page_query_count_does_not_grow_with_the_checklist(client, people):
    project, lead = people["project"], people["lead"]
    client = signed_in(client, lead)
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


def test_the_project_list_query_count_does_not_grow_with_projects(client, people):
    executive = UserFactory(roles=[GlobalRole.EXECUTIVE])
    client = signed_in(client, executive)
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


def test_the_overview_query_count_does_not_grow_with_the_checklist(client, people):
    project = people["project"]
    client = signed_in(client, people["owner"])
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


def test_the_list_filters_by_owner_step_and_risk(client, people):
    other = services.project_create(
        name="Other Bot", team=people["project"].team, owner=people["lead"]
    )
    executive = UserFactory(roles=[GlobalRole.EXECUTIVE])
    client = signed_in(client, executive)
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
    assert names(at_risk=1) == [other.name]  # its step 1 is overdue
    owners = client.get(url).context["owners"]
    assert {pk for pk, _ in owners} == {people["owner"].pk, people["lead"].pk}
    assert (people["owner"].pk, people["owner"].display_name) in owners


def first_step_open_items(project):
    return ChecklistItem.objects.filter(
        project=project, step__number=1, applicable=True, state="open"
    )


def read_while(client, url):
    """The response to ``url`` and the SQL its request ran, as one text."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response, " ".join(q["sql"] for q in ctx.captured_queries)


def test_the_project_page_is_rendered_once_until_the_project_or_its_checklist_changes(
    client, people
):
    project, owner = people["project"], people["owner"]
    client = signed_in(client, owner)
    url = project.get_absolute_url()
    open_items = first_step_open_items(project)
    # The step is under way, so a tick moves no step row: only the checklist.
    services.item_set_state(item=open_items.first(), state="done", actor=owner)

    def first_step_progress(response):
        """The first step's "done/applicable items" in the stepper, as numbers."""
        words = text(page(response).select_one(".stepper-progress"))
        done, applicable = words.removesuffix(" items").split("/")
        return int(done), int(applicable)

    before = first_step_progress(client.get(url))
    kept, read = read_while(client, url)
    assert '"projects_checklistitem"' not in read  # the steps' progress is kept
    assert '"projects_project_frameworks"' not in read
    assert first_step_progress(kept) == before

    services.item_set_state(item=open_items.first(), state="done", actor=owner)
    done, applicable = first_step_progress(client.get(url))
    assert (done, applicable) == (before[0] + 1, before[1])

    owner.first_name, owner.last_name = "Renamed", "Owner"
    owner.save()
    assert "Renamed Owner" in text(page(client.get(url)))


def test_a_tick_rebuilds_the_stepper_and_keeps_the_rest_of_the_overview(client, people):
    project, owner = people["project"], people["owner"]
    client = signed_in(client, owner)
    url = project.get_absolute_url()
    open_items = first_step_open_items(project)
    # The first tick starts the step, which the header's reasons may show.
    services.item_set_state(item=open_items.first(), state="done", actor=owner)
    client.get(url)
    services.item_set_state(item=open_items.first(), state="done", actor=owner)
    response, read = read_while(client, url)
    assert '"projects_checklistitem"' in read  # the stepper counts the items again
    assert '"risks_risk"' not in read  # the reasons "at risk" are kept
    assert '"projects_project_frameworks"' not in read
    html = page(response)
    assert text(html.select_one("h1")) == project.name
    current_tab = html.select_one('nav[aria-label="Project"] a[aria-current="page"]')
    assert text(current_tab) == "Overview"
    assert text(html.select_one(".stepper-progress")).startswith("2/")
    assert html.select_one("#about-heading") is not None


def test_the_header_says_launched_on_every_tab_once_step_7_is_done(client, people):
    project = people["project"]
    client = signed_in(client, people["owner"])
    tabs = [url for _, url in project_tabs(project.slug, may_edit=True)]
    assert len(tabs) > 5  # the other apps' tabs (requirements, dashboard...) too
    for url in tabs:
        assert "Launched" not in text(page(client.get(url, follow=True)).h1), url
    ProjectStep.objects.filter(project=project).update(status=StepStatus.DONE)
    project.save()  # announces the change to the cached renderings
    for url in (*tabs, step_url(project, 7)):
        h1 = page(client.get(url, follow=True)).h1
        assert text(h1) == f"{project.name} Launched", url
