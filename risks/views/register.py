"""A project's risk register: the page (suggestions, the register, the closed ones),
adding and editing a risk, deciding a suggestion and the CSV download."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from projects.access import Action, can, get_project_for_user
from projects.exports import csv_response
from projects.models import Project
from projects.selectors import with_members
from risks import indicators, selectors, services
from risks.forms import RiskForm
from risks.models import AcceptanceStatus, Risk, RiskStatus
from risks.scoring import Band, band, needs_executive

if TYPE_CHECKING:
    from core.http import AuthedRequest


@dataclass(frozen=True)
class Score:
    value: int
    band: Band


@dataclass(frozen=True)
class Row:
    """A risk as the register shows it."""

    risk: Risk
    inherent: Score
    residual: Score
    mitigations_done: int  # done or not applicable
    flag: str  # what a live indicator says now, "" when nothing is off target
    overdue: bool  # its review date has passed


def _score(value: int) -> Score:
    return Score(value, band(value))


def _row(risk: Risk, flags: dict[int, str], today: date) -> Row:
    total: int = getattr(risk, "mitigations_total", 0)
    still_open: int = getattr(risk, "mitigations_open", 0)
    return Row(
        risk=risk,
        inherent=_score(risk.inherent_score),
        residual=_score(risk.residual_score),
        mitigations_done=total - still_open,
        flag=flags.get(risk.pk, ""),
        overdue=risk.review_date is not None and risk.review_date < today,
    )


@require_GET
def register(request: AuthedRequest, slug: str) -> HttpResponse:
    project = with_members(get_project_for_user(request.user, slug))
    entries = selectors.project_register(project)
    flags = indicators.flags(project, entries.risks)
    today = timezone.localdate()
    return render(
        request,
        "risks/register.html",
        {
            "project": project,
            "tab": "risks",
            "may_edit": can(request.user, project, Action.EDIT),
            "may_manage": can(request.user, project, Action.MANAGE_RISKS),
            "suggestions": [_row(r, flags, today) for r in entries.suggestions],
            "rows": [_row(r, flags, today) for r in entries.risks],
            "closed": [_row(r, flags, today) for r in entries.closed],
            "flags": flags,
            "threshold": services.acceptance_threshold(),
        },
    )


def _back(request: AuthedRequest, url: str) -> HttpResponse:
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@require_POST
def suggestion_decide(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """Take a suggestion into the register (the one deciding owns it) or dismiss it."""
    project = get_project_for_user(request.user, slug, Action.MANAGE_RISKS)
    risk = get_object_or_404(Risk, project=project, pk=pk)
    decision = request.POST.get("decision")
    if decision not in ("accept", "dismiss"):
        return HttpResponseBadRequest("Choose to accept or to dismiss the suggestion.")
    try:
        if decision == "accept":
            services.suggestion_accept(risk=risk, owner=request.user)
        else:
            services.suggestion_dismiss(risk=risk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request, services.register_url(project))
    if decision == "accept":
        messages.success(
            request,
            f"“{risk.title}” is in the register, owned by you. Check its scores and "
            "its mitigations.",
        )
        return _back(request, services.register_url(project, risk))
    messages.success(request, f"“{risk.title}” dismissed: it is not suggested again.")
    return _back(request, services.register_url(project) + "#suggestions")


def _show_errors(form: RiskForm, exc: ValidationError) -> None:
    """A service's refusal, next to the field it names or at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _risk_form(
    request: AuthedRequest, project: Project, form: RiskForm, risk: Risk | None
) -> HttpResponse:
    context: dict[str, Any] = {
        "project": project,
        "tab": "risks",
        "may_edit": can(request.user, project, Action.EDIT),
        "form": form,
        "risk": risk,
        "threshold": services.acceptance_threshold(),
    }
    if risk is not None:
        acceptances = list(
            risk.acceptances.select_related("requested_by", "decided_by")
        )
        context.update(
            residual=_score(risk.residual_score),
            acceptances=acceptances,
            pending=any(a.status == AcceptanceStatus.PENDING for a in acceptances),
            may_ask_acceptance=risk.status in (RiskStatus.OPEN, RiskStatus.MITIGATED)
            and needs_executive(risk.residual_score, services.acceptance_threshold()),
        )
    return render(request, "risks/risk_form.html", context)


@require_http_methods(["GET", "POST"])
def risk_new(request: AuthedRequest, slug: str) -> HttpResponse:
    project = with_members(
        get_project_for_user(request.user, slug, Action.MANAGE_RISKS)
    )
    form = RiskForm(
        request.POST or None, project=project, initial={"owner": request.user.pk}
    )
    if request.method == "POST" and form.is_valid():
        try:
            risk = services.risk_create(project=project, **form.fields_for_service())
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, f"“{risk.title}” added to the register.")
            return redirect(services.register_url(project, risk))
    return _risk_form(request, project, form, None)


@require_http_methods(["GET", "POST"])
def risk_edit(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """A risk of the register; a suggestion is decided on the register page first."""
    project = with_members(
        get_project_for_user(request.user, slug, Action.MANAGE_RISKS)
    )
    risk = get_object_or_404(
        Risk.objects.select_related("owner"), project=project, pk=pk
    )
    if risk.status in (RiskStatus.SUGGESTED, RiskStatus.DISMISSED):
        messages.error(
            request,
            f"“{risk.title}” is a suggestion"
            f"{' that was dismissed' if risk.status == RiskStatus.DISMISSED else ''}: "
            "only a risk in the register can be edited.",
        )
        return redirect(services.register_url(project, risk))
    form = RiskForm(request.POST or None, project=project, risk=risk)
    if request.method == "POST" and form.is_valid():
        try:
            services.risk_update(risk=risk, **form.fields_for_service())
        except ValidationError as exc:
            _show_errors(form, exc)
            risk.refresh_from_db()  # the service set the refused values on it
        else:
            messages.success(request, f"“{risk.title}” saved.")
            return redirect(services.register_url(project, risk))
    return _risk_form(request, project, form, risk)


CSV_HEADER = (
    "Title",
    "Category",
    "Status",
    "Owner",
    "Cause",
    "Consequence",
    "Inherent likelihood",
    "Inherent impact",
    "Inherent score",
    "Residual likelihood",
    "Residual impact",
    "Residual score",
    "Treatment",
    "Review date",
    "Mitigations",
    "Indicator",
)


def _csv_rows(risks: Sequence[Risk]) -> Iterator[Sequence[str]]:
    yield CSV_HEADER
    for risk in risks:
        yield (
            risk.title,
            risk.get_category_display(),
            risk.get_status_display(),
            risk.owner.display_name if risk.owner else "",
            risk.cause,
            risk.consequence,
            str(risk.inherent_likelihood),
            str(risk.inherent_impact),
            str(risk.inherent_score),
            str(risk.residual_likelihood),
            str(risk.residual_impact),
            str(risk.residual_score),
            risk.get_treatment_display(),
            risk.review_date.isoformat() if risk.review_date else "",
            "; ".join(
                f"{item.title} ({item.get_state_display().lower()})"
                for item in risk.mitigations.all()
            ),
            risk.get_indicator_display() if risk.indicator else "",
        )


@require_GET
def register_csv(request: AuthedRequest, slug: str) -> StreamingHttpResponse:
    """The register (live and closed risks; no suggestions, none dismissed)."""
    project = get_project_for_user(request.user, slug, Action.EXPORT)
    entries = selectors.project_register(project)
    closed = [r for r in entries.closed if r.status == RiskStatus.CLOSED]
    return csv_response(
        _csv_rows([*entries.risks, *closed]), f"{project.slug}-risks.csv"
    )
