"""Step 6's gate: the evaluation runs, not production metrics, show the project ready
to deploy. Registered into projects' gate registry in ``EvaluationsConfig.ready()``."""

from __future__ import annotations

from django.utils import formats, timezone

from assessments.selectors import approved_targets
from evaluations import selectors
from evaluations.models import EvaluationRun
from evaluations.verdicts import (
    LoadTestFacts,
    load_test_shortfalls,
    plain,
    regressions,
    score,
)
from projects.gates import CheckResult
from projects.models import Project

QUALITY_CHECK = "Evaluation meets the quality target"
REGRESSION_CHECK = "No regression against the baseline"
LOAD_TEST_CHECK = "Load test at peak volume"
EVALUATION_CHECKS = frozenset({QUALITY_CHECK, REGRESSION_CHECK, LOAD_TEST_CHECK})


def _named(run: EvaluationRun) -> str:
    day = formats.date_format(timezone.localtime(run.ran_at), "Y-m-d")
    return f"“{run}” of {day}"


def _no_set() -> str:
    return "Name the evaluation set step 6 judges on the Evaluations tab."


def evaluation_quality_met(project: Project, step_number: int) -> CheckResult:
    name = QUALITY_CHECK
    targets = approved_targets(project)
    if (
        targets is None
        or not targets.quality_score_name
        or targets.quality_score_target is None
    ):
        return CheckResult(
            name, False, "Approve requirements with a quality score and target first."
        )
    dataset = selectors.plan_of(project).dataset_name
    if not dataset:
        return CheckResult(name, False, _no_set())
    run = selectors.latest_run(project, dataset)
    if run is None:
        return CheckResult(name, False, f"No evaluation run on “{dataset}” yet.")
    metric, target = targets.quality_score_name, targets.quality_score_target
    value = selectors.scores_of(run).get(metric)
    if value is None:
        return CheckResult(
            name,
            False,
            f"The latest run on “{dataset}”, {_named(run)}, has no “{metric}” score.",
        )
    if value < target:
        return CheckResult(
            name,
            False,
            f"The latest run on “{dataset}”, {_named(run)}, scored {metric} "
            f"{score(value)}, below the target {score(target)}.",
        )
    return CheckResult(
        name,
        True,
        f"The latest run on “{dataset}”, {_named(run)}, scored {metric} "
        f"{score(value)} (target {score(target)}).",
    )


def no_regression(project: Project, step_number: int) -> CheckResult:
    name = REGRESSION_CHECK
    plan = selectors.plan_of(project)
    dataset = plan.dataset_name
    if not dataset:
        return CheckResult(name, False, _no_set())
    latest = selectors.latest_run(project, dataset)
    if latest is None:
        return CheckResult(name, False, f"No evaluation run on “{dataset}” yet.")
    baseline = selectors.baseline_run(project, dataset)
    if baseline is None:
        return CheckResult(
            name,
            False,
            f"No baseline is accepted for “{dataset}” yet: accept a run as the "
            "baseline on the Evaluations tab.",
        )
    if baseline.pk == latest.pk:
        return CheckResult(
            name, True, f"The latest run, {_named(latest)}, is the baseline."
        )
    fallen = regressions(
        latest=selectors.scores_of(latest),
        baseline=selectors.scores_of(baseline),
        tolerance=plan.tolerance,
    )
    tolerance = plain(plan.tolerance)
    if fallen:
        return CheckResult(
            name,
            False,
            f"The latest run, {_named(latest)}, fell by more than {tolerance} against "
            f"the baseline {_named(baseline)}: "
            + "; ".join(r.describe() for r in fallen)
            + ".",
        )
    return CheckResult(
        name,
        True,
        f"No metric of the latest run, {_named(latest)}, fell by more than "
        f"{tolerance} against the baseline {_named(baseline)}.",
    )


def load_test_met(project: Project, step_number: int) -> CheckResult:
    name = LOAD_TEST_CHECK
    targets = approved_targets(project)
    if targets is None or targets.peak_rps is None:
        return CheckResult(
            name,
            False,
            "Approve requirements with a peak volume (requests per second) first.",
        )
    if targets.p95_latency_ms is None or targets.error_rate_pct is None:
        return CheckResult(
            name,
            False,
            "Approve requirements with a p95 latency and an error-rate target first.",
        )
    peak = targets.peak_rps
    run = selectors.latest_load_test(project, at_least_rps=peak)
    if run is None:
        newest = selectors.latest_load_test(project)
        if newest is None:
            reached = ""
        elif newest.achieved_rps is None:
            reached = (
                f" The latest, {_named(newest)}, reported no achieved requests per "
                "second."
            )
        else:
            reached = (
                f" The latest, {_named(newest)}, reached "
                f"{newest.achieved_rps:.2f} requests per second."
            )
        return CheckResult(
            name,
            False,
            f"No load test reached the peak volume of {plain(peak)} requests "
            f"per second.{reached}",
        )
    missed = load_test_shortfalls(
        LoadTestFacts(run.achieved_rps, run.p95_latency_ms, run.error_rate_pct),
        p95_latency_ms=targets.p95_latency_ms,
        error_rate_pct=targets.error_rate_pct,
    )
    if missed:
        return CheckResult(
            name,
            False,
            f"The load test {_named(run)} at {run.achieved_rps:.2f} requests per "
            f"second missed its targets: {'; '.join(missed)}.",
        )
    return CheckResult(
        name,
        True,
        f"The load test {_named(run)} held {run.achieved_rps:.2f} requests per second "
        f"(peak {plain(peak)}) within the latency and error-rate targets.",
    )
