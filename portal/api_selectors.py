"""Reads behind the read-only API beyond ``portal.selectors``: when the readiness was
assessed, and one project's readiness per area, latest metrics and open alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from assessments.models import CriterionScore, GapAssessment
from assessments.selectors import readiness_of
from metrics.dashboard import DashboardData, Series, project_dashboard
from metrics.figures import Source
from metrics.models import Alert
from metrics.vocabulary import METRICS, Metric
from portal.selectors import PortfolioFilters, portfolio_projects
from projects.models import Membership, Project

if TYPE_CHECKING:
    from portal.models import User

METRICS_LOOKBACK_DAYS = 14  # "latest metrics": the newest day with data in this window


def api_portfolio_projects(
    user: User, filters: PortfolioFilters | None = None, today: date | None = None
) -> QuerySet[Any]:
    """``portfolio_projects`` plus when the latest gap assessment (whose score is its
    ``readiness``) was recorded, and the members."""
    latest_assessment = GapAssessment.objects.filter(project=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    projects: QuerySet[Any] = (
        portfolio_projects(user, filters, today)
        .annotate(
            readiness_assessed_at=Subquery(latest_assessment.values("created_at")[:1])
        )
        # The API gives the owner's email too: the members, in one query per page.
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("user"))
        )
    )
    return projects


@dataclass(frozen=True)
class LatestReadiness:
    score: float
    assessed_at: datetime
    by_area: dict[str, float]
    open_gaps: int


def latest_readiness(project: Project) -> LatestReadiness | None:
    """The latest gap assessment's readiness, overall and per area. Two queries."""
    assessment = (
        GapAssessment.objects.filter(project=project)
        .order_by("-created_at", "-id")
        .prefetch_related(
            Prefetch(
                "scores", queryset=CriterionScore.objects.select_related("criterion")
            )
        )
        .first()
    )
    if assessment is None:
        return None
    result = readiness_of(assessment)
    return LatestReadiness(
        score=float(assessment.overall_readiness),
        assessed_at=assessment.created_at,
        by_area=result.by_area,
        open_gaps=len(result.gaps),
    )


@dataclass(frozen=True)
class SourceValue:
    """One source's own value of a figure for a day, and whether it is the one counted."""

    name: str
    family: str
    counts: bool
    value: Decimal | None
    last_synced_at: datetime | None


@dataclass(frozen=True)
class LatestMetric:
    metric: str
    label: str
    unit: str
    dimension: str  # a score's name for quality; "" for the whole project
    source: str
    day: date
    value: Decimal
    # "Why this number": the day is complete, the rule, and every source's own value.
    complete: bool
    family: str
    rule: str
    sources: list[SourceValue]


def latest_metrics(project: Project, today: date | None = None) -> list[LatestMetric]:
    """Each metric's newest daily value from the sources that count (the dashboard's
    selector), looking back two weeks: the day's total for counts and money, the
    reported value for percentiles and scores (per score name), each with what every
    source reported that day. Four queries."""
    today = today or timezone.localdate()
    data = project_dashboard(
        project, start=today - timedelta(days=METRICS_LOOKBACK_DAYS - 1), end=today
    )
    latest: list[LatestMetric] = []
    for metric, series in data.series.items():
        info = METRICS[metric]
        additive = info.combine == "sum"
        counting = set(series.counted.pks)
        for dimension in [""] if additive else series.dimensions():
            found = _newest(series, dimension, additive)
            if found is None:
                continue
            day, value = found

            latest.append(
                LatestMetric(
                    metric,
                    info.label,
                    info.unit,
                    dimension,
                    series.source,
                    day,
                    value,
                    data.is_complete(day),
                    series.family.value,
                    series.counted.rule,
                    [
                        SourceValue(
                            s.name,
                            s.family.value,
                            s.pk in counting,
                            _own_value(data, metric, s, day, dimension),
                            s.last_success,
                        )
                        for s in data.sources.values()
                        if s.pk in counting or data.reported_by(metric, s)
                    ],
                )
            )
    return latest


def _own_value(
    data: DashboardData, metric: Metric, source: Source, day: date, dimension: str
) -> Decimal | None:
    """What one source reported itself for the day (all models, or one score)."""
    values = data.reported_by(metric, source).get(day)
    if not values:
        return None
    if METRICS[metric].combine == "sum":
        return sum(values.values(), Decimal(0))
    return values.get(dimension)


def _newest(
    series: Series, dimension: str, additive: bool
) -> tuple[date, Decimal] | None:
    for day in sorted(series.values, reverse=True):
        value = series.total(day) if additive else series.values[day].get(dimension)
        if value is not None:
            return day, value
    return None


def open_alerts_of(project: Project, limit: int = 50) -> list[Alert]:
    """The project's open alerts, newest first."""
    return list(
        Alert.objects.filter(project=project, status=Alert.Status.OPEN).order_by(
            "-opened_at", "-id"
        )[:limit]
    )
