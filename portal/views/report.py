"""The board report: the portfolio as of today on one printable page, and the same page
as a PDF (WeasyPrint renders the very template the browser prints; charts are SVG
drawn on the server because Plotly's static export needs a browser)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.http import AuthedRequest
from core.money import usd
from core.numbers import as_float
from core.pdf import PdfUnavailable, render_pdf, unavailable_response
from portal import svg_charts
from portal.portfolio import filters_description, filters_from, filters_query, row_of
from portal.selectors import Portfolio
from portal.trends import WeeklySeries
from projects.models import Framework, Team

AT_RISK_SHOWN = 200  # a board pack, not a data dump: the CSV has everything


def _points(weekly: WeeklySeries) -> list[tuple[str, list[tuple[date, float | None]]]]:
    return [
        (
            name,
            [(week, as_float(v)) for week, v in zip(weekly.weeks, values, strict=True)],
        )
        for name, values in weekly.series.items()
    ]


def _report_context(request: AuthedRequest) -> dict[str, Any]:
    today = timezone.localdate()
    user = request.user
    filters = filters_from(request.GET)
    portfolio = Portfolio(user, filters, today)
    overview = portfolio.overview()
    quality = portfolio.quality_trend()
    return {
        "today": today,
        "generated_at": timezone.localtime(),
        "filters": filters,
        "query": filters_query(filters),
        "filters_text": filters_description(
            filters,
            dict(Team.objects.values_list("slug", "name")),
            dict(Framework.objects.values_list("code", "name")),
        ),
        "overview": overview,
        "funnel_chart": svg_charts.bar_chart(
            [
                (f"{n}. {name}" if n <= 7 else name, count)
                for n, name, count in overview.funnel
            ],
            title="Projects by transition step",
            value_format="{:.0f}",
        ),
        "spend_chart": svg_charts.line_chart(
            _points(portfolio.spend_by_team()),
            title="Spend by team, per week",
            y_label="USD per week",
            value_format=usd,
        ),
        "quality_chart": svg_charts.line_chart(
            _points(quality),
            title="Quality trend",
            y_label="mean score 0–1",
            target=overview.average_quality_target,
            target_label="Mean target",
            value_format="{:.2f}",
        ),
        "heat_map": portfolio.readiness_heat_map(),
        "at_risk": [
            row_of(project, today) for project in portfolio.at_risk_rows(AT_RISK_SHOWN)
        ],
        "upcoming": portfolio.upcoming_launches(),
    }


@require_GET
def board_report(request: AuthedRequest) -> HttpResponse:
    """The print-friendly page (the browser's Print makes the paper copy)."""
    return render(request, "portal/board_report.html", _report_context(request))


@require_GET
def board_report_pdf(request: AuthedRequest) -> HttpResponse:
    """The same page as a PDF, rendered on the server."""
    context = _report_context(request)
    try:
        pdf = render_pdf("portal/board_report.html", context, request)
    except PdfUnavailable:
        return unavailable_response(
            "The print page works without them: use your browser's Print."
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"runway-board-report-{context['today']}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
