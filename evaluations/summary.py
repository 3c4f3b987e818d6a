"""Each project's last evaluation, as the portfolio table, its CSV and the read API
show it: when the latest run on the project's tracked set ran, on which set, and
whether it passed. Read for a page of projects at once, in two queries whatever the
number of projects or of their runs.

A run **passes** when it meets the approved quality target and no metric its set's
baseline scored fell by more than the project's tolerance or went unscored
(``passes``). That is
what step 6 asks of the run itself; the step's load test and a baseline being accepted
at all are the gate's business (``evaluations.gates``), not the run's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery

from evaluations.models import (
    DEFAULT_TOLERANCE,
    BaselineAcceptance,
    EvaluationRun,
    EvaluationScore,
)
from evaluations.selectors import scores_of
from evaluations.verdicts import regressions
from projects.models import Project

APPROVED = "project__requirements__approved_version__"


@dataclass(frozen=True)
class LastEvaluation:
    run_id: int
    ran_at: datetime
    dataset: str
    passed: bool


def passes(
    *,
    scores: Mapping[str, Decimal],
    baseline: Mapping[str, Decimal] | None,
    quality_name: str,
    quality_target: Decimal | None,
    tolerance: Decimal,
) -> bool:
    """Whether a run with ``scores`` passed: it scored the approved quality score at
    or above its target, and nothing fell past ``tolerance`` against the
    ``baseline``'s scores (None: no baseline accepted, so nothing to fall from).
    Without an approved quality target no run can show it met it."""
    if not quality_name or quality_target is None:
        return False
    value = scores.get(quality_name)
    if value is None or value < quality_target:
        return False
    if baseline is None:
        return True
    return not regressions(latest=scores, baseline=baseline, tolerance=tolerance)


def _on_tracked_set(project: Any) -> QuerySet[EvaluationRun]:
    """The evaluation runs of the project ``project`` refers to (an ``OuterRef``) on
    its tracked set, newest first: the set its plan names, else any set (then the
    newest run's set is the tracked one, as ``selectors.tracked_set`` says). The plan
    is joined, not asked again for each run."""
    named = "project__evaluation_plan__dataset_name"
    return (
        EvaluationRun.objects.filter(
            project=project, kind=EvaluationRun.Kind.EVALUATION
        )
        .filter(
            Q(**{f"{named}__isnull": True})
            | Q(**{named: ""})
            | Q(dataset_name=F(named))
        )
        .order_by("-ran_at", "-pk")
    )


def _latest_ids(project_ids: list[int]) -> QuerySet[Any]:
    return (
        Project.objects.filter(pk__any_of=project_ids)
        .annotate(run=Subquery(_on_tracked_set(OuterRef("pk")).values("pk")[:1]))
        .order_by()
        .values("run")
    )


def _baseline_ids(project_ids: list[int]) -> QuerySet[Any]:
    """The baseline of each project's latest run's set: the newest acceptance of a
    run on that set."""
    newest_acceptance = (
        BaselineAcceptance.objects.filter(
            project=OuterRef("pk"),
            run__dataset_name=Subquery(
                _on_tracked_set(OuterRef("project")).values("dataset_name")[:1]
            ),
        )
        .order_by("-accepted_at", "-pk")
        .values("run_id")[:1]
    )
    return (
        Project.objects.filter(pk__any_of=project_ids)
        .annotate(run=Subquery(newest_acceptance))
        .order_by()
        .values("run")
    )


def last_evaluations(project_ids: Iterable[int]) -> dict[int, LastEvaluation]:
    """The last evaluation of each project in ``project_ids`` that has one, by
    project id. Two queries: the latest runs and their baselines (with what judges
    them: the plan's tolerance, the approved quality score and target), then their
    scores."""
    ids = list(project_ids)
    if not ids:
        return {}
    # The page's latest runs and baselines as one list of ids (a union: an OR of the
    # two would scan every run), then those runs only.
    runs = (
        EvaluationRun.objects.filter(
            pk__in=_latest_ids(ids).union(_baseline_ids(ids), all=True)
        )
        .annotate(
            plan_tolerance=F("project__evaluation_plan__tolerance"),
            quality_name=F(f"{APPROVED}quality_score_name"),
            quality_target=F(f"{APPROVED}quality_score_target"),
        )
        .only("pk", "project_id", "ran_at", "dataset_name")
        .order_by()
        .prefetch_related(
            Prefetch(
                "scores",
                queryset=EvaluationScore.objects.only("run", "metric", "value"),
            )
        )
    )
    # A project's baseline is a run on the set of its latest run, so the newer of
    # its (at most) two runs is the latest, in the order ``_on_tracked_set`` keeps.
    latest: dict[int, Any] = {}
    baselines: dict[int, Any] = {}
    for run in sorted(runs, key=lambda r: (r.ran_at, r.pk)):
        if run.project_id in latest:
            baselines[run.project_id] = latest[run.project_id]
        latest[run.project_id] = run
    summaries = {}
    for project_id, run in latest.items():
        baseline = baselines.get(project_id)
        summaries[project_id] = LastEvaluation(
            run_id=run.pk,
            ran_at=run.ran_at,
            dataset=run.dataset_name,
            passed=passes(
                scores=scores_of(run),
                baseline=scores_of(baseline) if baseline is not None else None,
                quality_name=run.quality_name or "",
                quality_target=run.quality_target,
                tolerance=(
                    DEFAULT_TOLERANCE
                    if run.plan_tolerance is None
                    else run.plan_tolerance
                ),
            ),
        )
    return summaries


def last_evaluation(project: Project) -> LastEvaluation | None:
    """One project's last evaluation (two queries)."""
    return last_evaluations([project.pk]).get(project.pk)
