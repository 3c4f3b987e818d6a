"""Writes of evaluation runs, baselines and plans, and the regression alert they keep
current."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core import fragments
from evaluations import selectors
from evaluations.models import (
    BaselineAcceptance,
    EvaluationPlan,
    EvaluationRun,
    EvaluationScore,
)
from evaluations.verdicts import plain, regressions
from metrics.alerts import alert_keep
from metrics.models import Alert, ConnectedService
from projects.models import Project

if TYPE_CHECKING:
    from portal.models import User


@dataclass(frozen=True)
class RunSummary:
    """One run as its source sums it up (the push API's body, a Langfuse dataset run):
    everything ``run_record`` stores, already validated."""

    kind: str  # EvaluationRun.Kind
    external_id: str
    ran_at: datetime
    name: str = ""
    dataset_name: str = ""
    dataset_version: str = ""
    item_count: int | None = None
    items_passed: int | None = None
    items_failed: int | None = None
    model: str = ""
    app_version: str = ""
    commit: str = ""
    source_url: str = ""
    scores: Mapping[str, Decimal] = field(default_factory=dict)
    target_rps: Decimal | None = None
    achieved_rps: Decimal | None = None
    duration_seconds: int | None = None
    p95_latency_ms: Decimal | None = None
    error_rate_pct: Decimal | None = None


_RUN_FIELDS = (
    "kind",
    "external_id",
    "ran_at",
    "name",
    "dataset_name",
    "dataset_version",
    "item_count",
    "items_passed",
    "items_failed",
    "model",
    "app_version",
    "commit",
    "source_url",
    "target_rps",
    "achieved_rps",
    "duration_seconds",
    "p95_latency_ms",
    "error_rate_pct",
)


def run_record(
    *,
    project: Project,
    summary: RunSummary,
    origin: str,
    service: ConnectedService | None = None,
) -> tuple[EvaluationRun, bool]:
    """Store a run once: a run whose id was stored before for the project and origin
    is returned as it is, with ``False``. A new evaluation run is judged against the
    baseline at once (the regression alert). Set and metric names are kept without
    surrounding spaces, so " golden" is the set "golden"."""
    summary = replace(
        summary,
        dataset_name=summary.dataset_name.strip(),
        scores={metric.strip(): value for metric, value in summary.scores.items()},
    )
    existing = EvaluationRun.objects.filter(
        project=project, origin=origin, external_id=summary.external_id
    ).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            run = EvaluationRun.objects.create(
                project=project,
                origin=origin,
                service=service,
                **{name: getattr(summary, name) for name in _RUN_FIELDS},
            )
            EvaluationScore.objects.bulk_create(
                EvaluationScore(run=run, metric=metric, value=value)
                for metric, value in summary.scores.items()
            )
            # A bulk insert sends no signal: the fragments that show scores say so.
            fragments.data_changed(EvaluationScore, project_id=project.pk)
    except IntegrityError:
        # The same run sent twice at once: the other request stored it.
        return EvaluationRun.objects.get(
            project=project, origin=origin, external_id=summary.external_id
        ), False
    if run.kind == EvaluationRun.Kind.EVALUATION:
        regression_alert_sync(project)
    return run, True


@transaction.atomic
def baseline_accept(
    *, project: Project, run: EvaluationRun, actor: User, comment: str
) -> BaselineAcceptance:
    """Make ``run`` the baseline of its evaluation set: the lead's or owner's decision,
    with their reason (the view checks who may)."""
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": "Say why this run is the new baseline."})
    if run.project_id != project.pk or run.kind != EvaluationRun.Kind.EVALUATION:
        raise ValidationError(
            "Only an evaluation run of this project can be a baseline."
        )
    acceptance = BaselineAcceptance.objects.create(
        project=project, run=run, accepted_by=actor, comment=comment
    )
    regression_alert_sync(project)
    return acceptance


@transaction.atomic
def plan_save(
    *, project: Project, dataset_name: str, tolerance: Decimal
) -> EvaluationPlan:
    # The first two saves at once take turns, so the second updates the first's plan.
    Project.objects.select_for_update().filter(pk=project.pk).exists()
    plan = selectors.plan_of(project)
    plan.dataset_name = dataset_name.strip()
    plan.tolerance = tolerance
    plan.full_clean()
    plan.save()
    regression_alert_sync(project)
    return plan


def regression_message(project: Project) -> str | None:
    """Why the latest run on the tracked set regressed against its baseline, or None
    when it did not (or there is nothing to compare)."""
    plan = selectors.plan_of(project)
    dataset = selectors.tracked_set(project, plan)
    latest = selectors.latest_run(project, dataset)
    baseline = selectors.baseline_run(project, dataset)
    if latest is None or baseline is None or latest.pk == baseline.pk:
        return None
    fallen = regressions(
        latest=selectors.scores_of(latest),
        baseline=selectors.scores_of(baseline),
        tolerance=plan.tolerance,
    )
    if not fallen:
        return None
    return (
        f"The run “{latest}” on “{dataset}” fell against the baseline “{baseline}”: "
        + "; ".join(r.describe() for r in fallen)
        + f" (tolerance {plain(plan.tolerance)})."
    )


@transaction.atomic
def regression_alert_sync(project: Project) -> Alert | None:
    """Open, reword or resolve the project's evaluation alert from its latest run on
    the tracked set and that set's baseline; returns the alert when it opened."""
    # Two runs arriving at once take turns, so they never open two alerts.
    Project.objects.select_for_update().filter(pk=project.pk).exists()
    return alert_keep(
        project=project,
        kind=Alert.Kind.EVALUATION,
        message=regression_message(project),
    )
