"""Reads of a project's evaluation runs, baseline and plan."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet

from assessments.selectors import Targets, approved_targets
from evaluations.models import (
    BaselineAcceptance,
    DatasetSync,
    EvaluationPlan,
    EvaluationRun,
    EvaluationScore,
)
from evaluations.verdicts import plain
from metrics.models import Alert, ConnectedService
from projects.activity import ActivityEntry, history_pairs, newest, person
from projects.models import Project


def plan_of(project: Project) -> EvaluationPlan:
    """The project's plan, or an unsaved one with the defaults before anyone set it."""
    plan = EvaluationPlan.objects.filter(project=project).first()
    return plan or EvaluationPlan(project=project)


def with_scores(runs: QuerySet[EvaluationRun]) -> QuerySet[EvaluationRun]:
    return runs.prefetch_related(
        Prefetch("scores", queryset=EvaluationScore.objects.order_by("metric"))
    )


def scores_of(run: EvaluationRun) -> dict[str, Decimal]:
    """The run's score per metric (from the prefetch when there is one)."""
    return {s.metric: s.value for s in run.scores.all()}


def evaluations_of(project: Project) -> QuerySet[EvaluationRun]:
    return EvaluationRun.objects.filter(
        project=project, kind=EvaluationRun.Kind.EVALUATION
    )


def load_tests_of(project: Project) -> QuerySet[EvaluationRun]:
    return EvaluationRun.objects.filter(
        project=project, kind=EvaluationRun.Kind.LOAD_TEST
    )


def tracked_set(project: Project, plan: EvaluationPlan | None = None) -> str:
    """The evaluation set step 6 and the regression alert judge: the one the plan
    names, else the set of the newest evaluation run ("" without any)."""
    plan = plan or plan_of(project)
    if plan.dataset_name:
        return plan.dataset_name
    return (
        evaluations_of(project)
        .order_by("-ran_at", "-pk")
        .values_list("dataset_name", flat=True)
        .first()
        or ""
    )


def latest_run(project: Project, dataset_name: str) -> EvaluationRun | None:
    """The newest evaluation run on the set, with its scores."""
    return (
        with_scores(evaluations_of(project).filter(dataset_name=dataset_name))
        .order_by("-ran_at", "-pk")
        .first()
    )


def baseline_acceptance(
    project: Project, dataset_name: str
) -> BaselineAcceptance | None:
    """The newest acceptance of a run on the set: its run is the set's baseline."""
    return (
        BaselineAcceptance.objects.filter(
            project=project, run__dataset_name=dataset_name
        )
        .select_related("run", "accepted_by")
        .order_by("-accepted_at", "-pk")
        .first()
    )


def baseline_run(project: Project, dataset_name: str) -> EvaluationRun | None:
    acceptance = baseline_acceptance(project, dataset_name)
    if acceptance is None:
        return None
    return with_scores(EvaluationRun.objects.filter(pk=acceptance.run_id)).first()


def latest_load_test(
    project: Project, *, at_least_rps: Decimal | None = None
) -> EvaluationRun | None:
    """The newest load test, or the newest that reached ``at_least_rps``."""
    tests = load_tests_of(project)
    if at_least_rps is not None:
        tests = tests.filter(achieved_rps__gte=at_least_rps)
    return tests.order_by("-ran_at", "-pk").first()


# --- The Evaluations tab ----------------------------------------------------------------

# How many runs of the tracked set the chart draws, newest first: enough for months
# of nightly runs, few enough for a readable table beside it.
CHART_RUNS = 100


def open_alert(project: Project) -> Alert | None:
    """The project's open evaluation alert (a regression against the baseline)."""
    return Alert.objects.filter(
        project=project, kind=Alert.Kind.EVALUATION, status=Alert.Status.OPEN
    ).first()


@dataclass(frozen=True)
class LangfuseRead:
    """A Langfuse service of the project and how its last dataset-run read went
    (None before the first)."""

    service: ConnectedService
    sync: DatasetSync | None


def langfuse_reads(project: Project) -> list[LangfuseRead]:
    services = list(
        ConnectedService.objects.filter(
            project=project,
            kind=ConnectedService.Kind.LANGFUSE,
            deleted_at__isnull=True,
        )
        .only("pk", "name", "enabled")
        .order_by("name", "pk")
    )
    syncs = {
        s.service_id: s
        for s in DatasetSync.objects.filter(service__in=[s.pk for s in services])
    }
    return [LangfuseRead(s, syncs.get(s.pk)) for s in services]


def runs_of(project: Project) -> QuerySet[EvaluationRun]:
    """Every run of the project, evaluations and load tests, newest first."""
    return EvaluationRun.objects.filter(project=project).order_by("-ran_at", "-pk")


def run_detail(project: Project, pk: int) -> EvaluationRun | None:
    """One run of the project with its scores and who accepted it when (None for
    a run of another project)."""
    return (
        with_scores(runs_of(project))
        .select_related("service")
        .prefetch_related(
            Prefetch(
                "acceptances",
                queryset=BaselineAcceptance.objects.select_related(
                    "accepted_by"
                ).order_by("-accepted_at", "-pk"),
            )
        )
        .filter(pk=pk)
        .first()
    )


def evaluation_table(project: Project) -> QuerySet[EvaluationRun]:
    """The evaluation runs for the tab's table, newest first, scores prefetched."""
    return with_scores(evaluations_of(project)).order_by("-ran_at", "-pk")


