"""Runway's own pages for admins: people, global roles, teams."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.http import AuthedRequest
from integrations.selectors import channels_of
from portal import services
from portal.forms import AccessForm, InviteForm, TeamForm
from portal.models import User
from projects import membership_services
from projects.models import Membership, Team
from projects.roles import GlobalRole, is_admin

PAGE_SIZE = 50


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_admin(request.user):
            raise PermissionDenied("Only admins manage people and teams.")
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@admin_required
def user_list(request: AuthedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    users = User.objects.prefetch_related("groups", "teams").order_by("email")
    if query:
        users = users.filter(
            Q(email__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
        )
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "portal/people/user_list.html"
    if request.htmx and request.htmx.target == "user-table":
        template += "#user-table"
    return render(request, template, {"page": page, "query": query})


@require_http_methods(["GET", "POST"])
@admin_required
def user_invite(request: AuthedRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.user_invite(
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            roles=data["roles"],
            teams=data["teams"],
            invited_by=request.user,
            base_url=request.build_absolute_uri("/"),
        )
        messages.success(request, f"Invitation sent to {user.email}.")
        return redirect("portal:user_detail", pk=user.pk)
    return render(request, "portal/people/user_invite.html", {"form": form})


@require_http_methods(["GET", "POST"])
@admin_required
def user_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    initial = {
        "roles": list(person.groups.values_list("name", flat=True)),
        "teams": list(person.teams.all()),
    }
    form = AccessForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if (
            person == request.user
            and GlobalRole.ADMIN not in form.cleaned_data["roles"]
        ):
            form.add_error("roles", "You cannot remove your own Admin role.")
        else:
            services.user_set_access(
                user=person,
                roles=form.cleaned_data["roles"],
                teams=form.cleaned_data["teams"],
            )
            messages.success(
                request, f"Roles and teams of {person.display_name} saved."
            )
            return redirect("portal:user_detail", pk=person.pk)
    memberships = Membership.objects.filter(user=person).select_related("project")
    return render(
        request,
        "portal/people/user_detail.html",
        {
            "person": person,
            "form": form,
            "memberships": memberships,
            "invitation_link": None
            if person.has_accepted_invitation
            else request.build_absolute_uri(services.invitation_path(person)),
        },
    )


@require_POST
@admin_required
def user_deactivate(request: AuthedRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    try:
        services.user_deactivate(user=person, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"{person.display_name} is deactivated and signed out."
        )
    return redirect("portal:user_detail", pk=person.pk)


@require_POST
@admin_required
def user_reactivate(request: AuthedRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    services.user_reactivate(user=person, actor=request.user)
    messages.success(request, f"{person.display_name} can sign in again.")
    return redirect("portal:user_detail", pk=person.pk)


@require_GET
@admin_required
def team_list(request: AuthedRequest) -> HttpResponse:
    teams = Team.objects.prefetch_related(
        Prefetch("members", queryset=User.objects.order_by("email"))
    )
    return render(request, "portal/people/team_list.html", {"teams": teams})


@require_http_methods(["GET", "POST"])
@admin_required
def team_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk) if pk is not None else None
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if team is None:
            team = membership_services.team_create(
                name=data["name"],
                description=data["description"],
                members=data["members"],
            )
        else:
            membership_services.team_update(
                team=team,
                name=data["name"],
                description=data["description"],
                members=data["members"],
            )
        messages.success(request, f"Team {team.name} saved.")
        return redirect("portal:team_list")
    return render(
        request,
        "portal/people/team_form.html",
        {
            "form": form,
            "team": team,
            # Where the events of the team's projects are posted (Slack, Teams...).
            "channels": channels_of(team) if team is not None else [],
        },
    )
