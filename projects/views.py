from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from projects import services
from projects.access import Action, can, get_project_for_user
from projects.forms import ProjectCreateForm
from projects.models import Membership
from projects.roles import may_create_projects
from projects.selectors import project_list_for_user

if TYPE_CHECKING:
    from portal.http import AuthedRequest

PAGE_SIZE = 50


@require_GET
def project_list(request: AuthedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    page = Paginator(project_list_for_user(request.user, query=query), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    template = "projects/project_list.html"
    if request.htmx and request.htmx.target == "project-table":
        template += "#project-table"
    return render(
        request,
        template,
        {"page": page, "query": query, "may_create": may_create_projects(request.user)},
    )


@require_http_methods(["GET", "POST"])
def project_create(request: AuthedRequest) -> HttpResponse:
    if not may_create_projects(request.user):
        raise PermissionDenied("Product managers, engineering leads and admins create projects.")
    form = ProjectCreateForm(request.POST or None, creator=request.user)
    if request.method == "POST" and form.is_valid():
        project = services.project_create(**form.cleaned_data)
        messages.success(request, f"Project {project.name} created.")
        if request.htmx:
            return HttpResponseClientRedirect(project.get_absolute_url())
        return redirect(project)
    return render(request, "projects/project_form.html", {"form": form})


@require_GET
def project_detail(request: AuthedRequest, slug: str) -> HttpResponse:
    project = get_project_for_user(request.user, slug)
    memberships = Membership.objects.filter(project=project).select_related("user")
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "memberships": memberships,
            "may_edit": can(request.user, project, Action.EDIT),
        },
    )
