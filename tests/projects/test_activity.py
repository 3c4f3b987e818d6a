"""A project's activity: real changes told as sentences that name who made them."""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects import activity, membership_services, services, step_services
from projects.audit import acting_as
from projects.models import ChecklistItem, Framework, ItemState, Membership
from tests.factories import UserFactory, approve_requirements
from tests.projects.conftest import step_of

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def activity_url(project):
    return reverse("projects:activity", kwargs={"slug": project.slug})


def text_of(response):
    return html.unescape(response.content.decode())


def item(project, key):
    return ChecklistItem.objects.get(project=project, template__key=key)


def sentences(project, **kwargs):
    return [(e.who, e.text) for e in activity.project_activity(project, **kwargs)]


def mark_step_1_done(project, people):
    """Work step 1 to its gate the way the lead and the owner do, then mark it done."""
    lead, owner = people["lead"], people["owner"]
    with acting_as(lead):
        for required in ChecklistItem.objects.filter(
            project=project, step__number=1, required=True
        ):
            if required.evidence_required:
                services.evidence_add(
                    item=required, actor=lead, url="https://wiki.example.com/req"
                )
            services.item_set_state(item=required, state=ItemState.DONE, actor=lead)
    with acting_as(owner):
        approve_requirements(project, owner)
    with acting_as(lead):
        step_services.step_mark_done(project_step=step_of(project, 1))


@pytest.fixture
def worked(people):
    """A project after a morning of real work, each change made by a named person."""
    project = people["project"]
    owner, lead = people["owner"], people["lead"]
    contributor, reviewer = people["contributor"], people["reviewer"]
    newcomer = UserFactory(first_name="Nia", last_name="Okafor")
    ticked = item(project, "s3-threat-model")
    not_applicable = item(project, "s3-soc2-access-reviews")
    evidenced = item(project, "s3-hipaa-baa")

    with acting_as(owner):
        membership_services.membership_set(
            project=project, user=newcomer, role="contributor"
        )
    with acting_as(lead):
        services.item_set_state(item=ticked, state=ItemState.DONE, actor=lead)
        services.item_set_state(
            item=not_applicable,
            state=ItemState.NOT_APPLICABLE,
            actor=lead,
            justification="Vendors are reviewed by procurement",
        )
    with acting_as(contributor):
        services.evidence_add(
            item=evidenced, actor=contributor, url="https://wiki.example.com/baa"
        )
    with acting_as(lead):
        signoff = step_services.signoff_request(
            project_step=step_of(project, 3),
            role="reviewer",
            signer=reviewer,
            actor=lead,
        )
    with acting_as(reviewer):
        step_services.signoff_decide(signoff=signoff, approve=True, comment="")
    mark_step_1_done(project, people)
    with acting_as(owner):
        step_services.step_reopen(
            project_step=step_of(project, 1), reason="Budget doubled."
        )

    # In the order they happened.
    expected = [
        (owner, "added Nia Okafor as contributor"),
        (lead, f"ticked “{ticked.title}”"),
        (
            lead,
            f"marked “{not_applicable.title}” not applicable: "
            "Vendors are reviewed by procurement",
        ),
        (contributor, f"attached https://wiki.example.com/baa to “{evidenced.title}”"),
        (lead, f"asked {reviewer.display_name} for a reviewer sign-off"),
        (reviewer, "approved the reviewer sign-off"),
        (lead, "marked step 1 done"),
        (owner, "reopened step 1: Budget doubled."),
    ]
    return [(user.display_name, text) for user, text in expected]


# What the activity says


def test_each_change_is_a_sentence_that_names_who_made_it(people, worked):
    told = sentences(people["project"])
    for entry in worked:
        assert entry in told


def test_the_newest_change_comes_first(people, worked):
    told = sentences(people["project"])
    positions = [told.index(entry) for entry in worked]
    assert positions == sorted(positions, reverse=True)
    assert told[0] == worked[-1]
    whens = [e.when for e in activity.project_activity(people["project"])]
    assert whens == sorted(whens, reverse=True)


def test_checklist_and_sign_off_entries_know_their_step(people, worked):
    entries = activity.project_activity(people["project"])
    steps = {e.text: e.step for e in entries}
    assert steps[worked[1][1]] == 3  # the tick
    assert steps[worked[3][1]] == 3  # the evidence
    assert steps[worked[4][1]] == 3  # the sign-off request
    assert steps["marked step 1 done"] == 1
    assert steps["added Nia Okafor as contributor"] is None


def test_filtering_by_step_keeps_only_that_steps_entries(people, worked):
    entries = activity.project_activity(people["project"], step=3)
    assert entries
    assert {e.step for e in entries} == {3}
    told = [(e.who, e.text) for e in entries]
    assert worked[1] in told and worked[5] in told
    assert worked[6] not in told and worked[0] not in told


