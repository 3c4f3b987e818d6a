"""Reads of the assessments app, and the targets other apps use as thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce

from assessments import costs, readiness
from assessments.models import (
    AssessmentDraft,
    CostScenario,
    CriterionScore,
    GapAssessment,
    PartnerScoring,
    RequirementsDocument,
    RequirementsVersion,
    ScenarioTier,
)
from assessments.requirements import FIELDS
from projects.access import visible_projects
from projects.models import Project

if TYPE_CHECKING:
    from portal.models import User


@dataclass(frozen=True)
class Targets:
    """The approved requirements' targets: the single source of truth for thresholds."""

    version: int
    approved_at: datetime | None
    p95_latency_ms: int | None
    error_rate_pct: Decimal | None
    uptime_pct: Decimal | None
    quality_score_name: str
    quality_score_target: Decimal | None
    monthly_budget_usd: Decimal | None
    requests_per_day: int | None
    peak_rps: Decimal | None = None


def approved_targets(project: Project) -> Targets | None:
    """The targets of the approved requirements version, or None before approval."""
    # The columns as one row, not two model instances (the dashboard reads this on
    # every refresh).
    row = (
        RequirementsDocument.objects.filter(
            project=project, approved_version__isnull=False
        )
        .order_by("pk")
        .values_list(
            "approved_version__number",
            "approved_at",
            "approved_version__p95_latency_ms",
            "approved_version__error_rate_pct",
            "approved_version__uptime_pct",
            "approved_version__quality_score_name",
            "approved_version__quality_score_target",
            "approved_version__monthly_budget_usd",
            "approved_version__requests_per_day",
            "approved_version__peak_rps",
        )
        .first()
    )
    if row is None:
        return None
    return Targets(*row)


def requirements_of(
    project: Project,
) -> tuple[RequirementsDocument | None, list[RequirementsVersion]]:
    document = RequirementsDocument.objects.filter(project=project).first()
    if document is None:
        return None, []
    return document, list(
        document.versions.select_related("author").order_by("-number")
    )


def version_values(version: RequirementsVersion) -> dict[str, Any]:
    return {field: getattr(version, field) for field, _ in FIELDS}


def assessments_of(project: Project) -> list[GapAssessment]:
    """The project's assessments, newest first, with their scores and criteria."""
    return list(
        GapAssessment.objects.filter(project=project)
        .select_related("assessor")
        .prefetch_related(
            Prefetch(
                "scores",
                queryset=CriterionScore.objects.select_related(
                    "criterion",
                    "checklist_item",
                    "checklist_item__assignee",
                    "checklist_item__step",
                ),
            )
        )
    )


def latest_assessment(project: Project) -> GapAssessment | None:
    """The project's current assessment (the latest recorded; drafts are never one),
    with its scores and their criteria."""
    return (
        GapAssessment.objects.filter(project=project)
        .select_related("project")
        .prefetch_related(
            Prefetch(
                "scores", queryset=CriterionScore.objects.select_related("criterion")
            )
        )
        .first()
    )


def _scored(assessment: GapAssessment) -> list[readiness.CriterionScore]:
    return [
        readiness.CriterionScore(
            s.criterion.area_name, s.criterion.name, s.level, s.target
        )
        for s in assessment.scores.all()
    ]


def readiness_of(assessment: GapAssessment) -> readiness.Readiness:
    """Readiness of ``assessment`` (criteria not assessed count in no average)."""
    return readiness.readiness(_scored(assessment))


def area_levels_of(assessment: GapAssessment) -> list[readiness.AreaLevels]:
    """Average level now and target per area, over the assessed criteria."""
    return readiness.area_levels(_scored(assessment))


def draft_of(project: Project) -> AssessmentDraft | None:
    """The assessment the project's lead or owner is still writing, if any."""
    return (
        AssessmentDraft.objects.filter(project=project).select_related("author").first()
    )


def unowned_gaps(assessment: GapAssessment) -> dict[int, CriterionScore]:
    """The gaps of ``assessment`` that no checklist item holds yet, by id: the ones
    an owner can be given from the gap list."""
    return {
        score.pk: score
        for score in assessment.scores.all()
        if score.is_gap and score.checklist_item_id is None
    }


def scenarios_of(project: Project) -> list[CostScenario]:
    return list(
        CostScenario.objects.filter(project=project).prefetch_related(
            Prefetch("tiers", queryset=ScenarioTier.objects.select_related("model"))
        )
    )


def projection_of(scenario: CostScenario, budget: Decimal | None) -> costs.Projection:
    return costs.project_costs(
        costs.Scenario(
            requests_per_day=scenario.requests_per_day,
            input_tokens=scenario.input_tokens,
            output_tokens=scenario.output_tokens,
            retrieval_tokens=scenario.retrieval_tokens,
            tiers=[
                costs.Tier(
                    model=t.model.name,
                    input_price_per_mtok=t.model.input_per_mtok,
                    output_price_per_mtok=t.model.output_per_mtok,
                    share=t.share_pct / 100,
                )
                for t in scenario.tiers.all()
            ],
            monthly_growth=scenario.monthly_growth_pct / 100,
            budget=budget,
        )
    )


def portfolio_assessments(
    user: User, *, team: str = "", outcome: str = "", assessed: str = ""
) -> tuple[list[Project], list[dict[str, Any]]]:
    """Per visible project: latest readiness, latest build-vs-partner outcome and open
    gaps (annotated in the database); plus open gaps counted by area."""
    latest = GapAssessment.objects.filter(project=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    latest_scoring = PartnerScoring.objects.filter(project=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    # One level deeper, the project is the outer query's outer query: a plain
    # OuterRef("pk") there would name the criterion score, not the project.
    latest_of_project = GapAssessment.objects.filter(
        project=OuterRef(OuterRef("pk"))
    ).order_by("-created_at", "-id")
    open_gaps = (
        CriterionScore.objects.filter(
            assessment=Subquery(latest_of_project.values("pk")[:1]),
            level__lt=F("target"),
        )
        .filter(Q(checklist_item__isnull=True) | Q(checklist_item__state="open"))
        .values("assessment")
        .annotate(n=Count("id"))
        .values("n")
    )
    projects = (
        visible_projects(user)
        .filter(archived_at__isnull=True)
        .select_related("team")
        .annotate(
            readiness=Subquery(latest.values("overall_readiness")[:1]),
            assessed_at=Subquery(latest.values("created_at")[:1]),
            outcome=Subquery(latest_scoring.values("outcome")[:1]),
            open_gaps=Coalesce(Subquery(open_gaps[:1]), Value(0)),
        )
        .order_by("name")
    )
    if team:
        projects = projects.filter(team__slug=team)
    if outcome:
        projects = projects.filter(outcome=outcome)
    if assessed == "yes":
        projects = projects.filter(assessed_at__isnull=False)
    elif assessed == "no":
        projects = projects.filter(assessed_at__isnull=True)
    rows = list(projects)
    # The latest assessment of each listed project, in one query.
    latest_per_project: dict[int, int] = {}
    for assessment_id, project_id in (
        GapAssessment.objects.filter(project__in=[p.pk for p in rows])
        .order_by("-created_at", "-id")
        .values_list("pk", "project_id")
    ):
        latest_per_project.setdefault(project_id, assessment_id)
    by_area = list(
        CriterionScore.objects.filter(
            assessment__in=list(latest_per_project.values()), level__lt=F("target")
        )
        .filter(Q(checklist_item__isnull=True) | Q(checklist_item__state="open"))
        .values("criterion__area_name")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    # Annotated rows are still Projects; the stubs cannot see it.
    return rows, by_area  # type: ignore[return-value]
