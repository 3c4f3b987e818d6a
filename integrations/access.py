"""Whose channels a page is about, and who may manage them: a project's channels are
managed by its owner and lead (404 for outsiders, 403 for other members, as
``projects.access`` decides); a team's channels by admins only (403 for anyone else,
as for the team's own admin page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse

from projects.access import Action, can, get_project_for_user, project_role
from projects.models import Project, ProjectRole, Team
from projects.roles import is_admin
from projects.selectors import with_members

if TYPE_CHECKING:
    from core.http import AuthedRequest


@dataclass(frozen=True)
class Owner:
    """A project or a team, as the channel pages need it: which channels are its, its
    pages' addresses, and what the person asking may do there."""

    project: Project | None = None
    team: Team | None = None
    # The person may edit the project itself (the project's tabs show more).
    may_edit: bool = False
    # The person may let spend figures out: the project's owner, and nobody for a
    # team's channel, which never carries them (the option is not shown).
    may_set_spend: bool = False

    @property
    def subject(self) -> Project | Team:
        subject = self.team or self.project
        assert subject is not None  # made by owner_for with one of them
        return subject

    @property
    def name(self) -> str:
        return self.subject.name

    @property
    def key(self) -> str | int:
        """The first argument of every one of its channel pages' URLs."""
        return self.team.pk if self.team is not None else self.subject.slug

    @property
    def routes(self) -> dict[str, str]:
        """URL names by page: ``{% url owner.routes.test owner.key channel.pk %}``."""
        prefix = "integrations:team_" if self.team is not None else "integrations:"
        return {name: prefix + name for name in ROUTES}

    @property
    def mine(self) -> dict[str, Project | Team]:
        """The filter on Channel that selects its channels."""
        if self.team is not None:
            return {"team": self.team}
        return {"project": self.subject}

    def url(self, name: str, pk: int | None = None) -> str:
        args = [self.key] if pk is None else [self.key, pk]
        return reverse(self.routes[name], args=args)


ROUTES = (
    "channels",
    "add",
    "channel",
    "settings",
    "test",
    "switch",
    "rotate_secret",
    "delete",
)


def owner_for(
    request: AuthedRequest, *, slug: str | None = None, team_pk: int | None = None
) -> Owner:
    """The project (by ``slug``) or team (by ``team_pk``) whose channels the request
    is about, once the person is known to manage them."""
    if team_pk is not None:
        if not is_admin(request.user):
            raise PermissionDenied("Only admins manage a team's channels.")
        return Owner(team=get_object_or_404(Team, pk=team_pk))
    assert slug is not None  # every channel URL names a project or a team
    project = with_members(
        get_project_for_user(request.user, slug, Action.CONNECT_SERVICES)
    )
    return Owner(
        project=project,
        may_edit=can(request.user, project, Action.EDIT),
        # Spend figures leave Runway only if the project's owner says so: not its
        # lead, not an admin who is not the owner.
        may_set_spend=project_role(request.user, project) == ProjectRole.OWNER,
    )