def test_a_rejection_and_an_invalidated_sign_off_are_told_with_their_reasons(people):
    project, lead, reviewer = people["project"], people["lead"], people["reviewer"]
    required = item(project, "s3-hipaa-minimum-necessary")
    assert required.required
    with acting_as(lead):
        first = step_services.signoff_request(
            project_step=step_of(project, 3),
            role="reviewer",
            signer=reviewer,
            actor=lead,
        )
    with acting_as(reviewer):
        step_services.signoff_decide(
            signoff=first, approve=False, comment="No pen test yet"
        )
    with acting_as(lead):
        second = step_services.signoff_request(
            project_step=step_of(project, 3),
            role="reviewer",
            signer=reviewer,
            actor=lead,
        )
    with acting_as(reviewer):
        step_services.signoff_decide(
            signoff=second, approve=True, comment="Looks solid"
        )
    with acting_as(lead):
        services.item_set_state(item=required, state=ItemState.DONE, actor=lead)
    told = [text for _, text in sentences(project)]
    assert "rejected the reviewer sign-off: “No pen test yet”" in told
    assert "approved the reviewer sign-off: “Looks solid”" in told
    assert (
        f"invalidated {reviewer.display_name}'s reviewer sign-off "
        f"(“{required.title}” changed after the sign-off.)"
    ) in told


def test_item_details_custom_items_and_removed_evidence_are_told(people):
    project, lead = people["project"], people["lead"]
    target = item(project, "s3-hipaa-baa")
    with acting_as(lead):
        services.item_update(
            item=target, assignee=people["contributor"], due_date=None, notes=""
        )
        services.item_update(
            item=target,
            assignee=people["contributor"],
            due_date=None,
            notes="Ask legal",
        )
        evidence = services.evidence_add(
            item=target, actor=lead, url="https://wiki.example.com/old"
        )
        services.evidence_remove(evidence=evidence)
        services.custom_item_add(
            project=project,
            step=step_of(project, 4).step,
            title="Backfill 2025 claims",
            required=True,
            evidence_required=False,
        )
    told = sentences(project)
    who = lead.display_name
    assert (who, f"assigned “{target.title}”") in told
    assert (who, f"edited the notes of “{target.title}”") in told
    assert (
        who,
        f"removed evidence https://wiki.example.com/old from “{target.title}”",
    ) in told
    assert (who, "added “Backfill 2025 claims”") in told


def test_a_removed_member_is_still_named(people):
    project, owner, viewer = people["project"], people["owner"], people["viewer"]
    with acting_as(owner):
        membership_services.membership_remove(
            membership=Membership.objects.get(project=project, user=viewer)
        )
    told = sentences(project)
    assert (owner.display_name, f"removed {viewer.display_name}") in told
    assert ("Runway", f"added {viewer.display_name} as viewer") in told


def test_role_changes_and_an_ownership_transfer_are_told(people):
    project, owner, lead = people["project"], people["owner"], people["lead"]
    with acting_as(owner):
        membership_services.membership_set(
            project=project, user=people["viewer"], role="lead"
        )
        membership_services.owner_transfer(project=project, new_owner=lead)
    told = sentences(project)
    by = owner.display_name
    assert (by, f"made {people['viewer'].display_name} engineering lead") in told
    assert (by, f"made {owner.display_name} contributor") in told
    assert (by, f"made {lead.display_name} owner") in told


def test_archiving_restoring_and_details_are_told_in_words(people):
    project, owner = people["project"], people["owner"]
    with acting_as(owner):
        services.project_update(
            project=project,
            name="Claims Copilot",
            summary=project.summary,
            team=project.team,
            use_case=project.use_case,
            prototype_origin=project.prototype_origin,
            data_classification=project.data_classification,
            frameworks=Framework.objects.filter(code__in=["hipaa", "soc2", "pci_dss"]),
            status="at_risk",
            target_launch_date=project.target_launch_date,
            operating_owner=None,
        )
        services.project_archive(project=project)
        services.project_unarchive(project=project)
    told = [text for who, text in sentences(project) if who == owner.display_name]
    assert told[:2] == ["restored the project", "archived the project"]
    assert "changed the project's name, status" in told
    assert "added PCI DSS to the project's frameworks" in told
    assert not any("archived at" in text for text in told)


# The page


def test_members_read_the_activity_with_who_did_what(as_, people, worked):
    response = as_(people["viewer"]).get(activity_url(people["project"]))
    assert response.status_code == 200
    body = text_of(response)
    assert "<html" in body
    for who, text in worked:
        assert f"<strong>{who}</strong> {text}" in body
    # Newest first on the page too.
    positions = [body.index(f"<strong>{who}</strong> {text}") for who, text in worked]
    assert positions == sorted(positions, reverse=True)


