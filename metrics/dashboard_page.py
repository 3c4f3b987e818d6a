"""What the project dashboard shows over a range: the part computed from the project's
metrics alone (tiles, charts, reconciliation link), rendered once per metrics version
and range, the newest alerts, and the range's figures as CSV rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from core import fragments
from metrics.dashboard import DashboardData, month_cost, project_dashboard
from metrics.dashboard_charts import dashboard_charts
from metrics.dashboard_tiles import dashboard_tiles
from metrics.models import Alert
from projects.models import Project

ALERTS_SHOWN = 50


@dataclass(frozen=True)
class DashboardBody:
    """The dashboard of a project's metrics over a range, the same for every viewer."""

    has_targets: bool
    # templates/metrics/_dashboard_metrics.html, rendered (and escaped) by the template
    # engine: kept whole, so a refresh with unchanged metrics renders nothing again.
    html: SafeString
    # The newest alerts, as instances: the template decides per viewer whether to
    # offer "Acknowledge".
    alerts: list[Alert]

    @property
    def open_alerts(self) -> list[Alert]:
        return [a for a in self.alerts if a.status == Alert.Status.OPEN]


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
                "tiles": dashboard_tiles(data, month_cost(project, today, whole)),
                "charts": dashboard_charts(data),
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
        return DashboardBody(data.targets is not None, html, alerts)

    # The name changes with DashboardBody's module or fields: an entry cached by an
    # earlier release would not unpickle into this one.
    # The body refreshes every minute in every open dashboard; it is built again only
    # when what it reads changes, the day turns or its timeout passes (the
    # "project-dashboard" fragment).
    return fragments.cached(
        "project-dashboard",
        f"dashboard-body:{project.slug}:{start}:{end}:{today}",
        build,
        project_id=project.pk,
    )


CSV_HEADER = (
    "day",
    "metric",
    "dimension",
    "value",
    "unit",
    "source",
    "family",
    "complete",
)


def metrics_csv_rows(data: DashboardData) -> Iterator[list[str]]:
    """A header, then one row per day, metric and dimension (model or score name)."""
    yield list(CSV_HEADER)
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
