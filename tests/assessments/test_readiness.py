"""Gap-assessment readiness, worked out by hand from the formula in the module docstring."""

from __future__ import annotations

import pytest

from assessments.readiness import (
    LEVELS,
    AreaLevels,
    CriterionScore,
    Gap,
    Readiness,
    area_levels,
    readiness,
    trend,
)

S = CriterionScore


def test_the_maturity_levels_run_from_prototype_to_production_grade():
    assert LEVELS == {
        0: "Prototype",
        1: "Initial",
        2: "Developing",
        3: "Managed",
        4: "Production-grade",
    }


def test_areas_with_different_criterion_counts_weigh_equally():
    result = readiness(
        [
            # Data: 2/4 = 0.5 → 50.
            S("Data", "Lineage", level=2, target=4),
            # Security: 3/3 = 1, 1/3, and 4 over a target of 2 is capped at 1 →
            # (1 + 1/3 + 1) / 3 = 7/9 → 77.777… → 77.8.
            S("Security", "Secrets", level=3, target=3),
            S("Security", "Access review", level=1, target=3),
            S("Security", "Encryption", level=4, target=2),
        ]
    )
    assert result.by_area == {"Data": 50.0, "Security": 77.8}
    # (50 + 77.777…) / 2 = 63.888… → 63.9. Pooling the four criteria instead would give
    # (0.5 + 1 + 1/3 + 1) / 4 = 70.8, so this pins the per-area mean.
    assert result.overall == 63.9


def test_a_target_of_zero_counts_as_met():
    result = readiness(
        [
            S("Ops", "On-call", level=0, target=0),
            S("Ops", "Runbooks", level=0, target=2),
        ]
    )
    # (1 + 0) / 2 → 50.
    assert result.by_area == {"Ops": 50.0}
    assert result.overall == 50.0
    assert result.gaps == [Gap("Ops", "Runbooks", level=0, target=2, size=2)]


def test_areas_keep_first_seen_order():
    result = readiness(
        [
            S("Zeta", "a", 1, 1),
            S("Alpha", "b", 0, 4),
            S("Zeta", "c", 1, 2),
        ]
    )
    assert list(result.by_area) == ["Zeta", "Alpha"]
    # Zeta (1 + 1/2) / 2 = 75, Alpha 0; overall 37.5.
    assert result.by_area == {"Zeta": 75.0, "Alpha": 0.0}
    assert result.overall == 37.5


def test_the_overall_figure_is_rounded_only_at_the_end():
    # Area A = 2/3 → 66.666… (shown 66.7), area B = 0. The exact mean is 33.333… → 33.3;
    # averaging the shown figures would give (66.7 + 0) / 2 = 33.35 → 33.4.
    result = readiness([S("A", "x", level=2, target=3), S("B", "y", level=0, target=1)])
    assert result.by_area == {"A": 66.7, "B": 0.0}
    assert result.overall == 33.3


def test_results_are_rounded_half_up():
    # Area C = (1/4 + 0) / 2 = 12.5, area D = 0: overall 6.25 exactly, half up to 6.3
    # (round() on the float would give 6.2).
    result = readiness([S("C", "x", 1, 4), S("C", "y", 0, 4), S("D", "z", 0, 1)])
    assert result.by_area == {"C": 12.5, "D": 0.0}
    assert result.overall == 6.3


def test_gaps_are_largest_first_then_in_input_order():
    result = readiness(
        [
            S("Data", "Lineage", level=3, target=4),  # size 1
            S("Data", "Quality", level=1, target=4),  # size 3
            S("Security", "Secrets", level=4, target=4),  # no gap
            S("Security", "Access review", level=0, target=2),  # size 2
            S("Ops", "Alerting", level=2, target=4),  # size 2, after Access review
            S("Ops", "Runbooks", level=4, target=1),  # above target: no gap
        ]
    )
    assert result.gaps == [
        Gap("Data", "Quality", 1, 4, 3),
        Gap("Security", "Access review", 0, 2, 2),
        Gap("Ops", "Alerting", 2, 4, 2),
        Gap("Data", "Lineage", 3, 4, 1),
    ]


def test_no_gaps_when_every_target_is_met():
    result = readiness([S("Data", "Lineage", 4, 4), S("Ops", "Alerting", 3, 2)])
    assert result.gaps == []
    assert result.overall == 100.0


def test_an_empty_assessment_is_rejected():
    with pytest.raises(ValueError, match="at least one"):
        readiness([])


@pytest.mark.parametrize(("level", "target"), [(-1, 2), (5, 2), (2, -1), (2, 5)])
def test_levels_and_targets_outside_0_to_4_are_rejected(level, target):
    with pytest.raises(ValueError, match="between 0 and 4"):
        S("Data", "Lineage", level=level, target=target)