def test_the_page_filters_by_step(as_, people, worked):
    response = as_(people["viewer"]).get(activity_url(people["project"]), {"step": 3})
    assert response.status_code == 200
    body = text_of(response)
    assert worked[1][1] in body and worked[4][1] in body
    assert "marked step 1 done" not in body
    assert "added Nia Okafor" not in body
    assert set(re.findall(r"in step (\d)</span>", body)) == {"3"}
    assert '<option value="3" selected>' in body


def test_an_htmx_request_for_the_list_gets_only_the_list(as_, people, worked):
    response = as_(people["viewer"]).get(
        activity_url(people["project"]),
        {"step": 3},
        HTTP_HX_TARGET="activity-list",
        **HTMX,
    )
    assert response.status_code == 200
    body = text_of(response)
    assert body.lstrip().startswith('<div id="activity-list">')
    assert "<html" not in body and 'id="activity-step"' not in body
    assert worked[1][1] in body and "marked step 1 done" not in body


def test_a_project_without_changes_by_people_still_shows_how_it_began(as_, people):
    body = text_of(as_(people["viewer"]).get(activity_url(people["project"])))
    assert "created the project Claims Triage Assistant" in body


def test_outsiders_get_404_for_the_activity(as_, people):
    assert (
        as_(people["outsider"]).get(activity_url(people["project"])).status_code == 404
    )


def test_executives_read_any_projects_activity(as_, people, executive):
    assert as_(executive).get(activity_url(people["project"])).status_code == 200


def test_the_activity_answers_405_to_post(as_, people):
    assert as_(people["owner"]).post(activity_url(people["project"])).status_code == 405


def test_the_activity_pages_at_fifty(as_, people):
    project, lead = people["project"], people["lead"]
    step = step_of(project, 4).step
    with acting_as(lead):
        for n in range(55):
            services.custom_item_add(
                project=project,
                step=step,
                title=f"Extra {n:02}",
                required=False,
                evidence_required=False,
            )
    total = len(activity.project_activity(project))
    assert total > 55
    client = as_(people["viewer"])
    first = text_of(client.get(activity_url(project)))
    assert first.count("<li><time") == 50
    assert f"Page 1 of {-(-total // 50)}" in first
    assert "added “Extra 54”" in first and "added “Extra 00”" not in first
    assert "page=2" in first
    # The step filter survives paging.
    in_step = text_of(client.get(activity_url(project), {"step": 4, "page": 2}))
    assert (
        in_step.count("<li><time")
        == len(activity.project_activity(project, step=4)) - 50
    )
    assert "added “Extra 00”" in in_step
    assert "step=4&page=1" in in_step


def count_queries(client, url):
    client.get(url)  # warm up: the first request of a session writes it
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_activity_query_count_does_not_grow_with_the_changes(as_, people):
    project, lead, owner = people["project"], people["lead"], people["owner"]
    url = activity_url(project)
    items = list(
        ChecklistItem.objects.filter(
            project=project, step__number__in=[4, 5, 6], applicable=True
        )
    )

    def work(chosen):
        with acting_as(lead):
            for n, each in enumerate(chosen):
                services.item_set_state(item=each, state=ItemState.DONE, actor=lead)
                services.evidence_add(
                    item=each, actor=lead, url=f"https://wiki.example.com/{each.pk}"
                )
                services.item_update(
                    item=each, assignee=lead, due_date=None, notes=f"Note {n}"
                )
        with acting_as(owner):
            membership_services.membership_set(
                project=project, user=UserFactory(), role="viewer"
            )

    work(items[:2])
    client = as_(people["viewer"])
    before = count_queries(client, url)
    work(items[2:32])
    assert len(activity.project_activity(project)) > 100
    assert count_queries(client, url) == before


def test_requirements_and_assessments_join_the_activity(people):
    from assessments import services as assessment_services
    from assessments.models import AssessmentCriterion
    from projects.activity import project_activity
    from tests.factories import approve_requirements

    project, owner, lead = people["project"], people["owner"], people["lead"]
    approve_requirements(project, owner)
    assessment_services.assessment_record(
        project=project,
        assessor=lead,
        scores=[
            assessment_services.ScoreInput(c, 2, 3)
            for c in AssessmentCriterion.objects.all()
        ],
    )
    told = [(e.who, e.text, e.step) for e in project_activity(project)]
    assert (owner.display_name, "saved requirements version 1", 1) in told
    assert (owner.display_name, "approved requirements version 1", 1) in told
    assert any(
        who == lead.display_name
        and text.startswith("recorded a gap assessment")
        and s == 2
        for who, text, s in told
    )
    assert all(e.step == 1 for e in project_activity(project, step=1))
