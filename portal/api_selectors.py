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
from metrics.dashboard import project_dashboard
from metrics.models import Alert
from metrics.vocabulary import METRICS
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
class LatestMetric:
    metric: str
    label: str
    unit: str
    dimension: str  # a score's name for quality; "" for the whole project
    source: str
    day: date
    value: Decimal


def latest_metrics(project: Project, today: date | None = None) -> list[LatestMetric]:
    """Each metric's newest daily value from the source that counts (the dashboard's
    rule), looking back two weeks: the day's total for counts and money, the reported
    value for percentiles and scores (per score name). Four queries."""
    today = today or timezone.localdate()
    data = project_dashboard(
        project, start=today - timedelta(days=METRICS_LOOKBACK_DAYS - 1), end=today
    )
    latest: list[LatestMetric] = []
    for metric, series in data.series.items():
        info = METRICS[metric]
        days = sorted(series.values, reverse=True)
        if info.combine == "sum":
            for day in days:
                total = series.total(day)
                if total is not None:
                    latest.append(
                        LatestMetric(
                            metric, info.label, info.unit, "", series.source, day, total
                        )
                    )
                    break
            continue
        for dimension in series.dimensions():
            for day in days:
                value = series.values[day].get(dimension)
                if value is not None:
                    latest.append(
                        LatestMetric(
                            metric,
                            info.label,
                            info.unit,
                            dimension,
                            series.source,
                            day,
                            value,
                        )
                    )
                    break
    return latest


def open_alerts_of(project: Project, limit: int = 50) -> list[Alert]:
    """The project's open alerts, newest first."""
    return list(
        Alert.objects.filter(project=project, status=Alert.Status.OPEN).order_by(
            "-opened_at", "-id"
        )[:limit]
    )
