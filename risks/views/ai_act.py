"""A project's EU AI Act tier: the questionnaire, the tier with its reasoning, and the
history of tier changes. Guidance, not legal advice."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_http_methods

from projects.access import Action, can, get_project_for_user
from projects.selectors import with_members
from risks import ai_act
from risks.ai_act_services import ai_act_answer
from risks.forms import AiActForm
from risks.models import AiActAssessment, AiActTierChange

if TYPE_CHECKING:
    from core.http import AuthedRequest
    from projects.models import Project


def _answered(answers: ai_act.Answers) -> list[tuple[str, str]]:
    """The answers as (question, answer) lines, for those who only read the page."""
    form = AiActForm()

    def chosen(name: str, codes: tuple[str, ...] | str) -> str:
        labels = dict(form.fields[name].choices)  # type: ignore[attr-defined]
        values = [codes] if isinstance(codes, str) else list(codes)
        return "; ".join(str(labels[v]) for v in values if v in labels) or "None"

    return [
        (str(form.fields["users"].label), chosen("users", answers.users)),
        (str(form.fields["purpose"].label), answers.purpose or "—"),
        (
            str(form.fields["prohibited_practices"].label),
            chosen("prohibited_practices", answers.prohibited_practices),
        ),
        (
            str(form.fields["safety_component"].label),
            "Yes" if answers.safety_component else "No",
        ),
        (
            str(form.fields["annex_iii_area"].label),
            chosen("annex_iii_area", answers.annex_iii_area),
        ),
        (
            str(form.fields["exceptions"].label),
            chosen("exceptions", answers.exceptions),
        ),
        (
            str(form.fields["profiles_people"].label),
            "Yes" if answers.profiles_people else "No",
        ),
        (
            str(form.fields["transparency"].label),
            chosen("transparency", answers.transparency),
        ),
    ]


def _page(
    request: AuthedRequest,
    project: Project,
    form: AiActForm | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    assessment = (
        AiActAssessment.objects.filter(project=project)
        .select_related("answered_by")
        .first()
    )
    answers = ai_act.Answers.from_dict(assessment.answers) if assessment else None
    may_edit = can(request.user, project, Action.EDIT)
    if form is None and may_edit:
        form = AiActForm(
            initial=AiActForm.initial_from(answers) if answers is not None else None
        )
    context: dict[str, Any] = {
        "project": with_members(project),
        "tab": "ai_act",
        "may_edit": may_edit,
        "form": form,
        "assessment": assessment,
        "tier_label": ai_act.TIER_LABELS.get(project.ai_act_tier, ""),
        "answered": _answered(answers) if answers is not None else [],
        "changes": AiActTierChange.objects.filter(project=project).select_related(
            "changed_by"
        ),
    }
    return render(request, "risks/ai_act.html", context, status=status)


@require_http_methods(["GET", "POST"])
def ai_act_page(request: AuthedRequest, slug: str) -> HttpResponse:
    """Everyone who sees the project reads the tier and its history; the owner (and
    admins) answer the questionnaire."""
    action = Action.EDIT if request.method == "POST" else Action.VIEW
    project = get_project_for_user(request.user, slug, action)
    if request.method != "POST":
        return _page(request, project)
    form = AiActForm(request.POST)
    if not form.is_valid():
        return _page(request, project, form)
    answers = form.answers()
    try:
        result = ai_act_answer(
            project=project,
            by=request.user,
            answers=answers,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        if exc.code != "reason":
            form.add_error(None, exc)
            return _page(request, project, form)
        new = ai_act.classify(answers)
        form.add_error(
            "reason",
            f"These answers change the tier from "
            f"{ai_act.TIER_LABELS[project.ai_act_tier]} to {new.label}. Say why the "
            "tier changes: the reason is kept in the history of changes.",
        )
        return _page(request, project, form)
    label = result.classification.label
    if result.changed:
        news = [f"The EU AI Act tier is now {label}."]
        added, dropped = result.checklist.added, result.checklist.no_longer_applicable
        if added:
            news.append(f"{added} obligation{pluralize(added)} added to the checklist.")
        if dropped:
            news.append(
                f"{dropped} checklist item{pluralize(dropped)} no longer appl"
                f"{'ies' if dropped == 1 else 'y'}, kept with {'its' if dropped == 1 else 'their'} ticks."
            )
        messages.success(request, " ".join(news))
    else:
        messages.success(request, f"Answers saved; the tier stays {label}.")
    return redirect("risks:ai_act", slug=project.slug)
