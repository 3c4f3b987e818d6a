"""Writes on who works on what: a team's details and members, and a project's members,
their roles and its owner. History is recorded by simple_history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from projects.models import Membership, Project, ProjectRole, Team
from projects.services import unique_slug

if TYPE_CHECKING:
    from collections.abc import Iterable

    from portal.models import User


@transaction.atomic
def team_create(
    *, name: str, description: str = "", members: Iterable[User] = ()
) -> Team:
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
def membership_set(*, project: Project, user: User, role: str) -> Membership:
    """Add a member or change their role. The owner is changed with ``owner_transfer``."""
    if role == ProjectRole.OWNER:
        raise ValidationError("Use “Transfer ownership” to name a new owner.")
    membership = Membership.objects.filter(project=project, user=user).first()
    if membership is None:
        return Membership.objects.create(project=project, user=user, role=role)
    if membership.role == ProjectRole.OWNER:
        raise ValidationError("Name a new owner before changing the owner's role.")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    if membership.role == ProjectRole.OWNER:
        raise ValidationError("A project always has an owner: name a new one first.")
    membership.delete()


@transaction.atomic
def owner_transfer(*, project: Project, new_owner: User) -> None:
    """Make ``new_owner`` the project's one owner; the previous owner stays a contributor."""
    current = Membership.objects.filter(project=project, role=ProjectRole.OWNER).first()
    if current is not None and current.user_id == new_owner.pk:
        return
    if current is not None:
        current.role = ProjectRole.CONTRIBUTOR
        current.save(update_fields=["role"])
    membership = Membership.objects.filter(project=project, user=new_owner).first()
    if membership is None:
        Membership.objects.create(
            project=project, user=new_owner, role=ProjectRole.OWNER
        )
    else:
        membership.role = ProjectRole.OWNER
        membership.save(update_fields=["role"])
