"""Reads for project pages, with the joins that keep query counts flat."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, QuerySet

from projects.access import visible_projects
from projects.models import Membership, Project, ProjectRole

if TYPE_CHECKING:
    from portal.models import User


def project_list_for_user(user: User, *, query: str = "") -> QuerySet[Project]:
    """Visible, unarchived projects with their team and members loaded."""
    projects = (
        visible_projects(user)
        .filter(archived_at__isnull=True)
        .select_related("team")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("user"),
            )
        )
        .order_by("name")
    )
    if query:
        projects = projects.filter(name__icontains=query)
    return projects


@dataclass(frozen=True)
class PortfolioSummary:
    projects: int
    by_status: dict[str, int]


def portfolio_summary(user: User) -> PortfolioSummary:
    """Headline counts over the projects the user may see, aggregated in the database."""
    rows = (
        visible_projects(user)
        .filter(archived_at__isnull=True)
        .values("status")
        .annotate(n=Count("id", distinct=True))
    )
    by_status = {row["status"]: row["n"] for row in rows}
    return PortfolioSummary(projects=sum(by_status.values()), by_status=by_status)


def member_of_role(project: Project, role: ProjectRole) -> User | None:
    """The member holding ``role``, from prefetched memberships when present."""
    for membership in project.memberships.all():
        if membership.role == role:
            return membership.user
    return None
