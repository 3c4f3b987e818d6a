"""A project's Evaluations tab: the plan step 6 judges by, the baseline, the step 6
checks, the tracked set's runs over time, the runs and load tests; each run's page
(where the lead or owner accepts it as the baseline), and two runs compared."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from assessments.selectors import approved_targets
from evaluations import charts, gates, selectors, services
from evaluations.forms import SETS_LIST, AcceptForm, CompareForm, PlanForm
from evaluations.models import EvaluationRun
from evaluations.selectors import Tracking
from evaluations.verdicts import plain
from projects.access import Action, can, get_project_for_user
from projects.models import Project
from projects.selectors import with_members

if TYPE_CHECKING:
    from core.http import AuthedRequest

PAGE_SIZE = 50
TAB = "evaluations/project.html"
RUN = "evaluations/run.html"


def _project(
    request: AuthedRequest, slug: str, action: Action = Action.VIEW
) -> Project:
    return with_members(get_project_for_user(request.user, slug, action))


def _shared(request: AuthedRequest, project: Project) -> dict[str, Any]:
    """What every page of the tab needs: the header's and who may change things."""
    return {
        "project": project,
        "tab": "evaluations",
        "may_edit": can(request.user, project, Action.EDIT),
        "may_run": can(request.user, project, Action.RUN_ASSESSMENT),
        "may_accept": can(request.user, project, Action.ACCEPT_BASELINE),
    }


# Step 6's checks on evaluation runs, as the step page shows them.
STEP_SIX_CHECKS = (
    gates.evaluation_quality_met,
    gates.no_regression,
    gates.load_test_met,
)


def _tables(request: AuthedRequest, project: Project, t: Tracking) -> dict[str, Any]:
    """The runs and the load tests, each paginated on its own."""
    runs = Paginator(selectors.evaluation_table(project), PAGE_SIZE).get_page(
        request.GET.get("runs_page")
    )
    tests = Paginator(selectors.load_test_table(project), PAGE_SIZE).get_page(
        request.GET.get("tests_page")
    )
    return {
        "runs": runs,
        "run_rows": charts.run_rows(
            runs,
            baselines=selectors.baseline_ids(project),
            quality_metric=t.quality_metric,
        ),
        "tests": tests,
        "test_rows": charts.load_test_rows(tests, t.targets),
    }


def _tab_context(
    request: AuthedRequest, project: Project, form: PlanForm | None = None
) -> dict[str, Any]:
    t = selectors.tracking(project)
    initial = {"dataset_name": t.plan.dataset_name, "tolerance": t.figures["tolerance"]}
    return {
        **_shared(request, project),
        **_tables(request, project, t),
        "t": t,
        "alert": selectors.open_alert(project),
        "langfuse_reads": selectors.langfuse_reads(project),
        "checks": [check(project, 6) for check in STEP_SIX_CHECKS],
        "charts": charts.score_charts(
            selectors.chart_runs(project, t.dataset) if t.dataset else [],
            dataset=t.dataset,
            quality_metric=t.quality_metric,
            target=t.quality_target,
            baseline=t.baseline,
        ),
        "chart_limit": selectors.CHART_RUNS,
        "form": form or PlanForm(initial=initial),
        "sets": selectors.dataset_names(project),
        "sets_list": SETS_LIST,
    }


@require_GET
def evaluations(request: AuthedRequest, slug: str) -> HttpResponse:
    project = _project(request, slug)
    return render(request, TAB, _tab_context(request, project))


@require_POST
def plan(request: AuthedRequest, slug: str) -> HttpResponse:
    """Save the evaluation set step 6 judges and the tolerance (lead, owner, admin)."""
    project = _project(request, slug, Action.RUN_ASSESSMENT)
    form = PlanForm(request.POST)
    if form.is_valid():
        try:
            services.plan_save(project=project, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, "Evaluation plan saved.")
            return redirect("evaluations:project", slug=project.slug)
    return render(request, TAB, _tab_context(request, project, form))


def _run_or_404(project: Project, pk: int) -> EvaluationRun:
    run = selectors.run_detail(project, pk)
    if run is None:
        raise Http404("No such run in this project.")
    return run


def _run_context(
    request: AuthedRequest, project: Project, run: EvaluationRun, form: AcceptForm
) -> dict[str, Any]:
    plan = selectors.plan_of(project)
    targets = approved_targets(project)
    is_evaluation = run.kind == EvaluationRun.Kind.EVALUATION
    baseline = (
        selectors.baseline_run(project, run.dataset_name) if is_evaluation else None
    )
    compared = baseline is not None and baseline.pk != run.pk
    return {
        **_shared(request, project),
        "run": run,
        "tolerance": plain(plan.tolerance),
        "is_evaluation": is_evaluation,
        "baseline": baseline,
        "is_baseline": baseline is not None and baseline.pk == run.pk,
        "changes": charts.score_changes(
            selectors.scores_of(baseline) if compared and baseline else {},
            selectors.scores_of(run),
            tolerance=plan.tolerance,
            quality_metric=targets.quality_score_name if targets else "",
        ),
        "compared": compared,
        "verdict": None if is_evaluation else charts.load_test_verdict(run, targets),
        "figures": charts.load_test_figures(run),
        "form": form,
    }


@require_GET
def run_detail(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    project = _project(request, slug)
    run = _run_or_404(project, pk)
    return render(request, RUN, _run_context(request, project, run, AcceptForm()))


@require_POST
def accept(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """Accept the run as its set's baseline, with a comment: the lead or owner only."""
    project = _project(request, slug, Action.ACCEPT_BASELINE)
    run = _run_or_404(project, pk)
    form = AcceptForm(request.POST)
    if form.is_valid():
        try:
            services.baseline_accept(
                project=project,
                run=run,
                actor=request.user,
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            # The comment was checked above: what is left is about the run itself.
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"“{run}” is now the baseline of “{run.dataset_name}”."
            )
        return redirect("evaluations:run", slug=project.slug, pk=run.pk)
    return render(request, RUN, _run_context(request, project, run, form))


@require_GET
def compare(request: AuthedRequest, slug: str) -> HttpResponse:
    """Two runs side by side per metric; without a choice, the tracked set's
    baseline against its latest run."""
    project = _project(request, slug)
    plan = selectors.plan_of(project)
    targets = approved_targets(project)
    dataset = selectors.tracked_set(project, plan)
    data = request.GET or selectors.compare_defaults(project, dataset)
    form = CompareForm(data, project=project)
    changes = None
    if form.is_bound and form.is_valid():
        changes = charts.score_changes(
            selectors.scores_of(form.cleaned_data["a"]),
            selectors.scores_of(form.cleaned_data["b"]),
            tolerance=plan.tolerance,
            quality_metric=targets.quality_score_name if targets else "",
        )
    return render(
        request,
        "evaluations/compare.html",
        {
            **_shared(request, project),
            "form": form,
            "tolerance": plain(plan.tolerance),
            "changes": changes,
            "compare_url": reverse("evaluations:compare", kwargs={"slug": slug}),
        },
    )
