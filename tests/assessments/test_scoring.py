"""Build in-house or partner (domain.md): thresholds, weights, reasoning, sensitivity.

Every expected build score below is worked out by hand from the formula in the module
docstring. Tendencies come in quarters, so with k = 4t (k = score − 1, or 5 − score for
timeline pressure) the build score is 25 × Σ(w·k) / Σw.
"""

from __future__ import annotations

import pytest

from assessments.scoring import (
    BUILD_AT,
    CRITERIA,
    PARTNER_AT,
    Flip,
    score_build_vs_partner,
)


def scores(
    ml: int, devops: int, security: int, timeline: int, maintenance: int
) -> dict[str, int]:
    return {
        "ml_expertise": ml,
        "devops": devops,
        "security": security,
        "timeline": timeline,
        "maintenance": maintenance,
    }


# Default weights are ml 3, devops 2, security 2, timeline 2, maintenance 1 (Σw = 10).
weights = scores


def test_the_criteria_and_thresholds_are_those_of_the_brief():
    assert [
        (c.key, c.label, c.default_weight, c.favours_build_when_high, c.short)
        for c in CRITERIA
    ] == [
        (
            "ml_expertise",
            "Internal AI/ML expertise",
            3,
            True,
            "in-house AI/ML expertise",
        ),
        ("devops", "DevOps and infrastructure capability", 2, True, "DevOps capacity"),
        (
            "security",
            "Security and compliance knowledge for the industry",
            2,
            True,
            "security and compliance know-how",
        ),
        ("timeline", "Timeline pressure", 2, False, "timeline"),
        (
            "maintenance",
            "Long-term maintenance capacity",
            1,
            True,
            "maintenance capacity",
        ),
    ]
    assert (BUILD_AT, PARTNER_AT) == (65, 40)


# --- thresholds ------------------------------------------------------------------


def test_it_recommends_build_exactly_at_65():
    # k = 4, 3, 2, 2 (timeline 3), 0 → Σw·k = 12 + 6 + 4 + 4 + 0 = 26; 25 × 26 / 10 = 65.
    result = score_build_vs_partner(scores(5, 4, 3, 3, 1))
    assert result.build_score == 65.0
    assert result.outcome == "build"
    assert result.label == "Build"


def test_it_recommends_hybrid_just_below_65():
    # Weights 5, 5, 5, 1, 1 (Σw = 17); k = 4, 3, 1, 2, 2 → Σw·k = 20 + 15 + 5 + 2 + 2 = 44;
    # 25 × 44 / 17 = 1100 / 17 = 64.705… — the closest any scores and weights get below 65.
    result = score_build_vs_partner(scores(5, 4, 2, 3, 3), weights(5, 5, 5, 1, 1))
    assert result.build_score == 64.7
    assert result.outcome == "hybrid"


def test_it_recommends_partner_exactly_at_40():
    # k = 2, 2, 1, 1 (timeline 4), 2 → Σw·k = 6 + 4 + 2 + 2 + 2 = 16; 25 × 16 / 10 = 40.
    result = score_build_vs_partner(scores(3, 3, 2, 4, 3))
    assert result.build_score == 40.0
    assert result.outcome == "partner"
    assert result.label == "Partner"


def test_it_recommends_hybrid_just_above_40():
    # Weights 5, 5, 5, 4, 4 (Σw = 23); k = 2, 2, 1, 2, 1 → Σw·k = 10 + 10 + 5 + 8 + 4 = 37;
    # 25 × 37 / 23 = 925 / 23 = 40.217…
    result = score_build_vs_partner(scores(3, 3, 2, 3, 2), weights(5, 5, 5, 4, 4))
    assert result.build_score == 40.2
    assert result.outcome == "hybrid"
    assert result.label == "Hybrid"


def test_it_rounds_the_shown_build_score_half_up():
    # Weights 5, 5, 5, 5, 0 (Σw = 20); k = 1, 1, 1, 2 (timeline 3), any → Σw·k = 25;
    # 25 × 25 / 20 = 31.25 exactly, which rounds half up to 31.3 (round() would give 31.2).
    result = score_build_vs_partner(scores(2, 2, 2, 3, 5), weights(5, 5, 5, 5, 0))
    assert result.build_score == 31.3


# --- weights ------------------------------------------------------------------------


def test_weights_change_the_outcome_for_the_same_scores():
    # k = 4, 0, 0, 4 (timeline 1), 4.
    same = scores(5, 1, 1, 1, 5)
    # Default weights: Σw·k = 12 + 0 + 0 + 8 + 4 = 24; 25 × 24 / 10 = 60 → hybrid.
    assert score_build_vs_partner(same).outcome == "hybrid"
    assert score_build_vs_partner(same).build_score == 60.0
    # Weights 5, 1, 1, 5, 5 (Σw = 17): Σw·k = 20 + 0 + 0 + 20 + 20 = 60; 1500 / 17 = 88.2 → build.
    heavy_strengths = score_build_vs_partner(same, weights(5, 1, 1, 5, 5))
    assert (heavy_strengths.outcome, heavy_strengths.build_score) == ("build", 88.2)
    # Weights 0, 5, 5, 1, 1 (Σw = 12): Σw·k = 0 + 0 + 0 + 4 + 4 = 8; 200 / 12 = 16.7 → partner.
    heavy_gaps = score_build_vs_partner(same, weights(0, 5, 5, 1, 1))
    assert (heavy_gaps.outcome, heavy_gaps.build_score) == ("partner", 16.7)


