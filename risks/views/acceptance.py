"""Accepting a high residual risk: the owner or lead asks with a reason and an expiry,
an executive accepts it until then or rejects it with a comment."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from projects.access import Action, can, get_project_for_user
from projects.roles import GlobalRole, has_role
from projects.selectors import with_members
from risks import services
from risks.forms import SUGGESTED_DAYS, AcceptanceDecisionForm, AcceptanceRequestForm
from risks.models import AcceptanceStatus, Risk, RiskAcceptance, RiskStatus
from risks.scoring import IMPACT, LIKELIHOOD, band, needs_executive

if TYPE_CHECKING:
    from core.http import AuthedRequest
    from projects.models import Project


def _risk_of(project: Project, pk: int) -> Risk:
    return get_object_or_404(
        Risk.objects.select_related("owner").prefetch_related("mitigations__step"),
        project=project,
        pk=pk,
    )


def _page(
    request: AuthedRequest,
    project: Project,
    risk: Risk,
    *,
    form: AcceptanceRequestForm | None = None,
    decision_error: tuple[int, str, str] | None = None,
) -> HttpResponse:
    threshold = services.acceptance_threshold()
    may_request = can(request.user, project, Action.MANAGE_RISKS)
    acceptances = list(
        risk.acceptances.select_related("requested_by", "decided_by").order_by(
            "-requested_at", "-pk"
        )
    )
    pending = next(
        (a for a in acceptances if a.status == AcceptanceStatus.PENDING), None
    )
    if form is None and may_request:
        form = AcceptanceRequestForm(
            initial={
                "expires_on": timezone.localdate() + timedelta(days=SUGGESTED_DAYS)
            }
        )
    mitigations = list(risk.mitigations.all())
    return render(
        request,
        "risks/acceptance_request.html",
        {
            "project": with_members(project),
            "tab": "risks",
            "may_edit": can(request.user, project, Action.EDIT),
            "risk": risk,
            "band": band(risk.residual_score),
            "likelihood_word": LIKELIHOOD[risk.residual_likelihood],
            "impact_word": IMPACT[risk.residual_impact],
            "threshold": threshold,
            "needs_executive": needs_executive(risk.residual_score, threshold),
            "may_request": may_request,
            # Only an open or mitigated risk with nothing waiting can be put up.
            "requestable": risk.status in (RiskStatus.OPEN, RiskStatus.MITIGATED)
            and pending is None,
            "form": form,
            "acceptances": acceptances,
            "is_executive": has_role(request.user, GlobalRole.EXECUTIVE),
            # (acceptance's pk, the error, the comment typed) after a refused decision
            "decision_error": decision_error,
            "mitigations": mitigations,
            "mitigations_open": len(services.open_mitigations(risk)),
        },
    )


@require_http_methods(["GET", "POST"])
def acceptance_request(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """The risk, its acceptances and, for those who manage risks, the request form;
    executives decide from the same page."""
    action = Action.MANAGE_RISKS if request.method == "POST" else Action.VIEW
    project = get_project_for_user(request.user, slug, action)
    risk = _risk_of(project, pk)
    if request.method != "POST":
        return _page(request, project, risk)
    form = AcceptanceRequestForm(request.POST)
    threshold = services.acceptance_threshold()
    if not needs_executive(risk.residual_score, threshold):
        form.add_error(
            None,
            f"A residual score of {risk.residual_score} is below {threshold}: no "
            "executive is needed. Set the status to Accepted on the risk's edit page.",
        )
    elif form.is_valid():
        try:
            acceptance = services.acceptance_request(
                risk=risk, requested_by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"The executives were asked to accept “{risk.title}” until "
                f"{acceptance.expires_on:%Y-%m-%d}.",
            )
            return redirect(services.register_url(project, risk))
    return _page(request, project, risk, form=form)


@require_POST
def acceptance_decide(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """An executive accepts the risk until the expiry asked, or rejects the request
    with a comment."""
    project = get_project_for_user(request.user, slug)
    if not has_role(request.user, GlobalRole.EXECUTIVE):
        raise PermissionDenied(
            "Only an executive decides whether a high risk is accepted."
        )
    acceptance = get_object_or_404(
        RiskAcceptance.objects.select_related("risk", "requested_by"),
        risk__project=project,
        pk=pk,
    )
    form = AcceptanceDecisionForm(request.POST)
    error = _decision_error(form)
    if error is None:
        try:
            services.acceptance_decide(
                acceptance=acceptance,
                decided_by=request.user,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    risk = _risk_of(project, acceptance.risk_id)
    if error is not None:
        comment = request.POST.get("comment", "")
        return _page(
            request, project, risk, decision_error=(acceptance.pk, error, comment)
        )
    if acceptance.status == AcceptanceStatus.APPROVED:
        messages.success(
            request,
            f"“{risk.title}” is accepted until {acceptance.expires_on:%Y-%m-%d}.",
        )
    else:
        messages.success(request, f"The acceptance of “{risk.title}” is rejected.")
    return redirect("risks:acceptance_request", slug=project.slug, pk=risk.pk)


def _decision_error(form: AcceptanceDecisionForm) -> str | None:
    # A rejection without a comment is the service's to refuse, with its words.
    return None if form.is_valid() else "Choose Accept or Reject."
