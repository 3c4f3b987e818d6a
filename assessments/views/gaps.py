"""Step 2: gap assessments, readiness and its trend, gaps turned into checklist items."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments import charts, selectors, services
from assessments.models import AssessmentCriterion, CriterionScore, GapAssessment
from assessments.readiness import LEVELS
from projects.access import Action, can, get_project_for_user
from projects.query import whole_number
from projects.selectors import with_members

if TYPE_CHECKING:
    from portal.http import AuthedRequest


def _area_levels(
    assessment: GapAssessment,
) -> tuple[list[str], list[float], list[float]]:
    """Average level now and target per area, areas in criterion order."""
    now: dict[str, list[int]] = defaultdict(list)
    target: dict[str, list[int]] = defaultdict(list)
    for score in assessment.scores.all():
        now[score.criterion.area_name].append(score.level)
        target[score.criterion.area_name].append(score.target)
    areas = list(now)
    return (
        areas,
        [round(sum(now[a]) / len(now[a]), 2) for a in areas],
        [round(sum(target[a]) / len(target[a]), 2) for a in areas],
    )


@dataclass(frozen=True)
class Row:
    """One criterion on the assessment form, with the values typed so far."""

    criterion: AssessmentCriterion
    level: str
    target: str
    note: str


@require_GET
def project_assessments(request: AuthedRequest, slug: str) -> HttpResponse:
    project = with_members(get_project_for_user(request.user, slug))
    assessments = selectors.assessments_of(project)
    latest = assessments[0] if assessments else None
    previous = assessments[1] if len(assessments) > 1 else None
    context: dict[str, Any] = {
        "project": project,
        "tab": "assessments",
        "section": "gaps",
        "assessments": assessments,
        "latest": latest,
        "may_run": can(request.user, project, Action.RUN_ASSESSMENT),
        "may_edit": can(request.user, project, Action.EDIT),
        "members": project.memberships.all(),
        "steps": range(1, 8),
    }
    if latest is not None:
        result = selectors.readiness_of(latest)
        areas, now_levels, target_levels = _area_levels(latest)
        previous_levels = None
        trend: dict[str, float | None] = {}
        if previous is not None:
            previous_result = selectors.readiness_of(previous)
            prev_areas, prev_levels, _ = _area_levels(previous)
            by_area = dict(zip(prev_areas, prev_levels, strict=True))
            previous_levels = [by_area.get(a, 0.0) for a in areas]
            from assessments.readiness import trend as readiness_trend

            trend = readiness_trend(previous_result, result)
        context.update(
            result=result,
            trend=trend,
            area_rows=[(a, result.by_area[a], trend.get(a)) for a in result.by_area],
            gaps=[s for s in latest.scores.all() if s.is_gap],
            chart=charts.readiness_figure(
                areas, now_levels, target_levels, previous_levels
            ),
            chart_summary=", ".join(
                f"{a}: level {n} now, target {t}"
                for a, n, t in zip(areas, now_levels, target_levels, strict=True)
            ),
            chart_rows=list(
                zip(
                    areas,
                    now_levels,
                    target_levels,
                    previous_levels or [None] * len(areas),  # type: ignore[list-item]
                    strict=True,
                )
            ),
        )
    return render(request, "assessments/project_assessments.html", context)


@require_http_methods(["GET", "POST"])
def assessment_new(request: AuthedRequest, slug: str) -> HttpResponse:
    project = with_members(
        get_project_for_user(request.user, slug, Action.RUN_ASSESSMENT)
    )
    criteria = list(AssessmentCriterion.objects.filter(active=True))
    latest = GapAssessment.objects.filter(project=project).first()
    previous = {s.criterion_id: s for s in latest.scores.all()} if latest else {}
    errors: dict[int, str] = {}
    rows: list[Row] = []
    for criterion in criteria:
        prior = previous.get(criterion.pk)
        if request.method == "POST":
            # Only what was posted counts: a criterion left out of the post is an
            # error, never a silent copy of the previous assessment's score.
            level = request.POST.get(f"level-{criterion.pk}", "")
            target = request.POST.get(f"target-{criterion.pk}", "")
            note = request.POST.get(f"note-{criterion.pk}", "")
        else:
            level = str(prior.level) if prior else ""
            target = str(prior.target if prior else criterion.default_target)
            note = prior.note if prior else ""
        if request.method == "POST" and (
            whole_number(level, 0, 4) is None or whole_number(target, 0, 4) is None
        ):
            errors[criterion.pk] = "Choose a level and a target between 0 and 4."
        rows.append(Row(criterion, level, target, note))
    if request.method == "POST" and not errors:
        services.assessment_record(
            project=project,
            assessor=request.user,
            note=request.POST.get("note", "")[:2000],
            scores=[
                services.ScoreInput(
                    r.criterion, int(r.level), int(r.target), r.note[:2000]
                )
                for r in rows
            ],
        )
        messages.success(request, "Assessment recorded.")
        return redirect("assessments:project", slug=project.slug)
    return render(
        request,
        "assessments/assessment_form.html",
        {
            "project": project,
            "tab": "assessments",
            "rows": rows,
            "errors": errors,
            "levels": LEVELS,
            "note": request.POST.get("note", ""),
            "may_edit": can(request.user, project, Action.EDIT),
        },
    )


def _due_date(text: str) -> date | None:
    """The posted due date, or None when it is empty or not a real date."""
    try:
        return parse_date(text) if text else None
    except ValueError:  # well formed but impossible, e.g. 2026-02-30
        return None


@require_POST
def gap_to_item(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.RUN_ASSESSMENT)
    score = get_object_or_404(
        CriterionScore.objects.select_related("criterion", "assessment__project"),
        assessment__project=project,
        pk=pk,
    )
    assignee = project.memberships.filter(
        user_id=whole_number(request.POST.get("assignee")) or 0
    ).first()
    step = whole_number(request.POST.get("step"), 1, 7)
    due_text = request.POST.get("due_date", "").strip()
    due = _due_date(due_text)
    if assignee is None or step is None:
        messages.error(
            request, "Choose a step and an owner from the project's members."
        )
        return redirect("assessments:project", slug=project.slug)
    if due_text and due is None:
        messages.error(request, "Give the due date as a date (YYYY-MM-DD), or none.")
        return redirect("assessments:project", slug=project.slug)
    try:
        with transaction.atomic():
            services.gap_to_checklist(
                score=score,
                step_number=step,
                assignee=assignee.user,
                due_date=due,
                actor=request.user,
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"“{score.criterion.name}” is now a checklist item in step {step}."
        )
    return redirect("assessments:project", slug=project.slug)
