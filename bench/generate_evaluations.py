"""Evaluation runs of the projects that reached step 6, written with COPY: what the
portfolio's "last evaluation" column, its CSV and the step 6 gate read.

Each such project gets an evaluation plan naming its tracked set, a run on that set
every few days with a score for each metric (its approved quality score among them),
a few runs on a smoke set the plan does not track, two load tests and, for most, an
accepted baseline. Scores drift around the quality target, so some last runs pass and
some fail. Runs after ``generate_portfolio``'s writers, drawing from the same
generator.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from bench.generate_portfolio import SCORES, Build, PlannedProject
from bench.generate_rows import copy_rows

FIRST_EVALUATED_STEP = 6
TRACKED_RUNS = 12  # runs on the tracked set, DAYS_APART days apart up to today
SMOKE_RUNS = 3
LOAD_TESTS = 2
DAYS_APART = 3
FOUR_PLACES = Decimal("0.0001")


def _score(value: float) -> Decimal:
    return Decimal(str(min(max(value, 0.0), 1.0))).quantize(FOUR_PLACES)


def write_evaluations(b: Build, planned: list[PlannedProject]) -> int:
    """Plans, runs, scores and baselines of the projects at step 6 or later; returns
    how many runs were written."""
    from evaluations.models import (
        BaselineAcceptance,
        EvaluationPlan,
        EvaluationRun,
        EvaluationScore,
    )

    cursor, rng, ids, now = b.cursor, b.rng, b.ids, b.now
    plans: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    baselines: list[dict[str, Any]] = []

    def run(
        p: PlannedProject, kind: str, name: str, days_ago: float, **measures: Any
    ) -> int:
        run_id = ids.take("evaluationrun")
        runs.append(
            {
                "id": run_id,
                "project_id": p.id,
                "kind": kind,
                "origin": "push",
                "external_id": f"ci-{run_id}",
                "name": f"{name} #{run_id}",
                "ran_at": now - timedelta(days=days_ago),
                "dataset_name": "" if kind == "load_test" else name,
                "model": p.model,
                **measures,
            }
        )
        return run_id

    for p in planned:
        if p.stage < FIRST_EVALUATED_STEP:
            continue
        tracked = f"{p.slug}-golden"
        plans.append(
            {
                "id": ids.take("evaluationplan"),
                "project_id": p.id,
                "dataset_name": tracked,
            }
        )
        metrics = [p.score_name, *(s for s in SCORES if s != p.score_name)]
        level = {m: float(p.quality_target) + rng.uniform(-0.08, 0.06) for m in metrics}
        tracked_ids = []
        for n in range(TRACKED_RUNS):
            days_ago = DAYS_APART * (TRACKED_RUNS - n) - 1
            run_id = run(p, "evaluation", tracked, days_ago, item_count=200)
            tracked_ids.append(run_id)
            for metric in metrics:
                level[metric] += rng.uniform(-0.03, 0.035)
                scores.append(
                    {
                        "id": ids.take("evaluationscore"),
                        "run_id": run_id,
                        "metric": metric,
                        "value": _score(level[metric]),
                    }
                )
        for n in range(SMOKE_RUNS):
            run(p, "evaluation", "smoke", DAYS_APART * n + 0.5, item_count=200)
        for n in range(LOAD_TESTS):
            run(
                p,
                "load_test",
                "load test",
                10 * n + 2,
                target_rps=Decimal(20),
                achieved_rps=Decimal(rng.randint(18, 24)),
                duration_seconds=600,
                p95_latency_ms=Decimal(rng.randint(800, 2600)),
                error_rate_pct=Decimal(rng.randint(0, 20)) / 10,
            )
        if rng.random() < 0.75:
            accepted = tracked_ids[rng.randint(2, TRACKED_RUNS // 2)]
            baselines.append(
                {
                    "id": ids.take("baselineacceptance"),
                    "project_id": p.id,
                    "run_id": accepted,
                    "accepted_by_id": p.lead_id,
                    "comment": "Generated baseline.",
                }
            )
    copy_rows(cursor, EvaluationPlan, plans)
    copy_rows(cursor, EvaluationRun, runs)
    copy_rows(cursor, EvaluationScore, scores)
    copy_rows(cursor, BaselineAcceptance, baselines)
    return len(runs)
