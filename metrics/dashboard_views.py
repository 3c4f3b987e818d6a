"""The project dashboard: tiles and charts over a chosen range, refreshed every minute.
What it shows is built in metrics.dashboard_page (tiles, charts) from metrics.dashboard."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.query import query_date
from metrics import alerts, explain
from metrics.dashboard import project_dashboard
from metrics.dashboard_page import dashboard_body, metrics_csv_rows
from metrics.models import Alert
from metrics.vocabulary import Metric
from projects.access import Action, can, get_project_for_user
from projects.exports import csv_response
from projects.selectors import with_members

if TYPE_CHECKING:
    from core.http import AuthedRequest

RANGES = {"7": 7, "30": 30, "90": 90}


def _range(request: AuthedRequest) -> tuple[str, date, date]:
    today = timezone.localdate()
    key = request.GET.get("range", "30")
    if key == "custom":
        start, end = query_date(request, "start"), query_date(request, "end")
        if start and end and start <= end <= today and (end - start).days <= 366:
            return key, start, end
        key = "30"
    if key == "month":  # this month so far: what budgets and the portfolio count
        return key, today.replace(day=1), today
    days = RANGES.get(key, 30)
    return (key if key in RANGES else "30"), today - timedelta(days=days - 1), today


@require_GET
def project_dashboard_view(request: AuthedRequest, slug: str) -> HttpResponse:
    project = get_project_for_user(request.user, slug)
    partial = bool(request.htmx) and request.htmx.target == "dashboard-body"
    if not partial:
        # Members only for the project header, which the htmx partial leaves out.
        with_members(project)
    key, start, end = _range(request)
    template = "metrics/dashboard.html" + ("#dashboard-body" if partial else "")
    return render(
        request,
        template,
        {
            "project": project,
            "tab": "dashboard",
            "range": key,
            "start": start,
            "end": end,
            "body": dashboard_body(project, start=start, end=end),
            "may_acknowledge": can(request.user, project, Action.ACKNOWLEDGE_ALERTS),
            "may_edit": can(request.user, project, Action.EDIT),
            "query": request.GET.urlencode(),
        },
    )


@require_POST
def alert_acknowledge(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.ACKNOWLEDGE_ALERTS)
    alert = get_object_or_404(Alert, project=project, pk=pk)
    alerts.alert_acknowledge(alert=alert, actor=request.user)
    messages.success(request, f"{alert.get_kind_display()} alert acknowledged.")
    return redirect("metrics:dashboard", slug=project.slug)


@require_GET
def project_metrics_csv(request: AuthedRequest, slug: str) -> StreamingHttpResponse:
    """The project's daily metrics for the chosen range, one row per day, metric and model."""
    project = get_project_for_user(request.user, slug, Action.EXPORT)
    _, start, end = _range(request)
    data = project_dashboard(project, start=start, end=end)
    return csv_response(
        metrics_csv_rows(data), f"{project.slug}-metrics-{start}-{end}.csv"
    )


@require_GET
def figure_why(request: AuthedRequest, slug: str) -> HttpResponse:
    """ "Why this number": a figure's sources, the rule that counts them, their last
    syncs and which days are complete, over the dashboard's range."""
    project = get_project_for_user(request.user, slug)
    with_members(project)
    key, start, end = _range(request)
    figure = request.GET.get("figure", "cost")
    data = project_dashboard(project, start=start, end=end)
    explanation = explain.explain(data, figure)
    if explanation is None:
        raise Http404("No such figure.")
    return render(
        request,
        "metrics/why.html",
        {
            "project": project,
            "tab": "dashboard",
            "explanation": explanation,
            "figures": explain.figure_names(),
            "range": key,
            "start": start,
            "end": end,
        },
    )


@require_GET
def cost_reconciliation(request: AuthedRequest, slug: str) -> HttpResponse:
    """Billed against observed cost per day, provider and model, over the range."""
    project = get_project_for_user(request.user, slug)
    with_members(project)
    key, start, end = _range(request)
    data = project_dashboard(project, start=start, end=end)
    observed_source, lines = explain.reconciliation(data)
    return render(
        request,
        "metrics/reconciliation.html",
        {
            "project": project,
            "tab": "dashboard",
            "lines": lines,
            "observed_source": observed_source,
            "billed_sources": [
                s.name
                for s in data.sources.values()
                if Metric.COST_BILLED_USD in s.provides
            ],
            "range": key,
            "start": start,
            "end": end,
        },
    )
