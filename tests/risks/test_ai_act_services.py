"""Answering the EU AI Act questionnaire: the tier is kept with its reasons, a change
of tier needs a reason and is recorded, and the tier's obligations come and go as
checklist items in their steps, ticks kept."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from projects import services as project_services
from projects.models import ChecklistItem, Framework, ItemState
from risks.ai_act import Answers
from risks.ai_act_services import ai_act_answer
from risks.models import AiActAssessment, AiActTierChange
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

HIGH = Answers(
    users=("staff",), purpose="Rank job applicants", annex_iii_area="employment"
)
LIMITED = Answers(users=("customers",), purpose="Chat", transparency=("interacts",))
MINIMAL = Answers(users=("staff",), purpose="Summarise notes")
PROHIBITED = Answers(prohibited_practices=("social_scoring",))

# The high-risk obligations and the steps they belong to.
HIGH_RISK_ITEMS = {
    "s3-euaia-risk-management": 3,
    "s3-euaia-human-oversight": 3,
    "s3-euaia-fundamental-rights-impact": 3,
    "s3-euaia-transparency": 3,
    "s3-euaia-deep-fake-disclosure": 3,
    "s4-euaia-data-governance": 4,
    "s5-euaia-technical-documentation": 5,
    "s5-euaia-deployer-instructions": 5,
    "s5-euaia-synthetic-content-marking": 5,
    "s6-euaia-accuracy-robustness": 6,
    "s7-euaia-record-keeping": 7,
    "s7-euaia-conformity-registration": 7,
    "s7-euaia-post-market-monitoring": 7,
    "s7-euaia-serious-incidents": 7,
}
LIMITED_ITEMS = {
    "s3-euaia-transparency": 3,
    "s3-euaia-deep-fake-disclosure": 3,
    "s5-euaia-synthetic-content-marking": 5,
}


@pytest.fixture
def owner():
    return UserFactory(first_name="Olive")


@pytest.fixture
def project(owner):
    return project_services.project_create(
        name="Recruiting Screener", team=TeamFactory(), owner=owner
    )


def tier_items(project, applicable=True):
    """The project's EU AI Act items (key -> step number)."""
    return {
        item.template.key: item.step.number
        for item in ChecklistItem.objects.filter(
            project=project, template__key__contains="-euaia-", applicable=applicable
        ).select_related("template", "step")
    }


def test_a_new_project_has_no_tier_and_no_tier_obligations(project):
    assert project.ai_act_tier == ""
    assert tier_items(project) == {}


def test_the_first_answers_set_the_tier_and_record_it_without_a_reason(project, owner):
    result = ai_act_answer(project=project, by=owner, answers=HIGH)
    project.refresh_from_db()
    assert project.ai_act_tier == "high"
    assessment = AiActAssessment.objects.get(project=project)
    assert assessment.tier == "high"
    assert assessment.answered_by == owner
    assert Answers.from_dict(assessment.answers) == HIGH
    assert any("Annex III point 4" in line for line in assessment.reasons)
    change = AiActTierChange.objects.get(project=project)
    assert (change.from_tier, change.to_tier, change.changed_by) == ("", "high", owner)
    assert result.changed


def test_a_high_risk_tier_adds_its_obligations_in_their_steps(project, owner):
    result = ai_act_answer(project=project, by=owner, answers=HIGH)
    assert tier_items(project) == HIGH_RISK_ITEMS
    assert result.checklist.added == len(HIGH_RISK_ITEMS)


def test_a_limited_tier_adds_only_the_transparency_duties(project, owner):
    ai_act_answer(project=project, by=owner, answers=LIMITED)
    assert tier_items(project) == LIMITED_ITEMS


def test_a_minimal_tier_adds_nothing(project, owner):
    ai_act_answer(project=project, by=owner, answers=MINIMAL)
    assert tier_items(project) == {}