def test_a_criterion_weighted_zero_is_not_named_as_a_pull():
    # ML expertise 5 would be "strong", but with weight 0 it did not count.
    # Σw = 7; k = ·, 2, 2, 2, 2 → Σw·k = 14; 25 × 14 / 7 = 50.
    result = score_build_vs_partner(scores(5, 3, 3, 3, 3), weights(0, 2, 2, 2, 1))
    assert result.build_score == 50.0
    assert result.pulls_to_build == []
    assert result.reasoning == "Hybrid — no criterion pulls strongly either way."


# --- reasoning ------------------------------------------------------------------------


def test_the_reasoning_names_pulls_both_ways():
    # k = 4, 1, 2, 0 (timeline 5), 2 → Σw·k = 12 + 2 + 4 + 0 + 2 = 20 → 50, hybrid.
    result = score_build_vs_partner(scores(5, 2, 3, 5, 3))
    assert result.pulls_to_partner == ["DevOps capacity", "timeline"]
    assert result.pulls_to_build == ["in-house AI/ML expertise"]
    assert result.reasoning == (
        "Hybrid — DevOps capacity and timeline pull towards a partner; in-house AI/ML expertise is strong."
    )


def test_the_reasoning_uses_the_singular_for_one_pull_to_a_partner():
    # k = 2, 2, 2, 0, 2 → Σw·k = 16 → 40, partner.
    result = score_build_vs_partner(scores(3, 3, 3, 5, 3))
    assert result.reasoning == "Partner — timeline pulls towards a partner."
    assert result.pulls_to_build == []


def test_the_reasoning_uses_the_singular_for_one_strength():
    # k = 4, 2, 2, 2, 2 → Σw·k = 26 → 65, build.
    result = score_build_vs_partner(scores(5, 3, 3, 3, 3))
    assert result.reasoning == "Build — in-house AI/ML expertise is strong."
    assert result.pulls_to_partner == []


def test_the_reasoning_lists_three_strengths_with_commas_and_and():
    # k = 4, 4, 4, 2, 2 → Σw·k = 12 + 8 + 8 + 4 + 2 = 34 → 85, build.
    result = score_build_vs_partner(scores(5, 5, 5, 3, 3))
    assert result.build_score == 85.0
    assert result.reasoning == (
        "Build — in-house AI/ML expertise, DevOps capacity and security and compliance know-how are strong."
    )


def test_the_reasoning_lists_three_pulls_to_a_partner():
    # Timeline 4 is t = 0.25, the edge of "pulls towards a partner".
    # k = 2, 0, 1, 1, 2 → Σw·k = 6 + 0 + 2 + 2 + 2 = 12 → 30, partner.
    result = score_build_vs_partner(scores(3, 1, 2, 4, 3))
    assert result.build_score == 30.0
    assert result.reasoning == (
        "Partner — DevOps capacity, security and compliance know-how and timeline pull towards a partner."
    )


def test_the_reasoning_says_so_when_nothing_pulls_strongly():
    result = score_build_vs_partner(scores(3, 3, 3, 3, 3))
    assert result.build_score == 50.0
    assert result.pulls_to_partner == []
    assert result.pulls_to_build == []
    assert result.reasoning == "Hybrid — no criterion pulls strongly either way."


def test_scores_of_4_and_2_are_strong_and_weak_but_3_is_neither():
    # t = 0.75 (score 4) counts as strong; t = 0.25 (score 2) pulls to a partner.
    # k = 3, 1, 2, 2, 2 → Σw·k = 9 + 2 + 4 + 4 + 2 = 21 → 52.5.
    result = score_build_vs_partner(scores(4, 2, 3, 3, 3))
    assert result.build_score == 52.5
    assert result.pulls_to_build == ["in-house AI/ML expertise"]
    assert result.pulls_to_partner == ["DevOps capacity"]


# --- sensitivity line -------------------------------------------------------------------


def test_the_flip_is_the_smallest_change_that_changes_the_outcome():
    # Σw·k = 24 → 60, hybrid (k = 4, 2, 2, 2, 0). Build needs Σw·k ≥ 26: one step on a
    # weight-2 criterion (devops, security or timeline) does it; ML can only go down, and
    # one step on maintenance adds just 1. Ties at weight 2 go to criteria order: DevOps.
    result = score_build_vs_partner(scores(5, 3, 3, 3, 1))
    assert result.outcome == "hybrid"
    assert result.flip == Flip(
        criterion="devops",
        label="DevOps and infrastructure capability",
        from_score=3,
        to_score=4,
        new_outcome="build",
        text="Raising DevOps and infrastructure capability from 3 to 4 would make it Build.",
    )


