"""The project dashboard: tiles and charts over a chosen range, refreshed every minute."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from core.money import usd, usd_rate
from core.query import query_date
from metrics import alerts, charts, explain
from metrics.dashboard import (
    DashboardData,
    MonthCost,
    Series,
    cost_per_thousand,
    error_rates,
    month_cost,
    project_dashboard,
    range_error_rate,
)
from metrics.health import State, against_target, days_in_month
from metrics.models import Alert
from metrics.versions import cached_for_project
from metrics.vocabulary import Metric
from projects.access import Action, can, get_project_for_user
from projects.exports import csv_response
from projects.models import Project
from projects.selectors import with_members

if TYPE_CHECKING:
    from core.http import AuthedRequest

RANGES = {"7": 7, "30": 30, "90": 90}


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    target: str
    state: State
    # The figure "why this number" explains, and the sources it came from.
    figure: str
    source: str = ""


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    figure: dict[str, Any]
    summary: str
    source: str
    last_synced: Any
    # The "data as a table" rows, rendered here: a template loop over every cell
    # of eight charts cost more than the rest of the partial (bench/RESULTS.md).
    table_body: SafeString
    columns: list[str]
    # The figure "why these numbers" explains.
    explains: str


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


def _fmt(
    value: Decimal | None, places: int = 0, prefix: str = "", suffix: str = ""
) -> str:
    if value is None:
        return "—"
    return f"{prefix}{value:,.{places}f}{suffix}"


def _latest(
    series: Series | None, days: list[date], dimension: str | None = None
) -> tuple[date | None, Decimal | None]:
    if series is None:
        return None, None
    for day in reversed(days):
        value = (
            series.values.get(day, {}).get(dimension)
            if dimension is not None
            else series.total(day)
        )
        if value is not None:
            return day, value
    return None, None


def _on(data: DashboardData, day: date | None) -> str:
    """Which day a latest-day figure is from, saying so when it is still filling up."""
    if day is None:
        return ""
    return f"{day:%Y-%m-%d}" + ("" if data.is_complete(day) else ", today, incomplete")


def _tiles(data: DashboardData, month: MonthCost) -> list[Tile]:
    t = data.targets
    budget = t.monthly_budget_usd if t else None
    cost = month.series
    per_1k = cost_per_thousand(data)
    p95_day, p95 = _latest(data.series.get(Metric.LATENCY_P95_MS), data.days)
    rate = range_error_rate(data)
    score = t.quality_score_name if t and t.quality_score_name else None
    quality_series = data.series.get(Metric.QUALITY_SCORE)
    if score is None and quality_series is not None:
        score = next(iter(quality_series.dimensions()), None)
    quality_day, quality = _latest(quality_series, data.days, score or "")
    forecast = usd(month.forecast)
    return [
        Tile(
            "Cost this month" + (f" ({cost.family.value})" if cost is not None else ""),
            usd(month.month_to_date),
            f"forecast {forecast} of {usd(budget)}"
            if budget
            else f"forecast {forecast}",
            against_target(month.forecast, budget, higher_is_better=False)
            if budget is not None
            else State("none", "no budget"),
            "cost",
            cost.source if cost is not None else "",
        ),
        Tile(
            "Cost per 1,000 requests",
            usd_rate(per_1k.value),
            per_1k.basis,
            State("none", ""),
            "cost_per_1k",
        ),
        Tile(
            "Latency p95 (latest day)",
            _fmt(p95, 0, suffix=" ms"),
            (f"{_on(data, p95_day)} · " if p95_day else "")
            + (
                f"target ≤ {t.p95_latency_ms:,} ms"
                if t and t.p95_latency_ms
                else "no target"
            ),
            against_target(
                p95,
                Decimal(t.p95_latency_ms) if t and t.p95_latency_ms else None,
                higher_is_better=False,
            ),
            Metric.LATENCY_P95_MS.value,
            _source(data, Metric.LATENCY_P95_MS),
        ),
        Tile(
            "Error rate",
            _fmt(rate, 2, suffix=" %"),
            f"target ≤ {t.error_rate_pct} %"
            if t and t.error_rate_pct is not None
            else "no target",
            against_target(
                rate, t.error_rate_pct if t else None, higher_is_better=False
            ),
            "error_rate",
            _source(data, Metric.ERRORS),
        ),
        Tile(
            f"Quality ({score or 'score'}, latest day)",
            _fmt(quality, 3),
            (f"{_on(data, quality_day)} · " if quality_day else "")
            + (
                f"target ≥ {t.quality_score_target}"
                if t and t.quality_score_target is not None
                else "no target"
            ),
            against_target(
                quality, t.quality_score_target if t else None, higher_is_better=True
            ),
            Metric.QUALITY_SCORE.value,
            _source(data, Metric.QUALITY_SCORE),
        ),
    ]


def _source(data: DashboardData, metric: Metric) -> str:
    series = data.series.get(metric)
    return series.source if series is not None else ""


# Which figure's explanation each chart links to.
CHART_FIGURES = {
    "cost": "cost",
    "latency": Metric.LATENCY_P95_MS.value,
    "errors": "error_rate",
    "quality": Metric.QUALITY_SCORE.value,
    "tokens": Metric.INPUT_TOKENS.value,
    "requests": Metric.REQUESTS.value,
    "feedback": Metric.FEEDBACK_POSITIVE.value,
    "pipelines": Metric.PIPELINE_FAILURES.value,
}


def _chart(
    data: DashboardData,
    key: str,
    title: str,
    series: dict[str, list[Decimal | None]],
    *,
    unit: str,
    source: Series | None,
    target: Decimal | None = None,
    target_label: str = "Target",
    bars: bool = False,
    places: int = 0,
) -> Chart | None:
    if source is None:
        return None
    figure = charts.line_chart(
        data.days,
        series,
        unit=unit,
        target=target,
        target_label=target_label,
        bars=bars,
        incomplete=data.today,
    )
    known = [v for values in series.values() for v in values if v is not None]
    summary = f"{title}, {data.start:%Y-%m-%d} to {data.end:%Y-%m-%d}: "
    summary += (
        f"from {min(known):,.{places}f} to {max(known):,.{places}f} {unit}"
        if known
        else "no data"
    )
    if target is not None:
        summary += f"; {target_label.lower()} {target:,.{places}f} {unit}"
    if data.today in data.days:
        summary += f"; {data.today:%Y-%m-%d} is today and still incomplete"
    # Plain f-strings over escaped text: format_html_join per cell cost ~2 ms a chart.
    table_body = mark_safe(  # noqa: S308  (every interpolated value is escaped)
        "".join(
            f'<tr><th scope="row">{day:%Y-%m-%d}'
            + ("" if data.is_complete(day) else " (today, incomplete)")
            + "</th>"
            + "".join(
                f'<td class="num">{escape(_fmt(values[n], places))}</td>'
                for values in series.values()
            )
            + "</tr>"
            for n, day in enumerate(data.days)
        )
    )
    return Chart(
        key,
        title,
        figure,
        summary + ".",
        source.source,
        source.last_synced,
        table_body,
        list(series),
        CHART_FIGURES.get(key, ""),
    )


def _charts(data: DashboardData) -> list[Chart]:
    t = data.targets
    days = data.days
    s = data.series
    cost = data.cost()
    budget_per_day = (
        t.monthly_budget_usd / days_in_month(timezone.localdate())
        if t and t.monthly_budget_usd
        else None
    )
    rates = error_rates(data)
    quality = s.get(Metric.QUALITY_SCORE)
    score_names = quality.dimensions() if quality else []
    found = [
        _chart(
            data,
            "cost",
            "Daily cost"
            + (
                " (billed)"
                if cost and cost.metric == Metric.COST_BILLED_USD
                else " (observed)"
            ),
            {"Cost": [cost.total(d) for d in days] if cost else []},
            unit="USD",
            source=cost,
            target=budget_per_day,
            target_label="Budget per day",
            places=2,
        ),
        _chart(
            data,
            "latency",
            "Latency p95",
            {"p95": [s[Metric.LATENCY_P95_MS].total(d) for d in days]}
            if Metric.LATENCY_P95_MS in s
            else {},
            unit="ms",
            source=s.get(Metric.LATENCY_P95_MS),
            target=Decimal(t.p95_latency_ms) if t and t.p95_latency_ms else None,
        ),
        _chart(
            data,
            "errors",
            "Error rate",
            {"Error rate": [rates.get(d) for d in days]},
            unit="%",
            source=s.get(Metric.ERRORS),
            target=t.error_rate_pct if t else None,
            places=2,
        ),
        _chart(
            data,
            "quality",
            "Quality score",
            {
                name: [quality.values.get(d, {}).get(name) for d in days]
                for name in score_names
            }
            if quality
            else {},
            unit="score",
            source=quality,
            target=t.quality_score_target if t else None,
            places=3,
        ),
        _chart(
            data,
            "tokens",
            "Tokens by model",
            {
                f"{m} ({kind})": [s[metric].values.get(d, {}).get(m) for d in days]
                for metric, kind in (
                    (Metric.INPUT_TOKENS, "in"),
                    (Metric.OUTPUT_TOKENS, "out"),
                )
                if metric in s
                for m in s[metric].dimensions()
            },
            unit="tokens",
            source=s.get(Metric.INPUT_TOKENS),
            bars=True,
        ),
        _chart(
            data,
            "requests",
            "Requests",
            {"Requests": [s[Metric.REQUESTS].total(d) for d in days]}
            if Metric.REQUESTS in s
            else {},
            unit="requests",
            source=s.get(Metric.REQUESTS),
            bars=True,
        ),
        _chart(
            data,
            "feedback",
            "User feedback",
            {
                label: [s[m].total(d) for d in days]
                for m, label in (
                    (Metric.FEEDBACK_POSITIVE, "Positive"),
                    (Metric.FEEDBACK_NEGATIVE, "Negative"),
                )
                if m in s
            },
            unit="votes",
            source=s.get(Metric.FEEDBACK_POSITIVE) or s.get(Metric.FEEDBACK_NEGATIVE),
            bars=True,
        ),
        _chart(
            data,
            "pipelines",
            "Pipeline failures",
            {"Failures": [s[Metric.PIPELINE_FAILURES].total(d) for d in days]}
            if Metric.PIPELINE_FAILURES in s
            else {},
            unit="failures",
            source=s.get(Metric.PIPELINE_FAILURES),
            bars=True,
        ),
    ]
    return [c for c in found if c is not None]


@dataclass(frozen=True)
class DashboardBody:
    """What the dashboard shows of a project's metrics over a range (tiles, charts,
    reconciliation) as HTML, built from its rollups, services, chosen sources and
    targets alone: the same for every viewer."""

    has_targets: bool
    html: SafeString
    # The newest alerts, as instances: the template decides per viewer whether to
    # offer "Acknowledge".
    alerts: list[Alert]


# The body refreshes every minute in every open dashboard; it is rebuilt only when the
# project's metrics version moves (metrics.versions), the day turns, or after this long
# (a person's new name reaches the alert rows by then).
BODY_CACHE_SECONDS = 10 * 60
ALERTS_SHOWN = 50


def dashboard_body(project: Project, *, start: date, end: date) -> DashboardBody:
    today = timezone.localdate()

    def build() -> DashboardBody:
        # One read covers the range and what the month's cost needs.
        month_from = min(today.replace(day=1), today - timedelta(days=7))
        whole = project_dashboard(
            project, start=min(start, month_from), end=max(end, today), today=today
        )
        data = whole.narrowed(start, end)
        html = render_to_string(
            "metrics/_dashboard_metrics.html",
            {
                "project": project,
                "tiles": _tiles(data, month_cost(project, today, whole)),
                "charts": _charts(data),
                "start": start,
                "end": end,
                "month_start": today.replace(day=1),
            },
        )
        alerts = list(
            Alert.objects.filter(project=project).select_related(
                "acknowledged_by", "service"
            )[:ALERTS_SHOWN]
        )
        return DashboardBody(data.targets is not None, mark_safe(html), alerts)  # noqa: S308  (a rendered template)

    return cached_for_project(
        project.pk,
        f"dashboard:{project.slug}:{start}:{end}:{today}",
        build,
        timeout=BODY_CACHE_SECONDS,
    )


@require_GET
def project_dashboard_view(request: AuthedRequest, slug: str) -> HttpResponse:
    project = get_project_for_user(request.user, slug)
    partial = bool(request.htmx) and request.htmx.target == "dashboard-body"
    if not partial:
        # Members only for the project header, which the htmx partial leaves out.
        with_members(project)
    key, start, end = _range(request)
    body = dashboard_body(project, start=start, end=end)
    alerts = body.alerts
    template = "metrics/dashboard.html"
    if partial:
        template += "#dashboard-body"
    return render(
        request,
        template,
        {
            "project": project,
            "tab": "dashboard",
            "range": key,
            "start": start,
            "end": end,
            "body": body,
            "open_alerts": [a for a in alerts if a.status == Alert.Status.OPEN],
            "alert_history": alerts,
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

    def rows() -> Iterator[list[str]]:
        yield [
            "day",
            "metric",
            "dimension",
            "value",
            "unit",
            "source",
            "family",
            "complete",
        ]
        for metric, series in data.series.items():
            for day in data.days:
                for dimension, value in sorted(series.values.get(day, {}).items()):
                    yield [
                        day.isoformat(),
                        metric.value,
                        dimension,
                        str(value),
                        series.unit,
                        series.source,
                        series.family.value,
                        "yes" if data.is_complete(day) else "no (today)",
                    ]

    return csv_response(rows(), f"{project.slug}-metrics-{start}-{end}.csv")


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
