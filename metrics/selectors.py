"""Reads of the metrics app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Max, QuerySet, Sum
from django.utils import timezone

from metrics.models import ConnectedService, DailyRollup
from metrics.vocabulary import METRICS, Metric
from projects.access import visible_projects

if TYPE_CHECKING:
    from portal.models import User
    from projects.models import Project


def services_of(project: Project) -> QuerySet[ConnectedService]:
    return ConnectedService.objects.filter(
        project=project, deleted_at__isnull=True
    ).prefetch_related("runs")


def visible_services(user: User) -> QuerySet[ConnectedService]:
    """Services of the projects the user may see, plus unmapped ones for admins."""
    return (
        ConnectedService.objects.filter(
            deleted_at__isnull=True, project__in=visible_projects(user)
        )
        .select_related("project")
        .order_by("project__name", "name")
    )


@dataclass(frozen=True)
class MetricSummary:
    metric: str
    label: str
    unit: str
    value: Decimal | None
    source: str
    latest_day: date | None


ADDITIVE = {m for m, info in METRICS.items() if info.combine == "sum"}


def last_days_summary(project: Project, days: int = 7) -> list[MetricSummary]:
    """Per metric over the last ``days`` days: the total for counts and money, the latest
    daily value for percentiles and scores (never averaged), per source."""
    since = timezone.localdate() - timedelta(days=days)
    rows = (
        DailyRollup.objects.filter(
            project=project, day__gte=since, service__deleted_at__isnull=True
        )
        .values("metric", "service__name")
        .annotate(total=Sum("value"), latest=Max("day"))
        .order_by("metric", "service__name")
    )
    latest_values = {
        (r["metric"], r["service__name"], r["day"]): r["value"]
        for r in DailyRollup.objects.filter(
            project=project, day__gte=since, dimension=""
        ).values("metric", "service__name", "day", "value")
    }
    summaries = []
    for row in rows:
        metric = Metric(row["metric"])
        info = METRICS[metric]
        value = (
            row["total"]
            if metric in ADDITIVE
            else latest_values.get((row["metric"], row["service__name"], row["latest"]))
        )
        summaries.append(
            MetricSummary(
                metric.value,
                info.label,
                info.unit,
                value,
                row["service__name"],
                row["latest"],
            )
        )
    return summaries
