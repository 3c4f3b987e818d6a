"""Project pages: the list, creation, the overview, details, members, archive."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, push_url

from core import fragments
from core.query import whole_number
from core.versions import digest
from projects import (
    activity,
    membership_services,
    selectors,
    services,
    step_selectors,
    table,
)
from projects.access import Action, can, get_project_for_user
from projects.forms import MemberForm, OwnerTransferForm, ProjectCreateForm, ProjectForm
from projects.models import Framework, Membership, ProjectStatus, Team
from projects.roles import may_create_projects
from projects.selectors import ProjectFilters

if TYPE_CHECKING:
    from core.http import AuthedRequest

PAGE_SIZE = 50


def _int_or_none(value: str | None) -> int | None:
    return whole_number(value)


def _filters_from(request: AuthedRequest) -> ProjectFilters:
    get = request.GET
    return ProjectFilters(
        query=get.get("q", "").strip(),
        step=_int_or_none(get.get("step")),
        status=get.get("status", ""),
        team=get.get("team", ""),
        framework=get.get("framework", ""),
        owner=_int_or_none(get.get("owner")),
        mine=get.get("mine") == "1",
        at_risk=get.get("at_risk") == "1",
        sort=get.get("sort", "name"),
    )


@require_GET
def project_list(request: AuthedRequest) -> HttpResponse:
    filters = _filters_from(request)
    rows = table.project_table_page(
        request.user, filters, request.GET.get("page"), PAGE_SIZE
    )
    # The pagination links need only the count and the page number.
    page = Paginator(range(rows.count), PAGE_SIZE).page(rows.number)
    # The filters as they will appear in links and the pushed URL: no empty values.
    shown = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [v for v in values if v]
        if kept and key != "page":
            shown.setlist(key, kept)
    context: dict[str, Any] = {
        "page": page,
        "rows_html": rows.rows_html,
        "filters": filters,
        "query": filters.query,
        "querystring": shown.urlencode(),
    }
    template = "projects/project_list.html"
    if request.htmx and request.htmx.target == "project-table":
        template += "#project-table"
    else:  # the filter form, around the table
        context |= {
            "may_create": may_create_projects(request.user),
            "teams": Team.objects.values_list("slug", "name"),
            "frameworks": Framework.objects.values_list("code", "name"),
            "statuses": ProjectStatus.choices,
            "owners": selectors.project_owners(request.user),
            "steps": range(1, 8),
        }
    response = render(request, template, context)
    if request.htmx:
        page_number = f"page={page.number}" if page.number > 1 else ""
        query = "&".join(part for part in (shown.urlencode(), page_number) if part)
        push_url(response, f"{request.path}?{query}" if query else request.path)
    return response


@require_http_methods(["GET", "POST"])
def project_create(request: AuthedRequest) -> HttpResponse:
    if not may_create_projects(request.user):
        raise PermissionDenied(
            "Product managers, engineering leads and admins create projects."
        )
    form = ProjectCreateForm(request.POST or None, creator=request.user)
    if request.method == "POST" and form.is_valid():
        project = services.project_create(**form.cleaned_data)
        messages.success(
            request, f"Project {project.name} created with its seven steps."
        )
        if request.htmx:
            return HttpResponseClientRedirect(project.get_absolute_url())
        return redirect(project)
    return render(request, "projects/project_form.html", {"form": form})


@require_GET
def project_detail(request: AuthedRequest, slug: str) -> HttpResponse:
    project = get_project_for_user(request.user, slug)
    may_edit = can(request.user, project, Action.EDIT)
    today = timezone.localdate()

    def stepper() -> str:
        return render_to_string(
            "projects/_stepper.html",
            {"project": project, "steps": step_selectors.step_summaries(project)},
            request=request,
        )

    def overview() -> tuple[str, str]:
        selectors.with_members(project)
        context = {
            "project": project,
            "tab": "overview",
            "memberships": project.memberships.all(),
            "risk_reasons": selectors.risk_reasons_of(project),
            "may_edit": may_edit,
        }
        return (
            render_to_string("projects/_project_header.html", context, request=request),
            render_to_string(
                "projects/_project_overview.html", context, request=request
            ),
        )

    # Each part is rendered once per day (the overdue and stalled flags) until what it
    # shows changes; the header and Overview once for editors and once for readers.
    # The stepper is kept apart because it alone shows the checklist: a tick rebuilds
    # only the stepper.
    header, details = fragments.cached(
        "project-overview", digest(may_edit, today), overview, project_id=project.pk
    )
    steps = fragments.cached(
        "project-stepper", digest(today), stepper, project_id=project.pk
    )
    # Rendered by the templates above.
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "header": mark_safe(header),  # noqa: S308
            "stepper": mark_safe(steps),  # noqa: S308
            "details": mark_safe(details),  # noqa: S308
        },
    )


@require_http_methods(["GET", "POST"])
def project_edit(request: AuthedRequest, slug: str) -> HttpResponse:
    project = selectors.with_members(
        get_project_for_user(request.user, slug, Action.EDIT)
    )
    form = ProjectForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        refresh = services.project_update(project=project, **form.cleaned_data)
        note = ""
        if refresh.added or refresh.no_longer_applicable:
            note = (
                f" Checklist refreshed: {refresh.added} item(s) added, "
                f"{refresh.no_longer_applicable} no longer apply."
            )
        messages.success(request, f"Project details saved.{note}")
        return redirect("projects:edit", slug=project.slug)
    return render(
        request,
        "projects/project_edit.html",
        {"project": project, "form": form, "tab": "settings", "may_edit": True},
    )


@require_POST
def project_archive(request: AuthedRequest, slug: str) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.EDIT)
    if project.archived_at:
        services.project_unarchive(project=project)
        messages.success(request, f"{project.name} is active again.")
    else:
        services.project_archive(project=project)
        messages.success(request, f"{project.name} is archived. Its history is kept.")
    return redirect("projects:edit", slug=project.slug)


@require_http_methods(["GET", "POST"])
def project_members(request: AuthedRequest, slug: str) -> HttpResponse:
    project = selectors.with_members(get_project_for_user(request.user, slug))
    may_edit = can(request.user, project, Action.EDIT)
    if request.method == "POST" and not may_edit:
        raise PermissionDenied("Only the owner or an admin changes the members.")
    form = MemberForm(request.POST if "add_member" in request.POST else None)
    transfer = OwnerTransferForm(request.POST if "transfer" in request.POST else None)
    if request.method == "POST":
        try:
            if "add_member" in request.POST and form.is_valid():
                membership_services.membership_set(project=project, **form.cleaned_data)
                messages.success(
                    request, f"{form.cleaned_data['user']} is now a member."
                )
                return redirect("projects:members", slug=project.slug)
            if "transfer" in request.POST and transfer.is_valid():
                membership_services.owner_transfer(
                    project=project, new_owner=transfer.cleaned_data["new_owner"]
                )
                messages.success(
                    request,
                    f"{transfer.cleaned_data['new_owner']} now owns the project.",
                )
                return redirect("projects:members", slug=project.slug)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return render(
        request,
        "projects/project_members.html",
        {
            "project": project,
            "tab": "members",
            "memberships": project.memberships.all(),
            "form": form,
            "transfer": transfer,
            "may_edit": may_edit,
        },
    )


@require_POST
def member_remove(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, slug, Action.EDIT)
    membership = get_object_or_404(Membership, project=project, pk=pk)
    try:
        membership_services.membership_remove(membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{membership.user} is no longer a member.")
    return redirect("projects:members", slug=project.slug)


@require_GET
def project_activity(request: AuthedRequest, slug: str) -> HttpResponse:
    project = selectors.with_members(get_project_for_user(request.user, slug))
    step = _int_or_none(request.GET.get("step"))
    entries = activity.project_activity(project, step=step)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "projects/project_activity.html"
    if request.htmx and request.htmx.target == "activity-list":
        template += "#activity-list"
    return render(
        request,
        template,
        {
            "project": project,
            "tab": "activity",
            "page": page,
            "step": step,
            "steps": range(1, 8),
            "may_edit": can(request.user, project, Action.EDIT),
        },
    )
