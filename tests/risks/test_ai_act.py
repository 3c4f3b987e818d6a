"""The EU AI Act tier from the questionnaire's answers: every path of the classifier,
each reason naming its article."""

from __future__ import annotations

import pytest

from projects.models import AiActTier
from risks.ai_act import (
    ANNEX_III_AREAS,
    EXCEPTIONS,
    PROHIBITED_PRACTICES,
    TIERS,
    TRANSPARENCY,
    Answers,
    classify,
)


def tier_of(**answers):
    return classify(Answers(**answers))


def every_line_names_an_article(reasons):
    return all("Art." in line for line in reasons)


def test_the_tiers_are_the_projects_tiers():
    assert set(TIERS) == set(AiActTier.values)


def test_a_plain_internal_tool_is_minimal_risk():
    result = tier_of(users=("staff",), purpose="Summarise meeting notes")
    assert result.tier == "minimal"
    assert result.label == "Minimal risk"
    assert (
        "Art. 3(12), intended purpose: “Summarise meeting notes”, used by our staff."
        in result.reasons
    )
    assert any("not high-risk" in line for line in result.reasons)
    assert every_line_names_an_article(result.reasons)


@pytest.mark.parametrize("practice", list(PROHIBITED_PRACTICES))
def test_any_article_5_practice_makes_it_prohibited(practice):
    letter = PROHIBITED_PRACTICES[practice][0]
    result = tier_of(prohibited_practices=(practice,), transparency=("interacts",))
    assert result.tier == "prohibited"
    assert any(line.startswith(f"Art. 5(1)({letter})") for line in result.reasons)
    assert any("change course" in line for line in result.reasons)
    assert every_line_names_an_article(result.reasons)


def test_prohibition_wins_over_every_other_answer():
    result = tier_of(
        prohibited_practices=("social_scoring", "face_scraping"),
        safety_component=True,
        annex_iii_area="employment",
    )
    assert result.tier == "prohibited"
    assert sum(line.startswith("Art. 5(1)") for line in result.reasons) == 2


def test_a_safety_component_under_annex_i_is_high_risk():
    result = tier_of(safety_component=True)
    assert result.tier == "high"
    assert any(line.startswith("Art. 6(1) and Annex I") for line in result.reasons)


@pytest.mark.parametrize("area", list(ANNEX_III_AREAS))
def test_each_annex_iii_area_makes_it_high_risk(area):
    point = ANNEX_III_AREAS[area][0]
    result = tier_of(annex_iii_area=area)
    assert result.tier == "high"
    assert any(f"Annex III point {point}" in line for line in result.reasons)
    assert every_line_names_an_article(result.reasons)


@pytest.mark.parametrize("exception", list(EXCEPTIONS))
def test_an_article_6_3_exception_takes_an_annex_iii_system_out_of_high_risk(
    exception,
):
    letter = EXCEPTIONS[exception][0]
    result = tier_of(annex_iii_area="employment", exceptions=(exception,))
    assert result.tier == "minimal"
    assert any(line.startswith(f"Art. 6(3)({letter})") for line in result.reasons)
    # The provider must still document it and register.
    assert any(line.startswith("Art. 6(4) and 49(2)") for line in result.reasons)


def test_the_exception_never_applies_to_a_system_that_profiles_people():
    result = tier_of(
        annex_iii_area="essential_services",
        exceptions=("preparatory",),
        profiles_people=True,
    )
    assert result.tier == "high"
    assert any("last subparagraph" in line for line in result.reasons)
    assert not any(line.startswith("Art. 6(3)(d)") for line in result.reasons)


def test_profiling_alone_outside_annex_iii_does_not_make_it_high_risk():
    assert tier_of(profiles_people=True).tier == "minimal"


def test_an_exception_with_transparency_triggers_is_limited_risk():
    result = tier_of(
        annex_iii_area="education",
        exceptions=("narrow_procedural",),
        transparency=("interacts",),
    )
    assert result.tier == "limited"


@pytest.mark.parametrize("trigger", ["interacts", "synthetic_content", "deep_fake"])
def test_a_transparency_trigger_makes_it_limited_risk(trigger):
    paragraph = TRANSPARENCY[trigger][0]
    result = tier_of(users=("customers",), transparency=(trigger,))
    assert result.tier == "limited"
    assert any(line.startswith(f"Art. {paragraph}:") for line in result.reasons)
    assert every_line_names_an_article(result.reasons)


def test_emotion_recognition_is_read_as_annex_iii_biometrics():
    result = tier_of(transparency=("emotion_biometric",))
    assert result.tier == "high"
    assert any(line.startswith("Annex III point 1:") for line in result.reasons)
    assert any(line.startswith("Art. 50(3)") for line in result.reasons)


def test_a_high_risk_system_keeps_its_transparency_duties_in_the_reasons():
    result = tier_of(annex_iii_area="employment", transparency=("interacts",))
    assert result.tier == "high"
    assert any(line.startswith("Art. 50(1)") for line in result.reasons)


def test_answers_round_trip_through_json_data():
    answers = Answers(
        users=("staff", "public"),
        purpose="Triage",
        prohibited_practices=(),
        safety_component=True,
        annex_iii_area="migration",
        exceptions=("detects_patterns",),
        profiles_people=True,
        transparency=("deep_fake",),
    )
    assert Answers.from_dict(answers.as_dict()) == answers
    assert Answers.from_dict({"unknown": 1}) == Answers()


def test_no_purpose_and_no_users_gives_no_context_line():
    assert not any("Art. 3(12)" in line for line in classify(Answers()).reasons)


# --- Which checklist items a tier brings (projects.progress.template_applies) --------


def applies(tiers=(), frameworks=(), project_tier="", project_frameworks=()):
    from projects.progress import template_applies

    return template_applies(
        template_frameworks=frameworks,
        min_classification="",
        project_frameworks=project_frameworks,
        project_classification="internal",
        template_ai_act_tiers=tiers,
        project_ai_act_tier=project_tier,
    )


def test_an_item_of_a_tier_applies_only_to_projects_of_that_tier():
    assert applies(tiers=["high"], project_tier="high") is True
    assert applies(tiers=["high", "limited"], project_tier="limited") is True
    assert applies(tiers=["high"], project_tier="minimal") is False


def test_an_item_of_a_tier_waits_for_the_assessment():
    assert applies(tiers=["high"]) is False


def test_a_framework_item_tied_to_tiers_follows_the_framework_until_assessed():
    eu = {"frameworks": ["eu_ai_act"], "tiers": ["high"]}
    assert applies(**eu, project_frameworks=["eu_ai_act"]) is True
    assert applies(**eu, project_frameworks=["soc2"]) is False
    # Once assessed, the tier decides, whatever the framework scope.
    assert (
        applies(**eu, project_frameworks=["eu_ai_act"], project_tier="minimal") is False
    )
    assert applies(**eu, project_tier="high") is True


def test_items_without_tiers_ignore_the_tier():
    assert applies(project_tier="prohibited") is True
