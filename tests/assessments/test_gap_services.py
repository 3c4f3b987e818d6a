"""Step 2's writes and reads: drafts, criteria not assessed yet, several gaps given one
owner at once, and the form that reads the assessment."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from assessments import selectors, services
from assessments.forms import (
    LEVEL_ERROR,
    NOT_ASSESSED,
    NOTE_ERROR,
    GapAssessmentForm,
    GapOwnersForm,
    values_of,
    values_of_draft,
)
from assessments.models import (
    AssessmentCriterion,
    AssessmentDraft,
    CriterionScore,
    GapAssessment,
)
from projects import services as project_services
from projects.models import ChecklistItem
from projects.step_selectors import gate_result
from tests.factories import UserFactory
from tests.projects.conftest import step_of

pytestmark = pytest.mark.django_db

GAPS = {"arch-secrets-out-of-code": (1, 4), "ops-alerting": (0, 3)}


def criteria():
    return list(AssessmentCriterion.objects.filter(active=True))


def by_key(key):
    return AssessmentCriterion.objects.get(key=key)


def record(project, assessor, changes=GAPS, skipped=()):
    """Every active criterion at its default target, but for ``changes`` (level,
    target) and the keys in ``skipped``, marked not assessed."""
    return services.assessment_record(
        project=project,
        assessor=assessor,
        scores=[
            services.ScoreInput(
                c,
                None
                if c.key in skipped
                else changes.get(c.key, (c.default_target,))[0],
                changes.get(c.key, (0, c.default_target))[1],
            )
            for c in criteria()
        ],
    )


def gap(assessment, key):
    return (
        CriterionScore.objects.select_related("criterion", "assessment__project")
        .filter(assessment=assessment)
        .get(criterion__key=key)
    )


# Drafts


def test_a_draft_is_kept_with_its_values_and_its_history(people):
    project, lead = people["project"], people["lead"]
    secrets = str(by_key("arch-secrets-out-of-code").pk)
    draft = services.assessment_draft_save(
        project=project,
        author=lead,
        values={
            secrets: {"level": 2, "not_assessed": False, "target": 4, "note": "Vault"}
        },
        note="Half way",
    )
    assert draft.values[secrets]["note"] == "Vault" and draft.note == "Half way"
    assert draft.history.count() == 1
    assert draft.history.first().history_user is None  # no request: nobody acting


def test_saving_again_replaces_the_projects_one_draft(people):
    project = people["project"]
    services.assessment_draft_save(
        project=project, author=people["lead"], values={}, note="First"
    )
    services.assessment_draft_save(
        project=project, author=people["owner"], values={}, note="Second"
    )
    draft = AssessmentDraft.objects.get(project=project)
    assert (draft.note, draft.author) == ("Second", people["owner"])
    assert draft.history.count() == 2


def test_a_draft_is_never_the_projects_assessment(people):
    project = people["project"]
    services.assessment_draft_save(
        project=project,
        author=people["lead"],
        values={
            str(c.pk): {"level": 0, "not_assessed": False, "target": 4, "note": ""}
            for c in criteria()
        },
    )
    assert selectors.latest_assessment(project) is None
    assert selectors.assessments_of(project) == []
    check = [
        c
        for c in gate_result(step_of(project, 2)).checks
        if c.name == "Gap assessment recorded"
    ]
    assert not check[0].passed
    rows, _ = selectors.portfolio_assessments(people["owner"])
    assert [p.readiness for p in rows] == [None]  # type: ignore[attr-defined]


def test_recording_the_assessment_removes_the_draft(people):
    project = people["project"]
    services.assessment_draft_save(project=project, author=people["lead"], values={})
    assessment = record(project, people["lead"])
    assert selectors.draft_of(project) is None
    assert selectors.latest_assessment(project) == assessment
    # The deletion is in the draft's history too.
    assert AssessmentDraft.history.filter(history_type="-").count() == 1


def test_discarding_removes_the_draft_and_says_whether_there_was_one(people):
    project = people["project"]
    assert services.assessment_draft_discard(project=project) is False
    services.assessment_draft_save(project=project, author=people["lead"], values={})
    assert services.assessment_draft_discard(project=project) is True
    assert selectors.draft_of(project) is None


def test_a_draft_reads_back_as_form_values(people):
    secrets = by_key("arch-secrets-out-of-code")
    draft = services.assessment_draft_save(
        project=people["project"],
        author=people["lead"],
        values={
            str(secrets.pk): {
                "level": None,
                "not_assessed": True,
                "target": 4,
                "note": "Ask security",
            },
            "junk": {"level": 1},
        },
    )
    values = values_of_draft(draft)
    assert values == {
        secrets.pk: {
            "level": None,
            "not_assessed": True,
            "target": 4,
            "note": "Ask security",
        }
    }


# Not assessed yet


def test_a_criterion_not_assessed_is_stored_without_a_level_and_makes_no_gap(people):
    project = people["project"]
    assessment = record(project, people["lead"], skipped={"ops-alerting"})
    alerting = gap(assessment, "ops-alerting")
    assert alerting.level is None and alerting.not_assessed
    assert not alerting.is_gap
    assert alerting.target == 3  # the target is kept
    assert str(alerting).endswith(": not assessed/3")
    result = selectors.readiness_of(assessment)
    assert [g.criterion for g in result.gaps] == [
        by_key("arch-secrets-out-of-code").name
    ]
    # Operations without alerting is every other criterion at its target: 100 %.
    assert result.by_area["Operations"] == 100.0
    assert (
        assessment.overall_readiness == Decimal(str(result.overall)) == Decimal("97.0")
    )
    assert assessment.not_assessed_count == 1


def test_an_assessment_with_nothing_assessed_is_refused_and_nothing_is_kept(people):
    everything = {c.key for c in criteria()}
    with pytest.raises(ValidationError, match="at least one assessed"):
        record(people["project"], people["lead"], skipped=everything)
    assert not GapAssessment.objects.exists()
    assert not CriterionScore.objects.exists()


def test_step_2_passes_with_criteria_not_assessed_and_says_how_many(people):
    project, lead = people["project"], people["lead"]
    assessment = record(
        project, lead, changes={}, skipped={"ops-alerting", "data-etl-pipelines"}
    )
    [check] = [
        c
        for c in gate_result(step_of(project, 2)).checks
        if c.name == "Gap assessment recorded"
    ]
    assert check.passed
    assert check.reason.endswith("every gap has an owner. 2 criteria not assessed yet.")
    assert assessment.not_assessed_count == 2


def test_the_portfolio_counts_no_gap_for_a_criterion_not_assessed(people):
    project = people["project"]
    record(project, people["lead"], skipped={"ops-alerting"})
    rows, by_area = selectors.portfolio_assessments(people["owner"])
    assert [p.open_gaps for p in rows] == [1]  # type: ignore[attr-defined]
    assert by_area == [{"criterion__area_name": "Architecture", "n": 1}]


def test_the_area_levels_leave_criteria_not_assessed_out(people):
    assessment = record(people["project"], people["lead"], skipped={"ops-alerting"})
    operations = {a.area: a for a in selectors.area_levels_of(assessment)}["Operations"]
    assert operations.not_assessed == 1
    # Every other operations criterion sits at its default target.
    others = [
        c.default_target
        for c in criteria()
        if c.area_name == "Operations" and c.key != "ops-alerting"
    ]
    assert operations.now == operations.target == round(sum(others) / len(others), 2)


# Several gaps, one owner


@pytest.fixture
def assessed(people):
    return record(people["project"], people["lead"])


def test_several_gaps_get_one_owner_each_in_its_suggested_step(people, assessed):
    secrets, alerting = (
        gap(assessed, "arch-secrets-out-of-code"),
        gap(assessed, "ops-alerting"),
    )
    done = services.gaps_to_checklist(
        scores=[secrets, alerting],
        assignee=people["contributor"],
        step_number=None,
        due_date=None,
        actor=people["lead"],
    )
    assert [s.pk for s in done] == [secrets.pk, alerting.pk]
    for score in (secrets, alerting):
        score.refresh_from_db()
        item = ChecklistItem.objects.select_related("step").get(
            pk=score.checklist_item_id
        )
        assert item.assignee == people["contributor"]
        assert item.step.number == score.criterion.remediation_step
        # Audited like one at a time: the score and the item have their history.
        assert score.history.first().checklist_item_id == item.pk
        assert item.history.filter(assignee=people["contributor"]).exists()
    assert selectors.unowned_gaps(selectors.latest_assessment(people["project"])) == {}


def test_several_gaps_can_go_to_one_chosen_step(people, assessed):
    scores = [gap(assessed, "arch-secrets-out-of-code"), gap(assessed, "ops-alerting")]
    services.gaps_to_checklist(
        scores=scores,
        assignee=people["lead"],
        step_number=5,
        due_date=None,
        actor=people["lead"],
    )
    steps = set(
        ChecklistItem.objects.filter(title__startswith="Close the gap").values_list(
            "step__number", flat=True
        )
    )
    assert steps == {5}


def test_one_gap_that_cannot_be_assigned_leaves_every_gap_as_it_was(people, assessed):
    secrets, alerting = (
        gap(assessed, "arch-secrets-out-of-code"),
        gap(assessed, "ops-alerting"),
    )
    services.gap_to_checklist(
        score=alerting,
        step_number=7,
        assignee=people["lead"],
        due_date=None,
        actor=people["lead"],
    )
    alerting.refresh_from_db()
    items = ChecklistItem.objects.count()
    with pytest.raises(ValidationError, match="already has a checklist item"):
        services.gaps_to_checklist(
            scores=[secrets, alerting],
            assignee=people["contributor"],
            step_number=None,
            due_date=None,
            actor=people["lead"],
        )
    secrets.refresh_from_db()
    assert secrets.checklist_item_id is None
    assert ChecklistItem.objects.count() == items


def test_only_a_member_of_the_project_may_own_its_gaps(people, assessed):
    scores = [gap(assessed, "ops-alerting")]
    with pytest.raises(ValidationError, match="not a member"):
        services.gaps_to_checklist(
            scores=scores,
            assignee=UserFactory(),
            step_number=None,
            due_date=None,
            actor=people["lead"],
        )
    with pytest.raises(ValidationError, match="not a member"):
        services.gap_to_checklist(
            score=scores[0],
            step_number=7,
            assignee=people["outsider"],
            due_date=None,
            actor=people["lead"],
        )
    assert not ChecklistItem.objects.filter(title__startswith="Close the gap").exists()


def test_gaps_of_two_projects_cannot_share_one_post(people, assessed):
    other = project_services.project_create(
        name="Other", team=people["project"].team, owner=people["lead"]
    )
    foreign = gap(record(other, people["lead"]), "ops-alerting")
    with pytest.raises(ValidationError, match="one project"):
        services.gaps_to_checklist(
            scores=[gap(assessed, "ops-alerting"), foreign],
            assignee=people["lead"],
            step_number=None,
            due_date=None,
            actor=people["lead"],
        )
    assert not ChecklistItem.objects.filter(title__startswith="Close the gap").exists()


def test_no_gap_is_no_assignment(people):
    with pytest.raises(ValidationError, match="at least one gap"):
        services.gaps_to_checklist(
            scores=[],
            assignee=people["lead"],
            step_number=None,
            due_date=None,
            actor=people["lead"],
        )


def test_a_criterion_not_assessed_is_not_an_unowned_gap(people):
    assessment = record(people["project"], people["lead"], skipped={"ops-alerting"})
    unowned = selectors.unowned_gaps(selectors.latest_assessment(people["project"]))
    assert set(unowned) == {gap(assessment, "arch-secrets-out-of-code").pk}


# The forms


def post(**values):
    data = QueryDict(mutable=True)
    for key, value in values.items():
        if isinstance(value, list):
            data.setlist(key, value)
        else:
            data[key] = value
    return data


def assessment_data(**overrides):
    data = {}
    for c in criteria():
        data[f"level-{c.pk}"] = "2"
        data[f"target-{c.pk}"] = "3"
        data[f"note-{c.pk}"] = ""
    data.update(overrides)
    return data


def test_a_draft_may_leave_levels_unchosen_but_recording_may_not():
    secrets = by_key("arch-secrets-out-of-code")
    data = assessment_data(**{f"level-{secrets.pk}": ""})
    form = GapAssessmentForm(criteria(), data=data)
    assert form.is_valid(complete=False)
    assert form.draft_values()[str(secrets.pk)] == {
        "level": None,
        "not_assessed": False,
        "target": 3,
        "note": "",
    }
    assert not form.is_valid(complete=True)
    [row] = form.invalid_rows
    assert row.criterion == secrets and row.level_error == LEVEL_ERROR


@pytest.mark.parametrize("level", ["5", "-1", "²", "٣", "2.0", " 2", "none"])
def test_neither_a_draft_nor_a_record_keeps_a_level_out_of_range(level):
    secrets = by_key("arch-secrets-out-of-code")
    form = GapAssessmentForm(
        criteria(), data=assessment_data(**{f"level-{secrets.pk}": level})
    )
    assert not form.is_valid(complete=False)
    assert not form.is_valid(complete=True)
    assert [r.criterion for r in form.invalid_rows] == [secrets]
    assert form.rows[0].level in {"2", level}  # what was typed stays


def test_not_assessed_is_a_level_of_its_own():
    secrets = by_key("arch-secrets-out-of-code")
    form = GapAssessmentForm(
        criteria(), data=assessment_data(**{f"level-{secrets.pk}": NOT_ASSESSED})
    )
    assert form.is_valid(complete=True)
    inputs = {s.criterion.pk: s for s in form.score_inputs()}
    assert inputs[secrets.pk].level is None and inputs[secrets.pk].target == 3
    assert {s.level for k, s in inputs.items() if k != secrets.pk} == {2}


def test_recording_needs_one_criterion_assessed():
    data = assessment_data(
        **{f"level-{c.pk}": NOT_ASSESSED for c in criteria()},
    )
    form = GapAssessmentForm(criteria(), data=data)
    assert form.is_valid(complete=False)  # a draft of it is fine
    assert not form.is_valid(complete=True)
    assert form.errors[0].startswith("Give at least one criterion a level")


def test_notes_longer_than_2000_characters_are_refused_not_cut():
    secrets = by_key("arch-secrets-out-of-code")
    form = GapAssessmentForm(
        criteria(), data=assessment_data(**{f"note-{secrets.pk}": "x" * 2001})
    )
    assert not form.is_valid(complete=False)
    assert form.invalid_rows[0].note_error == NOTE_ERROR
    assert len(form.invalid_rows[0].note) == 2001


def test_the_form_starts_from_a_recorded_assessment_with_not_assessed_kept(people):
    assessment = record(people["project"], people["lead"], skipped={"ops-alerting"})
    form = GapAssessmentForm(criteria(), initial=values_of(assessment))
    rows = {r.criterion.key: r for r in form.rows}
    assert rows["ops-alerting"].not_assessed and rows["ops-alerting"].target == "3"
    assert (
        rows["arch-secrets-out-of-code"].level,
        rows["arch-secrets-out-of-code"].target,
    ) == ("1", "4")


def owners_form(assessment, members, **values):
    form = GapOwnersForm(
        post(**values), gaps=selectors.unowned_gaps(assessment), members=members
    )
    return form, form.is_valid()


def test_the_owners_form_reads_the_ticked_gaps_the_owner_step_and_date(
    people, assessed
):
    latest = selectors.latest_assessment(people["project"])
    secrets = gap(assessed, "arch-secrets-out-of-code")
    members = {people["lead"].pk: people["lead"]}
    form, valid = owners_form(
        latest,
        members,
        gaps=[str(secrets.pk), str(secrets.pk)],
        assignee=str(people["lead"].pk),
        step="3",
        due_date="2026-12-24",
    )
    assert valid, form.errors
    assert [g.pk for g in form.gaps] == [secrets.pk]  # a gap ticked twice is one
    assert (form.owner, form.step_number, str(form.due)) == (
        people["lead"],
        3,
        "2026-12-24",
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"gaps": []}, "gaps"),
        ({"gaps": ["²"]}, "gaps"),
        ({"gaps": ["999999"]}, "gaps"),
        ({"gaps": ["at-target"]}, "gaps"),
        ({"assignee": ""}, "assignee"),
        ({"assignee": "²"}, "assignee"),
        ({"assignee": "stranger"}, "assignee"),
        ({"step": "8"}, "step"),
        ({"step": "٣"}, "step"),
        ({"due_date": "2026-02-30"}, "due_date"),
        ({"gaps": ["1"] * 201}, "gaps"),
    ],
)
def test_the_owners_form_refuses_what_it_cannot_read(people, assessed, values, field):
    latest = selectors.latest_assessment(people["project"])
    secrets = gap(assessed, "arch-secrets-out-of-code")
    at_target = gap(assessed, "ops-monitoring")
    stranger = UserFactory()
    posted = {
        "gaps": [str(secrets.pk)],
        "assignee": str(people["lead"].pk),
        "step": "",
        "due_date": "",
        **values,
    }
    posted["gaps"] = [
        str(at_target.pk) if g == "at-target" else g for g in posted["gaps"]
    ]
    if posted["assignee"] == "stranger":
        posted["assignee"] = str(stranger.pk)
    form, valid = owners_form(latest, {people["lead"].pk: people["lead"]}, **posted)
    assert not valid
    assert field in form.errors
