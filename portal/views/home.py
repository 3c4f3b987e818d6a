from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from metrics.models import Alert
from portal.http import AuthedRequest
from projects.access import visible_projects
from projects.models import ProjectStatus
from projects.roles import may_create_projects, sees_all_projects
from projects.selectors import portfolio_summary, project_list_for_user


@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    """The portfolio: every project for executives and admins, one's own for others."""
    summary = portfolio_summary(request.user)
    projects = project_list_for_user(request.user)[:50]
    open_alerts = (
        Alert.objects.filter(
            status=Alert.Status.OPEN,
            project__in=visible_projects(request.user).filter(archived_at__isnull=True),
        )
        .select_related("project")
        .order_by("-opened_at")[:20]
    )
    return render(
        request,
        "portal/home.html",
        {
            "summary": summary,
            "projects": projects,
            "open_alerts": open_alerts,
            "statuses": ProjectStatus,
            "sees_all": sees_all_projects(request.user),
            "may_create": may_create_projects(request.user),
            "at_risk": summary.by_status.get(ProjectStatus.AT_RISK, 0)
            + summary.by_status.get(ProjectStatus.BLOCKED, 0),
        },
    )
