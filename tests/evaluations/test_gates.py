"""Step 6 is judged on evaluation runs and load tests, not on production metrics: the
latest run on the named set meets the quality target, nothing fell past the tolerance
against the accepted baseline, and a load test at peak volume met its targets. Each
failing check names the run, the metric, the value and the target."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import formats

from evaluations import services
from evaluations.gates import (
    LOAD_TEST_CHECK,
    QUALITY_CHECK,
    REGRESSION_CHECK,
    evaluation_quality_met,
    load_test_met,
    no_regression,
)
from projects import services as project_services
from projects.step_selectors import gate_result
from tests.evaluations.conftest import gate_evaluations_pass, gate_run
from tests.factories import TeamFactory, UserFactory, approve_requirements
from tests.projects.conftest import step_of

pytestmark = pytest.mark.django_db


def day(run):
    return formats.date_format(run.ran_at, "Y-m-d")


def named(project, dataset="golden", tolerance="0.02"):
    services.plan_save(
        project=project, dataset_name=dataset, tolerance=Decimal(tolerance)
    )


@pytest.fixture
def project(gate_people):
    return gate_people["project"]


@pytest.fixture
def lead(gate_people):
    return gate_people["lead"]


def accept(project, run, lead):
    services.baseline_accept(project=project, run=run, actor=lead, comment="Agreed.")


# --- The quality target on the latest run of the named set


def test_the_latest_run_meeting_the_target_passes_and_says_by_how_much(project):
    named(project)
    run = gate_run(project, "nightly-1", name="Nightly", scores={"helpfulness": "0.9"})
    result = evaluation_quality_met(project, 6)
    assert result.passed is True
    assert result.name == QUALITY_CHECK
    assert result.reason == (
        f"The latest run on “golden”, “Nightly” of {day(run)}, scored helpfulness "
        "0.90 (target 0.85)."
    )


def test_a_run_below_the_target_is_named_with_its_value_and_the_target(project):
    named(project)
    gate_run(project, "nightly-1", days_ago=3, scores={"helpfulness": "0.95"})
    run = gate_run(project, "nightly-2", scores={"helpfulness": "0.8123"})
    result = evaluation_quality_met(project, 6)
    assert result.passed is False
    # The latest run is judged, whatever an older one scored.
    assert result.reason == (
        f"The latest run on “golden”, “nightly-2” of {day(run)}, scored helpfulness "
        "0.8123, below the target 0.85."
    )


def test_exactly_the_target_meets_it(project):
    named(project)
    gate_run(project, "nightly-1", scores={"helpfulness": "0.85"})
    assert evaluation_quality_met(project, 6).passed is True


def test_a_run_without_the_approved_score_fails_naming_the_score(project):
    named(project)
    run = gate_run(project, "nightly-1", scores={"faithfulness": "0.99"})
    result = evaluation_quality_met(project, 6)
    assert result.passed is False
    assert result.reason == (
        f"The latest run on “golden”, “nightly-1” of {day(run)}, has no "
        "“helpfulness” score."
    )


def test_runs_on_other_sets_do_not_count(project):
    named(project)
    gate_run(project, "smoke-1", dataset_name="smoke", scores={"helpfulness": "0.99"})
    result = evaluation_quality_met(project, 6)
    assert result.passed is False
    assert result.reason == "No evaluation run on “golden” yet."


def test_without_a_named_set_the_check_asks_for_one(project):
    gate_run(project, "nightly-1", scores={"helpfulness": "0.99"})
    for check in (evaluation_quality_met, no_regression):
        result = check(project, 6)
        assert result.passed is False
        assert "Name the evaluation set step 6 judges" in result.reason


def test_without_an_approved_quality_target_the_check_asks_for_one(db):
    owner = UserFactory()
    project = project_services.project_create(
        name="Unapproved", team=TeamFactory(), owner=owner, lead=UserFactory()
    )
    named(project)
    gate_run(project, "nightly-1", scores={"helpfulness": "0.99"})
    result = evaluation_quality_met(project, 6)
    assert result.passed is False
    assert "Approve requirements with a quality score and target" in result.reason
    approve_requirements(project, owner, quality_score_target=None)
    assert evaluation_quality_met(project, 6).passed is False


# --- No regression against the baseline


def test_without_an_accepted_baseline_the_check_asks_for_one(project):
    named(project)
    gate_run(project, "nightly-1", scores={"helpfulness": "0.9"})
    result = no_regression(project, 6)
    assert result.passed is False
    assert result.name == REGRESSION_CHECK
    assert "No baseline is accepted for “golden” yet" in result.reason


def test_without_any_run_the_regression_check_says_so(project):
    named(project)
    result = no_regression(project, 6)
    assert result.passed is False and result.reason == (
        "No evaluation run on “golden” yet."
    )


def test_the_latest_run_being_the_baseline_passes(project, lead):
    named(project)
    run = gate_run(project, "nightly-1", scores={"helpfulness": "0.9"})
    accept(project, run, lead)
    result = no_regression(project, 6)
    assert result.passed is True
    assert (
        result.reason == f"The latest run, “nightly-1” of {day(run)}, is the baseline."
    )


def test_a_fall_within_the_tolerance_passes(project, lead):
    named(project)
    baseline = gate_run(
        project, "base", days_ago=5, scores={"helpfulness": "0.90", "tone": "0.80"}
    )
    accept(project, baseline, lead)
    # Exactly the tolerance is not "more than" it; a metric that rose is no fall.
    gate_run(project, "next", scores={"helpfulness": "0.88", "tone": "0.95"})
    result = no_regression(project, 6)
    assert result.passed is True
    assert "fell by more than 0.02" in result.reason
    assert "“base”" in result.reason and "“next”" in result.reason


def test_a_fall_past_the_tolerance_names_run_metric_value_and_baseline(project, lead):
    named(project)
    baseline = gate_run(
        project,
        "base",
        days_ago=5,
        scores={"helpfulness": "0.90", "faithfulness": "0.80", "tone": "0.70"},
    )
    accept(project, baseline, lead)
    latest = gate_run(
        project,
        "next",
        name="Prompt v13",
        scores={"helpfulness": "0.86", "faithfulness": "0.795", "tone": "0.60"},
    )
    result = no_regression(project, 6)
    assert result.passed is False
    assert result.reason == (
        f"The latest run, “Prompt v13” of {day(latest)}, fell by more than 0.02 "
        f"against the baseline “base” of {day(baseline)}: helpfulness 0.86 against "
        "0.90 (-0.04); tone 0.60 against 0.70 (-0.10)."
    )


def test_the_tolerance_setting_changes_the_verdict(project, lead):
    named(project)
    accept(
        project,
        gate_run(project, "base", days_ago=5, scores={"helpfulness": "0.9"}),
        lead,
    )
    gate_run(project, "next", scores={"helpfulness": "0.86"})
    assert no_regression(project, 6).passed is False
    named(project, tolerance="0.05")
    result = no_regression(project, 6)
    assert result.passed is True and "fell by more than 0.05" in result.reason
    named(project, tolerance="0")
    assert no_regression(project, 6).passed is False


def test_a_baseline_of_another_set_is_not_this_sets_baseline(project, lead):
    named(project)
    other = gate_run(
        project, "smoke", dataset_name="smoke", scores={"helpfulness": "0.99"}
    )
    accept(project, other, lead)
    gate_run(project, "nightly-1", scores={"helpfulness": "0.5"})
    result = no_regression(project, 6)
    assert result.passed is False and "No baseline is accepted for “golden”" in (
        result.reason
    )


def test_the_newest_acceptance_is_the_baseline(project, lead):
    named(project)
    old = gate_run(project, "old", days_ago=9, scores={"helpfulness": "0.95"})
    new = gate_run(project, "new", days_ago=5, scores={"helpfulness": "0.86"})
    accept(project, old, lead)
    gate_run(project, "latest", scores={"helpfulness": "0.86"})
    assert no_regression(project, 6).passed is False  # against 0.95
    accept(project, new, lead)
    result = no_regression(project, 6)
    assert result.passed is True and "“new”" in result.reason


# --- A load test at peak volume


def load_test(project, external_id, days_ago=0, **figures):
    return gate_run(
        project, external_id, days_ago=days_ago, kind="load_test", **figures
    )


def test_without_a_load_test_at_peak_the_check_names_the_peak(project):
    result = load_test_met(project, 6)
    assert result.passed is False
    assert result.name == LOAD_TEST_CHECK
    assert result.reason == (
        "No load test reached the peak volume of 12 requests per second."
    )


def test_a_load_test_below_peak_is_named_with_what_it_reached(project):
    run = load_test(
        project,
        "k6-1",
        target_rps=12,
        achieved_rps="8.4",
        p95_latency_ms=900,
        error_rate_pct="0.1",
    )
    result = load_test_met(project, 6)
    assert result.passed is False
    assert result.reason == (
        "No load test reached the peak volume of 12 requests per second. The latest, "
        f"“k6-1” of {day(run)}, reached 8.40 requests per second."
    )


def test_a_load_test_that_reported_no_rate_is_not_taken_for_zero(project):
    run = load_test(project, "k6-1", p95_latency_ms=900, error_rate_pct="0.1")
    result = load_test_met(project, 6)
    assert result.passed is False
    assert result.reason.endswith(
        f"The latest, “k6-1” of {day(run)}, reported no achieved requests per second."
    )


def test_a_load_test_at_peak_that_missed_latency_names_value_and_target(project):
    load_test(
        project, "k6-1", achieved_rps=12, p95_latency_ms=3100, error_rate_pct="0.5"
    )
    result = load_test_met(project, 6)
    assert result.passed is False
    assert "at 12.00 requests per second missed its targets" in result.reason
    assert "p95 latency 3100 ms, over the 2500 ms target" in result.reason
    assert "error rate" not in result.reason


def test_a_load_test_at_peak_that_missed_the_error_rate_names_value_and_target(
    project,
):
    load_test(
        project, "k6-1", achieved_rps=15, p95_latency_ms=2000, error_rate_pct="1.25"
    )
    result = load_test_met(project, 6)
    assert result.passed is False
    assert "error rate 1.25 %, over the 1 % target" in result.reason


def test_a_load_test_that_did_not_report_a_figure_cannot_show_it_met(project):
    load_test(project, "k6-1", achieved_rps=15)
    result = load_test_met(project, 6)
    assert result.passed is False
    assert "it reported no p95 latency" in result.reason
    assert "it reported no error rate" in result.reason


def test_a_load_test_at_peak_within_its_targets_passes(project):
    run = load_test(
        project,
        "k6-1",
        days_ago=2,
        achieved_rps="12.5",
        p95_latency_ms=2500,
        error_rate_pct="1",
    )
    # A later smoke test below peak does not undo the test at peak.
    load_test(project, "k6-smoke", achieved_rps=2, p95_latency_ms=5000)
    result = load_test_met(project, 6)
    assert result.passed is True
    assert result.reason == (
        f"The load test “k6-1” of {day(run)} held 12.50 requests per second (peak 12) "
        "within the latency and error-rate targets."
    )


def test_without_a_peak_volume_or_targets_the_load_check_asks_for_them(db):
    owner = UserFactory()
    project = project_services.project_create(
        name="No peak", team=TeamFactory(), owner=owner, lead=UserFactory()
    )
    load_test(project, "k6-1", achieved_rps=50, p95_latency_ms=10, error_rate_pct=0)
    assert "Approve requirements with a peak volume" in load_test_met(project, 6).reason
    approve_requirements(project, owner, peak_rps=None)
    assert "Approve requirements with a peak volume" in load_test_met(project, 6).reason
    approve_requirements(project, owner, p95_latency_ms=None)
    result = load_test_met(project, 6)
    assert result.passed is False
    assert "p95 latency and an error-rate target" in result.reason


# --- Which step each gate judges


def names(project, number):
    return {c.name: c.passed for c in gate_result(step_of(project, number)).checks}


def test_step_six_is_judged_on_evaluations_and_step_seven_on_production(project):
    six, seven = names(project, 6), names(project, 7)
    assert {QUALITY_CHECK, REGRESSION_CHECK, LOAD_TEST_CHECK} <= six.keys()
    assert "Quality score met" not in six  # production quality no longer gates 6
    assert "Quality score met" in seven and "Latency p95 met" in seven
    assert not {QUALITY_CHECK, REGRESSION_CHECK, LOAD_TEST_CHECK} & seven.keys()


def test_step_six_passes_its_evaluation_checks_without_production_data(project, lead):
    gate_evaluations_pass(project, lead)
    six = names(project, 6)
    assert six[QUALITY_CHECK] and six[REGRESSION_CHECK] and six[LOAD_TEST_CHECK]
    # Then a regressed run refuses step 6 again, until it is accepted.
    regressed = gate_run(project, "golden-regressed", scores={"helpfulness": "0.86"})
    assert names(project, 6)[REGRESSION_CHECK] is False
    accept(project, regressed, lead)
    assert names(project, 6)[REGRESSION_CHECK] is True
