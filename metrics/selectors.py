"""Reads of the metrics app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import F, Max, QuerySet, Sum
from django.utils import timezone

from metrics.models import ConnectedService, DailyRollup, IngestToken
from metrics.vocabulary import METRICS, Metric
from projects.access import visible_projects

if TYPE_CHECKING:
    from portal.models import User
    from projects.models import Project


def services_of(project: Project) -> QuerySet[ConnectedService]:
    return ConnectedService.objects.filter(
        project=project, deleted_at__isnull=True
    ).prefetch_related("runs")


def tokens_of(project: Project) -> QuerySet[IngestToken]:
    """The project's push tokens, live ones first, newest first."""
    return IngestToken.objects.filter(project=project).order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-id"
    )


def visible_services(user: User) -> QuerySet[ConnectedService]:
    """Services of the projects the user may see; organisation-wide ones (no project)
    are listed apart, for admins, by ``org_services``."""
    return (
        ConnectedService.objects.filter(
            deleted_at__isnull=True, project__in=visible_projects(user)
        )
        .select_related("project")
        .order_by("project__name", "name")
    )


def org_services(kind: str | None = None) -> QuerySet[ConnectedService]:
    """The live organisation-wide provider services, optionally of one kind."""
    found = ConnectedService.objects.filter(
        project__isnull=True, deleted_at__isnull=True
    )
    return found.filter(kind=kind) if kind else found


def mapped_services(org_service: ConnectedService) -> QuerySet[ConnectedService]:
    """The live project services that sync with ``org_service``'s key."""
    return ConnectedService.objects.filter(
        project__isnull=False,
        deleted_at__isnull=True,
        config__org_service=org_service.pk,
    )


def mapped_counts(org: list[ConnectedService]) -> dict[int, int]:
    """How many live project services use each org-wide service's key; one query."""
    pks = {s.pk for s in org}
    counts: dict[int, int] = {}
    for config in ConnectedService.objects.filter(
        project__isnull=False, deleted_at__isnull=True, config__has_key="org_service"
    ).values_list("config", flat=True):
        pk = config.get("org_service")
        if pk in pks:
            counts[pk] = counts.get(pk, 0) + 1
    return counts


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
    """Per metric and source over the last ``days`` days: the total for counts and money
    (all models together); for percentiles and scores the latest day's value, per score
    name, as reported (never averaged). Two queries."""
    since = timezone.localdate() - timedelta(days=days)
    recent = DailyRollup.objects.filter(
        project=project, day__gte=since, service__deleted_at__isnull=True
    )
    totals = (
        recent.filter(metric__in=[m.value for m in ADDITIVE])
        .values("metric", "service__name")
        .annotate(total=Sum("value"), latest=Max("day"))
    )
    summaries = [
        MetricSummary(
            r["metric"],
            METRICS[Metric(r["metric"])].label,
            METRICS[Metric(r["metric"])].unit,
            r["total"],
            r["service__name"],
            r["latest"],
        )
        for r in totals
    ]
    latest: dict[tuple[str, str, str], tuple[date, Decimal]] = {}
    for metric, dimension, source, day, value in (
        recent.exclude(metric__in=[m.value for m in ADDITIVE])
        .order_by("day")
        .values_list("metric", "dimension", "service__name", "day", "value")
    ):
        latest[(metric, dimension, source)] = (day, value)
    for (metric, dimension, source), (day, value) in latest.items():
        info = METRICS[Metric(metric)]
        label = f"{info.label} ({dimension})" if dimension else info.label
        summaries.append(MetricSummary(metric, label, info.unit, value, source, day))
    return sorted(summaries, key=lambda row: (row.label, row.source))


def source_choices(
    project: Project,
) -> list[tuple[str, str, list[ConnectedService], int | None]]:
    """For each metric fed by several observability sources: (metric, label, the
    sources, the chosen one). Provider reports are not a choice: they add up
    (``metrics.figures``)."""
    from metrics.figures import BILLED_PROVIDES
    from metrics.models import MetricSource

    services = {s.pk: s for s in services_of(project) if s.kind not in BILLED_PROVIDES}
    fed: dict[str, list[ConnectedService]] = {}
    for metric, service_id in (
        DailyRollup.objects.filter(project=project, service_id__in=list(services))
        .values_list("metric", "service_id")
        .distinct()
        .order_by("metric", "service_id")
    ):
        fed.setdefault(metric, []).append(services[service_id])
    chosen = dict(
        MetricSource.objects.filter(project=project).values_list("metric", "service_id")
    )
    return [
        (metric, METRICS[Metric(metric)].label, sources, chosen.get(metric))
        for metric, sources in fed.items()
        if len(sources) > 1
    ]
