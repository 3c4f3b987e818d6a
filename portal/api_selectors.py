"""Reads behind the read-only API that ``portal.selectors`` does not offer yet.

``api_portfolio_projects`` adds, in the database, the per-project figures the API lists
(readiness, spend this month, budget, quality, open alerts, when the current step
started) to ``portfolio_projects``. Its annotations carry an ``api_`` prefix so they
cannot collide with the ones ``portal.selectors`` is gaining; once those have landed,
this function can go and the API can read theirs (same definitions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Avg,
    Count,
    DecimalField,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.models import CriterionScore, GapAssessment
from assessments.selectors import readiness_of
from metrics.dashboard import project_dashboard
from metrics.models import Alert, DailyRollup
from metrics.vocabulary import METRICS, Metric
from portal.selectors import portfolio_projects
from projects.models import Project, ProjectStep, StepStatus
from projects.selectors import LAUNCHED

if TYPE_CHECKING:
    from portal.models import User

QUALITY_WINDOW_DAYS = 30  # a project's quality is the mean daily score of this window
METRICS_LOOKBACK_DAYS = 14  # "latest metrics": the newest day with data in this window
MONEY = DecimalField(max_digits=20, decimal_places=6)


def _cost_this_month(metric: Metric, month_start: date, today: date) -> Subquery:
    return Subquery(
        DailyRollup.objects.filter(
            project=OuterRef("pk"),
            metric=metric,
            day__gte=month_start,
            day__lte=today,
            service__deleted_at__isnull=True,
        )
        .order_by()
        .values("project")
        .annotate(total=Sum("value"))
        .values("total")[:1],
        output_field=MONEY,
    )


def api_portfolio_projects(user: User, today: date | None = None) -> QuerySet[Project]:
    """``portfolio_projects`` plus, per project and in the same query: the latest
    readiness score and when it was assessed; spend this month (billed cost where a
    provider bills the project, observed cost otherwise) and the approved monthly
    budget; the mean quality score of the last 30 days for the score the approved
    requirements name, and its target; open alerts; when the current step started."""
    today = today or timezone.localdate()
    approved = "requirements__approved_version__"
    latest_assessment = GapAssessment.objects.filter(project=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    current_step = (
        ProjectStep.objects.filter(project=OuterRef("pk"))
        .exclude(status=StepStatus.DONE)
        .order_by("step__number")
    )
    month_start = today.replace(day=1)
    return portfolio_projects(user).annotate(
        api_readiness=Subquery(latest_assessment.values("overall_readiness")[:1]),
        api_assessed_at=Subquery(latest_assessment.values("created_at")[:1]),
        api_budget=F(f"{approved}monthly_budget_usd"),
        api_quality_name=F(f"{approved}quality_score_name"),
        api_quality_target=F(f"{approved}quality_score_target"),
        api_spend=Coalesce(
            _cost_this_month(Metric.COST_BILLED_USD, month_start, today),
            _cost_this_month(Metric.COST_OBSERVED_USD, month_start, today),
        ),
        api_quality=Subquery(
            DailyRollup.objects.filter(
                project=OuterRef("pk"),
                metric=Metric.QUALITY_SCORE,
                dimension=OuterRef("api_quality_name"),
                day__gt=today - timedelta(days=QUALITY_WINDOW_DAYS),
                day__lte=today,
                service__deleted_at__isnull=True,
            )
            .order_by()
            .values("project")
            .annotate(mean=Avg("value"))
            .values("mean")[:1],
            output_field=MONEY,
        ),
        api_open_alerts=Coalesce(
            Subquery(
                Alert.objects.filter(project=OuterRef("pk"), status=Alert.Status.OPEN)
                .order_by()
                .values("project")
                .annotate(n=Count("id"))
                .values("n")[:1]
            ),
            Value(0),
        ),
        api_step_started_at=Subquery(current_step.values("started_at")[:1]),
    )


def days_in_current_step(project: Any, today: date) -> int | None:
    """Whole days since the current step started, for a project from
    ``api_portfolio_projects`` (None once launched or before the step started)."""
    started: datetime | None = getattr(project, "api_step_started_at", None)
    if getattr(project, "current_step", LAUNCHED) == LAUNCHED or started is None:
        return None
    return max((today - timezone.localdate(started)).days, 0)


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
