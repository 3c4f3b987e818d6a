"""The portfolio: every project for executives and admins, one's own for everyone else,
filtered and sorted in the URL; its CSV export."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, overload

from django.core.paginator import Page, Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from core import fragments, versions
from core.http import AuthedRequest
from evaluations.summary import last_evaluations
from portal import charts
from portal.portfolio import (
    Row,
    csv_rows,
    filters_from,
    filters_query,
    row_of,
)
from portal.selectors import Portfolio, PortfolioFilters
from projects.access import audience
from projects.exports import csv_response
from projects.models import Framework, ProjectStatus, Team
from projects.roles import may_create_projects, sees_all_projects
from risks import scoring
from risks.selectors import RiskHeatMap
from risks.services import acceptance_threshold

PAGE_SIZE = 50
CSV_CHUNK = 500  # projects read at a time for the CSV, with their last evaluations
ALERTS_SHOWN = 20


class _PortfolioRows(Sequence[Any]):
    """The portfolio's projects in its sort as a sequence for the paginator: its
    length is the number of projects already read, and a slice is read from the
    statement."""

    def __init__(self, portfolio: Portfolio) -> None:
        self.portfolio = portfolio

    def __len__(self) -> int:
        return len(self.portfolio.ids)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, int):
            return self.portfolio.rows(offset=index, limit=1)[0]
        start, stop, _ = index.indices(len(self))
        return self.portfolio.rows(offset=start, limit=max(stop - start, 0))


def _rows(projects: Iterable[Any], today: date) -> list[Row]:
    """The rows of a page of projects, with their last evaluations read for the
    whole page at once."""
    projects = list(projects)
    evaluations = last_evaluations(p.pk for p in projects)
    return [row_of(p, today, evaluations.get(p.pk)) for p in projects]


def _chunks(portfolio: Portfolio) -> Iterator[list[Any]]:
    offset = 0
    while chunk := portfolio.rows(offset=offset, limit=CSV_CHUNK):
        yield chunk
        offset += CSV_CHUNK


def _table(page_asked: str | None, portfolio: Portfolio) -> tuple[Page[Any], list[Row]]:
    paginator: Paginator[Any] = Paginator(_PortfolioRows(portfolio), PAGE_SIZE)
    page = paginator.get_page(page_asked)
    return page, _rows(page.object_list, portfolio.today)


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
        "risk_heat": risk_heat(portfolio.risk_heat_map()),
        "upcoming": portfolio.upcoming_launches(),
        "stalled": portfolio.stalled_projects(),
        "open_alerts": portfolio.open_alerts(ALERTS_SHOWN),
    }


# The readiness heat map's colours, reused: green for low risk, red for high and
# critical (the band's word in each cell tells those two apart).
RISK_BAND_CLASS = {
    "low": "heat-high",
    "medium": "heat-mid",
    "high": "heat-low",
    "critical": "heat-low",
}


@dataclass(frozen=True)
class RiskCell:
    likelihood: int
    count: int
    band: scoring.Band
    css: str


@dataclass(frozen=True)
class RiskHeat:
    """The residual risk heat map as the portfolio shows it: rows of impact 5 down to
    1, columns of likelihood 1 to 5, each cell with its band; and the legend."""

    total: int
    likelihoods: list[tuple[int, str]]
    rows: list[tuple[int, str, list[RiskCell]]]
    legend: list[tuple[scoring.Band, str, int, int]]  # band, class, lowest, highest
    threshold: int  # accepting a risk from this score on needs an executive


def risk_heat(heat: RiskHeatMap) -> RiskHeat:
    rows = []
    for impact, counts in heat.rows:
        cells = []
        for likelihood, count in zip(scoring.SCALE, counts, strict=True):
            band = scoring.band(scoring.score(likelihood, impact))
            css = RISK_BAND_CLASS[band.name] if count else "heat-none"
            cells.append(RiskCell(likelihood, count, band, css))
        rows.append((impact, scoring.IMPACT[impact], cells))
    legend, lowest = [], 1
    for highest, band in scoring.BANDS:
        legend.append((band, RISK_BAND_CLASS[band.name], lowest, highest))
        lowest = highest + 1
    return RiskHeat(
        total=heat.total,
        likelihoods=list(scoring.LIKELIHOOD.items()),
        rows=rows,
        legend=legend,
        threshold=acceptance_threshold(),
    )


@dataclass(frozen=True)
class RenderedPart:
    html: SafeString
    page_number: int


BODY_TEMPLATE = "portal/_portfolio_body.html"


def _rendered(
    request: AuthedRequest,
    filters: PortfolioFilters,
    part: str,
    *,
    sees_all: bool,
    may_create: bool,
) -> RenderedPart:
    """The portfolio body (or only its table) for this request, rendered once per kind
    of viewer, filters and page until the projects or their metrics change: every
    executive opening the portfolio on Monday shares one rendering of it."""
    user = request.user
    page_asked = request.GET.get("page")
    today = timezone.localdate()
    key = versions.digest(part, audience(user), may_create, filters, page_asked, today)

    def build() -> RenderedPart:
        portfolio = Portfolio(user, filters, today)
        table, rows = _table(page_asked, portfolio)
        context: dict[str, Any] = {
            "page": table,
            "rows": rows,
            "query": filters_query(filters),
            "query_without_sort": filters_query(filters, sort=False),
            "filters": filters,
            "sees_all": sees_all,
            "may_create": may_create,
        }
        template = BODY_TEMPLATE
        if part == "table":
            template += "#portfolio-table"
        else:
            context.update(portfolio_context(portfolio))
        html = render_to_string(template, context)
        return RenderedPart(mark_safe(html), table.number)  # noqa: S308  (a rendered template)

    return fragments.cached("portfolio", key, build)


@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    """The portfolio page; htmx swaps the whole body when a filter changes and only the
    table when the table is sorted or paged."""
    filters = filters_from(request.GET)
    sees_all = sees_all_projects(request.user)
    may_create = may_create_projects(request.user)
    target = request.htmx.target if request.htmx else None
    part = _rendered(
        request,
        filters,
        "table" if target == "portfolio-table" else "body",
        sees_all=sees_all,
        may_create=may_create,
    )
    if target in ("portfolio-table", "portfolio-body"):
        response = HttpResponse(part.html)
    else:
        response = render(
            request,
            "portal/home.html",
            {
                "body": part,
                "filters": filters,
                "sees_all": sees_all,
                "may_create": may_create,
                "teams": Team.objects.order_by("name").values_list("slug", "name"),
                "frameworks": Framework.objects.order_by("name").values_list(
                    "code", "name"
                ),
                "statuses": ProjectStatus.choices,
                "steps": range(1, 8),
            },
        )
    if request.htmx:
        query = filters_query(filters)
        page = f"page={part.page_number}" if part.page_number > 1 else ""
        pushed = "&".join(p for p in (query, page) if p)
        push_url(response, f"{request.path}?{pushed}" if pushed else request.path)
    return response


@require_GET
def portfolio_csv(request: AuthedRequest) -> StreamingHttpResponse:
    """The filtered portfolio table as CSV, streamed; everyone gets the projects they may see."""
    portfolio = Portfolio(request.user, filters_from(request.GET))
    today = portfolio.today
    rows = (row for chunk in _chunks(portfolio) for row in _rows(chunk, today))
    base_url = request.build_absolute_uri("/").rstrip("/")
    return csv_response(csv_rows(rows, base_url), f"runway-portfolio-{today}.csv")
