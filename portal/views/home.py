"""The portfolio: every project for executives and admins, one's own for everyone else,
filtered and sorted in the URL; its CSV export."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from portal import charts
from portal.http import AuthedRequest
from portal.portfolio import (
    Row,
    csv_rows,
    filters_from,
    filters_query,
    row_of,
    rows_html,
)
from portal.selectors import Portfolio
from projects.exports import csv_response
from projects.models import Framework, ProjectStatus, Team
from projects.roles import may_create_projects, sees_all_projects

PAGE_SIZE = 50
ALERTS_SHOWN = 20


class _CountedPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator told its count: the portfolio already knows its projects' ids, so
    counting them again would run the whole annotated query once more."""

    def __init__(self, object_list: Any, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def _table(request: AuthedRequest, portfolio: Portfolio) -> tuple[Page[Any], list[Row]]:
    paginator = _CountedPaginator(portfolio.projects, PAGE_SIZE, len(portfolio.ids))
    page = paginator.get_page(request.GET.get("page"))
    return page, [row_of(project, portfolio.today) for project in page.object_list]


def portfolio_context(portfolio: Portfolio) -> dict[str, Any]:
    """Everything the portfolio body shows above and below its table."""
    overview = portfolio.overview()
    spend = portfolio.spend_by_team()
    quality = portfolio.quality_trend()
    return {
        "today": portfolio.today,
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
        "heat_map": portfolio.readiness_heat_map(),
        "upcoming": portfolio.upcoming_launches(),
        "stalled": portfolio.stalled_projects(),
        "open_alerts": portfolio.open_alerts(ALERTS_SHOWN),
    }


@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    """The portfolio page; htmx swaps the whole body when a filter changes and only the
    table when the table is sorted or paged."""
    filters = filters_from(request.GET)
    portfolio = Portfolio(request.user, filters)
    query = filters_query(filters)
    table, rows = _table(request, portfolio)
    context: dict[str, Any] = {
        "page": table,
        "rows": rows,
        "rows_html": rows_html(rows),
        "query": query,
        "query_without_sort": filters_query(filters, sort=False),
        "filters": filters,
    }
    target = request.htmx.target if request.htmx else None
    if target == "portfolio-table":
        template = "portal/home.html#portfolio-table"
    else:
        context.update(portfolio_context(portfolio))
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
    portfolio = Portfolio(request.user, filters_from(request.GET))
    today = portfolio.today
    rows = (
        row_of(project, today)
        for project in portfolio.projects.iterator(chunk_size=500)
    )
    base_url = request.build_absolute_uri("/").rstrip("/")
    return csv_response(csv_rows(rows, base_url), f"runway-portfolio-{today}.csv")
