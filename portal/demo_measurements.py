"""The demo's measurements of a project, seeded through the real services: its demo
metrics source (90 days of generated data, within the approved targets but for the
over-budget, too-slow and shadow-model stories) and, at step 6, weeks of nightly
evaluation runs with baselines the lead accepted and two load tests (the regressed
story's last run falls past the tolerance). portal/demo.py calls these as it walks a
project through its steps."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from assessments import selectors as assessment_selectors
from core import fragments
from evaluations import services as evaluation_services
from evaluations.models import DEFAULT_TOLERANCE, BaselineAcceptance, EvaluationRun
from metrics import services as metric_services
from portal.demo_data import (
    EVALUATION_METRICS,
    EVALUATION_REGRESSED,
    EVALUATION_SETS,
    OVER_BUDGET,
    SHADOW_MODEL,
    TOO_SLOW,
    DemoProject,
)
from portal.models import User
from projects.audit import acting_as
from projects.models import Project


def metrics_seed(project: Project, *, lead: User) -> None:
    """A demo generator source with 90 days of made-up but plausible data, within the
    approved targets except for the two stories."""
    targets = assessment_selectors.approved_targets(project)
    config: dict[str, Any] = {
        "seed": project.slug,
        "requests_per_day": 2500,
        "quality_score_name": "helpfulness",
    }
    if targets is not None:
        config.update(
            requests_per_day=targets.requests_per_day or 2500,
            quality_score_name=targets.quality_score_name or "helpfulness",
        )
        # Demo projects keep within their targets, so that alerts and gates tell
        # the two stories below rather than random noise.
        config.update(
            quality_min=float(targets.quality_score_target or 0) + 0.01,
            p95_max_ms=float(targets.p95_latency_ms or 3000),
            error_max_pct=float(targets.error_rate_pct or 1),
            daily_cost_max=float(targets.monthly_budget_usd or 0) / 31,
        )
        if project.name == TOO_SLOW:
            # Every day well above the latency target.
            config.update(
                p95_max_ms=float(targets.p95_latency_ms or 3000) * 1.6,
                p95_min_share=0.7,
            )
        if project.name == OVER_BUDGET:
            config.update(daily_cost_min=float(targets.monthly_budget_usd or 0) / 24)
    if project.name == SHADOW_MODEL[0]:
        config["models"] = [
            ("gpt-4o-mini", 0.65, 0.0006),
            ("claude-sonnet-4", 0.25, 0.009),
            (SHADOW_MODEL[1], 0.10, 0.0004),
        ]
    with acting_as(lead):
        service = metric_services.service_create(
            project=project,
            kind="demo",
            name="Demo generator",
            created_by=lead,
            config=config,
            interval_minutes=1440,
        )
        metric_services.service_sync(service=service)


NIGHTLY_DAYS_AGO = (36, 29, 22, 15, 8, 1)  # weekly, the last one yesterday
BASELINES = {
    2: "First run on the full evaluation set.",
    5: "Prompt reviewed with the business: the new baseline.",
}  # run number -> the lead's comment
EVAL_ITEMS = 200
FOUR_PLACES = Decimal("0.0001")


def evaluations_seed(
    project: Project, demo: DemoProject, rng: random.Random, *, lead: User
) -> None:
    """Weeks of nightly evaluation runs on the project's evaluation set, scoring the
    approved quality score and two other metrics; two of them accepted by the lead
    as the baseline in turn; and two load tests, the later at peak volume within the
    latency and error-rate targets. Runs go through ``run_record`` (origin demo),
    so the regressed story's latest run opens a real evaluation alert."""
    targets = assessment_selectors.approved_targets(project)
    if (
        targets is None
        or not targets.quality_score_name
        or targets.quality_score_target is None
    ):
        return
    dataset = EVALUATION_SETS.get(demo.use_case, "golden")
    quality = targets.quality_score_name
    others = rng.sample([m for m in EVALUATION_METRICS if m != quality], 2)
    with acting_as(lead):
        evaluation_services.plan_save(
            project=project, dataset_name=dataset, tolerance=DEFAULT_TOLERANCE
        )
    now = timezone.now()
    levels = {quality: float(targets.quality_score_target) + 0.02}
    levels.update({m: rng.uniform(0.72, 0.86) for m in others})
    for n, days_ago in enumerate(NIGHTLY_DAYS_AGO, start=1):
        # The quality score only improves (finished projects must meet the target);
        # the others wobble, never past the tolerance from one run to the next.
        if demo.name == EVALUATION_REGRESSED and n == len(NIGHTLY_DAYS_AGO):
            # A prompt change that cost quality: both fall past the tolerance
            # against the run before, the baseline.
            scores = {**levels, quality: levels[quality] - 0.04}
            scores[others[0]] -= 0.05
        else:
            levels = {
                m: min(0.99, v + rng.uniform(0.0 if m == quality else -0.005, 0.015))
                for m, v in levels.items()
            }
            scores = dict(levels)
        passed = round(EVAL_ITEMS * scores[quality])
        run, _ = evaluation_services.run_record(
            project=project,
            summary=evaluation_services.RunSummary(
                kind=EvaluationRun.Kind.EVALUATION,
                external_id=f"{project.slug}-nightly-{n}",
                ran_at=now - timedelta(days=days_ago, hours=rng.randint(1, 6)),
                name=f"Nightly evaluation {n}",
                dataset_name=dataset,
                dataset_version="v3",
                item_count=EVAL_ITEMS,
                items_passed=passed,
                items_failed=EVAL_ITEMS - passed,
                model="gpt-4o-mini",
                app_version=f"prompt-v{10 + n}",
                commit=f"{rng.getrandbits(160):040x}",
                source_url=f"https://ci.example.com/{project.slug}/evaluations/{n}",
                scores={
                    m: Decimal(str(v)).quantize(FOUR_PLACES) for m, v in scores.items()
                },
            ),
            origin=EvaluationRun.Origin.DEMO,
        )
        if n in BASELINES:
            with acting_as(lead):
                acceptance = evaluation_services.baseline_accept(
                    project=project, run=run, actor=lead, comment=BASELINES[n]
                )
            # Accepted the day after the run, not while seeding.
            BaselineAcceptance.objects.filter(pk=acceptance.pk).update(
                accepted_at=run.ran_at + timedelta(days=1)
            )
            fragments.data_changed(BaselineAcceptance, project_id=project.pk)
    _load_tests(project, now, targets)


