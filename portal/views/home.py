"""The portfolio: every project for executives and admins, one's own for everyone else,
filtered and sorted in the URL; its CSV export."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from metrics.models import Alert
from portal import charts
from portal.http import AuthedRequest
from portal.portfolio import Row, csv_rows, filters_from, filters_query, row_of
from portal.selectors import (
    PortfolioFilters,
    portfolio_overview,
    portfolio_projects,
    quality_trend,
    readiness_heat_map,
    spend_by_team,
    stalled_projects,
    upcoming_launches,
)
from projects.exports import csv_response
from projects.models import Framework, ProjectStatus, Team
from projects.roles import may_create_projects, sees_all_projects

PAGE_SIZE = 50
ALERTS_SHOWN = 20


def _table(
    request: AuthedRequest, filters: PortfolioFilters, today: date
) -> tuple[Page[Any], list[Row]]:
    page = Paginator(
        portfolio_projects(request.user, filters, today), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return page, [row_of(project, today) for project in page.object_list]


def _open_alerts(
    request: AuthedRequest, filters: PortfolioFilters, today: date
) -> list[Alert]:
    visible = portfolio_projects(request.user, filters, today).order_by().values("pk")
    return list(
        Alert.objects.filter(status=Alert.Status.OPEN, project__in=visible)
        .select_related("project")
        .order_by("-opened_at")[:ALERTS_SHOWN]
    )


def portfolio_context(
    request: AuthedRequest, filters: PortfolioFilters, today: date
) -> dict[str, Any]:
    """Everything the portfolio body shows, for the page and the board report."""
    user = request.user
    overview = portfolio_overview(user, filters, today)
    spend = spend_by_team(user, filters, today)
    quality = quality_trend(user, filters, today)
    return {
        "today": today,
        "filters": filters,
        "overview": overview,
        "funnel": charts.funnel_figure(overview),
        "funnel_summary": "; ".join(
            f"{name}: {count}" for _, name, count in overview.funnel
        ),
        "spend": spend,
        "spend_chart": charts.spend_figure(spend),
        "quality": quality,
        "quality_chart": charts.quality_figure(
            quality, overview.average_quality_target
        ),
        "heat_map": readiness_heat_map(user, filters, today),
        "upcoming": upcoming_launches(user, filters, today),
        "stalled": stalled_projects(user, filters, today),
        "open_alerts": _open_alerts(request, filters, today),
    }


@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    """The portfolio page; htmx swaps the whole body when a filter changes and only the
    table when the table is sorted or paged."""
    today = timezone.localdate()
    filters = filters_from(request.GET)
    query = filters_query(filters)
    table, rows = _table(request, filters, today)
    context: dict[str, Any] = {
        "page": table,
        "rows": rows,
        "query": query,
        "query_without_sort": filters_query(filters, sort=False),
        "filters": filters,
    }
    target = request.htmx.target if request.htmx else None
    if target == "portfolio-table":
        template = "portal/home.html#portfolio-table"
    else:
        context.update(portfolio_context(request, filters, today))
        context.update(
            sees_all=sees_all_projects(request.user),
            may_create=may_create_projects(request.user),
            teams=Team.objects.order_by("name"),
            frameworks=Framework.objects.order_by("name"),
            statuses=ProjectStatus.choices,
            steps=range(1, 8),
        )
        template = "portal/home.html"
        if target == "portfolio-body":
            template += "#portfolio-body"
    response = render(request, template, context)
    if request.htmx:
        page = f"page={table.number}" if table.number > 1 else ""
        pushed = "&".join(part for part in (query, page) if part)
        push_url(response, f"{request.path}?{pushed}" if pushed else request.path)
    return response


@require_GET
def portfolio_csv(request: AuthedRequest) -> StreamingHttpResponse:
    """The filtered portfolio table as CSV, streamed; everyone gets the projects they may see."""
    today = timezone.localdate()
    projects = portfolio_projects(request.user, filters_from(request.GET), today)
    rows = (row_of(project, today) for project in projects.iterator(chunk_size=500))
    base_url = request.build_absolute_uri("/").rstrip("/")
    return csv_response(csv_rows(rows, base_url), f"runway-portfolio-{today}.csv")