def test_a_prohibited_tier_puts_a_required_stop_in_step_one(project, owner):
    ai_act_answer(project=project, by=owner, answers=PROHIBITED)
    assert tier_items(project) == {"s1-euaia-prohibited-practice": 1}
    item = ChecklistItem.objects.get(
        project=project, template__key="s1-euaia-prohibited-practice"
    )
    assert item.required
    assert "change course" in item.guidance


def test_a_change_of_tier_without_a_reason_is_refused_and_changes_nothing(
    project, owner
):
    ai_act_answer(project=project, by=owner, answers=HIGH)
    with pytest.raises(ValidationError, match="Say why the tier changes"):
        ai_act_answer(project=project, by=owner, answers=LIMITED, reason="  ")
    project.refresh_from_db()
    assert project.ai_act_tier == "high"
    assert Answers.from_dict(AiActAssessment.objects.get().answers) == HIGH
    assert AiActTierChange.objects.count() == 1
    assert tier_items(project) == HIGH_RISK_ITEMS


def test_a_change_of_tier_is_recorded_with_who_and_why(project, owner):
    ai_act_answer(project=project, by=owner, answers=HIGH)
    lead = UserFactory()
    ai_act_answer(
        project=project,
        by=lead,
        answers=LIMITED,
        reason="Screening moved to a human panel; the bot only answers questions.",
    )
    latest = AiActTierChange.objects.filter(project=project).first()
    assert (latest.from_tier, latest.to_tier, latest.changed_by) == (
        "high",
        "limited",
        lead,
    )
    assert latest.reason.startswith("Screening moved")


def test_new_answers_keeping_the_tier_need_no_reason_and_record_no_change(
    project, owner
):
    ai_act_answer(project=project, by=owner, answers=HIGH)
    other = Answers(users=("staff",), purpose="Grade exams", annex_iii_area="education")
    result = ai_act_answer(project=project, by=owner, answers=other)
    assert not result.changed
    assert AiActTierChange.objects.count() == 1
    assert Answers.from_dict(AiActAssessment.objects.get().answers) == other


def test_items_of_a_tier_left_behind_are_flagged_and_keep_their_ticks(project, owner):
    ai_act_answer(project=project, by=owner, answers=HIGH)
    ticked = ChecklistItem.objects.get(
        project=project, template__key="s3-euaia-risk-management"
    )
    project_services.item_set_state(item=ticked, state=ItemState.DONE, actor=owner)
    result = ai_act_answer(
        project=project, by=owner, answers=LIMITED, reason="No longer screens people."
    )
    assert tier_items(project) == LIMITED_ITEMS
    flagged = tier_items(project, applicable=False)
    assert flagged == {
        k: v for k, v in HIGH_RISK_ITEMS.items() if k not in LIMITED_ITEMS
    }
    assert result.checklist.no_longer_applicable == len(flagged)
    ticked.refresh_from_db()
    assert (ticked.applicable, ticked.state) == (False, ItemState.DONE)
    # Back to high-risk: the same items apply again, the tick still there.
    ai_act_answer(project=project, by=owner, answers=HIGH, reason="Screens again.")
    ticked.refresh_from_db()
    assert (ticked.applicable, ticked.state) == (True, ItemState.DONE)
    assert tier_items(project) == HIGH_RISK_ITEMS


def test_under_the_eu_ai_act_framework_the_assessed_tier_decides(owner):
    project = project_services.project_create(
        name="Support Copilot",
        team=TeamFactory(),
        owner=owner,
        frameworks=Framework.objects.filter(code="eu_ai_act"),
    )
    # Before the questionnaire the framework's own items apply.
    framework_items = {
        "s3-euaia-risk-classification": 3,
        "s3-euaia-transparency": 3,
        "s3-euaia-human-oversight": 3,
    }
    assert tier_items(project) == framework_items
    ai_act_answer(project=project, by=owner, answers=MINIMAL)
    assert tier_items(project) == {"s3-euaia-risk-classification": 3}
    assert set(tier_items(project, applicable=False)) == {
        "s3-euaia-transparency",
        "s3-euaia-human-oversight",
    }
