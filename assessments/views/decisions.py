"""The PM's decisions: build vs partner, and model cost scenarios (live previews with htmx)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from assessments import charts, costs, scoring, selectors, services
from assessments.forms import PartnerScoringForm, ScenarioForm
from assessments.models import CostScenario, ModelPrice, PartnerScoring
from projects.access import Action, can, get_project_for_user
from projects.models import Project
from projects.selectors import with_members

if TYPE_CHECKING:
    from core.http import AuthedRequest


def _partner_initial(latest: PartnerScoring | None) -> dict[str, Any]:
    if latest is None:
        return {}
    initial: dict[str, Any] = dict(latest.scores)
    initial.update({f"{k}_weight": v for k, v in latest.weights.items()})
    return initial


@require_http_methods(["GET", "POST"])
def partner(request: AuthedRequest, slug: str) -> HttpResponse:
    project = with_members(get_project_for_user(request.user, slug))
    history = list(
        PartnerScoring.objects.filter(project=project).select_related("author")
    )
    if request.method == "POST":
        project = with_members(get_project_for_user(request.user, slug, Action.EDIT))
    form = PartnerScoringForm(
        request.POST or None, initial=_partner_initial(history[0] if history else None)
    )
    if request.method == "POST" and form.is_valid():
        saved = services.partner_scoring_save(
            project=project,
            author=request.user,
            scores=form.scores(),
            weights=form.weights(),
            note=form.cleaned_data["note"],
        )
        messages.success(request, f"Scoring saved: {saved.outcome.capitalize()}.")
        return redirect("assessments:partner", slug=project.slug)
    result = _recommend(form)
    return render(
        request,
        "assessments/partner.html",
        {
            "project": project,
            "tab": "assessments",
            "section": "partner",
            "form": form,
            "result": result,
            "history": history,
            "may_edit": can(request.user, project, Action.EDIT),
            "thresholds": (scoring.BUILD_AT, scoring.PARTNER_AT),
        },
    )


def _recommend(form: PartnerScoringForm) -> scoring.Recommendation | None:
    """The recommendation for the form's current values (bound or initial)."""
    if form.is_bound:
        return (
            scoring.score_build_vs_partner(form.scores(), form.weights())
            if form.is_valid()
            else None
        )
    values = {c.key: int(form[c.key].value() or 3) for c in scoring.CRITERIA}
    weights = {
        c.key: int(form[f"{c.key}_weight"].value() or 0) for c in scoring.CRITERIA
    }
    try:
        return scoring.score_build_vs_partner(values, weights)
    except ValueError:
        return None


@require_POST
def partner_preview(request: AuthedRequest, slug: str) -> HttpResponse:
    """The recommendation for unsaved scores, recomputed as the PM types."""
    project = get_project_for_user(request.user, slug)
    form = PartnerScoringForm(request.POST)
    return render(
        request,
        "assessments/partner.html#partner-result",
        {
            "project": project,
            "form": form,
            "result": _recommend(form),
            "thresholds": (scoring.BUILD_AT, scoring.PARTNER_AT),
        },
    )


def _budget(project: Project) -> Decimal | None:
    targets = selectors.approved_targets(project)
    return targets.monthly_budget_usd if targets else None


def _scenario_initial(
    project: Project, scenario: CostScenario | None
) -> dict[str, Any]:
    if scenario is None:
        # A typical routed setup to start from: most traffic on the cheapest small
        # model, the rest on the dearest large one.
        targets = selectors.approved_targets(project)
        active = ModelPrice.objects.filter(active=True)
        small = active.filter(tier="small").order_by("input_per_mtok").first()
        large = active.filter(tier="large").order_by("-input_per_mtok").first()
        return {
            "name": "Routed setup",
            "requests_per_day": targets.requests_per_day if targets else None,
            "input_tokens": 1000,
            "output_tokens": 300,
            "retrieval_tokens": 0,
            "monthly_growth_pct": 0,
            "tier0_model": small.pk if small else None,
            "tier0_share": 75 if small and large else 100,
            "tier1_model": large.pk if large else None,
            "tier1_share": 25 if small and large else None,
        }
    initial: dict[str, Any] = {
        "name": scenario.name,
        "requests_per_day": scenario.requests_per_day,
        "input_tokens": scenario.input_tokens,
        "output_tokens": scenario.output_tokens,
        "retrieval_tokens": scenario.retrieval_tokens,
        "monthly_growth_pct": scenario.monthly_growth_pct,
    }
    for n, tier in enumerate(scenario.tiers.all()):
        initial[f"tier{n}_model"] = tier.model_id
        initial[f"tier{n}_share"] = tier.share_pct
    return initial


