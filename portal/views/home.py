from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.http import AuthedRequest
from projects.models import ProjectStatus
from projects.roles import may_create_projects, sees_all_projects
from projects.selectors import portfolio_summary, project_list_for_user


@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    """The portfolio: every project for executives and admins, one's own for others."""
    summary = portfolio_summary(request.user)
    projects = project_list_for_user(request.user)[:50]
    return render(
        request,
        "portal/home.html",
        {
            "summary": summary,
            "projects": projects,
            "statuses": ProjectStatus,
            "sees_all": sees_all_projects(request.user),
            "may_create": may_create_projects(request.user),
            "at_risk": summary.by_status.get(ProjectStatus.AT_RISK, 0)
            + summary.by_status.get(ProjectStatus.BLOCKED, 0),
        },
    )