def _load_tests(
    project: Project, now: datetime, targets: assessment_selectors.Targets
) -> None:
    """A first load test that fell short of the peak, then one above it within the
    targets."""
    peak, p95, errors = targets.peak_rps, targets.p95_latency_ms, targets.error_rate_pct
    if peak is None or p95 is None or errors is None:
        return
    for n, (days_ago, share, latency, error_share) in enumerate(
        [(20, "0.6", "1.3", "1.5"), (12, "1.2", "0.75", "0.4")], start=1
    ):
        evaluation_services.run_record(
            project=project,
            summary=evaluation_services.RunSummary(
                kind=EvaluationRun.Kind.LOAD_TEST,
                external_id=f"{project.slug}-load-{n}",
                ran_at=now - timedelta(days=days_ago),
                name=f"Staging load test {n}",
                source_url=f"https://ci.example.com/{project.slug}/load/{n}",
                target_rps=peak,
                achieved_rps=(peak * Decimal(share)).quantize(Decimal("0.001")),
                duration_seconds=900,
                p95_latency_ms=(Decimal(p95) * Decimal(latency)).quantize(
                    Decimal("0.001")
                ),
                error_rate_pct=(errors * Decimal(error_share)).quantize(FOUR_PLACES),
            ),
            origin=EvaluationRun.Origin.DEMO,
        )
