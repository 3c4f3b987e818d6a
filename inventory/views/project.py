"""A project's Models tab: the models it uses, declared by its owner or seen in its
metrics, whether each may see its data, and declaring or withdrawing one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from inventory import selectors, services
from inventory.forms import DeclareForm
from inventory.models import ProjectModel
from projects.access import Action, can, get_project_for_user
from projects.models import DataClassification
from projects.selectors import with_members

if TYPE_CHECKING:
    from core.http import AuthedRequest


def _back(request: AuthedRequest, url: str) -> HttpResponse:
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@require_http_methods(["GET", "POST"])
def project_models(request: AuthedRequest, slug: str) -> HttpResponse:
    """The tab; a POST declares a model (the owner, or an admin)."""
    project = with_members(get_project_for_user(request.user, slug))
    may_edit = can(request.user, project, Action.EDIT)
    if request.method == "POST" and not may_edit:
        raise PermissionDenied("Only the project's owner declares its models.")
    form = DeclareForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            use = services.model_declare(
                project=project,
                declared_by=request.user,
                model=form.cleaned_data["model"],
                name=form.cleaned_data["name"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, f"{use.model.name} declared.")
            return _back(request, services.models_url(project))
    return render(
        request,
        "inventory/project_models.html",
        {
            "project": project,
            "tab": "models",
            "may_edit": may_edit,
            "rows": selectors.project_models(project, today=timezone.localdate()),
            "alert": selectors.open_model_alert(project),
            "data": DataClassification(project.data_classification).label.lower(),
            "recent_days": selectors.RECENT_DAYS,
            "form": form,
        },
    )


@require_POST
def model_remove(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """Withdraw the declaration of a model (the owner, or an admin)."""
    project = get_project_for_user(request.user, slug, Action.EDIT)
    use = get_object_or_404(
        ProjectModel.objects.select_related("model"), project=project, pk=pk
    )
    try:
        services.model_undeclare(use=use)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"{use.model.name} is no longer declared"
            + (": it stays listed, as its metrics show it in use." if use.pk else "."),
        )
    return _back(request, services.models_url(project))
