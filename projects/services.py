"""Every write to projects and teams. History is recorded by simple_history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.text import slugify

from projects.models import Membership, Project, ProjectRole, Team

if TYPE_CHECKING:
    from collections.abc import Iterable

    from portal.models import User


def unique_slug(model: type[Project] | type[Team], name: str) -> str:
    """A slug from ``name`` that no row of ``model`` uses yet."""
    base = slugify(name)[:100] or "item"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def team_create(*, name: str, description: str = "", members: Iterable[User] = ()) -> Team:
    team = Team.objects.create(
        name=name, slug=unique_slug(Team, name), description=description
    )
    team.members.set(members)
    return team


@transaction.atomic
def team_update(
    *, team: Team, name: str, description: str, members: Iterable[User]
) -> Team:
    team.name = name
    team.description = description
    team.save()
    team.members.set(members)
    return team


@transaction.atomic
def project_create(
    *,
    name: str,
    team: Team,
    owner: User,
    summary: str = "",
    lead: User | None = None,
) -> Project:
    """Create a project with its owner (the PM) and, if named, its engineering lead."""
    project = Project.objects.create(
        name=name, slug=unique_slug(Project, name), team=team, summary=summary
    )
    Membership.objects.create(project=project, user=owner, role=ProjectRole.OWNER)
    if lead is not None and lead != owner:
        Membership.objects.create(project=project, user=lead, role=ProjectRole.LEAD)
    return project