def _projection(
    form: ScenarioForm, budget: Decimal | None
) -> tuple[costs.Projection | None, dict[str, Any] | None]:
    if not form.is_valid():
        return None, None
    data = form.cleaned_data
    try:
        projection = costs.project_costs(
            costs.Scenario(
                requests_per_day=data["requests_per_day"],
                input_tokens=data["input_tokens"],
                output_tokens=data["output_tokens"],
                retrieval_tokens=data["retrieval_tokens"],
                tiers=[
                    costs.Tier(m.name, m.input_per_mtok, m.output_per_mtok, share / 100)
                    for m, share in data["tiers"]
                ],
                monthly_growth=data["monthly_growth_pct"] / 100,
                budget=budget,
            )
        )
    except ValueError as exc:
        form.add_error(None, str(exc))
        return None, None
    return projection, _figure(projection, data["monthly_growth_pct"], budget)


def _figure(
    projection: costs.Projection, growth_pct: Decimal, budget: Decimal | None
) -> dict[str, Any]:
    single = [
        projection.single_model_monthly * (1 + growth_pct / 100) ** m for m in range(12)
    ]
    return charts.cost_figure(
        [f"Month {m}" for m in range(1, 13)], projection.months, single, budget
    )


@require_http_methods(["GET", "POST"])
def cost_scenarios(
    request: AuthedRequest, slug: str, pk: int | None = None
) -> HttpResponse:
    project = with_members(get_project_for_user(request.user, slug))
    scenarios = selectors.scenarios_of(project)
    scenario = next((s for s in scenarios if s.pk == pk), None) if pk else None
    if pk and scenario is None:
        get_object_or_404(CostScenario, project=project, pk=pk)
    if request.method == "POST":
        project = with_members(get_project_for_user(request.user, slug, Action.EDIT))
    initial = _scenario_initial(project, scenario)
    form = ScenarioForm(request.POST or None, initial=initial)
    budget = _budget(project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.scenario_save(
                project=project,
                author=request.user,
                scenario=scenario,
                name=data["name"],
                requests_per_day=data["requests_per_day"],
                input_tokens=data["input_tokens"],
                output_tokens=data["output_tokens"],
                retrieval_tokens=data["retrieval_tokens"],
                monthly_growth_pct=data["monthly_growth_pct"],
                tiers=data["tiers"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Scenario “{saved.name}” saved.")
            return redirect("assessments:cost_scenario", slug=project.slug, pk=saved.pk)
    if form.is_bound:
        projection, figure = _projection(form, budget)
    elif scenario is not None:
        projection = selectors.projection_of(scenario, budget)
        figure = _figure(projection, scenario.monthly_growth_pct, budget)
    else:
        # Show what the suggested starting point costs, without showing form errors.
        preview = ScenarioForm({k: v for k, v in initial.items() if v is not None})
        projection, figure = _projection(preview, budget)
    return render(
        request,
        "assessments/costs.html",
        {
            "project": project,
            "tab": "assessments",
            "section": "costs",
            "form": form,
            "scenario": scenario,
            "scenarios": [(s, selectors.projection_of(s, budget)) for s in scenarios],
            "projection": projection,
            "figure": figure,
            "budget": budget,
            "may_edit": can(request.user, project, Action.EDIT),
        },
    )


@require_POST
def cost_preview(request: AuthedRequest, slug: str) -> HttpResponse:
    project = get_project_for_user(request.user, slug)
    form = ScenarioForm(request.POST)
    budget = _budget(project)
    projection, figure = _projection(form, budget)
    return render(
        request,
        "assessments/costs.html#cost-result",
        {
            "project": project,
            "form": form,
            "projection": projection,
            "figure": figure,
            "budget": budget,
        },
    )


@require_POST
def cost_scenario_delete(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.EDIT)
    scenario = get_object_or_404(CostScenario, project=project, pk=pk)
    services.scenario_delete(scenario=scenario)
    messages.success(request, f"Scenario “{scenario.name}” deleted.")
    return redirect("assessments:costs", slug=project.slug)
