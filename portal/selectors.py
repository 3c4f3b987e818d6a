"""Reads for the portfolio: everything aggregated in the database, whatever the number of
projects (no per-project queries, no Python loops over querysets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from assessments.models import RequirementsDocument
from metrics.models import Alert, DailyRollup
from metrics.vocabulary import Metric
from projects.models import Project, ProjectStatus, ProjectStep, Step, StepStatus
from projects.selectors import LAUNCHED, project_list_for_user

if TYPE_CHECKING:
    from portal.models import User


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def portfolio_projects(user: User) -> QuerySet[Project]:
    """The visible projects with their step facts and why each one is at risk."""
    stalled_before = timezone.now() - timedelta(days=settings.RUNWAY_STALLED_AFTER_DAYS)
    return project_list_for_user(user).annotate(
        has_open_alert=Exists(
            Alert.objects.filter(project=OuterRef("pk"), status=Alert.Status.OPEN)
        ),
        owner_says_at_risk=Q(status__in=[ProjectStatus.AT_RISK, ProjectStatus.BLOCKED]),
        stalled=Q(current_activity__lt=stalled_before, current_step__lt=LAUNCHED)
        & ~Q(current_step_status=StepStatus.NOT_STARTED),
    )


AT_RISK = (
    Q(owner_says_at_risk=True)
    | Q(has_open_alert=True)
    | Q(has_overdue_step=True)
    | Q(stalled=True)
)


@dataclass(frozen=True)
class Overview:
    in_flight: int
    launched_this_quarter: int
    at_risk: int
    spend_month_to_date: Decimal
    budgets: Decimal
    funnel: list[
        tuple[int, str, int]
    ]  # (step number, short name, projects there); 8 = launched


def portfolio_overview(user: User, today: date | None = None) -> Overview:
    """Headline numbers and the funnel, in a handful of queries."""
    today = today or timezone.localdate()
    projects = portfolio_projects(user)
    visible = projects.values("pk")
    by_step = {
        row["current_step"]: row["n"]
        # current_step is an annotation the stubs cannot see.
        for row in projects.order_by()
        .values("current_step")  # type: ignore[misc]
        .annotate(n=Count("id", distinct=True))
    }
    names = dict(Step.objects.values_list("number", "short_name"))
    funnel = [(n, names.get(n, str(n)), by_step.get(n, 0)) for n in range(1, 8)]
    funnel.append((LAUNCHED, "Launched", by_step.get(LAUNCHED, 0)))
    launched = ProjectStep.objects.filter(
        project__in=visible,
        step__number=7,
        status=StepStatus.DONE,
        completed_at__date__gte=quarter_start(today),
    ).count()
    # Billed cost where a provider reports it for the project, observed cost otherwise.
    month = DailyRollup.objects.filter(
        project__in=visible,
        day__gte=today.replace(day=1),
        service__deleted_at__isnull=True,
    )
    billed_projects = month.filter(metric=Metric.COST_BILLED_USD).values("project")
    spend = month.filter(
        Q(metric=Metric.COST_BILLED_USD)
        | (Q(metric=Metric.COST_OBSERVED_USD) & ~Q(project__in=billed_projects))
    ).aggregate(total=Sum("value"))["total"] or Decimal(0)
    budgets = RequirementsDocument.objects.filter(project__in=visible).aggregate(
        total=Sum("approved_version__monthly_budget_usd")
    )["total"] or Decimal(0)
    return Overview(
        in_flight=sum(n for step, n in by_step.items() if step != LAUNCHED),
        launched_this_quarter=launched,
        at_risk=projects.filter(AT_RISK).count(),
        spend_month_to_date=spend,
        budgets=budgets,
        funnel=funnel,
    )


def risk_reasons(project: Any) -> list[str]:
    """Why a project from ``portfolio_projects`` is at risk, in words (no queries)."""
    reasons = []
    if getattr(project, "owner_says_at_risk", False):
        reasons.append(f"owner says {project.get_status_display().lower()}")
    if getattr(project, "has_open_alert", False):
        reasons.append("open alert")
    if getattr(project, "has_overdue_step", False):
        reasons.append("overdue step")
    if getattr(project, "stalled", False):
        reasons.append("stalled")
    return reasons