def test_a_level_that_is_not_a_whole_number_is_rejected():
    with pytest.raises(ValueError, match="whole number"):
        S("Data", "Lineage", level=2.5, target=3)  # type: ignore[arg-type]


def test_trend_gives_the_change_in_points_per_area_and_overall():
    previous = Readiness(
        overall=63.9, by_area={"Data": 50.0, "Security": 77.8}, gaps=[]
    )
    current = Readiness(
        overall=84.3, by_area={"Data": 75.0, "Security": 77.8, "Ops": 100.0}, gaps=[]
    )
    assert trend(previous, current) == {
        "Data": 25.0,
        "Security": 0.0,
        "Ops": None,
        "overall": 20.4,
    }


def test_trend_subtracts_the_shown_figures_without_float_noise():
    previous = Readiness(overall=33.3, by_area={"A": 33.3}, gaps=[])
    current = Readiness(overall=66.7, by_area={"A": 66.7}, gaps=[])
    # 66.7 − 33.3 in floats is 33.400000000000006.
    assert trend(previous, current) == {"A": 33.4, "overall": 33.4}


def test_trend_can_go_down():
    previous = readiness([S("Data", "Lineage", 4, 4)])  # 100
    current = readiness([S("Data", "Lineage", 3, 4)])  # 75
    assert trend(previous, current) == {"Data": -25.0, "overall": -25.0}


def test_trend_without_a_previous_assessment_is_all_none():
    current = readiness([S("Data", "Lineage", 2, 4), S("Ops", "Alerting", 1, 1)])
    assert trend(None, current) == {"Data": None, "Ops": None, "overall": None}


# Criteria not assessed yet (level None): not level 0


def test_a_criterion_not_assessed_counts_in_no_average_and_makes_no_gap():
    not_assessed = S("Security", "Access review", level=None, target=3)
    result = readiness(
        [
            S("Security", "Secrets", level=3, target=3),
            not_assessed,
            S("Data", "Lineage", level=1, target=2),
        ]
    )
    # Security is Secrets alone (100), not (1 + 0) / 2; Data 1/2 = 50; overall 75.
    assert result.by_area == {"Security": 100.0, "Data": 50.0}
    assert result.overall == 75.0
    assert result.gaps == [Gap("Data", "Lineage", 1, 2, 1)]
    assert result.not_assessed == [not_assessed]


def test_level_0_is_not_the_same_as_not_assessed():
    zero = readiness([S("Ops", "Alerting", 0, 3), S("Ops", "Runbooks", 3, 3)])
    skipped = readiness([S("Ops", "Alerting", None, 3), S("Ops", "Runbooks", 3, 3)])
    assert zero.overall == 50.0 and zero.gaps == [Gap("Ops", "Alerting", 0, 3, 3)]
    assert skipped.overall == 100.0 and skipped.gaps == []


def test_an_area_with_nothing_assessed_has_no_readiness_and_the_others_weigh_equally():
    result = readiness(
        [
            S("Data", "Lineage", None, 4),
            S("Ops", "Alerting", 1, 4),
            S("Security", "Secrets", 4, 4),
        ]
    )
    assert result.by_area == {"Ops": 25.0, "Security": 100.0}
    assert result.overall == 62.5  # (25 + 100) / 2: Data is not a 0


def test_an_assessment_with_nothing_assessed_is_rejected():
    with pytest.raises(ValueError, match="at least one assessed"):
        readiness([S("Data", "Lineage", None, 4), S("Ops", "Alerting", None, 3)])


def test_trend_leaves_an_area_not_assessed_now_out():
    previous = readiness([S("Data", "Lineage", 2, 4), S("Ops", "Alerting", 1, 2)])
    current = readiness([S("Data", "Lineage", None, 4), S("Ops", "Alerting", 2, 2)])
    # Overall: 50 before (Data 50, Ops 50), 100 now (Ops alone).
    assert trend(previous, current) == {"Ops": 50.0, "overall": 50.0}


def test_area_levels_average_the_assessed_criteria_and_count_the_others():
    levels = area_levels(
        [
            S("Security", "Secrets", 1, 4),
            S("Security", "Access review", None, 2),
            S("Security", "Encryption", 2, 3),
            S("Data", "Lineage", None, 4),
        ]
    )
    assert levels == [
        # Now (1 + 2) / 2, target (4 + 3) / 2: the criterion not assessed is in neither.
        AreaLevels("Security", now=1.5, target=3.5, not_assessed=1),
        AreaLevels("Data", now=None, target=None, not_assessed=1),
    ]


def test_area_levels_round_to_two_decimals():
    levels = area_levels([S("A", "x", 1, 3), S("A", "y", 1, 3), S("A", "z", 2, 4)])
    assert levels == [AreaLevels("A", now=1.33, target=3.33, not_assessed=0)]
