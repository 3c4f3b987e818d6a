"""The Assessments page: readiness and decisions across the projects a user may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from assessments.selectors import portfolio_assessments
from projects.models import Team

if TYPE_CHECKING:
    from core.http import AuthedRequest


@require_GET
def index(request: AuthedRequest) -> HttpResponse:
    team = request.GET.get("team", "")
    outcome = request.GET.get("outcome", "")
    assessed = request.GET.get("assessed", "")
    rows, gaps_by_area = portfolio_assessments(
        request.user, team=team, outcome=outcome, assessed=assessed
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    template = "assessments/index.html"
    if request.htmx and request.htmx.target == "assessment-table":
        template += "#assessment-table"
    return render(
        request,
        template,
        {
            "page": page,
            "gaps_by_area": gaps_by_area,
            "teams": Team.objects.all(),
            "team": team,
            "outcome": outcome,
            "assessed": assessed,
        },
    )
