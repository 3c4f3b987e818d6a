"""Step 1: the requirements document, its versions, the diff and the owner's approval."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments import selectors, services
from assessments.diff import diff
from assessments.forms import RequirementsForm
from assessments.models import RequirementsVersion
from assessments.requirements import FIELDS, missing_targets
from projects.access import Action, can, get_project_for_user
from projects.selectors import with_members

if TYPE_CHECKING:
    from core.http import AuthedRequest


@require_http_methods(["GET", "POST"])
def requirements(request: AuthedRequest, slug: str) -> HttpResponse:
    project = with_members(get_project_for_user(request.user, slug))
    may_edit = can(request.user, project, Action.EDIT)
    document, versions = selectors.requirements_of(project)
    latest = versions[0] if versions else None
    if request.method == "POST":
        project = get_project_for_user(request.user, slug, Action.EDIT)
    if latest is not None:
        initial = RequirementsForm.initial_from(selectors.version_values(latest))
    else:
        initial = {"data_classification": project.data_classification}
    form = RequirementsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        note = values.pop("change_note")
        if latest is not None and values == {
            k: v for k, v in selectors.version_values(latest).items() if k in values
        }:
            messages.info(request, "Nothing changed, so no new version was saved.")
        else:
            version = services.requirements_save(
                project=project, author=request.user, values=values, change_note=note
            )
            messages.success(request, f"Saved as version {version.number}.")
        return redirect("assessments:requirements", slug=project.slug)
    approved = document.approved_version if document else None
    return render(
        request,
        "assessments/requirements.html",
        {
            "project": project,
            "tab": "requirements",
            "form": form,
            "versions": versions,
            "latest": latest,
            "approved": approved,
            "document": document,
            "missing": missing_targets(selectors.version_values(latest))
            if latest
            else [],
            "may_edit": may_edit,
            "may_approve": can(request.user, project, Action.APPROVE_REQUIREMENTS),
            "fields": FIELDS,
            "latest_values": selectors.version_values(latest) if latest else {},
        },
    )


@require_GET
def requirements_compare(request: AuthedRequest, slug: str) -> HttpResponse:
    project = with_members(get_project_for_user(request.user, slug))
    _, versions = selectors.requirements_of(project)
    by_number = {v.number: v for v in versions}
    try:
        a, b = int(request.GET.get("a", "")), int(request.GET.get("b", ""))
        before, after = by_number[min(a, b)], by_number[max(a, b)]
    except (ValueError, KeyError):
        raise Http404("Choose two saved versions to compare.") from None
    changes = diff(
        selectors.version_values(before), selectors.version_values(after), FIELDS
    )
    return render(
        request,
        "assessments/requirements_compare.html",
        {
            "project": project,
            "tab": "requirements",
            "before": before,
            "after": after,
            "changes": changes,
            "may_edit": can(request.user, project, Action.EDIT),
        },
    )


@require_POST
def requirements_approve(
    request: AuthedRequest, slug: str, number: int
) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.APPROVE_REQUIREMENTS)
    version = get_object_or_404(
        RequirementsVersion, document__project=project, number=number
    )
    missing = missing_targets(selectors.version_values(version))
    if missing:
        messages.error(
            request,
            f"Version {number} cannot be approved: fill in {', '.join(missing)} first.",
        )
    else:
        ticked = services.requirements_approve(version=version, actor=request.user)
        message = f"Version {number} is approved. Its targets now drive the gates."
        if ticked:
            message += (
                f" {len(ticked)} step-1 checklist item{pluralize(len(ticked))} it"
                " satisfies {} ticked, with this version as evidence.".format(
                    "is" if len(ticked) == 1 else "are"
                )
            )
        messages.success(request, message)
    return redirect("assessments:requirements", slug=project.slug)