def load_test_table(project: Project) -> QuerySet[EvaluationRun]:
    return load_tests_of(project).order_by("-ran_at", "-pk")


def chart_runs(project: Project, dataset_name: str) -> list[EvaluationRun]:
    """The newest ``CHART_RUNS`` evaluation runs on the set with their scores,
    oldest first (the order a chart reads)."""
    runs = list(
        with_scores(evaluations_of(project).filter(dataset_name=dataset_name)).order_by(
            "-ran_at", "-pk"
        )[:CHART_RUNS]
    )
    runs.reverse()
    return runs


def baseline_ids(project: Project) -> set[int]:
    """The runs that are their set's baseline now (the newest acceptance per set)."""
    seen: dict[str, int] = {}
    for dataset, run_id in (
        BaselineAcceptance.objects.filter(project=project)
        .order_by("-accepted_at", "-pk")
        .values_list("run__dataset_name", "run_id")
    ):
        seen.setdefault(dataset, run_id)
    return set(seen.values())


def dataset_names(project: Project) -> list[str]:
    """The evaluation sets the project's runs were made on, by name."""
    return list(
        evaluations_of(project)
        .exclude(dataset_name="")
        .order_by("dataset_name")
        .values_list("dataset_name", flat=True)
        .distinct()
    )


def compare_choices(project: Project) -> QuerySet[EvaluationRun]:
    """The runs one may compare: the project's evaluation runs, newest first."""
    return evaluations_of(project).order_by("-ran_at", "-pk")


def compare_defaults(project: Project, dataset_name: str) -> dict[str, int] | None:
    """The comparison shown before anyone picks: the set's baseline against its
    latest run, when both exist and differ."""
    baseline = baseline_acceptance(project, dataset_name)
    latest = (
        evaluations_of(project)
        .filter(dataset_name=dataset_name)
        .order_by("-ran_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if baseline is None or latest is None or latest == baseline.run_id:
        return None
    return {"a": baseline.run_id, "b": latest}


@dataclass(frozen=True)
class Tracking:
    """What the tab judges by: the plan, the set it tracks, the approved targets and
    that set's baseline (acceptance and run)."""

    plan: EvaluationPlan
    dataset: str
    targets: Targets | None
    acceptance: BaselineAcceptance | None
    baseline: EvaluationRun | None

    @property
    def quality_metric(self) -> str:
        return self.targets.quality_score_name if self.targets else ""

    @property
    def quality_target(self) -> Decimal | None:
        return self.targets.quality_score_target if self.targets else None

    @property
    def figures(self) -> dict[str, str]:
        """The plan's and the targets' figures as written (no trailing zeros)."""
        t = self.targets
        values = {
            "tolerance": self.plan.tolerance,
            "quality_target": self.quality_target,
            "peak_rps": t.peak_rps if t else None,
            "error_rate_pct": t.error_rate_pct if t else None,
        }
        return {k: plain(v) for k, v in values.items() if v is not None}


def tracking(project: Project) -> Tracking:
    plan = plan_of(project)
    dataset = tracked_set(project, plan)
    acceptance = baseline_acceptance(project, dataset) if dataset else None
    baseline = (
        with_scores(EvaluationRun.objects.filter(pk=acceptance.run_id)).first()
        if acceptance is not None
        else None
    )
    return Tracking(plan, dataset, approved_targets(project), acceptance, baseline)


# --- The Activity tab -------------------------------------------------------------------


def _plan_texts(row: Any, prev: Any | None) -> list[str]:
    tolerance = plain(row.tolerance)
    if row.history_type == "+":
        named = f"“{row.dataset_name}”" if row.dataset_name else "no evaluation set"
        return [f"set the evaluation plan: {named}, tolerance {tolerance}"]
    if row.history_type != "~" or prev is None:
        return []
    texts = []
    if row.dataset_name != prev.dataset_name:
        texts.append(
            f"changed the evaluation set step 6 judges to “{row.dataset_name}”"
            if row.dataset_name
            else "cleared the evaluation set step 6 judges"
        )
    if row.tolerance != prev.tolerance:
        texts.append(
            f"changed the regression tolerance from {plain(prev.tolerance)} "
            f"to {tolerance}"
        )
    return texts


def evaluations_activity(project: Project) -> list[ActivityEntry]:
    """Baseline acceptances and plan changes, told as sentences on the Activity tab
    (in step 6, the step they gate). Three queries whatever the number of rows."""
    entries = []
    for row, prev in history_pairs(
        newest(
            EvaluationPlan.history.filter(project_id=project.pk).select_related(
                "history_user"
            )
        )
    ):
        for text in _plan_texts(row, prev):
            entries.append(
                ActivityEntry(row.history_date, person(row.history_user), text, 6)
            )
    rows = [
        row
        for row in newest(
            BaselineAcceptance.history.filter(project_id=project.pk).select_related(
                "history_user", "accepted_by"
            )
        )
        if row.history_type == "+"
    ]
    runs = {
        run.pk: run
        for run in EvaluationRun.objects.filter(pk__in={row.run_id for row in rows})
    }
    for row in rows:
        run = runs.get(row.run_id)
        named = (
            f"the run “{run}” on “{run.dataset_name}”" if run is not None else "a run"
        )
        entries.append(
            ActivityEntry(
                row.history_date,
                # The person the acceptance names, whoever wrote it down.
                person(row.accepted_by or row.history_user),
                f"accepted {named} as the baseline: “{row.comment}”",
                6,
            )
        )
    return entries
