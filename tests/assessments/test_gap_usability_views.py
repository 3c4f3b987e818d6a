"""Step 2's pages: drafts of an assessment, criteria marked not assessed, level fields
that name their criterion, and several gaps given one owner in one post."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from assessments import services
from assessments.forms import LEVEL_ERROR, NOT_ASSESSED
from assessments.models import (
    AssessmentCriterion,
    AssessmentDraft,
    CriterionScore,
    GapAssessment,
)
from projects import services as project_services
from projects.models import ChecklistItem
from tests.assessments.conftest import shown
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GAPS = {"arch-secrets-out-of-code": (1, 4), "ops-alerting": (0, 3)}


def url(project, name="project", **kwargs):
    return reverse(f"assessments:{name}", kwargs={"slug": project.slug, **kwargs})


def criteria():
    return list(AssessmentCriterion.objects.filter(active=True))


def by_key(key):
    return AssessmentCriterion.objects.get(key=key)


def form_data(changes=GAPS, action="record", skipped=(), note=""):
    data = {"note": note, "action": action}
    for c in criteria():
        level, target = changes.get(c.key, (c.default_target, c.default_target))
        data[f"level-{c.pk}"] = NOT_ASSESSED if c.key in skipped else str(level)
        data[f"target-{c.pk}"] = str(target)
        data[f"note-{c.pk}"] = ""
    return data


def selected(body, name, pk):
    """The values selected in the form's ``<select id="{name}-{pk}">``."""
    select = re.search(rf'<select id="{name}-{pk}".*?</select>', body, re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]*)" selected>', select.group(0))


# Drafts


def test_the_lead_saves_a_draft_that_reopens_with_its_values(as_, people):
    project, client = people["project"], as_(people["lead"])
    secrets, alerting = by_key("arch-secrets-out-of-code"), by_key("ops-alerting")
    data = form_data(action="draft", note="Half way through")
    data[f"level-{alerting.pk}"] = ""  # not chosen yet: fine in a draft
    data[f"note-{secrets.pk}"] = "Keys still in .env"
    response = client.post(url(project, "assessment_new"), data)
    assert response.status_code == 302
    assert response["Location"] == url(project, "assessment_new")
    assert not GapAssessment.objects.exists()
    draft = AssessmentDraft.objects.get(project=project)
    assert draft.author == people["lead"]
    assert draft.history.get().history_user == people["lead"]

    body = client.get(url(project, "assessment_new")).content.decode()
    assert "Gap assessment draft" in body and "Draft saved " in body
    assert selected(body, "level", secrets.pk) == ["1"]
    assert selected(body, "target", secrets.pk) == ["4"]
    assert selected(body, "level", alerting.pk) == []
    assert f'name="note-{secrets.pk}" value="Keys still in .env"' in body
    assert ">Half way through</textarea>" in body


def test_a_draft_counts_nowhere_until_it_is_recorded(as_, people):
    project, client = people["project"], as_(people["lead"])
    client.post(url(project, "assessment_new"), form_data(action="draft"))
    body = client.get(url(project)).content.decode()
    assert "No assessment yet" in body and "Overall readiness" not in body
    assert "A draft assessment is in progress" in body
    assert ">Continue the draft</a>" in body


def test_the_draft_is_shared_by_the_owner_and_the_lead(as_, people):
    project = people["project"]
    alerting = by_key("ops-alerting")
    as_(people["lead"]).post(
        url(project, "assessment_new"),
        form_data(action="draft", skipped={"ops-alerting"}),
    )
    body = as_(people["owner"]).get(url(project, "assessment_new")).content.decode()
    assert selected(body, "level", alerting.pk) == [NOT_ASSESSED]


def test_recording_the_draft_makes_it_the_assessment_and_removes_it(as_, people):
    project, client = people["project"], as_(people["lead"])
    client.post(url(project, "assessment_new"), form_data(action="draft"))
    response = client.post(url(project, "assessment_new"), form_data())
    assert response.status_code == 302 and response["Location"] == url(project)
    assert GapAssessment.objects.filter(project=project).count() == 1
    assert not AssessmentDraft.objects.exists()
    body = client.get(url(project)).content.decode()
    assert "A draft assessment is in progress" not in body
    assert "Gaps (2)" in body


