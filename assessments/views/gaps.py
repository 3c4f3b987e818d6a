"""Step 2: gap assessments (drafts too), readiness and its trend, and gaps turned into
checklist items, one at a time or several with one owner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments import charts, selectors, services
from assessments.forms import (
    NOTE_MAX,
    GapAssessmentForm,
    GapOwnersForm,
    parse_due_date,
    values_of,
    values_of_draft,
)
from assessments.models import AssessmentCriterion, AssessmentDraft, CriterionScore
from assessments.readiness import LEVELS, trend
from core.query import whole_number
from projects.access import Action, can, get_project_for_user
from projects.models import Project
from projects.selectors import with_members

if TYPE_CHECKING:
    from core.http import AuthedRequest


def _gaps_page(
    request: AuthedRequest, project: Project, owners: GapOwnersForm | None = None
) -> HttpResponse:
    """The gap assessment page; ``owners`` is a posted "several gaps, one owner" form
    to show again with its errors and ticks."""
    assessments = selectors.assessments_of(project)
    latest = assessments[0] if assessments else None
    previous = assessments[1] if len(assessments) > 1 else None
    may_run = can(request.user, project, Action.RUN_ASSESSMENT)
    context: dict[str, Any] = {
        "project": project,
        "tab": "assessments",
        "section": "gaps",
        "assessments": assessments,
        "latest": latest,
        "previous": previous,
        "may_run": may_run,
        "may_edit": can(request.user, project, Action.EDIT),
        "draft": selectors.draft_of(project) if may_run else None,
        "members": project.memberships.all(),
        "steps": range(1, 8),
        "owners": owners,
        "ticked": set(owners.selected) if owners else set(),
    }
    if latest is not None:
        result = selectors.readiness_of(latest)
        levels = selectors.area_levels_of(latest)
        changes = trend(selectors.readiness_of(previous) if previous else None, result)
        before = (
            {a.area: a.now for a in selectors.area_levels_of(previous)}
            if previous
            else None
        )
        previous_levels = [before.get(a.area) for a in levels] if before else None
        scores = list(latest.scores.all())
        context.update(
            result=result,
            trend=changes,
            area_rows=[
                (a.area, result.by_area.get(a.area), changes.get(a.area))
                for a in levels
            ],
            gaps=[s for s in scores if s.is_gap],
            unowned=selectors.unowned_gaps(latest) if may_run else {},
            not_assessed=[s for s in scores if s.not_assessed],
            chart=charts.readiness_figure(
                [a.area for a in levels],
                [a.now for a in levels],
                [a.target for a in levels],
                previous_levels,
            ),
            chart_summary=charts.readiness_summary(levels),
            chart_rows=[
                (a, None if previous_levels is None else previous_levels[n])
                for n, a in enumerate(levels)
            ],
        )
    return render(request, "assessments/project_assessments.html", context)


@require_GET
def project_assessments(request: AuthedRequest, slug: str) -> HttpResponse:
    return _gaps_page(request, with_members(get_project_for_user(request.user, slug)))


def _assessment_form(
    request: AuthedRequest,
    project: Project,
    form: GapAssessmentForm,
    draft: AssessmentDraft | None,
) -> HttpResponse:
    return render(
        request,
        "assessments/assessment_form.html",
        {
            "project": project,
            "tab": "assessments",
            "form": form,
            "draft": draft,
            "levels": LEVELS,
            "note_max": NOTE_MAX,
            "may_edit": can(request.user, project, Action.EDIT),
        },
    )


@require_http_methods(["GET", "POST"])
def assessment_new(request: AuthedRequest, slug: str) -> HttpResponse:
    """The assessment form: it opens on the draft if there is one, else on the latest
    assessment's values. "Save draft" keeps it as it is; "Record assessment" makes it
    the project's current assessment. An error changes nothing and keeps the input."""
    project = with_members(
        get_project_for_user(request.user, slug, Action.RUN_ASSESSMENT)
    )
    criteria = list(AssessmentCriterion.objects.filter(active=True))
    draft = selectors.draft_of(project)
    if request.method == "GET":
        if draft is not None:
            form = GapAssessmentForm(
                criteria, initial=values_of_draft(draft), note=draft.note
            )
        else:
            form = GapAssessmentForm(
                criteria, initial=values_of(selectors.latest_assessment(project))
            )
        return _assessment_form(request, project, form, draft)
    form = GapAssessmentForm(criteria, data=request.POST)
    as_draft = request.POST.get("action") == "draft"
    if not form.is_valid(complete=not as_draft):
        return _assessment_form(request, project, form, draft)
    if as_draft:
        services.assessment_draft_save(
            project=project,
            author=request.user,
            values=form.draft_values(),
            note=form.note,
        )
        messages.success(request, "Draft saved. It counts nowhere until recorded.")
        return redirect("assessments:assessment_new", slug=project.slug)
    try:
        services.assessment_record(
            project=project,
            assessor=request.user,
            note=form.note,
            scores=form.score_inputs(),
        )
    except ValidationError as exc:
        form.errors.extend(exc.messages)
        return _assessment_form(request, project, form, draft)
    messages.success(request, "Assessment recorded.")
    return redirect("assessments:project", slug=project.slug)


@require_POST
def assessment_draft_discard(request: AuthedRequest, slug: str) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.RUN_ASSESSMENT)
    if services.assessment_draft_discard(project=project):
        messages.success(request, "Draft discarded.")
    return redirect("assessments:project", slug=project.slug)


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
    due = parse_due_date(due_text)
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


@require_POST
def gaps_assign(request: AuthedRequest, slug: str) -> HttpResponse:
    """Several gaps of the latest assessment, one owner, one post: all or nothing. An
    error shows the page again (status 200) with the ticks and choices kept."""
    project = with_members(
        get_project_for_user(request.user, slug, Action.RUN_ASSESSMENT)
    )
    latest = selectors.latest_assessment(project)
    form = GapOwnersForm(
        request.POST,
        gaps=selectors.unowned_gaps(latest) if latest else {},
        members={m.user_id: m.user for m in project.memberships.all()},
    )
    if form.is_valid() and form.owner is not None:
        try:
            services.gaps_to_checklist(
                scores=form.gaps,
                assignee=form.owner,
                step_number=form.step_number,
                due_date=form.due,
                actor=request.user,
            )
        except ValidationError as exc:
            form.errors["gaps"] = " ".join(exc.messages)
        else:
            names = ", ".join(f"“{s.criterion.name}”" for s in form.gaps)
            messages.success(
                request,
                f"{form.owner.display_name} now owns {len(form.gaps)} "
                f"gap{'s' if len(form.gaps) != 1 else ''}: {names}.",
            )
            return redirect("assessments:project", slug=project.slug)
    return _gaps_page(request, project, owners=form)
