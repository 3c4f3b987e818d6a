from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import plotly.graph_objects as go
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from metrics.models import Alert
from portal.http import AuthedRequest
from portal.selectors import (
    AT_RISK,
    Overview,
    portfolio_overview,
    portfolio_projects,
    risk_reasons,
)
from projects.access import visible_projects
from projects.exports import csv_response
from projects.roles import may_create_projects, sees_all_projects
from projects.selectors import LAUNCHED

TABLE_SIZE = 50


def _funnel_figure(overview: Overview) -> dict[str, Any]:
    """Projects per transition step as horizontal bars (the cartesian bundle has no funnel)."""
    labels = [f"{n}. {name}" if n <= 7 else name for n, name, _ in overview.funnel]
    counts = [count for _, _, count in overview.funnel]
    figure = go.Figure(
        data=[
            go.Bar(
                x=counts,
                y=labels,
                orientation="h",
                marker_color="#1d4ed8",
                text=counts,
                textposition="auto",
            )
        ],
        layout={
            "template": "none",
            "height": 300,
            "margin": {"l": 170, "r": 16, "t": 8, "b": 32},
            "yaxis": {"autorange": "reversed"},
            "xaxis": {"title": {"text": "projects"}, "dtick": 1},
            "font": {
                "family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
                "size": 12,
            },
        },
    )
    result: dict[str, Any] = figure.to_plotly_json()
    return result


@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    """The portfolio: every project for executives and admins, one's own for others."""
    overview = portfolio_overview(request.user)
    projects = list(portfolio_projects(request.user)[:TABLE_SIZE])
    for project in projects:
        project.risk_reasons = risk_reasons(project)  # type: ignore[attr-defined]
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
            "overview": overview,
            "projects": projects,
            "open_alerts": open_alerts,
            "funnel": _funnel_figure(overview),
            "funnel_summary": "; ".join(
                f"{name}: {count}" for _, name, count in overview.funnel
            ),
            "sees_all": sees_all_projects(request.user),
            "may_create": may_create_projects(request.user),
            "more": overview.in_flight + overview.funnel[-1][2] > TABLE_SIZE,
        },
    )


@require_GET
def portfolio_csv(request: AuthedRequest) -> StreamingHttpResponse:
    """The portfolio table as CSV, streamed; everyone gets the projects they may see."""
    projects = portfolio_projects(request.user)
    if request.GET.get("at_risk") == "1":
        projects = projects.filter(AT_RISK)

    def rows() -> Iterator[list[str]]:
        yield [
            "project",
            "team",
            "step",
            "status",
            "owner",
            "engineering lead",
            "at risk because",
            "target launch",
        ]
        for project in projects:
            members = {m.role: m.user.display_name for m in project.memberships.all()}
            current = getattr(project, "current_step", 1)  # annotated by the selector
            step = "launched" if current == LAUNCHED else str(current)
            yield [
                project.name,
                project.team.name,
                step,
                project.get_status_display(),
                members.get("owner", ""),
                members.get("lead", ""),
                "; ".join(risk_reasons(project)),
                project.target_launch_date.isoformat()
                if project.target_launch_date
                else "",
            ]

    return csv_response(rows(), "runway-portfolio.csv")