def test_an_error_on_recording_keeps_every_value_and_the_draft(as_, people):
    project, client = people["project"], as_(people["lead"])
    client.post(url(project, "assessment_new"), form_data(action="draft", note="v1"))
    secrets, monitoring = by_key("arch-secrets-out-of-code"), by_key("ops-monitoring")
    data = form_data(note="Typed after the draft")
    data[f"level-{monitoring.pk}"] = ""
    data[f"note-{secrets.pk}"] = "Vault <next sprint>"
    response = client.post(url(project, "assessment_new"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<a href="#level-{monitoring.pk}">' in body
    assert f'aria-invalid="true" aria-describedby="errors-{monitoring.pk}"' in body
    assert selected(body, "level", secrets.pk) == ["1"]
    assert f'value="{shown("Vault <next sprint>")}"' in body
    assert ">Typed after the draft</textarea>" in body
    assert not GapAssessment.objects.exists()
    assert AssessmentDraft.objects.get().note == "v1"


def test_a_draft_with_a_level_out_of_range_is_refused_and_changes_nothing(as_, people):
    project, client = people["project"], as_(people["lead"])
    client.post(url(project, "assessment_new"), form_data(action="draft", note="v1"))
    data = form_data(action="draft", note="v2")
    data[f"level-{by_key('ops-alerting').pk}"] = "²"
    response = client.post(url(project, "assessment_new"), data)
    assert response.status_code == 200
    assert LEVEL_ERROR in response.content.decode()
    assert AssessmentDraft.objects.get().note == "v1"


def test_the_owner_or_lead_discards_the_draft(as_, people):
    project, client = people["project"], as_(people["owner"])
    client.post(url(project, "assessment_new"), form_data(action="draft"))
    form_page = client.get(url(project, "assessment_new")).content.decode()
    assert 'form="discard-draft"' in form_page and "data-confirm=" in form_page
    response = client.post(url(project, "assessment_draft_discard"))
    assert response.status_code == 302 and response["Location"] == url(project)
    assert not AssessmentDraft.objects.exists()


@pytest.mark.parametrize("persona", ["contributor", "reviewer", "viewer"])
def test_members_who_do_not_run_assessments_cannot_save_or_discard_drafts(
    as_, people, persona
):
    project = people["project"]
    services.assessment_draft_save(project=project, author=people["lead"], values={})
    client = as_(people[persona])
    response = client.post(url(project, "assessment_new"), form_data(action="draft"))
    assert response.status_code == 403
    assert client.post(url(project, "assessment_draft_discard")).status_code == 403
    assert AssessmentDraft.objects.get().values == {}
    assert "A draft assessment" not in client.get(url(project)).content.decode()


def test_outsiders_get_404_on_drafts(as_, people):
    project, client = people["project"], as_(people["outsider"])
    services.assessment_draft_save(project=project, author=people["lead"], values={})
    response = client.post(url(project, "assessment_new"), form_data(action="draft"))
    assert response.status_code == 404
    assert client.post(url(project, "assessment_draft_discard")).status_code == 404
    assert AssessmentDraft.objects.exists()


def test_discarding_refuses_get(as_, people):
    response = as_(people["lead"]).get(
        url(people["project"], "assessment_draft_discard")
    )
    assert response.status_code == 405


# Not assessed yet


def test_a_criterion_marked_not_assessed_is_recorded_without_a_level(as_, people):
    project, client = people["project"], as_(people["lead"])
    client.post(url(project, "assessment_new"), form_data(skipped={"ops-alerting"}))
    score = CriterionScore.objects.get(criterion__key="ops-alerting")
    assert score.level is None and not score.is_gap
    body = client.get(url(project)).content.decode()
    assert "Gaps (1)" in body  # the alerting gap is not one
    assert '<h3 id="not-assessed-heading">Not assessed (1)</h3>' in body
    assert f"<strong>{by_key('ops-alerting').name}</strong>" in body
    assert "Criteria not assessed yet are left out of every average" in body
    assert "1 criterion not assessed is left out." in body
    assert "(1 not assessed)" in body  # in the history table
    # The form opens again on "not assessed", never on level 0.
    again = client.get(url(project, "assessment_new")).content.decode()
    assert selected(again, "level", by_key("ops-alerting").pk) == [NOT_ASSESSED]


def test_an_area_with_nothing_assessed_shows_not_assessed_not_zero(as_, people):
    project, client = people["project"], as_(people["lead"])
    data_keys = {c.key for c in criteria() if c.area_name == "Data"}
    client.post(url(project, "assessment_new"), form_data(skipped=data_keys))
    body = client.get(url(project)).content.decode()
    assert (
        '<p class="tile-label">Data</p><p class="tile-value">Not assessed</p>' in body
    )
    assert (
        '<th scope="row">Data</th><td class="num">Not assessed</td>'
        '<td class="num">Not assessed</td>'
    ) in body
    assert "Data: not assessed" in body  # the chart's text summary
    assert f"{len(data_keys)} criteria not assessed, left out of the averages" in body


def test_recording_with_every_criterion_not_assessed_is_refused(as_, people):
    project, client = people["project"], as_(people["lead"])
    everything = {c.key for c in criteria()}
    response = client.post(
        url(project, "assessment_new"), form_data(skipped=everything)
    )
    assert response.status_code == 200
    assert "Give at least one criterion a level" in response.content.decode()
    assert not GapAssessment.objects.exists()


# Labels that name their criterion


def test_every_level_field_is_labelled_with_its_criterion(as_, people):
    project = people["project"]
    body = as_(people["lead"]).get(url(project, "assessment_new")).content.decode()
    for c in criteria():
        name = shown(c.name)
        assert (
            f'<label for="level-{c.pk}"><span class="visually-hidden">{name} — </span>'
            'Now<span class="visually-hidden"> level</span></label>'
        ) in body
        assert (
            f'<label for="target-{c.pk}"><span class="visually-hidden">{name} — </span>'
            'Target<span class="visually-hidden"> level</span></label>'
        ) in body
        assert f'<select id="level-{c.pk}" name="level-{c.pk}">' in body
    assert '<option value="not-assessed" >Not assessed yet</option>' in body
    assert "<script>" not in body and " style=" not in body


# Several gaps, one owner


@pytest.fixture
def assessed(as_, people):
    as_(people["lead"]).post(url(people["project"], "assessment_new"), form_data())
    return GapAssessment.objects.get(project=people["project"])


def gap(assessment, key):
    return assessment.scores.select_related("criterion").get(criterion__key=key)


def owners_post(gaps, assignee, step="", due_date=""):
    return {
        "gaps": [str(g.pk) for g in gaps],
        "assignee": str(assignee.pk),
        "step": step,
        "due_date": due_date,
    }


def test_the_gap_list_offers_checkboxes_named_by_their_gap(as_, people, assessed):
    project = people["project"]
    body = as_(people["lead"]).get(url(project)).content.decode()
    for key in GAPS:
        score = gap(assessed, key)
        assert (
            f'<input type="checkbox" id="gap-select-{score.pk}" name="gaps" '
            f'value="{score.pk}" form="gap-owners">'
        ) in body
        assert (
            f'<label class="visually-hidden" for="gap-select-{score.pk}">'
            f"Select the gap “{shown(score.criterion.name)}”</label>"
        ) in body
    assert 'action="' + url(project, "gaps_assign") + '"' in body
    assert '<label for="gap-owners-assignee">Owner</label>' in body


def test_the_lead_gives_two_gaps_one_owner_in_one_post(as_, people, assessed):
    project, client = people["project"], as_(people["lead"])
    gaps = [gap(assessed, key) for key in GAPS]
    response = client.post(
        url(project, "gaps_assign"),
        owners_post(gaps, people["contributor"], step="4", due_date="2026-12-24"),
    )
    assert response.status_code == 302 and response["Location"] == url(project)
    for score in gaps:
        score.refresh_from_db()
        item = ChecklistItem.objects.select_related("step").get(
            pk=score.checklist_item_id
        )
        assert item.assignee == people["contributor"]
        assert item.step.number == 4
        assert str(item.due_date) == "2026-12-24"
        assert item.history.filter(history_user=people["lead"]).exists()
    body = client.get(url(project)).content.decode()
    assert f"{people['contributor'].display_name} now owns 2 gaps" in body
    assert 'id="gap-owners"' not in body  # nothing left to assign


def test_the_owner_may_give_gaps_an_owner_in_their_suggested_steps(
    as_, people, assessed
):
    project = people["project"]
    gaps = [gap(assessed, key) for key in GAPS]
    as_(people["owner"]).post(
        url(project, "gaps_assign"), owners_post(gaps, people["viewer"])
    )
    for score in gaps:
        score.refresh_from_db()
        item = ChecklistItem.objects.select_related("step").get(
            pk=score.checklist_item_id
        )
        assert item.step.number == score.criterion.remediation_step
        assert item.assignee == people["viewer"]  # any member, as for one gap


def nothing_assigned(assessed):
    return (
        not CriterionScore.objects.filter(
            assessment=assessed, checklist_item__isnull=False
        ).exists()
        and not ChecklistItem.objects.filter(title__startswith="Close the gap").exists()
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"gaps": []}, "Select at least one gap."),
        ({"gaps": ["²"]}, "Select only gaps of the latest assessment"),
        ({"gaps": "at-target"}, "Select only gaps of the latest assessment"),
        ({"gaps": "foreign"}, "Select only gaps of the latest assessment"),
        ({"assignee": "stranger"}, "Choose an owner from the project’s members."),
        ({"assignee": "outsider"}, "Choose an owner from the project’s members."),
        ({"assignee": "١"}, "Choose an owner from the project’s members."),
        ({"step": "9"}, "Choose a step from 1 to 7"),
        ({"step": "²"}, "Choose a step from 1 to 7"),
        ({"due_date": "2026-02-30"}, "Give the due date as a date"),
    ],
)
def test_bad_input_assigns_nothing_and_keeps_what_was_chosen(
    as_, people, assessed, change, message
):
    project, client = people["project"], as_(people["lead"])
    gaps = [gap(assessed, key) for key in GAPS]
    data = owners_post(gaps, people["contributor"], step="3")
    if change.get("gaps") == "at-target":
        change = {"gaps": [str(gaps[0].pk), str(gap(assessed, "ops-monitoring").pk)]}
    elif change.get("gaps") == "foreign":
        other = project_services.project_create(
            name="Other", team=project.team, owner=people["lead"]
        )
        client.post(url(other, "assessment_new"), form_data())
        foreign = GapAssessment.objects.get(project=other)
        change = {"gaps": [str(gaps[0].pk), str(gap(foreign, "ops-alerting").pk)]}
    elif change.get("assignee") in {"stranger", "outsider"}:
        who = UserFactory() if change["assignee"] == "stranger" else people["outsider"]
        change = {"assignee": str(who.pk)}
    data.update(change)
    response = client.post(url(project, "gaps_assign"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h4>Nothing was assigned</h4>" in body
    assert shown(message) in body
    assert nothing_assigned(assessed)
    # The ticks and choices come back as they were.
    if "gaps" not in change:
        for score in gaps:
            assert f'value="{score.pk}" form="gap-owners" checked' in body
    if "step" not in change:
        assert selected(body, "gap-owners", "step") == ["3"]
    if "assignee" not in change:
        assert selected(body, "gap-owners", "assignee") == [
            str(people["contributor"].pk)
        ]


def test_a_gap_that_already_has_an_item_cannot_be_assigned_again(as_, people, assessed):
    project, client = people["project"], as_(people["lead"])
    secrets, alerting = (gap(assessed, key) for key in GAPS)
    client.post(
        url(project, "gap_to_item", pk=alerting.pk),
        {"step": "7", "assignee": people["lead"].pk},
    )
    response = client.post(
        url(project, "gaps_assign"),
        owners_post([secrets, alerting], people["contributor"]),
    )
    assert response.status_code == 200
    secrets.refresh_from_db()
    assert secrets.checklist_item_id is None
    assert ChecklistItem.objects.filter(title__startswith="Close the gap").count() == 1


def test_a_gap_of_an_earlier_assessment_cannot_be_assigned(as_, people, assessed):
    project, client = people["project"], as_(people["lead"])
    client.post(url(project, "assessment_new"), form_data())  # a newer one
    old = gap(assessed, "ops-alerting")
    response = client.post(
        url(project, "gaps_assign"), owners_post([old], people["lead"])
    )
    assert response.status_code == 200
    old.refresh_from_db()
    assert old.checklist_item_id is None


@pytest.mark.parametrize("persona", ["contributor", "reviewer", "viewer"])
def test_members_who_do_not_run_assessments_cannot_assign_gaps(
    as_, people, assessed, persona
):
    project, client = people["project"], as_(people[persona])
    gaps = [gap(assessed, key) for key in GAPS]
    response = client.post(
        url(project, "gaps_assign"), owners_post(gaps, people[persona])
    )
    assert response.status_code == 403
    assert nothing_assigned(assessed)
    assert 'id="gap-owners"' not in client.get(url(project)).content.decode()


def test_outsiders_get_404_on_assigning_gaps(as_, people, assessed):
    gaps = [gap(assessed, key) for key in GAPS]
    response = as_(people["outsider"]).post(
        url(people["project"], "gaps_assign"), owners_post(gaps, people["outsider"])
    )
    assert response.status_code == 404
    assert nothing_assigned(assessed)


def test_assigning_gaps_refuses_get(as_, people, assessed):
    response = as_(people["lead"]).get(url(people["project"], "gaps_assign"))
    assert response.status_code == 405