def test_a_flip_tie_goes_to_the_larger_weight():
    # Σw·k = 20 → 50, hybrid (k = 4, 1, 2, 0, 2). No one-step change reaches 26 or 16.
    # Two steps: ML 5 → 3 takes 6 (→ 14, partner) and security 3 → 1 takes 4 (→ 16,
    # partner); ML has weight 3 against 2, so it wins.
    result = score_build_vs_partner(scores(5, 2, 3, 5, 3))
    assert result.flip is not None
    assert (result.flip.criterion, result.flip.from_score, result.flip.to_score) == (
        "ml_expertise",
        5,
        3,
    )
    assert result.flip.new_outcome == "partner"
    assert (
        result.flip.text
        == "Lowering Internal AI/ML expertise from 5 to 3 would make it Partner."
    )


def test_lowering_timeline_pressure_can_be_the_flip():
    # Weights 1, 1, 1, 2, 1 (Σw = 6): partner while Σw·k ≤ 9 (25 × 9 / 6 = 37.5), hybrid
    # from 10 (41.7). k = 4, 1, 2, 0, 0 → Σw·k = 7 (29.2). One step adds at most 2 (→ 9);
    # two steps add 2 elsewhere (→ 9) but 4 on timeline (5 → 3, → 11): only that flips.
    result = score_build_vs_partner(scores(5, 2, 3, 5, 1), weights(1, 1, 1, 2, 1))
    assert (result.outcome, result.build_score) == ("partner", 29.2)
    assert result.flip is not None
    assert (
        result.flip.text
        == "Lowering Timeline pressure from 5 to 3 would make it Hybrid."
    )
    assert result.flip.new_outcome == "hybrid"


def test_a_criterion_that_flips_both_ways_at_the_same_distance_takes_the_lower_score():
    # All 3s: Σw·k = 20. ML 3 → 5 gives 26 (build) and 3 → 1 gives 14 (partner), both two
    # steps on the heaviest criterion, and no one-step change flips anything.
    result = score_build_vs_partner(scores(3, 3, 3, 3, 3))
    assert result.flip is not None
    assert (result.flip.criterion, result.flip.to_score, result.flip.new_outcome) == (
        "ml_expertise",
        1,
        "partner",
    )


def test_there_is_no_flip_when_no_single_change_is_enough():
    # Everything at its most build-ward: Σw·k = 40 → 100. The biggest single drop is ML
    # 5 → 1 (−12 → 28, i.e. 70): still build.
    strong = score_build_vs_partner(scores(5, 5, 5, 1, 5))
    assert (strong.outcome, strong.build_score, strong.flip) == ("build", 100.0, None)
    # And the mirror image: 0, at most +12 → 30, still partner.
    weak = score_build_vs_partner(scores(1, 1, 1, 5, 1))
    assert (weak.outcome, weak.build_score, weak.flip) == ("partner", 0.0, None)


# --- invalid input -------------------------------------------------------------------------


def test_a_missing_score_is_rejected_naming_the_criterion():
    incomplete = scores(3, 3, 3, 3, 3)
    del incomplete["devops"]
    with pytest.raises(ValueError, match="DevOps and infrastructure capability"):
        score_build_vs_partner(incomplete)


def test_an_unknown_criterion_is_rejected():
    with pytest.raises(ValueError, match="'budget'"):
        score_build_vs_partner({**scores(3, 3, 3, 3, 3), "budget": 3})


@pytest.mark.parametrize("bad", [0, 6, -1])
def test_a_score_outside_1_to_5_is_rejected(bad):
    with pytest.raises(ValueError, match="Timeline pressure.*between 1 and 5"):
        score_build_vs_partner(scores(3, 3, 3, bad, 3))


@pytest.mark.parametrize("bad", [2.5, "3", True])
def test_a_score_that_is_not_a_whole_number_is_rejected(bad):
    with pytest.raises(ValueError, match="Internal AI/ML expertise.*whole number"):
        score_build_vs_partner(scores(bad, 3, 3, 3, 3))


@pytest.mark.parametrize("bad", [-1, 6])
def test_a_weight_outside_0_to_5_is_rejected(bad):
    with pytest.raises(
        ValueError, match="Long-term maintenance capacity.*between 0 and 5"
    ):
        score_build_vs_partner(scores(3, 3, 3, 3, 3), weights(1, 1, 1, 1, bad))


def test_a_missing_weight_is_rejected():
    partial = weights(1, 1, 1, 1, 1)
    del partial["security"]
    with pytest.raises(ValueError, match="Missing weight.*Security and compliance"):
        score_build_vs_partner(scores(3, 3, 3, 3, 3), partial)


def test_all_zero_weights_are_rejected():
    with pytest.raises(ValueError, match="weight above 0"):
        score_build_vs_partner(scores(3, 3, 3, 3, 3), weights(0, 0, 0, 0, 0))
